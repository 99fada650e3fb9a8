"""Forms of the agent pages: they parse and validate input; the services decide what is allowed."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from tickets import custom_field_forms, custom_fields, selectors
from tickets.collaborators import MAX_CCS
from tickets.errors import DomainError
from tickets.models import Group, Ticket, TicketPriority, TicketStatus, TicketType, Via
from tickets.services import NewComment

# DomainError field names (shared with the API) -> the form field that shows the message.
DOMAIN_FIELD_TO_FORM_FIELD = {
    "assignee_id": "assignee",
    "group_id": "group",
    "status": "status",
    "priority": "priority",
    "type": "type",
    "tags": "tags",
    "body": "body",
    "attachments": "attachments",
}

# Agents move a ticket between these; "new" is only ever the current state and "closed" is set by automations.
PROPERTY_FIELDS = ("status", "priority", "type", "group", "assignee", "tags", "ccs", "followers")
AGENT_STATUSES = (TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.HOLD, TicketStatus.SOLVED)
MAX_ID = 2**63 - 1  # a bigint primary key: anything above would fail in the database, not in the form


def user_label(user) -> str:
    return user.get_full_name() or user.get_username()


def _blank(label: str, choices) -> list[tuple[str, str]]:
    return [("", label), *choices]


class TicketFilterForm(forms.Form):
    """The GET filters of the ticket list. Choices come from lists the view already loaded (no query here)."""

    status = forms.ChoiceField(label=_("Status"), choices=_blank(_("Any status"), TicketStatus.choices), required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=_blank(_("Any priority"), TicketPriority.choices), required=False
    )
    via = forms.ChoiceField(label=_("Channel"), choices=_blank(_("Any channel"), Via.choices), required=False)
    group = forms.TypedChoiceField(label=_("Group"), coerce=int, required=False, empty_value=None)
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, required=False, empty_value=None)
    tag = forms.CharField(label=_("Tag"), max_length=80, required=False)
    q = forms.CharField(label=_("Search"), max_length=200, required=False)

    def __init__(self, data=None, *, agents: list, groups: list[Group], ticket_fields: list | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.ticket_fields = ticket_fields or []  # drop-down and checkbox ticket fields to filter by
        custom_field_forms.add_filter_fields(self, self.ticket_fields)
        self.fields["group"].choices = _blank(_("Any group"), [(g.pk, g.name) for g in groups])
        self.fields["assignee"].choices = _blank(_("Anyone"), [(u.pk, user_label(u)) for u in agents])
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "input")
        self.fields["q"].widget.attrs.update(placeholder=_("Subject, requester or #id"), type="search")

    def filters(self) -> dict[str, Any]:
        """The valid filters as keyword arguments of `selectors.ticket_list`; an invalid value is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "status": data.get("status") or None,
            "priority": data.get("priority") or None,
            "via": data.get("via") or None,
            "group_id": data.get("group"),
            "assignee_id": data.get("assignee"),
            "tag": (data.get("tag") or "").strip() or None,
            "q": (data.get("q") or "").strip() or None,
            "custom_fields": custom_field_forms.filter_values(data, self.ticket_fields) or None,
        }


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return user_label(obj)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class TicketUpdateForm(forms.Form):
    """One submit of the ticket page, as in Zendesk: property changes plus an optional reply or note."""

    status = forms.ChoiceField(label=_("Status"), choices=())
    priority = forms.ChoiceField(label=_("Priority"), choices=_blank("-", TicketPriority.choices), required=False)
    type = forms.ChoiceField(label=_("Type"), choices=_blank("-", TicketType.choices), required=False)
    group = forms.ModelChoiceField(label=_("Group"), queryset=Group.objects.none(), required=False, empty_label="-")
    assignee = UserChoiceField(
        label=_("Assignee"), queryset=get_user_model().objects.none(), required=False, empty_label="-"
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by spaces."))
    ccs = forms.CharField(
        label=_("CCs"), required=False, help_text=_("E-mail addresses, separated by spaces or commas.")
    )
    followers = forms.TypedMultipleChoiceField(label=_("Followers"), coerce=int, required=False)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    mode = forms.ChoiceField(
        label=_("Reply type"),
        choices=[("public", _("Public reply")), ("internal", _("Internal note"))],
        widget=forms.RadioSelect,
        initial="public",
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    # The "Submit as <status>" split button (Zendesk's): the button pressed sets the status in the same POST,
    # over the status select; empty for the plain Submit, which keeps the select's value.
    submit_as = forms.ChoiceField(choices=(), required=False)
    # Agent collision (tickets/collision.py): the newest message the agent had on screen, and the reply they chose to
    # talk over with "Submit anyway".
    seen_comment_id = forms.IntegerField(required=False, min_value=0, max_value=MAX_ID, widget=forms.HiddenInput)
    confirmed_comment_id = forms.IntegerField(required=False, min_value=0, max_value=MAX_ID, widget=forms.HiddenInput)

    def __init__(self, data=None, files=None, *, ticket: Ticket, agents: list, groups: list[Group], **kwargs: Any):
        initial = {
            "status": ticket.status,
            "priority": ticket.priority or "",
            "type": ticket.type or "",
            "group": ticket.group,
            "assignee": ticket.assignee,
            "tags": " ".join(tag.name for tag in ticket.tag_rows.all()),
            "ccs": " ".join(contact.email for contact in ticket.email_ccs.all() if contact.email),
            "followers": [user.pk for user in ticket.followers.all()],
            "mode": "public",
        }
        super().__init__(data, files, initial=initial, **kwargs)
        self.ticket = ticket
        statuses = [s for s in TicketStatus if s in AGENT_STATUSES or s == ticket.status]
        self.fields["status"].choices = [(s.value, s.label) for s in statuses]
        self.fields["submit_as"].choices = _blank("", [(s.value, s.label) for s in statuses])

        agent_qs = selectors.agents_for_assignment()
        if ticket.assignee is not None and ticket.assignee not in agents:
            # A deactivated assignee stays selectable, or an unrelated submit would silently unassign the ticket.
            agents = [*agents, ticket.assignee]
            agent_qs = agent_qs | type(ticket.assignee).objects.filter(pk=ticket.assignee_id)
        # The querysets validate a submitted id; the choices are set from the lists the view already loaded,
        # so rendering the selects costs no further query.
        self.fields["group"].queryset = selectors.groups_all()
        self.fields["group"].choices = _blank("-", [(g.pk, g.name) for g in groups])
        self.fields["assignee"].queryset = agent_qs
        self.fields["assignee"].choices = _blank("-", [(u.pk, user_label(u)) for u in agents])
        self.fields["followers"].choices = [(u.pk, user_label(u)) for u in agents if u.is_active]
        self.fields["followers"].agents = agents
        self.fields["followers"].widget.attrs["size"] = 3
        for name in PROPERTY_FIELDS:
            self.fields[name].widget.attrs.setdefault("class", "input")
        # Admin-defined ticket fields, after the built-in ones (Zendesk's order).
        self.ticket_fields = custom_fields.field_infos(active=True)
        self.ticket_field_values = custom_fields.ticket_values(ticket, self.ticket_fields) if self.ticket_fields else {}
        self.ticket_field_names = custom_field_forms.add_property_fields(
            self, self.ticket_fields, self.ticket_field_values
        )
        self.ticket_field_changes: dict[int, Any] = {}

    def clean_ccs(self) -> list[str]:
        addresses = list(dict.fromkeys(self.cleaned_data["ccs"].replace(",", " ").lower().split()))
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(_("%(address)s is not an e-mail address.") % {"address": address}) from None
        if len(addresses) > MAX_CCS:
            raise ValidationError(_("At most %(max)s CCs on a ticket.") % {"max": MAX_CCS})
        return addresses

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("submit_as"):
            data["status"] = data["submit_as"]
            self.errors.pop("status", None)
        self.ticket_field_changes = custom_field_forms.cleaned_changes(
            self, self.ticket_fields, self.ticket_field_values
        )
        return data

    def ticket_field_rows(self) -> list[tuple[str, str]]:
        """The ticket fields as (title, value) for the read-only panel of a closed ticket."""
        return custom_field_forms.display_rows(self.ticket_fields, self.ticket_field_values)

    def submit_as_choices(self) -> list[tuple[str, str]]:
        return [(value, label) for value, label in self.fields["status"].choices]

    def property_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in (*PROPERTY_FIELDS, *self.ticket_field_names)]

    def changes(self) -> dict[str, Any]:
        """Only what differs from the ticket: an unchanged status must not block the auto-open on reply."""
        data, ticket = self.cleaned_data, self.ticket
        changes: dict[str, Any] = {}
        if data["status"] != ticket.status:
            changes["status"] = data["status"]
        for field in ("priority", "type"):
            if (data[field] or None) != getattr(ticket, field):
                changes[field] = data[field] or None
        for field in ("group", "assignee"):
            value = data[field]
            if (value.pk if value else None) != getattr(ticket, f"{field}_id"):
                changes[field] = value
        tags = data["tags"].lower().split()
        if sorted(set(tags)) != sorted(tag.name for tag in ticket.tag_rows.all()):
            changes["tags"] = tags
        if data["ccs"] != self.initial["ccs"].lower().split():
            changes["email_cc_addresses"] = data["ccs"]
        if sorted(data["followers"]) != sorted(self.initial["followers"]):
            changes["followers"] = [u for u in self.fields["followers"].agents if u.pk in set(data["followers"])]
        if self.ticket_field_changes:
            changes["custom_fields"] = self.ticket_field_changes
        return changes

    def new_comment(self) -> NewComment | None:
        body, files = self.cleaned_data["body"], self.cleaned_data["attachments"]
        if not body.strip() and not files:
            return None
        return NewComment(body=body, public=self.cleaned_data["mode"] == "public", attachments=files)

    def collision_check(self) -> dict[str, Any]:
        """The keyword arguments of `collision.reply_collision` this submit asks for."""
        comment = self.new_comment()
        return {
            "public_reply": comment is not None and comment.public,
            "seen_comment_id": self.cleaned_data.get("seen_comment_id"),
            "confirmed_comment_id": self.cleaned_data.get("confirmed_comment_id"),
        }

    def hold_for_confirmation(self) -> None:
        """Re-rendered after a collision, the form submits again what was asked: "Submit as Solved" keeps Solved."""
        data = self.data.copy()
        data["status"] = self.cleaned_data["status"]
        data.pop("submit_as", None)
        self.data = data

    def add_domain_error(self, error: DomainError) -> None:
        for key, messages in error.errors.items():
            field = DOMAIN_FIELD_TO_FORM_FIELD.get(key) or (key if key in self.fields else None)
            for message in messages if isinstance(messages, list | tuple) else [messages]:
                self.add_error(field, str(message))
