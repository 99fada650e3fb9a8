"""The access matrix of the languages: the agent's profile (`/profile/`, `/api/profile/`) and the contact's language.

Every signed-in agent reads and writes their own language and time zone, and only their own (there is no id to ask
for anyone else's); anonymous callers get the login page or 401 and change nothing. A contact's language is set by
whoever may see the contact (through its ticket), as its other fields: anyone else gets a 404.
"""

import pytest

from tests.security.test_access_matrix import LOGIN, ROLES, World, api_client, build_world, expect, page_client, row
from tickets.models import AgentProfile


@pytest.fixture
def world(db) -> World:
    return build_world()


MATRIX = [
    row("profile-page", "view", "page", "get", "/profile/", [LOGIN, 200, 200, 200]),
    row(
        "profile-page", "save", "page", "post", "/profile/", [LOGIN, 302, 302, 302], {"language": "de", "time_zone": ""}
    ),
    row("profile-page", "bad-input", "page", "post", "/profile/", [LOGIN, 400, 400, 400], {"language": "zz"}),
    row("profile-page", "delete", "page", "delete", "/profile/", [LOGIN, 405, 405, 405]),
    row("profile-api", "read", "api", "get", "/api/profile/", [401, 200, 200, 200]),
    row("profile-api", "patch", "api", "patch", "/api/profile/", [401, 200, 200, 200], {"language": "de"}),
    row("profile-api", "bad-input", "api", "patch", "/api/profile/", [401, 400, 400, 400], {"time_zone": "Nowhere"}),
    row("profile-api", "post", "api", "post", "/api/profile/", [401, 405, 405, 405], {"language": "de"}),
    row("profile-api", "put", "api", "put", "/api/profile/", [401, 405, 405, 405], {"language": "de"}),
    row("profile-api", "by-id", "api", "get", "/api/profile/1/", [404, 404, 404, 404]),
    row(
        "contact-language",
        "set",
        "page",
        "post",
        "/contacts/{contact}/language/",
        [LOGIN, 302, 404, 302],
        {"locale": "de"},
    ),
    row("contact-language", "get", "page", "get", "/contacts/{contact}/language/", [LOGIN, 405, 405, 405]),
    row(
        "contact-api",
        "set-language",
        "api",
        "patch",
        "/api/contacts/{contact}/",
        [401, 200, 404, 200],
        {"locale": "de"},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("kind", "method", "url", "data", "expected"), MATRIX)
def test_profile_access_matrix(client, world, role, kind, method, url, data, expected):
    url = url.format(contact=world.ticket.requester_id)
    if kind == "page":
        caller = page_client(client, world, role)
        response = caller.post(url, data or {}) if method == "post" else getattr(caller, method)(url)
    else:
        caller = api_client(world, role)
        response = (
            getattr(caller, method)(url, data, format="json") if data is not None else getattr(caller, method)(url)
        )
    expect(response, expected[role])


@pytest.mark.parametrize("role", ROLES)
def test_a_profile_write_changes_only_the_callers_own(client, world, role):
    page_client(client, world, role).post("/profile/", {"language": "de", "time_zone": "Europe/Berlin"})
    api_client(world, role).patch("/api/profile/", {"time_zone": "Asia/Tokyo"}, format="json")
    saved = dict(AgentProfile.objects.values_list("user__username", "time_zone"))
    if role == "anonymous":
        assert saved == {}
    else:
        assert saved == {world.users[role].username: "Asia/Tokyo"}


@pytest.mark.parametrize("role", ROLES)
def test_a_refused_contact_language_write_changes_nothing(client, world, role):
    contact = world.ticket.requester
    page_client(client, world, role).post(f"/contacts/{contact.pk}/language/", {"locale": "de"})
    api_client(world, role).patch(f"/api/contacts/{contact.pk}/", {"locale": "en"}, format="json")
    contact.refresh_from_db()
    expected = {"anonymous": "", "agent_outside_group": "", "agent_in_group": "en", "admin": "en"}[role]
    assert contact.locale == expected


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_the_profile_api_never_shows_another_agents_choice(world, role):
    others = [user for r, user in world.users.items() if r != role]
    for user in others:
        AgentProfile.objects.create(user=user, language="de", time_zone="Europe/Berlin")
    assert api_client(world, role).get("/api/profile/").json()["language"] == ""
