"""`/api/ticket_fields/`: the admin-defined ticket fields in Zendesk's shape (agents read, admins write).

Zendesk's own JSON is accepted as it is: the `{"ticket_field": {...}}` wrapper, `required` for "required to solve",
and its read-only or unknown keys (`url`, `id`, `raw_title`, `title_in_portal`, ...) are ignored.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from tickets import custom_field_definitions as definitions
from tickets.custom_field_models import CustomField, CustomFieldType
from tickets.custom_fields import fields_with_options
from tickets.permissions import IsAdminOrReadOnly

MAX_ID = 2**63 - 1


class CustomFieldOptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    value = serializers.CharField(max_length=80)


@extend_schema_serializer(component_name="TicketField")
class TicketFieldSerializer(serializers.Serializer):
    """Needs `options` prefetched (`tickets.custom_fields.fields_with_options`)."""

    id = serializers.IntegerField(read_only=True)
    type = serializers.ChoiceField(choices=CustomFieldType.choices, read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    active = serializers.BooleanField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    required = serializers.BooleanField(source="required_on_solve", read_only=True)
    tag = serializers.SerializerMethodField()
    regexp_for_validation = serializers.SerializerMethodField()
    custom_field_options = CustomFieldOptionSerializer(source="options", many=True, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_tag(self, field) -> str | None:
        return field.tag or None

    def get_regexp_for_validation(self, field) -> str | None:
        return field.regexp_for_validation or None


class TicketFieldInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=CustomFieldType.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, allow_null=True, required=False)
    active = serializers.BooleanField(required=False)
    position = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False, allow_null=True)
    required = serializers.BooleanField(required=False, allow_null=True)
    tag = serializers.CharField(max_length=80, allow_blank=True, allow_null=True, required=False)
    regexp_for_validation = serializers.CharField(max_length=500, allow_blank=True, allow_null=True, required=False)
    # A ListField, not many=True: DRF would pass allow_null on to the items, and a null option is no option.
    custom_field_options = serializers.ListField(
        child=CustomFieldOptionSerializer(), required=False, allow_null=True, max_length=1000
    )

    def to_values(self) -> dict:
        """The validated data in the services' vocabulary; Zendesk's nulls are "not given"."""
        data = {key: value for key, value in self.validated_data.items() if value is not None}
        if "required" in data:
            data["required_on_solve"] = data.pop("required")
        if "custom_field_options" in data:
            data["options"] = [dict(option) for option in data.pop("custom_field_options")]
        return data


def _payload(request: Request) -> dict:
    data = request.data
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    if isinstance(data.get("ticket_field"), dict):
        data = data["ticket_field"]
    return data


WRITE_NOTE = gettext_lazy("Admins only (403 for agents); 400 names every bad key.")


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List ticket fields"), description=gettext_lazy("In their order.")),
    retrieve=extend_schema(summary=gettext_lazy("Show a ticket field")),
    create=extend_schema(
        summary=gettext_lazy("Create a ticket field"),
        description=WRITE_NOTE,
        request=TicketFieldInputSerializer,
        responses={201: TicketFieldSerializer},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Update a ticket field"),
        description=WRITE_NOTE,
        request=TicketFieldInputSerializer,
        responses={200: TicketFieldSerializer},
    ),
    update=extend_schema(
        summary=gettext_lazy("Update a ticket field (as PATCH)"),
        request=TicketFieldInputSerializer,
        responses={200: TicketFieldSerializer},
    ),
    destroy=extend_schema(summary=gettext_lazy("Delete a ticket field and its values")),
)
class TicketFieldViewSet(viewsets.GenericViewSet):
    serializer_class = TicketFieldSerializer
    permission_classes = [IsAdminOrReadOnly]
    lookup_value_regex = r"\d+"
    queryset = CustomField.objects.none()

    def get_queryset(self) -> QuerySet[CustomField]:
        return fields_with_options()

    def get_object(self) -> CustomField:
        field_id = int(self.kwargs[self.lookup_field])
        field = self.get_queryset().filter(pk=field_id).first() if field_id <= MAX_ID else None
        if field is None:
            raise NotFound(_("No such ticket field."))
        return field

    def _fresh(self, field: CustomField) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=field.pk)).data

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        serializer = TicketFieldInputSerializer(data=_payload(request))
        serializer.is_valid(raise_exception=True)
        field = definitions.field_create(**serializer.to_values())
        return Response(self._fresh(field), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk=None) -> Response:
        field = self.get_object()
        serializer = TicketFieldInputSerializer(data=_payload(request), partial=True)
        serializer.is_valid(raise_exception=True)
        field = definitions.field_update(field=field, **serializer.to_values())
        return Response(self._fresh(field))

    def update(self, request: Request, pk=None) -> Response:
        return self.partial_update(request, pk=pk)

    def destroy(self, request: Request, pk=None) -> Response:
        definitions.field_delete(field=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
