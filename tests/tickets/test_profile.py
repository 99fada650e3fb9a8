"""The agent's own language and time zone: the profile page and API, what pages do with them, the fallbacks."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import translation

from tests.factories import TicketFactory, UserFactory
from tickets import profiles
from tickets.models import AgentProfile, Ticket

pytestmark = pytest.mark.django_db

HOME = "/"
PROFILE = "/profile/"


def html_lang(response) -> str:
    text = response.content.decode()
    start = text.index('<html lang="') + len('<html lang="')
    return text[start : text.index('"', start)]


def german_agent(**extra):
    user = UserFactory(**extra)
    AgentProfile.objects.create(user=user, language="de", time_zone="Europe/Berlin")
    return user


# --- Which language a page speaks ----------------------------------------------------------------------------------


def test_without_a_choice_pages_are_english(agent_client):
    response = agent_client.get(HOME)
    assert html_lang(response) == "en"
    assert response["Content-Language"] == "en"


def test_without_a_choice_the_browser_language_is_used(agent_client):
    response = agent_client.get(HOME, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert html_lang(response) == "de"


def test_an_unknown_browser_language_falls_back_to_language_code(agent_client):
    response = agent_client.get(HOME, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert html_lang(response) == "en"


def test_anonymous_login_page_follows_the_browser(client):
    assert html_lang(client.get("/accounts/login/", headers={"Accept-Language": "de"})) == "de"
    assert html_lang(client.get("/accounts/login/")) == "en"


def test_german_agent_gets_german_pages_whatever_the_browser_says(client):
    client.force_login(german_agent())
    response = client.get(HOME, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert html_lang(response) == "de"
    assert response["Content-Language"] == "de"


def test_english_choice_wins_over_a_german_browser(client):
    user = UserFactory()
    AgentProfile.objects.create(user=user, language="en")
    client.force_login(user)
    assert html_lang(client.get(HOME, headers={"Accept-Language": "de"})) == "en"


def test_the_preference_does_not_leak_into_the_next_request(client, agent):
    client.force_login(german_agent())
    assert html_lang(client.get(HOME)) == "de"
    client.logout()
    client.force_login(agent)
    assert html_lang(client.get(HOME)) == "en"


# --- Dates in the agent's time zone and locale -----------------------------------------------------------------------


def _ticket_at(when: datetime) -> Ticket:
    ticket = TicketFactory(subject="Dated")
    Ticket.objects.filter(pk=ticket.pk).update(created_at=when, updated_at=when)
    return ticket


def test_dates_for_a_german_agent_in_berlin(client):
    client.force_login(german_agent(is_staff=True, is_superuser=True))
    ticket = _ticket_at(datetime(2026, 12, 3, 15, 5, tzinfo=UTC))  # 16:05 in Berlin (CET, UTC+1)
    text = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'title="3.12.2026, 16:05"' in text
    assert "p.m." not in text


def test_dates_for_an_english_agent_stay_as_they_were(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    ticket = _ticket_at(datetime(2026, 12, 3, 15, 5, tzinfo=UTC))
    text = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'title="Dec. 3, 2026, 3:05 p.m."' in text  # settings.TIME_ZONE (UTC), Django's English format


def test_time_zone_alone_moves_english_dates(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    AgentProfile.objects.create(user=user, time_zone="America/New_York")
    client.force_login(user)
    ticket = _ticket_at(datetime(2026, 12, 3, 15, 5, tzinfo=UTC))
    assert 'title="Dec. 3, 2026, 10:05 a.m."' in client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_numbers_and_dates_follow_the_active_locale():
    from django.utils import formats

    when = datetime(2026, 12, 3, 9, 7)
    with translation.override("de"):
        assert formats.date_format(when, "SHORT_DATE_FORMAT") == "3.12.2026"
        assert formats.date_format(when, "DATETIME_FORMAT") == "3.12.2026, 09:07"
        assert formats.number_format(1234.5, 1, force_grouping=True) == "1.234,5"
    with translation.override("en"):
        assert formats.date_format(when, "SHORT_DATE_FORMAT") == "12/03/2026"


# --- The profile page --------------------------------------------------------------------------------------------


def test_profile_page_shows_the_choices(agent_client):
    response = agent_client.get(PROFILE)
    assert response.status_code == 200
    text = response.content.decode()
    assert '<option value="de">Deutsch</option>' in text
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in text
    assert html_lang(response) == "en"


def test_saving_the_profile_switches_the_next_pages_at_once(agent_client, agent):
    response = agent_client.post(PROFILE, {"language": "de", "time_zone": "Europe/Berlin"})
    assert response.status_code == 302 and response["Location"] == PROFILE
    profile = AgentProfile.objects.get(user=agent)
    assert (profile.language, profile.time_zone) == ("de", "Europe/Berlin")
    assert html_lang(agent_client.get(HOME)) == "de"
    agent_client.post(PROFILE, {"language": "", "time_zone": ""})
    assert html_lang(agent_client.get(HOME)) == "en"


@pytest.mark.parametrize(
    "data",
    [
        {"language": "xx", "time_zone": ""},
        {"language": "", "time_zone": "Mars/Olympus"},
        {"language": "de\x00", "time_zone": ""},
    ],
)
def test_bad_profile_input_is_a_form_error(agent_client, agent, data):
    response = agent_client.post(PROFILE, data)
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert not AgentProfile.objects.filter(user=agent).exists()


def test_a_session_from_before_the_profile_loads_it_once(client):
    user = german_agent()
    client.force_login(user)
    session = client.session
    del session[profiles.SESSION_KEY]
    session.save()
    assert html_lang(client.get(HOME)) == "de"
    assert client.session[profiles.SESSION_KEY] == {"language": "de", "time_zone": "Europe/Berlin"}


# --- The API -------------------------------------------------------------------------------------------------------


def test_profile_api_reads_and_writes_the_callers_own(agent_api, agent, other_agent):
    assert agent_api.get("/api/profile/").json() == {
        "language": "",
        "time_zone": "",
        "effective_language": "en",
        "effective_time_zone": "UTC",
    }
    response = agent_api.patch("/api/profile/", {"language": "de"}, format="json")
    assert response.status_code == 200
    assert response.json()["language"] == "de" and response.json()["time_zone"] == ""
    response = agent_api.patch("/api/profile/", {"time_zone": "Europe/Berlin"}, format="json")
    assert response.json() == {
        "language": "de",
        "time_zone": "Europe/Berlin",
        "effective_language": "de",
        "effective_time_zone": "Europe/Berlin",
    }
    assert not AgentProfile.objects.filter(user=other_agent).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [({"language": "fr"}, "language"), ({"time_zone": "Berlin"}, "time_zone"), ({"language": 5 * "x" * 5}, "language")],
)
def test_profile_api_refuses_bad_values_with_400(agent_api, agent, data, field):
    response = agent_api.patch("/api/profile/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not AgentProfile.objects.filter(user=agent).exists()


def test_drf_messages_follow_the_active_language(api_client):
    response = api_client.get("/api/profile/", headers={"Accept-Language": "de"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Anmeldedaten fehlen."


# --- Outside a request ---------------------------------------------------------------------------------------------


def test_speaking_to_an_agent_uses_their_language_and_zone(agent):
    german = german_agent()
    with profiles.speaking_to(german):
        assert translation.get_language() == "de"
    with profiles.speaking_to(agent):
        assert translation.get_language() == "en"


@override_settings(LANGUAGE_CODE="en")
def test_no_profile_no_change_for_english_teams(agent_client):
    assert mail.outbox == []
    assert html_lang(agent_client.get(PROFILE)) == "en"


def test_a_change_made_with_a_token_reaches_the_browser_through_the_profile_page(client):
    user = UserFactory()
    client.force_login(user)
    assert html_lang(client.get(HOME)) == "en"
    profiles.agent_profile_update(user=user, language="de")  # e.g. PATCH /api/profile/ with a token
    assert html_lang(client.get(HOME)) == "en"  # the session's copy, until...
    client.get(PROFILE)  # ...the profile page reads the saved row
    assert html_lang(client.get(HOME)) == "de"


def test_the_profile_is_user_dot_profile_and_absent_reads_as_none(agent):
    assert getattr(agent, "profile", None) is None
    AgentProfile.objects.create(user=agent, language="de")
    agent.refresh_from_db()
    assert agent.profile.language == "de"
