"""The rules page (/rules/) for admins: readable sentences, activation toggles and ordering by POST; the admin's
validated JSON editing; agents get 403."""

import re

import pytest
from django.test import Client
from django_q.models import Schedule

from automations.models import Automation, Trigger
from tests.automations.conftest import act, cond
from tests.factories import ContactFactory, GroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def rules(make_trigger, make_automation, agent):
    support = GroupFactory(name="Support")
    first = make_trigger(
        "Auto-reply",
        [cond("update_type", "is", "Create"), cond("via", "is", "whatsapp"), cond("role", "is", "end_user")],
        [act("notification_user", ["requester_id", "Hi", "Thanks for your message! Ticket #{{ticket.id}}"])],
        description="Says hello",
    )
    second = make_trigger(
        "Route VIPs",
        {
            "all": [cond("current_tags", "includes", "vip gold"), cond("group_id", "is", "")],
            "any": [cond("priority", "greater_than", "normal"), cond("assignee_id", "is", agent.pk)],
        },
        [act("group_id", support.pk), act("assignee_id", agent.pk), act("current_tags", "routed")],
    )
    closing = make_automation(
        "Close solved",
        [cond("status", "is", "solved"), cond("hours_since_solved", "greater_than", 96)],
        [act("status", "closed")],
    )
    return first, second, closing


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_admins_see_rules_as_sentences(admin_client, rules, agent):
    response = admin_client.get("/rules/")
    assert response.status_code == 200
    text = text_of(response)
    assert (
        "When the ticket is created, and channel is WhatsApp, and the update is by an end user, then: "
        "notify the requester (on WhatsApp for WhatsApp tickets, else by e-mail): "
        "“Thanks for your message! Ticket #{{ticket.id}}”"
    ) in text
    assert (
        "When tags contain at least one of: vip, gold, and group is no group, and at least one of: "
        "priority is after normal (low &lt; normal &lt; high &lt; urgent); or assignee is Alice Agent, then:"
    ) in text
    assert "set group to Support" in text and "assign to Alice Agent" in text and "add tags routed" in text
    assert (
        "Every hour, for tickets where status is solved, and hours since solved is greater than 96, then: "
        "set status to closed"
    ) in text
    assert "Says hello" in text


def test_agents_get_403_and_anonymous_users_the_login_page(client, agent_client, rules):
    assert agent_client.get("/rules/").status_code == 403
    trigger = rules[0]
    assert agent_client.post(f"/rules/triggers/{trigger.pk}/toggle/", {"active": "false"}).status_code == 403
    assert agent_client.post(f"/rules/triggers/{trigger.pk}/move/", {"direction": "down"}).status_code == 403
    trigger.refresh_from_db()
    assert trigger.active and trigger.position == 0
    anonymous = Client().get("/rules/")
    assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")


def test_toggle_deactivates_and_activates(admin_client, rules):
    trigger = rules[0]
    response = admin_client.post(f"/rules/triggers/{trigger.pk}/toggle/", {"active": "false"})
    assert response.status_code == 302 and response.url == f"/rules/#triggers-{trigger.pk}"
    trigger.refresh_from_db()
    assert not trigger.active
    page = admin_client.get("/rules/")
    assert "is now inactive" in text_of(page)
    admin_client.post(f"/rules/triggers/{trigger.pk}/toggle/", {"active": "true"})
    trigger.refresh_from_db()
    assert trigger.active


def test_move_up_and_down(admin_client, rules):
    _, second, _ = rules
    admin_client.post(f"/rules/triggers/{second.pk}/move/", {"direction": "up"})
    assert list(Trigger.objects.order_by("position").values_list("title", flat=True)) == ["Route VIPs", "Auto-reply"]
    admin_client.post(f"/rules/triggers/{second.pk}/move/", {"direction": "down"})
    assert list(Trigger.objects.order_by("position").values_list("title", flat=True)) == ["Auto-reply", "Route VIPs"]
    admin_client.post(f"/rules/triggers/{second.pk}/move/", {"direction": "down"})  # already last: no change
    assert list(Trigger.objects.order_by("position").values_list("position", flat=True)) == [0, 1]


def test_changes_need_post_and_csrf(admin_user, rules):
    trigger = rules[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.get(f"/rules/triggers/{trigger.pk}/toggle/").status_code == 405
    assert client.post(f"/rules/triggers/{trigger.pk}/toggle/", {"active": "false"}).status_code == 403
    trigger.refresh_from_db()
    assert trigger.active
    page = client.get("/rules/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(f"/rules/triggers/{trigger.pk}/toggle/", {"active": "false", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    trigger.refresh_from_db()
    assert not trigger.active


def test_unknown_kind_or_rule_is_404(admin_client, rules):
    assert admin_client.post("/rules/macros/1/toggle/", {"active": "true"}).status_code == 404
    assert admin_client.post("/rules/triggers/999999/move/", {"direction": "up"}).status_code == 404


def test_page_queries_do_not_grow_with_the_rules(admin_client, rules, make_trigger, django_assert_max_num_queries):
    admin_client.get("/rules/")
    for i in range(30):
        make_trigger(f"More {i}", [cond("requester_id", "is", ContactFactory().pk)], [act("priority", "high")])
    with django_assert_max_num_queries(10):  # session, user, two lists, names of users, groups, contacts
        response = admin_client.get("/rules/")
    assert response.status_code == 200


# --- Admin ---------------------------------------------------------------------------------------------------------


def test_admin_validates_the_json(admin_client):
    response = admin_client.post(
        "/admin/automations/automation/add/",
        {
            "title": "Bad",
            "description": "",
            "active": "on",
            "position": "",
            "conditions": '{"all": [{"field": "status", "operator": "is", "value": "solved"}]}',
            "actions": '[{"field": "status", "value": "closed"}]',
        },
    )
    assert response.status_code == 200
    assert "an automation needs a time condition" in response.content.decode()
    assert not Automation.objects.exists()


def test_admin_saves_through_the_services(admin_client, admin_user):
    response = admin_client.post(
        "/admin/automations/trigger/add/",
        {
            "title": "  From admin  ",
            "description": "",
            "active": "on",
            "position": "",
            "conditions": '{"all": [{"field": "status", "operator": "is", "value": "OPEN"}]}',
            "actions": '[{"field": "priority", "value": "high"}]',
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    trigger = Trigger.objects.get()
    assert trigger.title == "From admin" and trigger.created_by == admin_user
    assert trigger.conditions == {"all": [{"field": "status", "operator": "is", "value": "open"}], "any": []}


def test_admin_lists_rules_and_the_schedule(admin_client, rules):
    assert "Close solved" in admin_client.get("/admin/automations/automation/").content.decode()
    assert "Auto-reply" in admin_client.get("/admin/automations/trigger/").content.decode()
    assert admin_client.get("/admin/automations/automationfiring/").status_code == 200
    schedule = Schedule.objects.get(name="automations-hourly")
    assert "automations-hourly" in admin_client.get("/admin/django_q/schedule/").content.decode()
    assert admin_client.get(f"/admin/django_q/schedule/{schedule.pk}/change/").status_code == 200
