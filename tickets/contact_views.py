"""Contact pages: the searchable list, one contact with their opt-in record and tickets, and channel panels.

Channel apps add their panels (e.g. WhatsApp's "start a conversation") through `hooks.register_contact_panel`;
this module never imports them. A channel view that handles its panel's POST re-renders the page with
`render_contact_page(..., panel_context={template: {...}})` to show its form errors.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tickets import hooks, selectors
from tickets.contacts import contact_opt_in_set
from tickets.errors import DomainError
from tickets.models import Contact

CONTACTS_PAGE_SIZE = 25
TICKETS_PAGE_SIZE = 20


class ContactSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search contacts"), max_length=200, required=False)

    def query(self) -> str | None:
        self.is_valid()
        return (getattr(self, "cleaned_data", {}).get("q") or "").strip() or None


class OptInForm(forms.Form):
    """Set a contact's WhatsApp marketing consent; the service records who and when."""

    whatsapp_opt_in = forms.TypedChoiceField(
        label=gettext_lazy("Record consent"),
        choices=[("true", gettext_lazy("Opted in")), ("false", gettext_lazy("Opted out"))],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
        # No initial choice: one careless Save must not record a refusal (or a consent) nobody gave.
        error_messages={"required": gettext_lazy("Choose whether the customer opted in or opted out.")},
    )
    note = forms.CharField(
        label=gettext_lazy("How was it given?"),
        max_length=80,
        required=False,
        help_text=gettext_lazy("Optional, e.g. “asked on the phone”. Kept as the opt-in source."),
    )

    def source(self) -> str:
        note = " ".join(self.cleaned_data.get("note", "").split())
        return f"agent ({note})" if note else "agent"


@login_required
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    form = ContactSearchForm(request.GET)
    contacts = selectors.contact_list(user=request.user, q=form.query())
    page = Paginator(contacts, CONTACTS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "search_form": form,
        "q": form.query() or "",
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
    }
    return render(request, "tickets/contact_list.html", context)


def contact_or_404(request: HttpRequest, contact_id: int) -> Contact:
    """The contact if the user may see it (through one of its tickets, or as its creator); else a 404."""
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    if contact is None:
        raise Http404(_("No such contact."))
    return contact


def render_contact_page(
    request: HttpRequest,
    contact: Contact,
    *,
    status: int = 200,
    opt_in_form: OptInForm | None = None,
    panel_context: dict[str, dict] | None = None,
) -> HttpResponse:
    """The contact page. `panel_context` adds to (or overrides) a channel panel's context, by template name."""
    tickets = selectors.ticket_list(user=request.user, requester_id=contact.pk)
    page = Paginator(tickets, TICKETS_PAGE_SIZE).get_page(request.GET.get("page"))
    extra = panel_context or {}
    panels = [
        {"template": name, "context": {**context, **extra.get(name, {})}}
        for name, context in hooks.contact_panels(contact, request.user)
    ]
    context = {
        "contact": contact,
        "opt_in_form": opt_in_form or OptInForm(),
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "panels": panels,
    }
    return render(request, "tickets/contact_detail.html", context, status=status)


@login_required
@require_GET
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    return render_contact_page(request, contact_or_404(request, contact_id))


@login_required
@require_POST
def contact_opt_in(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_or_404(request, contact_id)
    form = OptInForm(request.POST)
    if form.is_valid():
        wanted = form.cleaned_data["whatsapp_opt_in"]
        if wanted == contact.whatsapp_opt_in:
            already = (
                _("No change: %(name)s was already opted in.")
                if wanted
                else _("No change: %(name)s was already opted out.")
            )
            messages.info(request, already % {"name": contact.name})
            return redirect(reverse("tickets:contact", args=[contact.pk]))
        try:
            contact_opt_in_set(contact=contact, opted_in=wanted, source=form.source(), actor=request.user)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            done = (
                _("%(name)s is now opted in to WhatsApp marketing messages.")
                if wanted
                else _("%(name)s is now opted out of WhatsApp marketing messages.")
            )
            messages.success(request, done % {"name": contact.name})
            return redirect(reverse("tickets:contact", args=[contact.pk]))
    return render_contact_page(request, contact, status=400, opt_in_form=form)
