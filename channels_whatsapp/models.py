"""Connected WhatsApp numbers, the durable webhook store, and the link between tickets and conversations."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from tickets.models import Comment, Contact, Ticket


class WhatsAppAccount(models.Model):
    """One connected business phone number of the Cloud API."""

    name = models.CharField(max_length=100)
    phone_number_id = models.CharField(max_length=64, unique=True)
    waba_id = models.CharField(_("WhatsApp Business Account id"), max_length=64)
    display_phone_number = models.CharField(max_length=32, blank=True)
    # Write-only everywhere: never rendered in API responses, admin pages or logs.
    access_token = models.TextField()
    redact_credit_cards = models.BooleanField(default=True)
    templates_enabled = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("WhatsApp account")
        verbose_name_plural = _("WhatsApp accounts")

    def __str__(self) -> str:
        return f"{self.name} ({self.display_phone_number or self.phone_number_id})"

    def __repr__(self) -> str:  # never the token
        return f"<WhatsAppAccount {self.pk} {self.phone_number_id}>"


class WebhookDelivery(models.Model):
    """A signed webhook POST, stored before we answer 200 and processed later by the worker."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery state", "Pending")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")

    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    notes = models.JSONField(
        default=list, blank=True, help_text=_("What processing could not use (unknown numbers...).")
    )
    # A replayed body (the same bytes again) within 24 hours is acknowledged and not stored twice; the unique pair
    # (hash, UTC day) keeps two parallel identical posts to one row. Empty/NULL on rows stored before this existed.
    body_sha256 = models.CharField(max_length=64, blank=True, default="", editable=False)
    received_day = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("WhatsApp webhook delivery")
        verbose_name_plural = _("WhatsApp webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["body_sha256", "received_day"], name="webhook_body_once_per_day"),
        ]

    def __str__(self) -> str:
        return gettext("Webhook %(id)s (%(state)s)") % {"id": self.pk, "state": self.state}


class WhatsAppConversation(models.Model):
    """Which ticket carries the conversation between a contact and one of our numbers."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True, related_name="whatsapp")
    account = models.ForeignKey(WhatsAppAccount, on_delete=models.PROTECT, related_name="conversations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="whatsapp_conversations")

    class Meta:
        verbose_name = _("WhatsApp conversation")
        verbose_name_plural = _("WhatsApp conversations")
        indexes = [models.Index(fields=["account", "contact", "-ticket"], name="wa_conversation_latest")]

    def __str__(self) -> str:
        return gettext("WhatsApp conversation of ticket %(ticket)s") % {"ticket": self.ticket_id}


class StatusReceipt(models.Model):
    """One (wamid, status) seen in a status webhook: makes status processing idempotent."""

    wamid = models.CharField(max_length=200)
    status = models.CharField(max_length=20)
    timestamp = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("WhatsApp status receipt")
        verbose_name_plural = _("WhatsApp status receipts")
        constraints = [models.UniqueConstraint(fields=["wamid", "status"], name="status_receipt_unique")]

    def __str__(self) -> str:
        return f"{self.wamid} {self.status}"


class OutboundSend(models.Model):
    """The worker's bookkeeping for one outbound message: attempts, and whether a POST may have gone out."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Accepted by WhatsApp")
        FAILED = "failed", _("Failed")

    comment = models.OneToOneField("tickets.Comment", on_delete=models.CASCADE, related_name="whatsapp_send")
    account = models.ForeignKey(WhatsAppAccount, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    payload = models.JSONField(default=dict, blank=True, help_text=_("The message body sent to the Cloud API."))
    # Every wamid the Cloud API answered for this comment (one per message: a reply with files is several).
    wamids = models.JSONField(default=list, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("WhatsApp outbound send")
        verbose_name_plural = _("WhatsApp outbound sends")
        constraints = [
            models.CheckConstraint(condition=Q(attempts__lte=20), name="outbound_send_attempts_bounded"),
        ]

    def __str__(self) -> str:
        return gettext("Send of comment %(comment)s (%(state)s)") % {
            "comment": self.comment_id,
            "state": self.state,
        }


class InboundReceipt(models.Model):
    """Every inbound message id we processed, whatever its type: the database makes redelivery a no-op."""

    wamid = models.CharField(max_length=200, unique=True)
    message_type = models.CharField(max_length=30, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("WhatsApp inbound receipt")
        verbose_name_plural = _("WhatsApp inbound receipts")

    def __str__(self) -> str:
        return self.wamid


class AccountChange(models.Model):
    """Audit of settings changes on a connected number (e.g. turning credit-card redaction off)."""

    account = models.ForeignKey(WhatsAppAccount, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changes = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("WhatsApp account change")
        verbose_name_plural = _("WhatsApp account changes")

    def __str__(self) -> str:
        return gettext("Change of %(account)s at %(when)s") % {
            "account": self.account_id,
            "when": f"{self.created_at:%Y-%m-%d %H:%M}",
        }


class MessageTemplate(models.Model):
    """A message template as Meta holds it for the account's WABA; the registry the composer and sends rely on.

    Meta is the source of truth: `templates_sync` refreshes these rows from the Cloud API listing and the
    `message_template_status_update` webhook moves `status` in between. Rows are never deleted; a template Meta
    no longer lists becomes DELETED, so old comments that name it keep their meaning.
    """

    class Category(models.TextChoices):
        MARKETING = "MARKETING", _("Marketing")
        UTILITY = "UTILITY", _("Utility")
        AUTHENTICATION = "AUTHENTICATION", _("Authentication")

    class Status(models.TextChoices):
        APPROVED = "APPROVED", _("Approved")
        PENDING = "PENDING", _("Pending review")
        REJECTED = "REJECTED", _("Rejected")
        PAUSED = "PAUSED", _("Paused")
        DISABLED = "DISABLED", _("Disabled")
        IN_APPEAL = "IN_APPEAL", _("In appeal")
        FLAGGED = "FLAGGED", _("Flagged (low quality)")
        REINSTATED = "REINSTATED", _("Reinstated")
        LIMIT_EXCEEDED = "LIMIT_EXCEEDED", _("Limit exceeded")
        LOCKED = "LOCKED", _("Locked")
        ARCHIVED = "ARCHIVED", _("Archived")
        PENDING_DELETION = "PENDING_DELETION", _("Pending deletion")
        DELETED = "DELETED", _("Deleted")
        UNKNOWN = "UNKNOWN", _("Unknown")

    class HeaderFormat(models.TextChoices):
        NONE = "", _("No header")
        TEXT = "TEXT", _("Text")
        IMAGE = "IMAGE", _("Image")
        VIDEO = "VIDEO", _("Video")
        DOCUMENT = "DOCUMENT", _("Document")
        LOCATION = "LOCATION", _("Location")

    account = models.ForeignKey(WhatsAppAccount, on_delete=models.CASCADE, related_name="templates")
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=16, help_text=_("WhatsApp locale code with an underscore, e.g. en_US."))
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.UTILITY)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    external_id = models.CharField(_("Meta template id"), max_length=64, blank=True, db_index=True)
    parameter_format = models.CharField(max_length=20, blank=True, default="POSITIONAL")
    components = models.JSONField(default=list, blank=True, help_text=_("The components exactly as Meta lists them."))
    body = models.TextField(blank=True, help_text=_("The BODY component's text."))
    header_format = models.CharField(max_length=10, choices=HeaderFormat.choices, blank=True, default="")
    body_parameter_count = models.PositiveSmallIntegerField(default=0)
    buttons = models.JSONField(default=list, blank=True, help_text="[{index, type, has_url_parameter}]")
    rejected_reason = models.CharField(max_length=200, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "language", "id"]
        verbose_name = _("WhatsApp message template")
        verbose_name_plural = _("WhatsApp message templates")
        constraints = [
            models.UniqueConstraint(fields=["account", "name", "language"], name="message_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language}, {self.status})"

    @property
    def is_sendable(self) -> bool:
        return self.status == self.Status.APPROVED


class RefusedEvent(models.Model):
    """A webhook item that named a message it may not change (another number's, another customer's, an internal
    note...): recorded for admins, never applied. Only identifiers and codes: no message text, no error text."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Delivery status")
        REACTION = "reaction", _("Reaction")
        EDIT = "edit", pgettext_lazy("whatsapp event kind", "Edit")
        REVOKE = "revoke", _("Deletion")
        QUOTE = "quote", _("Quoted reply")
        SYSTEM = "system", _("System message (number change)")

    class Reason(models.TextChoices):
        WRONG_ACCOUNT = "wrong_account", _("The message belongs to another connected number")
        WRONG_RECIPIENT = "wrong_recipient", _("The message was sent to someone else")
        WRONG_SENDER = "wrong_sender", _("The message was written by someone else")
        NOT_OUTBOUND = "not_outbound", _("Not a WhatsApp message sent from SupportDesk")
        CALLBACK_MISMATCH = "callback_mismatch", _("The callback data does not match the message id")
        TARGET_NEVER_ARRIVED = "target_never_arrived", _("The message it refers to never arrived (7 days)")

    account = models.ForeignKey(
        WhatsAppAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("account")
    )
    phone_number_id = models.CharField(_("phone number id"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    wamid = models.CharField(_("event id"), max_length=200, blank=True, help_text=_("The status or message id."))
    target_wamid = models.CharField(_("target message id"), max_length=200, blank=True)
    comment = models.ForeignKey(
        Comment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("target comment"),
        help_text=_("The comment the event tried to change; it was left as it was."),
    )
    sender = models.CharField(
        _("sender"), max_length=64, blank=True, help_text=_("WhatsApp id of the sender (or, for a status, recipient).")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    delivery = models.ForeignKey(
        WebhookDelivery,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="refused_events",
        verbose_name=_("webhook delivery"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("refused WhatsApp event")
        verbose_name_plural = _("refused WhatsApp events")

    def __str__(self) -> str:
        return gettext("Refused %(kind)s (%(reason)s)") % {"kind": self.kind, "reason": self.reason}


class PendingMessageUpdate(models.Model):
    """A reaction, edit or revoke that arrived before the message it names (Meta does not keep order): kept until
    that message arrives and then applied like a live event, or expired into a RefusedEvent after 7 days.

    Holds what applying needs and nothing more: ids, the event's timestamp, the emoji or the new text (card numbers
    already masked when the webhook was stored)."""

    class Kind(models.TextChoices):
        REACTION = "reaction", _("Reaction")
        EDIT = "edit", pgettext_lazy("whatsapp event kind", "Edit")
        REVOKE = "revoke", _("Deletion")

    account = models.ForeignKey(WhatsAppAccount, on_delete=models.CASCADE, related_name="+", verbose_name=_("account"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    target_wamid = models.CharField(_("target message id"), max_length=200, db_index=True)
    wamid = models.CharField(_("event id"), max_length=200, unique=True)
    sender_wa_id = models.CharField(_("sender WhatsApp id"), max_length=64, blank=True)
    sender_user_id = models.CharField(_("sender user id"), max_length=64, blank=True)
    timestamp = models.DateTimeField(_("sent at"), null=True, blank=True, help_text=_("The event's own timestamp."))
    emoji = models.TextField(_("emoji"), blank=True)
    text = models.TextField(_("new text"), blank=True)
    redactions = models.PositiveIntegerField(_("card numbers masked"), default=0)
    delivery = models.ForeignKey(
        WebhookDelivery,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("webhook delivery"),
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["target_wamid", "timestamp", "id"]
        verbose_name = _("pending WhatsApp event")
        verbose_name_plural = _("pending WhatsApp events")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["reaction", "edit", "revoke"]), name="pending_update_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(target_wamid=""), name="pending_update_has_target"),
            models.CheckConstraint(condition=~Q(wamid=""), name="pending_update_has_wamid"),
            models.CheckConstraint(
                condition=Q(kind="reaction") | Q(emoji=""), name="pending_update_emoji_only_on_reaction"
            ),
        ]

    def __str__(self) -> str:
        return gettext("Pending %(kind)s for %(target)s") % {"kind": self.kind, "target": self.target_wamid}


# --- Insights: facts materialized from the tickets' messages (channels_whatsapp/insights/materialize.py) -----------


class InsightsRouted(models.Model):
    """The ticket's routing when its facts were built (they are rebuilt with every change of it, which writes an
    event): the scope filters read these, under the ticket's own names, instead of joining the tickets."""

    group = models.ForeignKey("tickets.Group", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    account = models.ForeignKey(WhatsAppAccount, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)

    class Meta:
        abstract = True


class InsightsMessage(InsightsRouted):
    """One customer message as the insights count it: its send time, when it reached us, and the first reply
    after that. Rebuilt from the ticket's comments whenever they change; never written anywhere else."""

    comment = models.OneToOneField(Comment, on_delete=models.CASCADE, primary_key=True, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    whatsapp = models.BooleanField()
    sent_at = models.DateTimeField(help_text=_("The sender's own send time (WhatsApp's timestamp)."))
    arrived_at = models.DateTimeField()
    answered_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The first reply (agent or rule, not failed) after the message reached us.")
    )

    class Meta:
        verbose_name = _("insights message")
        verbose_name_plural = _("insights messages")
        indexes = [models.Index(fields=["sent_at"], name="insights_message_sent")]

    def __str__(self) -> str:
        return f"{self.comment_id}"


class InsightsTicket(InsightsRouted):
    """A ticket's first customer message (by send time) and the first reply by an agent after it reached us."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True, related_name="+")
    first_sent_at = models.DateTimeField()
    first_reply_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("insights ticket")
        verbose_name_plural = _("insights tickets")
        indexes = [models.Index(fields=["first_sent_at"], name="insights_ticket_first_sent")]

    def __str__(self) -> str:
        return f"{self.ticket_id}"


class InsightsOutbound(InsightsRouted):
    """One message handed to a channel for delivery, as the delivery metrics count it: its outcome now."""

    comment = models.OneToOneField(Comment, on_delete=models.CASCADE, primary_key=True, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    status = models.CharField(max_length=10)
    error_code = models.CharField(max_length=40, blank=True)
    error_title = models.CharField(max_length=255, blank=True)
    template_name = models.CharField(max_length=512, blank=True)
    template_language = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = _("insights outbound message")
        verbose_name_plural = _("insights outbound messages")
        indexes = [models.Index(fields=["created_at"], name="insights_outbound_created")]

    def __str__(self) -> str:
        return f"{self.comment_id}"


class InsightsRefresh(models.Model):
    """The one row that says how far the facts are built: comments and events up to these ids are counted."""

    last_comment_id = models.BigIntegerField(default=0)
    last_event_id = models.BigIntegerField(default=0)
    # The ids seen at the refresh before: each refresh looks again from there, so that a transaction that took an id
    # below the last one but committed after that refresh is still counted.
    previous_comment_id = models.BigIntegerField(default=0)
    previous_event_id = models.BigIntegerField(default=0)
    # A pass under way (0: none): the ids it counts up to, and the last ticket it rebuilt.
    pass_comment_id = models.BigIntegerField(default=0)
    pass_event_id = models.BigIntegerField(default=0)
    pass_ticket_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("insights refresh")
        verbose_name_plural = _("insights refreshes")

    def __str__(self) -> str:
        return f"{self.refreshed_at}"
