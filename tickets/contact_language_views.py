"""The contact page's language panel: which language texts to this customer are written in, set by an agent.

Registered through `hooks.register_contact_panel` like a channel's panel (tickets/apps.py); the choice goes through
`contacts.contact_update`, so an agent's choice is final (docs/i18n.md).
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tickets import contact_views, languages
from tickets.contacts import contact_update
from tickets.errors import DomainError

PANEL = "tickets/_contact_language_panel.html"


class ContactLanguageForm(forms.Form):
    locale = forms.ChoiceField(
        label=gettext_lazy("Language"), required=False, widget=forms.Select(attrs={"class": "input"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = dict(languages.language_choices()).get(settings.LANGUAGE_CODE, settings.LANGUAGE_CODE)
        self.fields["locale"].choices = [
            ("", _("Account default (%(language)s)") % {"language": default}),
            *languages.language_choices(),
        ]


def language_panel(contact, user) -> dict:
    """The panel's context (no queries: the contact row has everything)."""
    return {"form": ContactLanguageForm(initial={"locale": contact.locale}), "source": contact.locale_source}


@login_required
@require_POST
def contact_language(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_views.contact_or_404(request, contact_id)
    form = ContactLanguageForm(request.POST)
    if form.is_valid():
        try:
            contact_update(contact=contact, actor=request.user, locale=form.cleaned_data["locale"])
        except DomainError as error:
            form.add_error("locale", error.message)
        else:
            messages.success(request, _("The customer's language was saved."))
            return redirect(reverse("tickets:contact", args=[contact.pk]))
    return contact_views.render_contact_page(
        request, contact, status=400, panel_context={PANEL: {"form": form, "source": contact.locale_source}}
    )
