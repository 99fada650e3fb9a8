"""`/api/whatsapp/accounts/`: connected numbers. Admins change them; agents may read. The token is write-only."""

from rest_framework import mixins, serializers, viewsets
from rest_framework.routers import DefaultRouter

from channels_whatsapp import services
from channels_whatsapp.models import WhatsAppAccount
from tickets.permissions import IsAdminOrReadOnly


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
            raise serializers.ValidationError("This phone number id is already connected.")
        return value


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
        serializer.instance = services.account_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.account_update(
            account=serializer.instance, actor=self.request.user, **serializer.validated_data
        )


router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="whatsapp-account")
urlpatterns = router.urls
