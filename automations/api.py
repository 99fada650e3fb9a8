"""`/api/triggers/` and `/api/automations/`: business rules in Zendesk's JSON.

Registered on the core's router in `AutomationsConfig.ready()`. Agents may read; only admins may create, change and
delete (403). Requests may be Zendesk's own: wrapped (``{"trigger": {...}}``) or not, with ``conditions`` or with
Zendesk's request form of top-level ``all``/``any``, ids as numbers or strings; keys of Zendesk's responses that mean
nothing here (``url``, ``raw_title``, ``default``, ``category_id``...) are ignored. PUT (Zendesk's verb) changes only
the keys sent, like PATCH. A definition is checked by `automations.rules` and refused with 400 naming the bad
condition or action.
"""

from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from automations import rules, selectors
from automations.models import Automation, BusinessRule, Trigger
from macros import zendesk_input
from macros.api import ActionSerializer  # the one action vocabulary, documented once
from tickets.permissions import IsAdminOrReadOnly

MAX_ID = 2**63 - 1


class ConditionSerializer(serializers.Serializer):
    """Documentation of one condition; requests are checked by `automations.conditions`."""

    field = serializers.CharField(help_text="status, priority, update_type, current_tags, hours_since_created, ...")
    operator = serializers.CharField(help_text="is, is_not, less_than, greater_than, includes, changed, ...")
    value = serializers.JSONField(help_text=gettext_lazy('e.g. "solved", "vip urgent", 96, "current_user"'))


class ConditionsSerializer(serializers.Serializer):
    all = ConditionSerializer(many=True, help_text=gettext_lazy("Every one must hold."))
    any = ConditionSerializer(many=True, help_text=gettext_lazy("At least one must hold (when not empty)."))


class RuleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    active = serializers.BooleanField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    conditions = ConditionsSerializer(read_only=True)
    actions = ActionSerializer(many=True, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class RuleInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255, trim_whitespace=True)
    description = serializers.CharField(allow_blank=True, required=False)
    active = serializers.BooleanField(required=False)
    position = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    conditions = serializers.JSONField(required=False, help_text='{"all": [...], "any": [...]}')
    actions = serializers.JSONField(help_text='[{"field": ..., "value": ...}]')


@extend_schema_serializer(component_name="Trigger")
class TriggerSerializer(RuleOutputSerializer):
    pass


@extend_schema_serializer(component_name="Automation")
class AutomationSerializer(RuleOutputSerializer):
    pass


@extend_schema_serializer(component_name="TriggerInput")
class TriggerInputSerializer(RuleInputSerializer):
    pass


@extend_schema_serializer(component_name="AutomationInput")
class AutomationInputSerializer(RuleInputSerializer):
    pass


def _flag(value: str | None) -> bool | None:
    return {"true": True, "1": True, "false": False, "0": False}.get((value or "").lower())


class _RuleViewSet(viewsets.GenericViewSet):
    """Shared by triggers and automations: `kind` and `model` say which."""

    kind = "trigger"
    model: type[BusinessRule] = Trigger
    input_serializer: type[serializers.Serializer] = RuleInputSerializer
    permission_classes = [IsAdminOrReadOnly]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet:
        return selectors.rules(self.model, active=_flag(self.request.query_params.get("active")))

    def get_object(self) -> BusinessRule:
        rule_id = int(self.kwargs[self.lookup_field])
        rule = selectors.rule_get(self.model, rule_id) if rule_id <= MAX_ID else None
        if rule is None:
            raise NotFound(_("No such trigger.") if self.kind == "trigger" else _("No such automation."))
        return rule

    def _data(self, request: Request, *, existing: BusinessRule | None = None) -> dict:
        """Zendesk's request shapes -> ours: unwrap {"trigger": {...}}, fold top-level all/any into conditions."""
        data = zendesk_input.unwrap(request.data, self.kind)
        if "all" in data or "any" in data:
            if "conditions" in data:
                raise ValidationError(
                    {"conditions": [_("Give conditions, or all and any (Zendesk's form), not both.")]}
                )
            current = (existing.conditions if existing is not None else None) or {}
            data["conditions"] = {
                "all": data.pop("all", current.get("all", [])),
                "any": data.pop("any", current.get("any", [])),
            }
        return data

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def _validated(self, data: dict, *, existing: BusinessRule | None = None) -> dict:
        """The input, or one 400 naming every problem: the request's fields and the definition's own."""
        serializer = self.input_serializer(data=data, partial=existing is not None)
        if serializer.is_valid():
            return serializer.validated_data

        def check() -> None:
            stored = existing or self.model(title="", conditions={}, actions=[])
            rules.definition_clean(
                kind=self.kind,
                title=data.get("title", stored.title) if isinstance(data.get("title", ""), str) else "",
                description=data.get("description", stored.description),
                conditions=data.get("conditions", stored.conditions if existing else None),
                actions=data.get("actions", stored.actions if existing else None),
            )

        raise ValidationError(zendesk_input.merged_errors(serializer.errors, check))

    def create(self, request: Request) -> Response:
        validated = self._validated(self._data(request))
        rule = rules.rule_create(kind=self.kind, actor=request.user, **validated)
        return Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk=None) -> Response:
        rule = self.get_object()
        validated = self._validated(self._data(request, existing=rule), existing=rule)
        rule = rules.rule_update(rule=rule, actor=request.user, **validated)
        return Response(self.get_serializer(rule).data)

    def update(self, request: Request, pk=None) -> Response:
        return self.partial_update(request, pk=pk)

    def destroy(self, request: Request, pk=None) -> Response:
        rules.rule_delete(rule=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


ACTIVE = OpenApiParameter(
    "active", OpenApiTypes.BOOL, description=gettext_lazy("Only active (true) or inactive (false) rules.")
)
WRITE_NOTE = gettext_lazy("Admins only (403 for agents); 400 names the bad condition or action.")


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List triggers"),
        description=gettext_lazy("In running order (position)."),
        parameters=[ACTIVE],
    ),
    retrieve=extend_schema(summary=gettext_lazy("Show a trigger")),
    create=extend_schema(
        summary=gettext_lazy("Create a trigger"),
        description=format_lazy(
            "{} {}", gettext_lazy("Zendesk's JSON; without a position the trigger goes last."), WRITE_NOTE
        ),
        request=TriggerInputSerializer,
        responses={201: TriggerSerializer},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Update a trigger"),
        description=format_lazy("{} {}", gettext_lazy("Changes only the keys sent."), WRITE_NOTE),
        request=TriggerInputSerializer,
    ),
    update=extend_schema(
        summary=gettext_lazy("Update a trigger (PUT, as Zendesk)"),
        description=format_lazy("{} {}", gettext_lazy("Same as PATCH: changes only the keys sent."), WRITE_NOTE),
        request=TriggerInputSerializer,
    ),
    destroy=extend_schema(summary=gettext_lazy("Delete a trigger"), description=gettext_lazy("Admins only.")),
)
class TriggerViewSet(_RuleViewSet):
    kind = "trigger"
    model = Trigger
    queryset = Trigger.objects.none()  # for the schema generator
    serializer_class = TriggerSerializer
    input_serializer = TriggerInputSerializer


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List automations"),
        description=gettext_lazy("In running order (position)."),
        parameters=[ACTIVE],
    ),
    retrieve=extend_schema(summary=gettext_lazy("Show an automation")),
    create=extend_schema(
        summary=gettext_lazy("Create an automation"),
        description=format_lazy(
            "{} {}",
            gettext_lazy(
                "Zendesk's JSON. Needs a time condition under all and a condition or action that stops it matching "
                "once it has acted (Zendesk's rule)."
            ),
            WRITE_NOTE,
        ),
        request=AutomationInputSerializer,
        responses={201: AutomationSerializer},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Update an automation"),
        description=format_lazy("{} {}", gettext_lazy("Changes only the keys sent."), WRITE_NOTE),
        request=AutomationInputSerializer,
    ),
    update=extend_schema(
        summary=gettext_lazy("Update an automation (PUT, as Zendesk)"),
        description=format_lazy("{} {}", gettext_lazy("Same as PATCH: changes only the keys sent."), WRITE_NOTE),
        request=AutomationInputSerializer,
    ),
    destroy=extend_schema(summary=gettext_lazy("Delete an automation"), description=gettext_lazy("Admins only.")),
)
class AutomationViewSet(_RuleViewSet):
    kind = "automation"
    model = Automation
    queryset = Automation.objects.none()
    serializer_class = AutomationSerializer
    input_serializer = AutomationInputSerializer
