"""`/api/macros/` and `/api/tickets/{id}/macros/{macro_id}/apply/`."""

import pytest

from macros.models import Macro
from tests.factories import ContactFactory, TicketFactory, group_with
from tests.macros.macro_factories import MacroFactory
from tickets.models import Comment, Event, Ticket

pytestmark = pytest.mark.django_db

CLOSE_AND_THANK = [
    {"field": "status", "value": "solved"},
    {"field": "comment_value", "value": ["channel:all", "Thanks {{ticket.requester.first_name}}!"]},
]
KEYS = {
    "id",
    "title",
    "category_path",
    "description",
    "active",
    "availability",
    "owner_id",
    "group_ids",
    "actions",
    "position",
    "usage_count",
    "last_used_at",
    "created_at",
    "updated_at",
}


def apply_url(ticket_id, macro_id) -> str:
    return f"/api/tickets/{ticket_id}/macros/{macro_id}/apply/"


# --- Auth -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/macros/", "/api/macros/1/", "/api/tickets/1/macros/1/apply/"])
def test_no_credentials_is_401(api_client, path):
    assert api_client.get(path).status_code == 401
    assert api_client.post(path, {}, format="json").status_code in (401, 405)


# --- CRUD -----------------------------------------------------------------------------------------------------


def test_admin_creates_reads_updates_and_deletes(admin_api, agent):
    group = group_with(agent)
    response = admin_api.post(
        "/api/macros/",
        {
            "title": "Billing::Refund issued",
            "description": "Refund done",
            "availability": "groups",
            "group_ids": [group.pk],
            "actions": CLOSE_AND_THANK,
            "position": 3,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == KEYS
    assert body["category_path"] == ["Billing", "Refund issued"]
    assert (body["availability"], body["group_ids"], body["owner_id"], body["usage_count"]) == (
        "groups",
        [group.pk],
        None,
        0,
    )
    assert body["actions"] == CLOSE_AND_THANK
    url = f"/api/macros/{body['id']}/"
    assert admin_api.get(url).json()["title"] == "Billing::Refund issued"
    patched = admin_api.patch(url, {"active": False, "availability": "everyone"}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["active"], patched.json()["group_ids"], patched.json()["title"]) == (
        False,
        [],
        "Billing::Refund issued",
    )
    assert admin_api.put(url, {"title": "x", "actions": CLOSE_AND_THANK}, format="json").status_code == 405
    assert admin_api.delete(url).status_code == 204
    assert not Macro.objects.exists()


def test_contract_minimum_shape(admin_api):
    response = admin_api.post(
        "/api/macros/",
        {"title": "Close", "active": True, "actions": [{"field": "status", "value": "solved"}]},
        format="json",
    )
    assert response.status_code == 201
    assert {"title": "Close", "active": True, "actions": [{"field": "status", "value": "solved"}]}.items() <= (
        response.json().items()
    )


def test_agent_creates_a_personal_macro_but_not_a_shared_one(agent_api, agent):
    response = agent_api.post("/api/macros/", {"title": "Mine", "actions": CLOSE_AND_THANK}, format="json")
    assert response.status_code == 201
    assert (response.json()["availability"], response.json()["owner_id"]) == ("personal", agent.pk)
    shared = agent_api.post(
        "/api/macros/", {"title": "Shared", "availability": "everyone", "actions": CLOSE_AND_THANK}, format="json"
    )
    assert shared.status_code == 403
    assert "admins" in shared.json()["detail"]
    assert Macro.objects.count() == 1


def test_agent_changes_and_deletes_their_own_personal_macro(agent_api, agent):
    mine = MacroFactory(title="Mine", availability="personal", owner=agent)
    response = agent_api.patch(
        f"/api/macros/{mine.pk}/", {"title": "Mine::Renamed", "actions": CLOSE_AND_THANK}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["category_path"]) == ("Mine::Renamed", ["Mine", "Renamed"])
    bad = agent_api.patch(f"/api/macros/{mine.pk}/", {"actions": [{"field": "type", "value": "bug"}]}, format="json")
    assert bad.status_code == 400 and bad.json()["actions"][0].startswith("Action 1 (type): 'bug'")
    assert agent_api.patch(f"/api/macros/{mine.pk}/", {"availability": "everyone"}, format="json").status_code == 403
    assert agent_api.delete(f"/api/macros/{mine.pk}/").status_code == 204


def test_agent_cannot_change_shared_or_see_others_personal_macros(agent_api, other_agent):
    shared = MacroFactory(title="Shared")
    theirs = MacroFactory(title="Theirs", availability="personal", owner=other_agent)
    assert agent_api.get(f"/api/macros/{shared.pk}/").status_code == 200
    assert agent_api.patch(f"/api/macros/{shared.pk}/", {"title": "x"}, format="json").status_code == 403
    assert agent_api.delete(f"/api/macros/{shared.pk}/").status_code == 403
    for method in ("get", "patch", "delete"):
        assert getattr(agent_api, method)(f"/api/macros/{theirs.pk}/").status_code == 404
    assert agent_api.get("/api/macros/999999/").status_code == 404
    assert agent_api.get(f"/api/macros/{2**70}/").status_code == 404
    assert Macro.objects.get(pk=shared.pk).title == "Shared"


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"actions": CLOSE_AND_THANK}, "title", None),
        ({"title": "x"}, "actions", None),
        ({"title": "x", "actions": "status"}, "actions", None),
        ({"title": "x", "actions": []}, "actions", "A macro needs at least one action."),
        (
            {"title": "x", "actions": [{"field": "statuz", "value": "open"}]},
            "actions",
            "Action 1: unknown field 'statuz'.",
        ),
        (
            {"title": "x", "actions": [{"field": "status", "value": "solvd"}]},
            "actions",
            "Action 1 (status): 'solvd' is not a valid status (open, pending, hold, solved).",
        ),
        (
            {"title": "x", "actions": [{"field": "comment_value", "value": "Hi {{ticket.requester.nickname}}"}]},
            "actions",
            "Action 1 (comment_value): unknown placeholder {{ticket.requester.nickname}}.",
        ),
        (
            {"title": "x", "actions": [{"field": "notification_user", "value": ["requester_id", "s", "b"]}]},
            "actions",
            "Action 1 (notification_user): notification_user is for triggers and automations; "
            "a macro can reply with comment_value.",
        ),
        (
            {"title": "x", "actions": [{"field": "comment_value", "value": "&((template=[[x]]))&"}]},
            "actions",
            None,
        ),
        ({"title": "x", "availability": "groups", "actions": CLOSE_AND_THANK}, "group_ids", None),
        ({"title": "x", "availability": "nobody", "actions": CLOSE_AND_THANK}, "availability", None),
        ({"title": "x", "group_ids": [999999], "actions": CLOSE_AND_THANK}, "group_ids", None),
        ({"title": "x", "position": -1, "actions": CLOSE_AND_THANK}, "position", None),
    ],
)
def test_bad_input_is_400_with_reasons_and_writes_nothing(admin_api, payload, field, message):
    response = admin_api.post("/api/macros/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    if message:
        assert response.json()[field] == [message]
    assert not Macro.objects.exists()


def test_json_that_is_not_an_object_is_400(admin_api):
    assert admin_api.post("/api/macros/", [1, 2], format="json").status_code == 400


def test_list_filters_and_sorts(admin_api, agent_api, agent, other_agent):
    MacroFactory(title="B shared", usage_count=1, position=2)
    MacroFactory(title="A inactive", active=False, position=1)
    MacroFactory(title="Mine", availability="personal", owner=agent, usage_count=7)
    MacroFactory(title="Theirs", availability="personal", owner=other_agent)

    def titles(client, query=""):
        return [m["title"] for m in client.get(f"/api/macros/{query}").json()["results"]]

    assert titles(admin_api) == ["Mine", "Theirs", "A inactive", "B shared"]
    assert titles(agent_api) == ["Mine", "A inactive", "B shared"]
    assert titles(agent_api, "?active=true&sort=usage") == ["Mine", "B shared"]
    assert titles(agent_api, "?availability=personal") == ["Mine"]
    assert titles(agent_api, "?q=shared") == ["B shared"]
    assert agent_api.get("/api/macros/").json()["count"] == 3


@pytest.mark.parametrize("count", [3, 30])
def test_list_query_count_does_not_grow(agent_api, agent, count, django_assert_num_queries):
    groups = [group_with(agent) for _ in range(3)]
    for i in range(count):
        MacroFactory(title=f"Macro {i:02}", availability="groups", groups=groups)
    with django_assert_num_queries(3):  # count, page, groups
        response = agent_api.get("/api/macros/?page_size=100")
    assert len(response.json()["results"]) == count
    assert sorted(response.json()["results"][0]["group_ids"]) == sorted(g.pk for g in groups)


def test_schema_lists_the_macro_endpoints(agent_api):
    paths = agent_api.get("/api/schema/?format=json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/macros/"])
    assert {"get", "patch", "delete"} <= set(paths["/api/macros/{id}/"])
    assert "put" not in paths["/api/macros/{id}/"]
    assert {"get", "post"} <= set(paths["/api/tickets/{ticket_id}/macros/{macro_id}/apply/"])


# --- Apply ----------------------------------------------------------------------------------------------------


@pytest.fixture
def ticket():
    return TicketFactory(subject="Parcel late", requester=ContactFactory(name="Carla Souza", email=""), status="open")


def test_apply_changes_the_ticket_as_the_caller(agent_api, agent, ticket):
    macro = MacroFactory(title="Close and thank", actions=[*CLOSE_AND_THANK, {"field": "set_tags", "value": "a b"}])
    response = agent_api.post(apply_url(ticket.pk, macro.pk), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["ticket"]["id"], body["ticket"]["status"], body["ticket"]["tags"]) == (ticket.pk, "solved", ["a", "b"])
    assert body["comment"]["body"] == "Thanks Carla!"
    assert (body["comment"]["author_id"], body["comment"]["public"], body["comment"]["via"]) == (agent.pk, True, "api")
    event = Event.objects.get(ticket=ticket, type="macro.applied")
    assert (event.actor, event.data["macro_id"], event.data["title"]) == (agent, macro.pk, "Close and thank")
    assert Macro.objects.get(pk=macro.pk).usage_count == 1
    events = agent_api.get(f"/api/tickets/{ticket.pk}/events/").json()["results"]
    assert "macro.applied" in [e["type"] for e in events]


def test_apply_without_a_comment_returns_null(agent_api, ticket):
    macro = MacroFactory(actions=[{"field": "priority", "value": "urgent"}])
    body = agent_api.post(apply_url(ticket.pk, macro.pk)).json()
    assert body["ticket"]["priority"] == "urgent" and body["comment"] is None


def test_apply_may_move_the_ticket_out_of_sight_and_still_answers(agent_api, agent, other_agent, ticket):
    sales = group_with(other_agent)
    macro = MacroFactory(actions=[{"field": "group_id", "value": sales.pk}])
    response = agent_api.post(apply_url(ticket.pk, macro.pk))
    assert response.status_code == 200 and response.json()["ticket"]["group_id"] == sales.pk
    assert agent_api.get(f"/api/tickets/{ticket.pk}/").status_code == 404


def test_apply_404s(agent_api, other_agent, ticket):
    macro = MacroFactory()
    hidden = TicketFactory(group=group_with(other_agent))
    theirs = MacroFactory(availability="personal", owner=other_agent)
    inactive = MacroFactory(active=False)
    assert agent_api.post(apply_url(hidden.pk, macro.pk)).status_code == 404
    assert agent_api.post(apply_url(999999, macro.pk)).status_code == 404
    assert agent_api.post(apply_url(ticket.pk, theirs.pk)).status_code == 404
    assert agent_api.post(apply_url(ticket.pk, inactive.pk)).status_code == 404
    assert agent_api.post(apply_url(ticket.pk, 999999)).status_code == 404
    assert agent_api.post(apply_url(2**70, 2**70)).status_code == 404
    assert not Event.objects.filter(type="macro.applied").exists()


def test_apply_400_is_atomic(agent_api, agent, other_agent, ticket):
    ticket.group = group_with(agent)
    ticket.save()
    macro = MacroFactory(
        actions=[
            {"field": "status", "value": "solved"},
            {"field": "assignee_id", "value": other_agent.pk},
            {"field": "comment_value", "value": "never"},
        ]
    )
    response = agent_api.post(apply_url(ticket.pk, macro.pk))
    assert response.status_code == 400
    assert "assignee_id" in response.json()
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    assert not Comment.objects.exists() and not Event.objects.exists()
    assert Macro.objects.get(pk=macro.pk).usage_count == 0


def test_apply_to_a_closed_ticket_is_400(agent_api):
    closed = TicketFactory(status="closed")
    assert agent_api.post(apply_url(closed.pk, MacroFactory().pk)).status_code == 400


def test_get_apply_previews_without_changing(agent_api, agent, ticket):
    macro = MacroFactory(actions=CLOSE_AND_THANK)
    response = agent_api.get(apply_url(ticket.pk, macro.pk))
    assert response.status_code == 200
    assert response.json()["fields"] == {"status": "solved"}
    assert response.json()["comment"] == {"body": "Thanks Carla!", "public": True}
    assert Ticket.objects.get(pk=ticket.pk).status == "open" and not Event.objects.exists()
