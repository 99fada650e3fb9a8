"""The API's JSON: output serializers shape rows, input serializers parse requests for one service call.

Output serializers are plain and read-only, with every key declared so the public shapes cannot drift; other apps
reuse them (e.g. `TicketOutputSerializer` for a macro's result). Input serializers only check types and look up
referenced rows; business rules stay in `tickets.services` (their `DomainError` becomes a 400 at the edge).
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.fields import empty

from tickets import custom_fields, languages, selectors
from tickets.errors import DomainError
from tickets.hooks import channel_info
from tickets.models import AuthorRole, Contact, Group, TicketPriority, TicketStatus, TicketType

User = get_user_model()

# --- Output -----------------------------------------------------------------------------------------------


class WhatsAppWindowSerializer(serializers.Serializer):
    open = serializers.BooleanField()
    expires_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="TicketWhatsApp")
class TicketWhatsAppSerializer(serializers.Serializer):
    """Documentation only: the dict comes from the channel app's `channel_info` provider, as is."""

    account_id = serializers.IntegerField(allow_null=True)
    last_customer_message_at = serializers.DateTimeField(
        allow_null=True, help_text=_("The end user's own send time of their latest message.")
    )
    window = WhatsAppWindowSerializer()


class CustomFieldValueSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    value = serializers.JSONField(allow_null=True, help_text=_("Text, number, true/false or YYYY-MM-DD; null: none."))


@extend_schema_serializer(component_name="Ticket")
class TicketOutputSerializer(serializers.Serializer):
    """Needs `tag_rows` prefetched (the selectors do it) to stay at one query per list."""

    id = serializers.IntegerField(read_only=True)
    subject = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=TicketStatus.choices, read_only=True)
    priority = serializers.ChoiceField(choices=TicketPriority.choices, allow_null=True, read_only=True)
    type = serializers.ChoiceField(choices=TicketType.choices, allow_null=True, read_only=True)
    via = serializers.CharField(read_only=True)
    requester_id = serializers.IntegerField(read_only=True)
    assignee_id = serializers.IntegerField(allow_null=True, read_only=True)
    group_id = serializers.IntegerField(allow_null=True, read_only=True)
    tags = serializers.SerializerMethodField()
    collaborator_ids = serializers.SerializerMethodField(help_text=_("Zendesk's older name of email_cc_ids."))
    email_cc_ids = serializers.SerializerMethodField(help_text=_("CCs: contact ids."))
    follower_ids = serializers.SerializerMethodField(help_text=_("Followers: agent user ids."))
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    whatsapp = serializers.SerializerMethodField()
    custom_fields = serializers.SerializerMethodField()

    def get_tags(self, ticket) -> list[str]:
        return [tag.name for tag in ticket.tag_rows.all()]

    @extend_schema_field(CustomFieldValueSerializer(many=True))
    def get_custom_fields(self, ticket) -> list[dict]:
        # The active fields are read once per response (the context is shared by a list's rows).
        context = self.context if isinstance(self.context, dict) else {}
        if "active_custom_fields" not in context:
            context["active_custom_fields"] = custom_fields.field_infos(active=True)
        infos = context["active_custom_fields"]
        return custom_fields.api_values(ticket, infos) if infos else []

    def get_collaborator_ids(self, ticket) -> list[int]:
        return self.get_email_cc_ids(ticket)

    def get_email_cc_ids(self, ticket) -> list[int]:
        return sorted(contact.pk for contact in ticket.email_ccs.all())

    def get_follower_ids(self, ticket) -> list[int]:
        return sorted(user.pk for user in ticket.followers.all())

    @extend_schema_field(TicketWhatsAppSerializer(allow_null=True))
    def get_whatsapp(self, ticket) -> dict | None:
        return channel_info(ticket)


@extend_schema_serializer(component_name="Attachment")
class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    filename = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment) -> str:
        # The authorised download view of the agent pages; files are never served from a public URL.
        path = f"/attachments/{attachment.pk}/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class TemplateRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    language = serializers.CharField()


class DeliveryErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_('The Cloud API\'s error number as a string ("131047") or a refusal code.'))
    title = serializers.CharField()
    detail = serializers.CharField()


class DeliverySerializer(serializers.Serializer):
    # A plain string in the schema: a second enum named "status" beside the ticket's would need
    # ENUM_NAME_OVERRIDES in the settings to name both without a warning.
    status = serializers.CharField(help_text="queued | sent | delivered | read | failed")
    error = DeliveryErrorSerializer(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="Comment")
class CommentOutputSerializer(serializers.Serializer):
    """Needs `attachments` prefetched (the `ticket_comments` selector does it)."""

    id = serializers.IntegerField(read_only=True)
    ticket_id = serializers.IntegerField(read_only=True)
    author_id = serializers.SerializerMethodField()
    author_role = serializers.ChoiceField(choices=AuthorRole.choices, read_only=True)
    body = serializers.CharField(read_only=True)
    public = serializers.BooleanField(read_only=True)
    via = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    forwarded = serializers.BooleanField(read_only=True)
    attachments = AttachmentOutputSerializer(many=True, read_only=True)
    whatsapp_message_id = serializers.CharField(source="channel_message_id", allow_null=True, read_only=True)
    template = serializers.SerializerMethodField()
    delivery = serializers.SerializerMethodField()

    def get_author_id(self, comment) -> int | None:
        """The agent's user id, the end user's contact id, or null for the product itself."""
        if comment.author_role == AuthorRole.END_USER:
            return comment.author_contact_id
        if comment.author_role == AuthorRole.AGENT:
            return comment.author_user_id
        return None

    @extend_schema_field(TemplateRefSerializer(allow_null=True))
    def get_template(self, comment) -> dict | None:
        if not comment.template:
            return None
        return {"name": comment.template.get("name"), "language": comment.template.get("language")}

    @extend_schema_field(DeliverySerializer(allow_null=True))
    def get_delivery(self, comment) -> dict | None:
        if comment.delivery_status is None:
            return None
        error = None
        if comment.delivery_error_code:
            error = {
                "code": comment.delivery_error_code,
                "title": comment.delivery_error_title,
                "detail": comment.delivery_error_detail,
            }
        updated_at = comment.delivery_updated_at
        return {
            "status": comment.delivery_status,
            "error": error,
            "updated_at": serializers.DateTimeField().to_representation(updated_at) if updated_at else None,
        }


@extend_schema_serializer(component_name="Event")
class EventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    ticket_id = serializers.IntegerField(read_only=True)
    type = serializers.CharField(read_only=True)
    actor_id = serializers.IntegerField(allow_null=True, read_only=True)
    data = serializers.DictField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


@extend_schema_serializer(component_name="Contact")
class ContactOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)
    wa_id = serializers.CharField(allow_null=True, read_only=True)
    whatsapp_user_id = serializers.CharField(allow_null=True, read_only=True)
    whatsapp_opt_in = serializers.BooleanField(read_only=True)
    whatsapp_opt_in_source = serializers.CharField(read_only=True)
    whatsapp_opt_in_at = serializers.DateTimeField(allow_null=True, read_only=True)
    locale = serializers.CharField(
        read_only=True, help_text=_('The customer\'s language ("en", "de"); "" = the default.')
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


# --- Input ------------------------------------------------------------------------------------------------


class DefaultTrueBooleanField(serializers.BooleanField):
    """`public` defaults to true in multipart forms too (DRF treats a missing form checkbox as false)."""

    default_empty_html = empty

    def __init__(self, **kwargs):
        kwargs.setdefault("default", True)
        super().__init__(**kwargs)


@extend_schema_serializer(component_name="NewComment")
class NewCommentInputSerializer(serializers.Serializer):
    """The comment of a ticket create or update: `{body, public}`."""

    body = serializers.CharField(trim_whitespace=False, allow_blank=True)
    public = DefaultTrueBooleanField(help_text=_("false makes an internal note."))

    def validate(self, attrs: dict) -> dict:
        # Checked here, not per field: inside a PATCH (partial) DRF neither requires `body` nor applies defaults.
        if not attrs.get("body", "").strip():
            raise serializers.ValidationError({"body": [_("Write a message.")]})
        attrs.setdefault("public", True)
        return attrs


def _choice(choices, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=choices, allow_null=True, allow_blank=True, **kwargs)


def _tags(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(max_length=80), max_length=200, **kwargs)


class _TicketFieldsInput(serializers.Serializer):
    """Fields an agent may set on a ticket, shared by create and update."""

    subject = serializers.CharField(max_length=255)
    priority = _choice(TicketPriority.choices, required=False)
    type = _choice(TicketType.choices, required=False)
    assignee_id = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("An active agent's user id."),
    )
    group_id = serializers.PrimaryKeyRelatedField(queryset=Group.objects.all(), allow_null=True, required=False)
    tags = _tags(required=False, help_text=_("Replaces the ticket's tags."))
    comment = NewCommentInputSerializer(required=False)
    custom_fields = serializers.ListField(
        child=CustomFieldValueSerializer(),
        required=False,
        max_length=500,
        help_text=_('Zendesk\'s [{"id": <ticket field id>, "value": ...}]; checked against each field.'),
    )

    def validate_custom_fields(self, items: list) -> dict:
        """{field id: checked value}; every bad item is named in one 400."""
        # Inside a PATCH (partial) DRF does not require the items' keys: checked here.
        missing = [
            _('custom_fields[%(index)s]: give both "id" and "value".') % {"index": index}
            for index, item in enumerate(items)
            if "id" not in item or "value" not in item
        ]
        if missing:
            raise serializers.ValidationError(missing)
        raw = {item["id"]: item["value"] for item in items}
        infos = {info.id: info for info in custom_fields.field_infos(ids=raw.keys())}
        try:
            return custom_fields.clean_values(raw, infos=infos)
        except DomainError as error:
            raise serializers.ValidationError(error.errors["custom_fields"]) from None

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        for field in ("priority", "type"):
            if values.get(field) == "":
                values[field] = None
        return values


@extend_schema_serializer(component_name="TicketCreate")
class TicketCreateInputSerializer(_TicketFieldsInput):
    requester_id = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(), help_text=_("A contact's id (one the caller may see).")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only contacts the caller may see can be picked: others are "does not exist", as invisible tickets are.
        request = self.context.get("request")
        user = getattr(request, "user", None)
        self.fields["requester_id"].queryset = selectors.contacts_visible(user=user)


@extend_schema_serializer(component_name="TicketUpdate")
class TicketUpdateInputSerializer(_TicketFieldsInput):
    """A partial update (PATCH): only the keys sent are changed."""

    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    add_tags = _tags(required=False)
    remove_tags = _tags(required=False)
    email_cc_ids = serializers.ListField(
        child=serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none()),
        required=False,
        max_length=48,
        help_text=_("Replaces the CCs: contact ids (ones the caller may see)."),
    )
    collaborator_ids = serializers.ListField(
        child=serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none()),
        required=False,
        max_length=48,
        help_text=_("Zendesk's older name of email_cc_ids."),
    )
    follower_ids = serializers.ListField(
        child=serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True)),
        required=False,
        max_length=100,
        help_text=_("Replaces the followers: active agents' user ids."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        visible = selectors.contacts_visible(user=getattr(request, "user", None))
        for name in ("email_cc_ids", "collaborator_ids"):
            self.fields[name].child.queryset = visible

    def to_changes(self) -> dict:
        """The validated data in `services.ticket_update`'s vocabulary (objects, not ids)."""
        data = dict(self.validated_data)
        data.pop("comment", None)
        if "collaborator_ids" in data:
            data.setdefault("email_cc_ids", data.pop("collaborator_ids"))
            data.pop("collaborator_ids", None)
        renamed = {
            "assignee_id": "assignee",
            "group_id": "group",
            "email_cc_ids": "email_ccs",
            "follower_ids": "followers",
        }
        return {renamed.get(key, key): value for key, value in data.items()}


@extend_schema_serializer(component_name="CommentCreate")
class CommentCreateInputSerializer(serializers.Serializer):
    body = serializers.CharField(trim_whitespace=False, allow_blank=True, required=False, default="")
    public = DefaultTrueBooleanField(help_text=_("true: a public reply to the requester; false: an internal note."))
    attachments = serializers.ListField(
        child=serializers.FileField(use_url=False),
        required=False,
        default=list,
        help_text=_("multipart/form-data only."),
    )


# Written only by the channel (ids) or by the opt-in service (the consent record): sending one is a 400, not ignored.
CONTACT_READ_ONLY_FIELDS = (
    "wa_id",
    "whatsapp_user_id",
    "whatsapp_opt_in_source",
    "whatsapp_opt_in_at",
    "whatsapp_opt_in_by",
)


class _ContactFieldsInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(allow_blank=True, required=False)
    phone = serializers.CharField(max_length=32, allow_blank=True, required=False)
    whatsapp_opt_in = serializers.BooleanField(
        required=False,
        help_text=_("Records consent now, by the caller; source and time are set by the server."),
    )
    locale = serializers.ChoiceField(
        choices=["", *languages.language_codes()],
        allow_blank=True,
        required=False,
        help_text=_('The language texts to the customer are written in; "" = the account\'s default.'),
    )

    def to_internal_value(self, data):
        refused = {}
        if hasattr(data, "keys"):
            refused = {name: [_("This field is read-only.")] for name in CONTACT_READ_ONLY_FIELDS if name in data}
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if refused and isinstance(exc.detail, dict):
                exc.detail.update(refused)
            raise
        if refused:
            raise serializers.ValidationError(refused)
        return values


@extend_schema_serializer(component_name="ContactCreate")
class ContactCreateInputSerializer(_ContactFieldsInput):
    name = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


@extend_schema_serializer(component_name="ContactUpdate")
class ContactUpdateInputSerializer(_ContactFieldsInput):
    """A partial update (PATCH): only the keys sent are changed."""
