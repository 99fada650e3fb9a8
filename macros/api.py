"""The macros API: `/api/macros/` and `/api/tickets/{ticket_id}/macros/{macro_id}/apply/`.

Registered on the core's router in `MacrosConfig.ready()`. Thin adapters: parse, call one service or selector,
shape the answer. Reading follows `macros.selectors` (a macro the caller may not see is a 404); the services decide
who may change what (403) and what is valid (`DomainError` -> 400).
"""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from macros import selectors, services, zendesk_input
from macros.actions.validate import validate_actions
from macros.models import Macro, MacroAvailability
from tickets import selectors as ticket_selectors
from tickets.api.serializers import CommentOutputSerializer, TicketOutputSerializer
from tickets.api.views import visible_ticket_or_404
from tickets.models import Group

User = get_user_model()
ID_REGEX = r"\d+"
MAX_ID = 2**63 - 1


# --- Serializers ------------------------------------------------------------------------------------------


class ActionSerializer(serializers.Serializer):
    """Documentation of one action; requests are checked by `macros.actions.validate.validate_actions`."""

    field = serializers.CharField(help_text="status, priority, type, group_id, assignee_id, set_tags, ...")
    value = serializers.JSONField(
        help_text=gettext_lazy('A text, number, boolean or list, e.g. "solved" or ["channel:all", "Hi"].')
    )


@extend_schema_serializer(component_name="Macro")
class MacroOutputSerializer(serializers.Serializer):
    """Needs `groups` prefetched (the selectors do it)."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    category_path = serializers.ListField(child=serializers.CharField(), read_only=True)
    description = serializers.CharField(read_only=True)
    active = serializers.BooleanField(read_only=True)
    availability = serializers.ChoiceField(choices=MacroAvailability.choices, read_only=True)
    owner_id = serializers.IntegerField(allow_null=True, read_only=True)
    group_ids = serializers.SerializerMethodField()
    actions = ActionSerializer(many=True, read_only=True)
    position = serializers.IntegerField(read_only=True)
    usage_count = serializers.IntegerField(read_only=True)
    last_used_at = serializers.DateTimeField(allow_null=True, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_group_ids(self, macro) -> list[int]:
        return [group.pk for group in macro.groups.all()]


class _MacroInput(serializers.Serializer):
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(allow_blank=True, required=False)
    active = serializers.BooleanField(required=False)
    availability = serializers.ChoiceField(
        choices=MacroAvailability.choices,
        required=False,
        help_text=gettext_lazy("Default: everyone for an admin's macro, personal for an agent's."),
    )
    owner_id = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), allow_null=True, required=False, help_text=gettext_lazy("Personal macros only.")
    )
    group_ids = serializers.ListField(
        child=serializers.PrimaryKeyRelatedField(queryset=Group.objects.all()),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Macros limited to groups only."),
    )
    actions = serializers.ListField(
        child=serializers.JSONField(),
        help_text=gettext_lazy('Zendesk actions: [{"field": "status", "value": "solved"}, ...].'),
    )
    position = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)

    def to_service(self) -> dict:
        """The validated data in the services' vocabulary (objects, not ids)."""
        data = dict(self.validated_data)
        renamed = {"owner_id": "owner", "group_ids": "groups"}
        return {renamed.get(key, key): value for key, value in data.items()}


@extend_schema_serializer(component_name="MacroCreate")
class MacroCreateInputSerializer(_MacroInput):
    pass


@extend_schema_serializer(component_name="MacroUpdate")
class MacroUpdateInputSerializer(_MacroInput):
    """A partial update (PATCH): only the keys sent are changed."""


@extend_schema_serializer(component_name="MacroApplyResult")
class MacroApplyOutputSerializer(serializers.Serializer):
    ticket = TicketOutputSerializer()
    comment = CommentOutputSerializer(
        allow_null=True, help_text=gettext_lazy("The reply or note the macro added, if any.")
    )


class MacroPreviewTagsSerializer(serializers.Serializer):
    set = serializers.ListField(child=serializers.CharField(), allow_null=True)
    add = serializers.ListField(child=serializers.CharField())
    remove = serializers.ListField(child=serializers.CharField())


class MacroPreviewCommentSerializer(serializers.Serializer):
    body = serializers.CharField()
    public = serializers.BooleanField()


class MacroRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


@extend_schema_serializer(component_name="MacroPreview")
class MacroPreviewSerializer(serializers.Serializer):
    """Documentation only: the dict comes from `services.macro_preview`, as is."""

    macro = MacroRefSerializer()
    ticket_id = serializers.IntegerField()
    fields = serializers.DictField(
        help_text=gettext_lazy("Only the fields the macro sets: status, priority, type, subject, ...")
    )
    tags = MacroPreviewTagsSerializer()
    tags_after = serializers.ListField(child=serializers.CharField())
    comment = MacroPreviewCommentSerializer(allow_null=True)


# --- Views ------------------------------------------------------------------------------------------------


def _valid(serializer: serializers.Serializer) -> serializers.Serializer:
    """The serializer once valid, or one 400 naming every problem: its field errors and the actions' own."""
    if serializer.is_valid():
        return serializer
    actions = serializer.initial_data.get("actions")
    errors = zendesk_input.merged_errors(
        serializer.errors, lambda: validate_actions(actions, kind="macro") if actions is not None else None
    )
    raise ValidationError(errors)


def _flag(value: str | None) -> bool | None:
    return {"true": True, "1": True, "false": False, "0": False}.get((value or "").lower())


MACRO_LIST_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description=gettext_lazy("Search in title and description.")),
    OpenApiParameter("active", OpenApiTypes.BOOL),
    OpenApiParameter("availability", OpenApiTypes.STR, enum=MacroAvailability.values),
    OpenApiParameter(
        "sort", OpenApiTypes.STR, enum=list(selectors.ORDERINGS), description=gettext_lazy("Default: position.")
    ),
]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List macros"),
        description=gettext_lazy("Admins see every macro; agents the ones they may use and their own personal ones."),
        parameters=MACRO_LIST_PARAMETERS,
    ),
    retrieve=extend_schema(summary=gettext_lazy("Show a macro")),
    destroy=extend_schema(summary=gettext_lazy("Delete a macro")),
)
class MacroViewSet(viewsets.GenericViewSet):
    serializer_class = MacroOutputSerializer
    lookup_value_regex = ID_REGEX
    queryset = Macro.objects.none()  # for the schema generator; requests use the selectors

    def get_queryset(self) -> QuerySet[Macro]:
        params = self.request.query_params
        return selectors.macros_visible_to(
            self.request.user,
            search=params.get("q"),
            active=_flag(params.get("active")),
            availability=params.get("availability") if params.get("availability") in MacroAvailability.values else None,
            order=params.get("sort") or "position",
        )

    def get_object(self) -> Macro:
        macro_id = int(self.kwargs[self.lookup_field])
        macro = selectors.macro_visible_get(user=self.request.user, macro_id=macro_id) if macro_id <= MAX_ID else None
        if macro is None:
            raise NotFound(_("No such macro."))
        return macro

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary=gettext_lazy("Create a macro"),
        description=gettext_lazy(
            "Agents may create personal macros; shared ones (everyone, groups) are for admins (403)."
        ),
        request=MacroCreateInputSerializer,
        responses={201: MacroOutputSerializer},
    )
    def create(self, request: Request) -> Response:
        serializer = _valid(MacroCreateInputSerializer(data=zendesk_input.unwrap(request.data, "macro")))
        macro = services.macro_create(actor=request.user, **serializer.to_service())
        macro = selectors.macros_visible_to(request.user).get(pk=macro.pk)
        return Response(self.get_serializer(macro).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Update a macro"),
        description=gettext_lazy("Changes only the keys sent. Agents may change only their own personal macros (403)."),
        request=MacroUpdateInputSerializer,
        responses={200: MacroOutputSerializer},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        macro = self.get_object()
        serializer = _valid(MacroUpdateInputSerializer(data=zendesk_input.unwrap(request.data, "macro"), partial=True))
        macro = services.macro_update(macro=macro, actor=request.user, **serializer.to_service())
        macro = selectors.macros_visible_to(request.user).filter(pk=macro.pk).first() or macro
        return Response(self.get_serializer(macro).data)

    def destroy(self, request: Request, pk=None) -> Response:
        services.macro_delete(macro=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


TICKET_ID = OpenApiParameter(
    "ticket_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=gettext_lazy("Ticket id.")
)
MACRO_ID = OpenApiParameter("macro_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=gettext_lazy("Macro id."))


class TicketMacroViewSet(viewsets.GenericViewSet):
    """`/api/tickets/{ticket_id}/macros/{macro_id}/apply/`: GET previews (as Zendesk's), POST applies."""

    lookup_url_kwarg = "macro_id"
    lookup_value_regex = ID_REGEX
    queryset = Macro.objects.none()
    serializer_class = MacroApplyOutputSerializer

    def _ticket_and_macro(self, request: Request, ticket_id, macro_id):
        ticket = visible_ticket_or_404(request, ticket_id) if int(ticket_id) <= MAX_ID else None
        macro = (
            selectors.macro_available_get(user=request.user, macro_id=int(macro_id))
            if int(macro_id) <= MAX_ID
            else None
        )
        if ticket is None:
            raise NotFound(_("No such ticket."))
        if macro is None:
            raise NotFound(_("No such macro, or it is not available to you."))
        return ticket, macro

    @extend_schema(
        methods=["GET"],
        summary=gettext_lazy("Preview a macro on a ticket"),
        description=gettext_lazy("What the macro would set and the rendered comment; changes nothing."),
        parameters=[TICKET_ID, MACRO_ID],
        responses={200: MacroPreviewSerializer},
    )
    @extend_schema(
        methods=["POST"],
        summary=gettext_lazy("Apply a macro"),
        description=gettext_lazy(
            "Applies the macro at once as the calling agent, in one submit: its field changes and its comment "
            "(the caller is the author). 404 for a ticket the caller may not see or a macro not available to them."
        ),
        parameters=[TICKET_ID, MACRO_ID],
        request=None,
        responses={200: MacroApplyOutputSerializer},
    )
    @action(detail=True, methods=["get", "post"], url_path="apply")
    def apply(self, request: Request, ticket_id=None, macro_id=None) -> Response:
        ticket, macro = self._ticket_and_macro(request, ticket_id, macro_id)
        if request.method == "GET":
            return Response(services.macro_preview(macro=macro, ticket=ticket, user=request.user))
        applied = services.macro_apply(macro=macro, ticket=ticket, user=request.user, source="api")
        comment = None
        if applied.applied_comment is not None:
            comment = ticket_selectors.ticket_comments(ticket=applied).filter(pk=applied.applied_comment.pk).first()
        context = self.get_serializer_context()
        return Response(
            {
                "ticket": TicketOutputSerializer(
                    selectors.ticket_for_output(ticket_id=applied.pk), context=context
                ).data,
                "comment": CommentOutputSerializer(comment, context=context).data if comment else None,
            }
        )
