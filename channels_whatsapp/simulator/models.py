"""The simulator's own state: what "Meta" knows. Nothing here is product data."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DEFAULT_WABA_ID = "SIMWABA1"


class SimTemplate(models.Model):
    """A message template in the simulator's registry (what WhatsApp Manager would hold)."""

    class Status(models.TextChoices):
        APPROVED = "APPROVED", _("Approved")
        PENDING = "PENDING", pgettext_lazy("template status", "Pending")
        REJECTED = "REJECTED", _("Rejected")
        PAUSED = "PAUSED", _("Paused")
        DISABLED = "DISABLED", _("Disabled")

    class Category(models.TextChoices):
        UTILITY = "UTILITY", _("Utility")
        MARKETING = "MARKETING", _("Marketing")
        AUTHENTICATION = "AUTHENTICATION", _("Authentication")

    class HeaderFormat(models.TextChoices):
        NONE = "", _("No header")
        TEXT = "TEXT", _("Text")
        IMAGE = "IMAGE", _("Image")
        VIDEO = "VIDEO", _("Video")
        DOCUMENT = "DOCUMENT", _("Document")

    waba_id = models.CharField(max_length=64, default=DEFAULT_WABA_ID, db_index=True)
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=16)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.UTILITY)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPROVED)
    header_format = models.CharField(max_length=10, choices=HeaderFormat.choices, blank=True, default="")
    header_text = models.CharField(max_length=60, blank=True)
    body = models.TextField(max_length=1024)
    footer = models.CharField(max_length=60, blank=True)
    buttons = models.JSONField(default=list, blank=True, help_text=_("Meta's BUTTONS component `buttons` list."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["waba_id", "name", "language"], name="sim_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language}, {self.status})"


class SimMedia(models.Model):
    """Bytes uploaded by the business (POST /media) or sent by the phone, downloadable through the Graph API."""

    class Origin(models.TextChoices):
        BUSINESS = "business", _("Uploaded by the business")
        PHONE = "phone", _("Sent by the phone")

    media_id = models.CharField(max_length=40, unique=True)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    phone_number_id = models.CharField(max_length=64, blank=True)
    content = models.BinaryField()
    mime_type = models.CharField(max_length=255)
    filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(_("SHA-256 (base64)"), max_length=64)
    token_hash = models.CharField(
        max_length=64, blank=True, help_text=_("SHA-256 of the uploader's token, never the token.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "sim media"

    def __str__(self) -> str:
        return f"{self.media_id} {self.mime_type} ({self.size} bytes)"


class SimContact(models.Model):
    """A phone the tester holds: a WhatsApp user."""

    wa_id = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.wa_id})"


class SimMessage(models.Model):
    """One message either way: inbound (the phone wrote to the business) or outbound (the business sent it)."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Phone to business")
        OUTBOUND = "out", _("Business to phone")

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")

    wamid = models.CharField(max_length=200, unique=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    phone_number_id = models.CharField(max_length=64)
    wa_id = models.CharField(max_length=20, help_text=_("The phone's WhatsApp id (digits)."))
    type = models.CharField(max_length=20)
    body = models.JSONField(
        default=dict, help_text=_("The full JSON: the send request, or the webhook message object.")
    )
    text = models.TextField(blank=True, help_text=_("What the phone shows: text, caption, rendered template..."))
    template_name = models.CharField(max_length=512, blank=True)
    template_language = models.CharField(max_length=16, blank=True)
    biz_opaque_callback_data = models.TextField(blank=True)
    context_id = models.CharField(max_length=200, blank=True)
    forwarded = models.CharField(
        max_length=25, blank=True, help_text=_("'forwarded', 'frequently_forwarded' or empty (inbound only).")
    )
    sent_at = models.DateTimeField(help_text=_("Inbound: the (possibly backdated) send time. Outbound: accepted at."))
    status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    error_code = models.CharField(max_length=20, blank=True)
    webhook_status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("HTTP status our webhook answered (inbound), 0 when unreachable.")
    )
    token_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["wa_id", "phone_number_id", "sent_at"], name="sim_message_conversation")]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=["in", "out"]),
                name="sim_message_direction_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.type} {self.wamid}"

    @property
    def is_template(self) -> bool:
        return self.type == "template"

    @property
    def backdated_hours(self) -> float:
        """How far the send time was set back from when the simulator recorded it (inbound only)."""
        if self.direction != self.Direction.INBOUND or not self.created_at:
            return 0.0
        hours = (self.created_at - self.sent_at).total_seconds() / 3600
        return round(hours, 1) if hours >= 0.05 else 0.0


class SimulatorFault(models.Model):
    """A fault drill: the next `remaining` sends (POST /messages) misbehave this way."""

    class Kind(models.TextChoices):
        SERVER_ERROR = "server_error", _("HTTP 500 (code 131000)")
        RATE_LIMIT = "rate_limit", _("HTTP 429 (code 130429)")
        DELAY = "delay", _("Sleep, then answer normally")
        UNDELIVERABLE = "undeliverable", _("Accept, then a failed status (code 131026)")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    remaining = models.PositiveIntegerField(default=1)
    delay_seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delay_seconds__gte=0) & Q(delay_seconds__lte=120), name="sim_fault_delay_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} x{self.remaining}"
