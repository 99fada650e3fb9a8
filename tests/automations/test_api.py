"""`/api/triggers/` and `/api/automations/`: the contract's shape, admin-only writes, 400s that name the bad part,
and definitions pasted from Zendesk's public API examples."""

import pytest
from rest_framework.test import APIClient

from automations.models import Automation, Trigger
from tests.automations.conftest import act, cond
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

TRIGGER = {
    "title": "Roger Wilco",
    "conditions": {
        "all": [
            {"field": "status", "operator": "is", "value": "open"},
            {"field": "priority", "operator": "less_than", "value": "high"},
        ],
        "any": [],
    },
    "actions": [{"field": "priority", "value": "high"}],
}
AUTOMATION = {
    "title": "Close solved",
    "conditions": {
        "all": [
            {"field": "status", "operator": "is", "value": "solved"},
            {"field": "hours_since_solved", "operator": "greater_than", "value": "96"},
        ]
    },
    "actions": [{"field": "status", "value": "closed"}],
}


def errors_of(response) -> list[str]:
    return [message for messages in response.json().values() for message in messages]


# --- Shape and access --------------------------------------------------------------------------------------------


def test_admin_creates_a_trigger_in_the_contracts_shape(admin_api):
    response = admin_api.post("/api/triggers/", TRIGGER, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "title", "description", "active", "position", "conditions", "actions", "created_at",
                         "updated_at"}  # fmt: skip
    assert body["title"] == "Roger Wilco" and body["active"] is True and body["position"] == 0
    assert body["conditions"] == TRIGGER["conditions"]
    assert body["actions"] == TRIGGER["actions"]
    assert admin_api.get(f"/api/triggers/{body['id']}/").json() == body


def test_agents_read_but_may_not_write(agent_api, make_trigger, make_automation):
    trigger = make_trigger("T", [cond("status", "is", "open")], [act("priority", "high")])
    automation = make_automation("A", AUTOMATION["conditions"]["all"], AUTOMATION["actions"])
    assert agent_api.get("/api/triggers/").json()["count"] == 1
    assert agent_api.get(f"/api/automations/{automation.pk}/").status_code == 200
    assert agent_api.post("/api/triggers/", TRIGGER, format="json").status_code == 403
    assert agent_api.patch(f"/api/triggers/{trigger.pk}/", {"active": False}, format="json").status_code == 403
    assert agent_api.delete(f"/api/automations/{automation.pk}/").status_code == 403
    assert agent_api.post("/api/automations/", AUTOMATION, format="json").status_code == 403
    assert Trigger.objects.get().active


def test_anonymous_is_refused():
    assert APIClient().get("/api/triggers/").status_code == 401
    assert APIClient().post("/api/automations/", AUTOMATION, format="json").status_code == 401


def test_list_in_running_order_with_an_active_filter(admin_api, make_trigger):
    make_trigger("Second", [cond("status", "is", "open")], [act("priority", "high")], position=5)
    make_trigger("First", [cond("status", "is", "open")], [act("priority", "high")], position=1)
    make_trigger("Off", [cond("status", "is", "open")], [act("priority", "high")], position=0, active=False)
    titles = [r["title"] for r in admin_api.get("/api/triggers/").json()["results"]]
    assert titles == ["Off", "First", "Second"]
    active = [r["title"] for r in admin_api.get("/api/triggers/?active=true").json()["results"]]
    assert active == ["First", "Second"]


def test_new_rules_go_last_unless_placed(admin_api):
    first = admin_api.post("/api/triggers/", TRIGGER, format="json").json()
    second = admin_api.post("/api/triggers/", TRIGGER, format="json").json()
    placed = admin_api.post("/api/triggers/", {**TRIGGER, "position": 0}, format="json").json()
    assert (first["position"], second["position"], placed["position"]) == (0, 1, 0)


def test_patch_and_put_change_only_what_is_sent(admin_api):
    rule = admin_api.post("/api/triggers/", TRIGGER, format="json").json()
    response = admin_api.patch(f"/api/triggers/{rule['id']}/", {"active": False, "title": "Renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["conditions"] == TRIGGER["conditions"] and response.json()["active"] is False
    put = admin_api.put(f"/api/triggers/{rule['id']}/", {"trigger": {"actions": [{"field": "priority", "value": "urgent"}]}},
                        format="json")  # fmt: skip
    assert put.status_code == 200 and put.json()["title"] == "Renamed"
    assert put.json()["actions"] == [{"field": "priority", "value": "urgent"}]


def test_delete(admin_api):
    rule = admin_api.post("/api/automations/", AUTOMATION, format="json").json()
    assert admin_api.delete(f"/api/automations/{rule['id']}/").status_code == 204
    assert admin_api.get(f"/api/automations/{rule['id']}/").status_code == 404
    assert not Automation.objects.exists()


# --- Validation: 400 naming the part -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"conditions": {"all": [{"field": "status", "operator": "is", "value": "open"},
                                 {"field": "status", "operator": "greater", "value": "open"}]}},
         "conditions", "conditions.all[1]: unknown operator 'greater' for field 'status'"),
        ({"conditions": {"all": [], "any": [{"field": "priority", "operator": "is", "value": "meh"}]}},
         "conditions", "conditions.any[0]: 'meh' is not a valid priority"),
        ({"conditions": {"all": [{"field": "hours_since_created", "operator": "is", "value": 1}]}},
         "conditions", "conditions.all[0]: 'hours_since_created' is a time condition: only automations have them."),
        ({"actions": [{"field": "priority", "value": "high"}, {"field": "statuz", "value": "open"}]},
         "actions", "Action 2: unknown field 'statuz'."),
        ({"actions": [{"field": "status", "value": "deleted"}]}, "actions", "Action 1 (status): 'deleted' is not a valid status"),
        ({"actions": []}, "actions", "actions: a trigger needs at least one action."),
        ({"conditions": {"all": []}}, "conditions", "conditions: a trigger needs at least one condition."),
        ({"conditions": {"all": [{"field": "group_id", "operator": "is", "value": "999999"}]}},
         "conditions", "conditions.all[0]: group 999999 does not exist."),
        ({"actions": [{"field": "group_id", "value": "999999"}]}, "actions", "group 999999 does not exist"),
        ({"title": ""}, "title", "blank"),
    ],
)  # fmt: skip
def test_invalid_trigger_is_a_400_naming_the_part(admin_api, change, key, message):
    response = admin_api.post("/api/triggers/", {**TRIGGER, **change}, format="json")
    assert response.status_code == 400, response.content
    assert any(message in m for m in response.json()[key]), response.json()
    assert not Trigger.objects.exists()


@pytest.mark.parametrize(
    ("conditions", "actions", "message"),
    [
        ([{"field": "status", "operator": "is", "value": "solved"}], [{"field": "status", "value": "closed"}],
         "conditions.all: an automation needs a time condition"),
        ([{"field": "status", "operator": "is", "value": "solved"},
          {"field": "hours_since_solved", "operator": "greater_than", "value": 96}],
         [{"field": "priority", "value": "low"}], "an automation must stop matching once it has acted"),
        ([{"field": "update_type", "operator": "is", "value": "Create"},
          {"field": "hours_since_created", "operator": "is", "value": 1}],
         [{"field": "priority", "value": "low"}], "only triggers have it"),
        ([{"field": "hours_since_created", "operator": "is", "value": 1}],
         [{"field": "assignee_id", "value": "current_user"}], "automations run without one"),
    ],
)  # fmt: skip
def test_invalid_automation_is_a_400(admin_api, conditions, actions, message):
    response = admin_api.post(
        "/api/automations/", {"title": "A", "conditions": {"all": conditions}, "actions": actions}, format="json"
    )
    assert response.status_code == 400
    assert any(message in m for m in errors_of(response)), response.json()


SHORTHAND = "&((template=[[ticket_followup]] language=[[en_US]]))&"


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("actions", {"actions": [{"field": "notification_user", "value": ["requester_id", "s", SHORTHAND]}]}),
        ("actions", {"actions": [{"field": "comment_value", "value": f"Hi {SHORTHAND}"}]}),
        ("title", {"title": f"Send {SHORTHAND}"}),
        ("description", {"description": SHORTHAND}),
        ("conditions", {"conditions": {"all": [{"field": "comment_includes_word", "operator": "is", "value": SHORTHAND}]}}),
    ],
)  # fmt: skip
def test_template_shorthand_anywhere_is_refused(admin_api, where, change):
    response = admin_api.post("/api/triggers/", {**TRIGGER, **change}, format="json")
    assert response.status_code == 400
    assert any("template" in m for m in response.json()[where]), response.json()


def test_shorthand_is_refused_in_automations_and_on_update(admin_api):
    rule = admin_api.post("/api/automations/", AUTOMATION, format="json").json()
    response = admin_api.patch(
        f"/api/automations/{rule['id']}/",
        {
            "actions": [
                *AUTOMATION["actions"],
                {"field": "notification_user", "value": ["requester_id", "s", SHORTHAND]},
            ]
        },
        format="json",
    )
    assert response.status_code == 400 and "template" in " ".join(errors_of(response))


# --- Zendesk's public API examples ---------------------------------------------------------------------------------


def test_zendesk_create_trigger_example_is_accepted(admin_api):
    group = GroupFactory()
    body = {
        "trigger": {
            "title": "Roger Wilco",
            "conditions": {
                "all": [
                    {"field": "status", "operator": "less_than", "value": "solved"},
                    {"field": "update_type", "operator": "is", "value": "Create"},
                    {"field": "current_tags", "operator": "includes", "value": "vip urgent"},
                ],
                "any": [],
            },
            "actions": [
                {"field": "group_id", "value": str(group.pk)},
                {"field": "notification_user", "value": ["requester_id", "Subject", "Body {{ticket.id}}"]},
            ],
        }
    }
    response = admin_api.post("/api/triggers/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["conditions"]["all"][2] == {
        "field": "current_tags",
        "operator": "includes",
        "value": "vip urgent",
    }
    assert response.json()["actions"][0] == {"field": "group_id", "value": group.pk}


def test_zendesk_request_form_with_top_level_all_and_any(admin_api):
    agent = UserFactory()
    body = {
        "trigger": {
            "title": "Zendesk form",
            "all": [
                {"field": "status", "operator": "less_than", "value": "solved"},
                {"field": "assignee_id", "operator": "is", "value": str(agent.pk)},
            ],
            "any": [{"field": "current_tags", "operator": "includes", "value": "hello"}],
            "actions": [{"field": "priority", "value": "high"}],
        }
    }
    response = admin_api.post("/api/triggers/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["conditions"] == {
        "all": [
            {"field": "status", "operator": "less_than", "value": "solved"},
            {"field": "assignee_id", "operator": "is", "value": agent.pk},
        ],
        "any": [{"field": "current_tags", "operator": "includes", "value": "hello"}],
    }
    changed = admin_api.patch(
        f"/api/triggers/{response.json()['id']}/", {"any": [{"field": "priority", "operator": "is", "value": "urgent"}]},
        format="json",
    )  # fmt: skip
    assert changed.json()["conditions"]["all"] == response.json()["conditions"]["all"]  # kept
    assert changed.json()["conditions"]["any"] == [{"field": "priority", "operator": "is", "value": "urgent"}]


def test_zendesk_automation_example_with_zendesk_time_fields(admin_api):
    body = {
        "automation": {
            "title": "Roger Wilco",
            "all": [
                {"field": "status", "operator": "is", "value": "open"},
                {"field": "priority", "operator": "less_than", "value": "high"},
                {"field": "NEW", "operator": "greater_than", "value": "24"},
            ],
            "actions": [{"field": "priority", "value": "high"}],
        }
    }
    response = admin_api.post("/api/automations/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["conditions"]["all"][2] == {
        "field": "hours_since_created",
        "operator": "greater_than",
        "value": 24,
    }


def test_a_zendesk_get_response_pasted_back_is_accepted(admin_api):
    """Keys of Zendesk's responses that mean nothing here are ignored; omitted operators are Zendesk's own."""
    body = {
        "url": "https://example.zendesk.com/api/v2/triggers/25.json",
        "id": 25,
        "title": "Notify requester of comment update",
        "raw_title": "Notify requester of comment update",
        "active": True,
        "default": False,
        "category_id": "10026",
        "position": 8,
        "description": "Notifies requester that a comment was updated",
        "conditions": {
            "all": [
                {"field": "update_type", "value": "Change"},
                {"field": "comment_is_public", "value": "true"},
                {"field": "status", "operator": "value", "value": "open"},
            ],
            "any": [],
        },
        "actions": [
            {"field": "notification_user", "value": ["requester_id", "[{{ticket.id}}] ", "{{ticket.title}}"]},
        ],
        "created_at": "2012-09-25T22:50:26Z",
        "updated_at": "2012-09-25T22:50:26Z",
    }
    response = admin_api.post("/api/triggers/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["position"] == 8
    assert response.json()["conditions"]["all"][0] == {"field": "update_type", "operator": "is", "value": "Change"}


def test_via_id_of_a_channel_we_do_not_have_is_refused_clearly(admin_api):
    body = {**TRIGGER, "conditions": {"all": [{"field": "via_id", "operator": "is", "value": 29}]}}
    response = admin_api.post("/api/triggers/", body, format="json")
    assert response.status_code == 400
    assert "via_id 29 is not a channel SupportDesk has" in response.json()["conditions"][0]
    ok = admin_api.post("/api/triggers/", {**TRIGGER, "conditions": {"all": [{"field": "via_id", "operator": "is",
                                                                               "value": 74}]}}, format="json")  # fmt: skip
    assert ok.json()["conditions"]["all"] == [{"field": "via", "operator": "is", "value": "whatsapp"}]


def test_schema_documents_the_rules(admin_api):
    schema = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/triggers/" in schema and "/api/automations/{id}/" in schema


def test_every_bad_part_is_named_at_once():
    from automations import rules
    from tickets.errors import DomainError

    with pytest.raises(DomainError) as error:
        rules.definition_clean(
            kind="trigger",
            title="  ",
            conditions={"all": [{"field": "status", "operator": "greater", "value": "open"}]},
            actions=[{"field": "statuz", "value": "x"}],
        )
    assert set(error.value.errors) == {"title", "conditions", "actions"}
