"""Query-string filters of the API. Selectors own the visible set and the ordering; these only narrow it.

An invalid value (unknown status, a non-number id) is a 400 with reasons, never an empty list or a 500.
"""

from django import forms
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from tickets import selectors
from tickets.models import Contact, Event, Ticket, TicketPriority, TicketStatus, Via


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.NumberFilter):
    """An integer id: `?assignee_id=1.5` is refused instead of silently becoming 1."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        # Bounded to a 64-bit id: a larger number would overflow the database driver instead of matching nothing.
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class TicketFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=TicketStatus.choices)
    via = filters.ChoiceFilter(choices=Via.choices)
    priority = filters.ChoiceFilter(choices=TicketPriority.choices)
    assignee_id = IdFilter(field_name="assignee_id")
    requester_id = IdFilter(field_name="requester_id")
    group_id = IdFilter(field_name="group_id")
    q = filters.CharFilter(
        method="search",
        help_text=gettext_lazy(
            "Full-text search in subject, requester name/phone/e-mail and message bodies; best match first."
        ),
    )

    class Meta:
        model = Ticket
        fields = ["status", "via", "priority", "assignee_id", "requester_id", "group_id", "q"]

    def search(self, queryset, name, value):
        # The search and its ranking belong to the selector; the other filters have already narrowed `queryset`.
        return selectors.tickets_search(user=self.request.user, q=value, queryset=queryset)


class EventFilter(filters.FilterSet):
    type = filters.CharFilter(
        field_name="type", help_text=gettext_lazy("Only events of this type, e.g. `field.changed`.")
    )

    class Meta:
        model = Event
        fields = ["type"]


class ContactFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", help_text=gettext_lazy("Search in name, e-mail and WhatsApp id."))
    wa_id = filters.CharFilter(field_name="wa_id", help_text=gettext_lazy("Exact WhatsApp id (digits, no +)."))
    whatsapp_user_id = filters.CharFilter(
        field_name="whatsapp_user_id", help_text=gettext_lazy("Exact business-scoped user id.")
    )

    class Meta:
        model = Contact
        fields = ["q", "wa_id", "whatsapp_user_id"]

    def search(self, queryset, name, value):
        # The search itself belongs to the selector; the form only validated the text.
        return queryset & selectors.contact_list(user=self.request.user, q=value)
