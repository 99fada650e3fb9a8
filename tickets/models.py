"""The helpdesk core in Zendesk's vocabulary. Knows no channel and no rule engine."""

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    HOLD = "hold", "On-hold"
    SOLVED = "solved", "Solved"
    CLOSED = "closed", "Closed"


# Zendesk orders statuses this way for "less than" / "greater than" conditions.
STATUS_ORDER = [s.value for s in TicketStatus]


class TicketPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


PRIORITY_ORDER = [p.value for p in TicketPriority]


class TicketType(models.TextChoices):
    QUESTION = "question", "Question"
    INCIDENT = "incident", "Incident"
    PROBLEM = "problem", "Problem"
    TASK = "task", "Task"


class Via(models.TextChoices):
    WHATSAPP = "whatsapp", "WhatsApp"
    WEB = "web", "Web"
    API = "api", "API"
    EMAIL = "email", "E-mail"


class AuthorRole(models.TextChoices):
    AGENT = "agent", "Agent"
    END_USER = "end_user", "End user"
    SYSTEM = "system", "System"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    FAILED = "failed", "Failed"


class Group(models.Model):
    """A team of agents (Zendesk group). Tickets are routed to groups."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="agent_groups", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """An end user: the customer. End users never log in."""

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    wa_id = models.CharField("WhatsApp id", max_length=32, null=True, blank=True)
    whatsapp_user_id = models.CharField(
        "WhatsApp business-scoped user id", max_length=64, null=True, blank=True, help_text="BSUID, e.g. US.1349..."
    )
    whatsapp_opt_in = models.BooleanField(default=False)
    whatsapp_opt_in_source = models.CharField(max_length=100, blank=True)
    whatsapp_opt_in_at = models.DateTimeField(null=True, blank=True)
    whatsapp_opt_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who added the contact by hand (page, API, admin); null for contacts the channel created. Until the contact has
    # a ticket, its creator is the only agent who sees it (selectors.contacts_visible).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The language texts to the customer are written in (a code of settings.LANGUAGES); blank: the account's default.
    locale = models.CharField(
        gettext_lazy("language"),
        max_length=10,
        blank=True,
        help_text=gettext_lazy("Blank: the account's default language."),
    )
    # Who chose `locale`: "agent" (never overwritten by the channel) or "template" (learnt from the template the
    # customer answered); blank when nobody did.
    locale_source = models.CharField(max_length=20, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["wa_id"], condition=Q(wa_id__isnull=False), name="contact_unique_wa_id"),
            models.UniqueConstraint(
                fields=["whatsapp_user_id"],
                condition=Q(whatsapp_user_id__isnull=False),
                name="contact_unique_whatsapp_user_id",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""


class Ticket(models.Model):
    subject = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW)
    priority = models.CharField(max_length=10, choices=TicketPriority.choices, null=True, blank=True)
    type = models.CharField(max_length=10, choices=TicketType.choices, null=True, blank=True)
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.WEB)
    requester = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    # The end user's own send time of their latest message on this ticket (for WhatsApp: the message `timestamp`).
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        # The product-admin role (tickets.permissions.is_admin); the "Product admins" group holds it.
        permissions = [("product_admin", "Can administer SupportDesk")]
        indexes = [
            models.Index(fields=["status", "-updated_at", "-id"], name="ticket_status_updated"),
            models.Index(fields=["assignee", "status", "-updated_at"], name="ticket_assignee_status"),
            models.Index(fields=["group", "status", "-updated_at"], name="ticket_group_status"),
            models.Index(fields=["requester", "status"], name="ticket_requester_status"),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_closed(self) -> bool:
        return self.status == TicketStatus.CLOSED


class TicketTag(models.Model):
    """One tag on one ticket; Zendesk tags are lower-case words without spaces."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="tag_rows")
    name = models.CharField(max_length=80, db_index=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["ticket", "name"], name="ticket_tag_unique")]

    def __str__(self) -> str:
        return self.name


class Comment(models.Model):
    """One message on a ticket: an end user's message, an agent's public reply or internal note, a system note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author_role = models.CharField(max_length=10, choices=AuthorRole.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    body = models.TextField(blank=True)
    public = models.BooleanField(default=True)
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.WEB)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Channel data, kept generic: the channel's own message id and what the channel told us about it.
    channel_message_id = models.CharField(max_length=200, null=True, blank=True)
    channel_sent_at = models.DateTimeField(null=True, blank=True, help_text="The sender's own send time.")
    forwarded = models.BooleanField(default=False)
    in_reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message_type = models.CharField(max_length=30, blank=True)
    channel_data = models.JSONField(default=dict, blank=True)
    template = models.JSONField(null=True, blank=True, help_text="{name, language} when sent as a template.")
    # Outbound delivery (null when the comment is not an outbound channel message).
    delivery_status = models.CharField(max_length=10, choices=DeliveryStatus.choices, null=True, blank=True)
    delivery_error_code = models.CharField(max_length=40, blank=True)
    delivery_error_title = models.CharField(max_length=255, blank=True)
    delivery_error_detail = models.TextField(blank=True)
    delivery_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="comment_ticket_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["channel_message_id"],
                condition=Q(channel_message_id__isnull=False),
                name="comment_unique_channel_message_id",
            ),
            models.CheckConstraint(
                condition=~Q(author_role="end_user") | Q(public=True), name="comment_end_user_is_public"
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on ticket {self.ticket_id}"

    @property
    def author_name(self) -> str:
        if self.author_role == AuthorRole.END_USER and self.author_contact_id:
            return self.author_contact.name
        if self.author_user_id:
            return self.author_user.get_full_name() or self.author_user.get_username()
        return "SupportDesk"

    @property
    def is_internal_note(self) -> bool:
        return not self.public


def attachment_path(instance: "Attachment", filename: str) -> str:
    # On disk only safe characters; the name people see stays `Attachment.filename`. A name of emoji or punctuation
    # alone (or dots) would otherwise be refused by the storage, failing the upload or the media download.
    stored = re.sub(r"[^\w.\-]", "_", filename.replace("\\", "/").rsplit("/", 1)[-1]).lstrip(".")
    return f"attachments/{instance.ticket_id}/{stored or 'file'}"


class Attachment(models.Model):
    """A file on a comment. Stored privately; served only through an authorised view."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=500, blank=True)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    channel_media_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class Event(models.Model):
    """The ticket's audit log: one row per change, written by the typed writers in `tickets.events`."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "id"], name="event_ticket_id")]

    def __str__(self) -> str:
        return f"{self.type} on ticket {self.ticket_id}"


class Notification(models.Model):
    """A delivery failure told to one agent: shown live, stored so it is shown again until dismissed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notifications")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=40, default="delivery.failed")
    error_code = models.CharField(max_length=40, blank=True)
    error_title = models.CharField(max_length=255, blank=True)
    error_detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    # A later message to the same customer was delivered: the failure no longer needs the agent.
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "dismissed_at", "-created_at"], name="notification_user_open")]
        constraints = [
            models.UniqueConstraint(fields=["user", "comment", "type"], name="notification_once_per_comment"),
        ]

    def __str__(self) -> str:
        return f"{self.type} for {self.user_id} on ticket {self.ticket_id}"


class TicketRead(models.Model):
    """How far one agent has read one ticket: the list shows the ticket unread when a customer message is newer."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="read_marks")
    # The newest comment on the ticket when the agent last opened it (0: none yet). Comment ids only grow, so
    # "unread" is one comparison with the ticket's latest customer message id.
    last_read_comment_id = models.BigIntegerField(default=0)
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "ticket"], name="ticket_read_once_per_agent")]

    def __str__(self) -> str:
        return f"{self.user_id} read ticket {self.ticket_id} up to comment {self.last_read_comment_id}"


class AgentProfile(models.Model):
    """An agent's own settings: the language and time zone of their pages, banners, e-mails and dates.

    Blank language: the browser's `Accept-Language`, then `settings.LANGUAGE_CODE`. Blank time zone:
    `settings.TIME_ZONE`. A user without a row has both blank.
    """

    # `user.profile` (absent: AttributeError, so `getattr(user, "profile", None)` reads "no profile").
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(gettext_lazy("language"), max_length=10, blank=True)
    time_zone = models.CharField(gettext_lazy("time zone"), max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("agent profile")
        verbose_name_plural = gettext_lazy("agent profiles")

    def __str__(self) -> str:
        return f"Profile of {self.user_id}"
