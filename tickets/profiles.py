"""The agent's own language and time zone: read, written, remembered in the session, switched on per request.

The middleware (`tickets.middleware.AgentPreferencesMiddleware`) must not cost a query on every page, so the
preferences ride in the session: written at login (`user_logged_in`) and whenever the agent saves the profile, read
from the database only for a session that does not carry them yet.
"""

import zoneinfo
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tickets import languages
from tickets.errors import DomainError
from tickets.models import AgentProfile

SESSION_KEY = "agent_preferences"


@dataclass(frozen=True)
class Preferences:
    """What the agent chose; blank means "not chosen" (browser language, server time zone)."""

    language: str = ""
    time_zone: str = ""

    @property
    def effective_language(self) -> str:
        return self.language or settings.LANGUAGE_CODE

    @property
    def effective_time_zone(self) -> str:
        return self.time_zone or settings.TIME_ZONE


# --- Reads ------------------------------------------------------------------------------------------------------


def preferences_of(user) -> Preferences:
    if user is None or not getattr(user, "pk", None):
        return Preferences()
    row = AgentProfile.objects.filter(user_id=user.pk).values("language", "time_zone").first()
    return Preferences(**row) if row else Preferences()


def language_of(user) -> str:
    """The language to write to this agent in, outside a request (e-mails, live frames): theirs, else the default."""
    return preferences_of(user).effective_language


# --- Writes -----------------------------------------------------------------------------------------------------


@transaction.atomic
def agent_profile_update(*, user, language: str | None = None, time_zone: str | None = None) -> Preferences:
    """Set the agent's language and/or time zone (None: leave as it is; "": back to the default)."""
    errors: dict[str, list[str]] = {}
    if language is not None and language != "" and language not in languages.language_codes():
        errors["language"] = [_("Choose one of the languages offered.")]
    if time_zone is not None and time_zone != "" and not languages.valid_time_zone(time_zone):
        errors["time_zone"] = [_("Choose a time zone such as Europe/Berlin.")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, errors=errors)
    profile, _created = AgentProfile.objects.select_for_update().get_or_create(user=user)
    if language is not None:
        profile.language = language
    if time_zone is not None:
        profile.time_zone = time_zone
    profile.save()
    return Preferences(language=profile.language, time_zone=profile.time_zone)


# --- The session copy ---------------------------------------------------------------------------------------------


def remember(session, preferences: Preferences) -> None:
    session[SESSION_KEY] = asdict(preferences)


def remembered(session) -> Preferences | None:
    stored = session.get(SESSION_KEY)
    if not isinstance(stored, dict):
        return None
    return Preferences(language=str(stored.get("language") or ""), time_zone=str(stored.get("time_zone") or ""))


def on_login(sender, request, user, **kwargs) -> None:
    """`user_logged_in`: the session carries the agent's preferences from the first page on."""
    if request is not None and hasattr(request, "session"):
        remember(request.session, preferences_of(user))


# --- Switching them on --------------------------------------------------------------------------------------------


def activate(preferences: Preferences) -> str | None:
    """Activate the chosen time zone and, if one was chosen, the language; returns that language or None."""
    try:
        timezone.activate(zoneinfo.ZoneInfo(preferences.effective_time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()
    if preferences.language and preferences.language in languages.language_codes():
        translation.activate(preferences.language)
        return preferences.language
    return None


@contextmanager
def speaking_to(user):
    """Render text for this agent outside their request: their language and time zone for the block."""
    preferences = preferences_of(user)
    with (
        translation.override(preferences.effective_language),
        timezone.override(zoneinfo.ZoneInfo(preferences.effective_time_zone)),
    ):
        yield preferences
