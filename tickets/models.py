"""The helpdesk core in Zendesk's vocabulary. Knows no channel and no rule engine."""

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TicketStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    OPEN = "open", pgettext_lazy("ticket status", "Open")
    PENDING = "pending", pgettext_lazy("ticket status", "Pending")
    HOLD = "hold", pgettext_lazy("ticket status", "On-hold")
    SOLVED = "solved", pgettext_lazy("ticket status", "Solved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


# Zendesk orders statuses this way for "less than" / "greater than" conditions.
STATUS_ORDER = [s.value for s in TicketStatus]


class TicketPriority(models.TextChoices):
    LOW = "low", pgettext_lazy("ticket priority", "Low")
    NORMAL = "normal", pgettext_lazy("ticket priority", "Normal")
    HIGH = "high", pgettext_lazy("ticket priority", "High")
    URGENT = "urgent", pgettext_lazy("ticket priority", "Urgent")


PRIORITY_ORDER = [p.value for p in TicketPriority]


class TicketType(models.TextChoices):
    QUESTION = "question", pgettext_lazy("ticket type", "Question")
    INCIDENT = "incident", pgettext_lazy("ticket type", "Incident")
    PROBLEM = "problem", pgettext_lazy("ticket type", "Problem")
    TASK = "task", pgettext_lazy("ticket type", "Task")


class Via(models.TextChoices):
    WHATSAPP = "whatsapp", _("WhatsApp")
    WEB = "web", _("Web")
    API = "api", _("API")
    EMAIL = "email", _("E-mail")


class AuthorRole(models.TextChoices):
    AGENT = "agent", pgettext_lazy("author role", "Agent")
    END_USER = "end_user", pgettext_lazy("author role", "End user")
    SYSTEM = "system", pgettext_lazy("author role", "System")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("delivery status", "Queued")
    SENT = "sent", pgettext_lazy("delivery status", "Sent")
    DELIVERED = "delivered", pgettext_lazy("delivery status", "Delivered")
    READ = "read", pgettext_lazy("delivery status", "Read")
    FAILED = "failed", pgettext_lazy("delivery status", "Failed")


class Group(models.Model):
    """A team of agents (Zendesk group). Tickets are routed to groups."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="agent_groups", blank=True, verbose_name=_("members")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """An end user: the customer. End users never log in."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    wa_id = models.CharField(_("WhatsApp id"), max_length=32, null=True, blank=True)
    whatsapp_user_id = models.CharField(
        _("WhatsApp business-scoped user id"),
        max_length=64,
        null=True,
        blank=True,
        help_text=_("BSUID, e.g. US.1349..."),
    )
    whatsapp_opt_in = models.BooleanField(_("whatsapp opt in"), default=False)
    whatsapp_opt_in_source = models.CharField(_("whatsapp opt in source"), max_length=100, blank=True)
    whatsapp_opt_in_at = models.DateTimeField(_("whatsapp opt in at"), null=True, blank=True)
    whatsapp_opt_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("whatsapp opt in by"),
    )
    # Who added the contact by hand (page, API, admin); null for contacts the channel created. Until the contact has
    # a ticket, its creator is the only agent who sees it (selectors.contacts_visible).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    # The language texts to the customer are written in (a code of settings.LANGUAGES); blank: the account's default.
    locale = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("Blank: the account's default language."),
    )
    # Who chose `locale`: "agent" (never overwritten by the channel) or "template" (learnt from the template the
    # customer answered); blank when nobody did.
    locale_source = models.CharField(max_length=20, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
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


class ContactOptInChange(models.Model):
    """One change of a contact's WhatsApp consent, kept so that opt-ins and opt-outs can be counted over time; the
    contact's own fields hold only the latest."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="opt_in_changes")
    opted_in = models.BooleanField(_("opted in"))
    source = models.CharField(_("source"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("opt-in change")
        verbose_name_plural = _("opt-in changes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.contact_id}: {'in' if self.opted_in else 'out'} at {self.created_at:%Y-%m-%d %H:%M}"


class Ticket(models.Model):
    subject = models.CharField(_("subject"), max_length=255)
    status = models.CharField(_("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW)
    priority = models.CharField(_("priority"), max_length=10, choices=TicketPriority.choices, null=True, blank=True)
    type = models.CharField(_("type"), max_length=10, choices=TicketType.choices, null=True, blank=True)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices, default=Via.WEB)
    requester = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("requester")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets", verbose_name=_("group")
    )
    follow_up_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        verbose_name=_("follow up of"),
    )
    # Zendesk's CCs (contacts who get the requester's notifications by e-mail) and followers (agents kept informed).
    email_ccs = models.ManyToManyField(Contact, blank=True, related_name="cc_tickets", verbose_name=_("CCs"))
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="followed_tickets", verbose_name=_("followers")
    )
    # The end user's own send time of their latest message on this ticket (for WhatsApp: the message `timestamp`).
    last_customer_message_at = models.DateTimeField(_("last customer message at"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-updated_at", "-id"]
        # The product-admin role (tickets.permissions.is_admin); the "Product admins" group holds it.
        permissions = [("product_admin", _("Can administer SupportDesk"))]
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

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="tag_rows", verbose_name=_("ticket"))
    name = models.CharField(_("name"), max_length=80, db_index=True)

    class Meta:
        verbose_name = _("ticket tag")
        verbose_name_plural = _("ticket tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["ticket", "name"], name="ticket_tag_unique")]

    def __str__(self) -> str:
        return self.name


class Comment(models.Model):
    """One message on a ticket: an end user's message, an agent's public reply or internal note, a system note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments", verbose_name=_("ticket"))
    author_role = models.CharField(_("author role"), max_length=10, choices=AuthorRole.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author user"),
    )
    author_contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
        verbose_name=_("author contact"),
    )
    body = models.TextField(_("body"), blank=True)
    public = models.BooleanField(_("public"), default=True)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices, default=Via.WEB)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    # Channel data, kept generic: the channel's own message id and what the channel told us about it.
    channel_message_id = models.CharField(_("channel message id"), max_length=200, null=True, blank=True)
    channel_sent_at = models.DateTimeField(
        _("channel sent at"), null=True, blank=True, help_text=_("The sender's own send time.")
    )
    forwarded = models.BooleanField(_("forwarded"), default=False)
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("in reply to")
    )
    message_type = models.CharField(_("message type"), max_length=30, blank=True)
    channel_data = models.JSONField(_("channel data"), default=dict, blank=True)
    template = models.JSONField(
        _("template"), null=True, blank=True, help_text=_("{name, language} when sent as a template.")
    )
    # Outbound delivery (null when the comment is not an outbound channel message).
    delivery_status = models.CharField(
        _("delivery status"), max_length=10, choices=DeliveryStatus.choices, null=True, blank=True
    )
    delivery_error_code = models.CharField(_("delivery error code"), max_length=40, blank=True)
    delivery_error_title = models.CharField(_("delivery error title"), max_length=255, blank=True)
    delivery_error_detail = models.TextField(_("delivery error detail"), blank=True)
    delivery_updated_at = models.DateTimeField(_("delivery updated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
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
        return _("Comment %(id)s on ticket %(ticket)s") % {"id": self.pk, "ticket": self.ticket_id}

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

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket"))
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("comment")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=500, blank=True)
    filename = models.CharField(_("filename"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(_("sha256"), max_length=64, blank=True)
    channel_media_id = models.CharField(_("channel media id"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class Event(models.Model):
    """The ticket's audit log: one row per change, written by the typed writers in `tickets.events`."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket"))
    type = models.CharField(_("type"), max_length=40, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "id"], name="event_ticket_id")]

    def __str__(self) -> str:
        return _("%(type)s on ticket %(ticket)s") % {"type": self.type, "ticket": self.ticket_id}


class Notification(models.Model):
    """A delivery failure told to one agent: shown live, stored so it is shown again until dismissed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("ticket"))
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("comment")
    )
    type = models.CharField(_("type"), max_length=40, default="delivery.failed")
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_title = models.CharField(_("error title"), max_length=255, blank=True)
    error_detail = models.TextField(_("error detail"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)
    # A later message to the same customer was delivered: the failure no longer needs the agent.
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "dismissed_at", "-created_at"], name="notification_user_open")]
        constraints = [
            models.UniqueConstraint(fields=["user", "comment", "type"], name="notification_once_per_comment"),
        ]

    def __str__(self) -> str:
        return _("%(type)s for %(user)s on ticket %(ticket)s") % {
            "type": self.type,
            "user": self.user_id,
            "ticket": self.ticket_id,
        }


class TicketRead(models.Model):
    """How far one agent has read one ticket: the list shows the ticket unread when a customer message is newer."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="read_marks", verbose_name=_("ticket"))
    # The newest comment on the ticket when the agent last opened it (0: none yet). Comment ids only grow, so
    # "unread" is one comparison with the ticket's latest customer message id.
    last_read_comment_id = models.BigIntegerField(_("last read comment id"), default=0)
    read_at = models.DateTimeField(_("read at"))

    class Meta:
        verbose_name = _("ticket read")
        verbose_name_plural = _("ticket reads")
        constraints = [models.UniqueConstraint(fields=["user", "ticket"], name="ticket_read_once_per_agent")]

    def __str__(self) -> str:
        return _("%(user)s read ticket %(ticket)s up to comment %(comment)s") % {
            "user": self.user_id,
            "ticket": self.ticket_id,
            "comment": self.last_read_comment_id,
        }


class AgentProfile(models.Model):
    """An agent's own settings: the language and time zone of their pages, banners, e-mails and dates.

    Blank language: the browser's `Accept-Language`, then `settings.LANGUAGE_CODE`. Blank time zone:
    `settings.TIME_ZONE`. A user without a row has both blank.
    """

    # `user.profile` (absent: AttributeError, so `getattr(user, "profile", None)` reads "no profile").
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return f"Profile of {self.user_id}"


# Admin-defined ticket fields live in their own module; imported here so Django registers them with the app.
from tickets.custom_field_models import CustomField, CustomFieldOption, CustomFieldValue  # noqa: E402, F401
