"""Django admin for the audit log: written only by `tickets.events`, never edited."""

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy

from tickets import events
from tickets.admin.common import IdSearchMixin, ReadOnlyAdminMixin, compact_json, pretty_json, ticket_link
from tickets.models import (
    Event,
)

# The event types `tickets.events` writes. Listing them costs nothing; asking the table for its DISTINCT types
# scans the whole audit log on every page.
EVENT_TYPES = sorted(value for name, value in vars(events).items() if name.isupper() and isinstance(value, str))


class EventTypeFilter(admin.SimpleListFilter):
    title = gettext_lazy("type")
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return [(event_type, event_type) for event_type in EVENT_TYPES]

    def queryset(self, request, queryset):
        return queryset.filter(type=self.value()) if self.value() else queryset


@admin.register(Event)
class EventAdmin(IdSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail: written only by `tickets.events`, never edited."""

    list_display = ("id", "created_at", "type", "ticket_id_link", "actor", "summary")
    list_filter = (EventTypeFilter,)
    list_select_related = ("actor",)
    search_fields = ("type",)
    id_search_fields = ("ticket_id",)
    show_full_result_count = False
    ordering = ("-id",)
    fields = ("ticket", "type", "actor", "created_at", "data_pretty")
    readonly_fields = ("data_pretty",)

    @admin.display(description=gettext_lazy("ticket"), ordering="ticket_id")
    def ticket_id_link(self, obj: Event) -> str:
        return ticket_link(obj.ticket_id)

    @admin.display(description=gettext_lazy("data"))
    def summary(self, obj: Event) -> str:
        return Truncator(compact_json(obj.data)).chars(100)

    @admin.display(description=gettext_lazy("data"))
    def data_pretty(self, obj: Event) -> str:
        return pretty_json(obj.data)
