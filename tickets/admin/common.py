"""What every admin page of the core shares: JSON display, ticket links, id search, read-only pages, and domain
errors shown as messages."""

import json
from typing import Any

from django.contrib import admin, messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext

from tickets.errors import DomainError

# --- Helpers --------------------------------------------------------------------------------------------


def pretty_json(value: Any) -> str:
    if value in (None, {}, []):
        return "-"
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)
    return format_html('<pre style="margin:0;white-space:pre-wrap">{}</pre>', text)


def compact_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder, separators=(", ", ": "))


def ticket_link(ticket_id: int | None) -> str:
    if ticket_id is None:
        return "-"
    return format_html('<a href="{}">#{}</a>', reverse("admin:tickets_ticket_change", args=[ticket_id]), ticket_id)


def adopt(target, saved) -> None:
    """Make the admin's unsaved instance the row a service saved, so the admin's redirect and log use it."""
    for f in type(saved)._meta.concrete_fields:
        setattr(target, f.attname, getattr(saved, f.attname))
    target._state.adding = False
    target._state.db = saved._state.db


class IdSearchMixin:
    """A number in the search box (`123` or `#123`) also finds the row, or the rows of ticket, with that id.

    `=id` in `search_fields` would do an `iexact` on an integer column and break on words.
    """

    id_search_fields: tuple[str, ...] = ("pk",)

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip().lstrip("#")
        if term.isdigit() and len(term) < 19:
            by_id = Q()
            for name in self.id_search_fields:
                by_id |= Q(**{name: int(term)})
            results |= queryset.filter(by_id)
        return results, may_have_duplicates


class ServiceErrorsAsMessagesMixin:
    """A DomainError raised by a service while saving becomes an error message on the same page.

    The error is raised inside the change view's transaction, which is rolled back: nothing is saved.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, gettext("Not saved: %(reason)s") % {"reason": exc.message}, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdminMixin:
    """Viewable, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False


# --- Tickets --------------------------------------------------------------------------------------------
