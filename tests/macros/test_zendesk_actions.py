"""Actions and placeholders added for Zendesk's rules and macros, and the refusals that name a missing feature."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from macros.actions import plan as action_steps
from macros.actions.validate import validate_actions
from tests.factories import CommentFactory, ContactFactory, TicketFactory, UserFactory, group_with
from tickets.errors import DomainError
from tickets.models import Ticket, TicketTag

pytestmark = pytest.mark.django_db


def act(field, value):
    return {"field": field, "value": value}


def errors(actions, kind="trigger") -> list[str]:
    with pytest.raises(DomainError) as error:
        validate_actions(actions, kind=kind)
    return error.value.errors["actions"]


def run(actions, ticket, user=None, kind="trigger"):
    action_plan = action_steps.plan(actions, ticket=ticket, current_user=user, kind=kind)
    return action_steps.apply(action_plan, ticket=ticket, actor=user, source="macro"), action_plan


def test_reply_public_and_reply_internal_add_a_comment(agent):
    ticket = TicketFactory(requester=ContactFactory(name="Carla Cliente"))
    run([act("reply_internal", {"body": "Checked {{ticket.requester.first_name}}'s card"})], ticket, agent)
    note = ticket.comments.get()
    assert note.body == "Checked Carla's card" and note.public is False
    run([act("reply_public", ["channel:all", "Hi {{ticket.requester.first_name}}"])], ticket, agent)
    reply = ticket.comments.order_by("-id").first()
    assert reply.body == "Hi Carla" and reply.public is True
    run([act("reply_public", {"html_body": "<p>Done</p><p>Bye</p>"})], ticket, agent)
    assert ticket.comments.order_by("-id").first().body == "Done\n\nBye"
    assert 'has no "body" or "html_body" text' in errors([act("reply_public", {"text": "x"})])[0]


def test_follower_adds_the_agent_once(agent, other_agent):
    ticket = TicketFactory()
    run([act("follower", "current_user"), act("follower", other_agent.pk), act("follower", agent.pk)], ticket, agent)
    assert set(ticket.followers.all()) == {agent, other_agent}
    assert "automations run without one" in errors([act("follower", "current_user")], kind="automation")[0]
    assert "is not a user id" in errors([act("follower", "someone")])[0]


def test_current_groups_keeps_the_tickets_group_when_the_agent_is_in_it(agent):
    first, second = group_with(agent, name="A first"), group_with(agent, name="B second")
    ticket = TicketFactory(group=second)
    _, action_plan = run([act("group_id", "current_groups")], ticket, agent)
    assert action_plan.changes["group"] == second
    other = TicketFactory()
    run([act("group_id", "current_groups")], other, agent)
    assert Ticket.objects.get(pk=other.pk).group == first
    _, nobody = run([act("group_id", "current_groups")], TicketFactory(), None)
    assert "group" not in nobody.changes  # nobody updating: nothing to set


def test_status_new_only_keeps_a_new_ticket_new(agent):
    new = TicketFactory(status="new")
    _, action_plan = run([act("status", "new"), act("comment_value", "Thanks, received")], new, None)
    assert Ticket.objects.get(pk=new.pk).status == "new"
    open_ticket = TicketFactory(status="open")
    _, action_plan = run([act("status", "new")], open_ticket, None)
    assert "status" not in action_plan.changes


def test_all_agents_and_requester_and_ccs_recipients(agent, other_agent):
    inactive = UserFactory(is_active=False)
    ticket = TicketFactory(requester=ContactFactory(email="carla@example.com"))
    ticket.email_ccs.add(ContactFactory(email="cesar@example.com"), ticket.requester)
    action_plan = action_steps.plan(
        [act("notification_user", ["all_agents", "s", "b"]), act("notification_user", ["requester_and_ccs", "s", "b"])],
        ticket=ticket,
        kind="trigger",
    )
    users = [n.user for n in action_plan.notifications if n.user is not None]
    assert agent in users and other_agent in users and inactive not in users
    contacts = [(n.contact.email, n.cc) for n in action_plan.notifications if n.contact is not None]
    assert contacts == [("carla@example.com", False), ("cesar@example.com", True)]  # the requester once


def test_comment_placeholders_hide_internal_notes_from_customers(agent):
    ticket = TicketFactory()
    CommentFactory(ticket=ticket, author_user=agent, body="first public", public=True)
    CommentFactory(ticket=ticket, author_user=agent, body="internal <b>note</b>", public=False)
    TicketTag.objects.create(ticket=ticket, name="vip")
    ticket.email_ccs.add(ContactFactory(name="Cesar"))
    action_plan = action_steps.plan(
        [
            act("notification_user", ["requester_id", "s", "{{ticket.latest_comment}}|{{ticket.comments_formatted}}"]),
            act(
                "notification_user",
                [agent.pk, "s", "{{ticket.latest_comment_html}}|{{ticket.tags}}|{{ticket.cc_names}}"],
            ),
            act("comment_value", "{{ticket.description}} / {{ticket.latest_public_comment}}"),
        ],
        ticket=ticket,
        kind=None,
    )
    to_customer, to_agent = action_plan.notifications
    assert to_customer.body.startswith("first public|Alice Agent, ")
    assert "internal" not in to_customer.body
    assert to_agent.body.startswith('<div class="zd-comment"><p><strong>Alice Agent</strong>')
    assert "internal &lt;b&gt;note&lt;/b&gt;" in to_agent.body and to_agent.body.endswith("|vip|Cesar")
    assert action_plan.comment.body == "first public / first public"


def test_unknown_placeholders_and_missing_features_are_refused_by_name():
    problems = errors(
        [act("comment_value", "{{ticket.organization.name}} {{satisfaction.rating_url}} {{ticket.nope}}")]
    )
    assert any("{{ticket.organization.name}} needs organizations" in p for p in problems)
    assert any("{{satisfaction.rating_url}} needs satisfaction ratings" in p for p in problems)
    assert any("unknown placeholder {{ticket.nope}}" in p for p in problems)


@pytest.mark.parametrize(
    ("field", "feature"),
    [("ticket_form_id", "ticket forms"), ("brand_id", "brands"), ("satisfaction_score", "satisfaction"),
     ("side_conversation", "side conversations"), ("organization_id", "organizations")],
)  # fmt: skip
def test_actions_of_missing_features_are_refused_by_name(field, feature):
    (problem,) = errors([act(field, "1")])
    assert f"'{field}' is a Zendesk action SupportDesk does not have" in problem and feature in problem


def test_a_webhook_and_a_ticket_field_must_exist():
    assert "webhook 1 does not exist" in errors([act("notification_webhook", ["1", "{}"])])[0]
    assert "custom_fields_12" in errors([act("custom_fields_12", "x")])[0]


def test_one_400_names_every_problem_at_once(admin_user):
    api = APIClient()
    api.force_authenticate(admin_user)
    body = {
        "trigger": {
            "title": None,
            "description": None,
            "conditions": {"all": [{"field": "brand_id", "operator": "is", "value": 1}], "any": []},
            "actions": [{"field": "satisfaction_score", "value": "offered"}],
        }
    }
    response = api.post("/api/triggers/", body, format="json")
    assert response.status_code == 400
    problems = response.json()
    assert set(problems) == {"title", "conditions", "actions"}
    assert "brands" in problems["conditions"][0] and "satisfaction" in problems["actions"][0]
    macro = {"macro": {"title": "", "description": None, "actions": [{"field": "ticket_form_id", "value": 1}]}}
    response = api.post("/api/macros/", macro, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"title", "actions"}


def test_requester_and_ccs_e_mails_ccs_of_a_whatsapp_ticket(agent, django_capture_on_commit_callbacks):
    """On a WhatsApp ticket the requester is written to on WhatsApp (outside the window: kept failed) while CCs,
    who have no WhatsApp conversation, get an e-mail."""
    from automations import rules
    from tests.factories import WhatsAppContactFactory
    from tickets import services as ticket_services

    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    rules.rule_create(
        kind="trigger", actor=admin, title="Tell them",
        conditions={"all": [{"field": "priority", "operator": "value", "value": "urgent"}]},
        actions=[act("notification_user", ["requester_and_ccs", "Update", "Urgent now"])],
    )  # fmt: skip
    ticket = TicketFactory(requester=WhatsAppContactFactory(), via="whatsapp")
    ticket.email_ccs.add(ContactFactory(email="cesar@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"priority": "urgent"})
    assert [m.to for m in mail.outbox] == [["cesar@example.com"]]
    assert mail.outbox[0].body == "Urgent now"
