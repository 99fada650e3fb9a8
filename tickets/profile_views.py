"""The agent's profile page: their language and time zone (`tickets.profiles` does the work)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tickets import languages, profiles
from tickets.errors import DomainError


class ProfileForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), required=False, widget=forms.Select(attrs={"class": "input"})
    )
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"), required=False, widget=forms.Select(attrs={"class": "input"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Browser language")), *languages.language_choices()]
        self.fields["time_zone"].choices = [
            ("", _("Server default (%(zone)s)") % {"zone": settings.TIME_ZONE}),
            *languages.time_zone_choices(),
        ]


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    current = profiles.preferences_of(request.user)  # the saved row: it may have changed since sign-in (API, admin)
    if profiles.remembered(request.session) != current:
        profiles.remember(request.session, current)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                saved = profiles.agent_profile_update(user=request.user, **form.cleaned_data)
            except DomainError as error:
                for field, problems in error.errors.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                profiles.remember(request.session, saved)
                profiles.activate(saved)  # the confirmation already speaks the new language
                messages.success(request, _("Your profile was saved."))
                return redirect("tickets:profile")
        return render(request, "tickets/profile.html", {"form": form}, status=400)
    form = ProfileForm(initial={"language": current.language, "time_zone": current.time_zone})
    return render(request, "tickets/profile.html", {"form": form})
