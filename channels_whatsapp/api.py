"""`/api/whatsapp/accounts/`: connected numbers. Admins change them; agents may read. The token is write-only."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from channels_whatsapp import accounts, message_templates, template_replies, template_sync
from channels_whatsapp.models import MessageTemplate, WhatsAppAccount
from tickets import selectors as ticket_selectors
from tickets.api.filters import IdFilter
from tickets.api.serializers import TicketOutputSerializer
from tickets.permissions import IsAdmin, IsAdminOrReadOnly


class AccountSerializer(serializers.ModelSerializer):
    access_token = serializers.CharField(
        write_only=True, required=True, trim_whitespace=True, style={"input_type": "password"}
    )
    phone_number_id = serializers.RegexField(r"^[0-9A-Za-z_\-]{1,64}$")
    waba_id = serializers.RegexField(r"^[0-9A-Za-z_\-]{1,64}$")

    class Meta:
        model = WhatsAppAccount
        fields = [
            "id",
            "name",
            "phone_number_id",
            "waba_id",
            "display_phone_number",
            "access_token",
            "redact_credit_cards",
            "templates_enabled",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_phone_number_id(self, value: str) -> str:
        clash = WhatsAppAccount.objects.filter(phone_number_id=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(_("This phone number id is already connected."))
        return value


class TemplateSyncCountsSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    missing = serializers.IntegerField(help_text="No longer listed by WhatsApp: marked DELETED.")


class TemplateSyncErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    error = serializers.DictField(help_text="{code, title, detail} from the Cloud API.")


class AccountViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AccountSerializer
    permission_classes = [IsAdminOrReadOnly]
    queryset = WhatsAppAccount.objects.order_by("id")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = accounts.account_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = accounts.account_update(
            account=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    @extend_schema(
        summary="Sync the account's message templates from WhatsApp now",
        request=None,
        responses={200: TemplateSyncCountsSerializer, 502: TemplateSyncErrorSerializer},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAdmin])
    def sync_templates(self, request, pk=None):
        account = self.get_object()
        try:
            counts = template_sync.templates_sync(account=account)
        except template_sync.TemplateSyncError as exc:
            return Response({"detail": str(exc), "error": exc.as_dict()}, status=status.HTTP_502_BAD_GATEWAY)
        return Response({"account_id": account.pk, **counts})


# --- Message templates -------------------------------------------------------------------------------------


class MessageTemplateSerializer(serializers.Serializer):
    """Read by everyone, written by admins. One class for both ways, so the schema has one component (and one
    status enum). The rules beyond types (unique name + language, the components' shape) live in the service."""

    id = serializers.IntegerField(read_only=True)
    account_id = serializers.PrimaryKeyRelatedField(source="account", queryset=WhatsAppAccount.objects.all())
    name = serializers.RegexField(
        message_templates.NAME_PATTERN.pattern,
        max_length=512,
        error_messages={"invalid": gettext_lazy("Use lowercase letters, digits and underscores (at most 512).")},
    )
    language = serializers.CharField(max_length=16, help_text="WhatsApp locale code; en-US is stored as en_US.")
    category = serializers.ChoiceField(choices=MessageTemplate.Category.choices)
    status = serializers.ChoiceField(
        choices=MessageTemplate.Status.choices, required=False, help_text="Only APPROVED templates can be sent."
    )
    body = serializers.CharField(
        required=False, max_length=message_templates.BODY_LIMIT, trim_whitespace=False, help_text="The BODY text."
    )
    body_parameter_count = serializers.IntegerField(read_only=True, help_text="The highest {{n}} in the body.")
    header_format = serializers.CharField(read_only=True, help_text='"", TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION.')
    components = serializers.JSONField(required=False, help_text="Meta's components (HEADER, BODY, FOOTER, BUTTONS).")
    buttons = serializers.JSONField(read_only=True, help_text="[{index, type, has_url_parameter}]")
    rejected_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)
    synced_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_language(self, value: str) -> str:
        value = message_templates.normalize_language(value)
        if not message_templates.LANGUAGE_PATTERN.match(value):
            raise serializers.ValidationError(_("A WhatsApp language code such as en, en_US or pt_BR."))
        return value


class TemplateFilter(filters.FilterSet):
    account_id = IdFilter(field_name="account_id")
    status = filters.ChoiceFilter(choices=MessageTemplate.Status.choices)
    category = filters.ChoiceFilter(choices=MessageTemplate.Category.choices)
    language = filters.CharFilter(method="filter_language", help_text="en_US or en-US.")
    search = filters.CharFilter(method="filter_search", help_text="In the name and the body.")

    class Meta:
        model = MessageTemplate
        fields = ["account_id", "status", "category", "language", "search"]

    def filter_language(self, queryset, name, value):
        return queryset.filter(language=message_templates.normalize_language(value))

    def filter_search(self, queryset, name, value):
        return queryset & message_templates.templates_list(search=value)


@extend_schema_view(
    list=extend_schema(summary="List message templates"),
    retrieve=extend_schema(summary="Show a message template"),
    create=extend_schema(summary="Register a message template (admins)"),
    partial_update=extend_schema(summary="Change a message template (admins)"),
)
class TemplateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Pre-approved message templates per connected number. Agents read; admins write. Meta stays the source of
    truth: `POST /api/whatsapp/accounts/{id}/sync_templates/` (and a daily schedule) reconcile with it."""

    serializer_class = MessageTemplateSerializer
    permission_classes = [IsAdminOrReadOnly]
    filterset_class = TemplateFilter
    lookup_value_regex = r"\d+"
    queryset = MessageTemplate.objects.none()  # for the schema generator; requests use the selector
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return message_templates.templates_list()

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = message_templates.template_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(template).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        template = self.get_object()
        serializer = self.get_serializer(template, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        template = message_templates.template_update(template=template, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(template).data)


class ConversationStartSerializer(serializers.Serializer):
    account_id = serializers.PrimaryKeyRelatedField(
        queryset=WhatsAppAccount.objects.filter(active=True), source="account"
    )
    contact_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="A contact the caller may see.")
    body = serializers.CharField(
        max_length=5000, help_text="Template shorthand, e.g. &((template=[[order_update]] language=[[en_US]] ...))&"
    )


class ConversationElsewhereSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="conversation_elsewhere")
    detail = serializers.CharField()


@extend_schema_view(
    create=extend_schema(
        summary="Start a WhatsApp conversation with an approved template",
        request=ConversationStartSerializer,
        responses={201: TicketOutputSerializer, 404: None, 409: ConversationElsewhereSerializer},
    )
)
class ConversationViewSet(viewsets.GenericViewSet):
    """Proactive outreach: a new `via=whatsapp` ticket whose first message is an approved template.

    The contact must be visible to the caller (else 404). A customer in an unsolved WhatsApp conversation on a
    ticket the caller cannot see is refused with 409 `conversation_elsewhere`, and nothing is written."""

    serializer_class = ConversationStartSerializer

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        contact = ticket_selectors.contact_get(user=request.user, contact_id=data.pop("contact_id"))
        if contact is None:
            raise NotFound(_("No such contact."))
        try:
            ticket = template_replies.conversation_start(actor=request.user, contact=contact, **data)
        except template_replies.ConversationElsewhere as refusal:
            return Response({"code": refusal.code, "detail": refusal.message}, status=status.HTTP_409_CONFLICT)
        ticket = ticket_selectors.ticket_get(user=request.user, ticket_id=ticket.pk)
        return Response(
            TicketOutputSerializer(ticket, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="whatsapp-account")
router.register("templates", TemplateViewSet, basename="whatsapp-template")
router.register("conversations", ConversationViewSet, basename="whatsapp-conversation")
urlpatterns = router.urls
