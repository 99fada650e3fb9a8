"""The `notification_webhook` action `[webhook_id, body]`: checked when a rule is saved, fired from triggers and
automations end to end (ticket update -> task -> a real HTTP request with the rendered body), refused in macros."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from automations import rules, sweep
from automations.webhooks.models import WebhookInvocation
from macros import definitions as macro_definitions
from tests.automations.conftest import act, cond
from tests.factories import ContactFactory, TicketFactory
from tickets import services as ticket_services
from tickets.errors import DomainError
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

BODY = '{"id": {{ticket.id}}, "title": "{{ticket.title}}", "requester": "{{ticket.requester.name}}"}'


def test_a_trigger_calls_the_webhook_with_the_rendered_body(
    receiver, make_webhook, make_trigger, agent, django_capture_on_commit_callbacks
):
    webhook = make_webhook(f"{receiver.url}/tickets", http_method="PUT")
    trigger = make_trigger(
        "Tell the shop", [cond("priority", "is", "urgent")], [act("notification_webhook", [webhook.pk, BODY])]
    )
    requester = ContactFactory(name='Ann "the" \\ Admin')
    ticket = TicketFactory(subject='Refund "now"\nplease', requester=requester, priority="normal")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"priority": "urgent"})
    (request,) = receiver.requests
    assert request.method == "PUT" and request.path == "/tickets"
    assert request.headers["Content-Type"].startswith("application/json")
    assert json.loads(request.body) == {
        "id": ticket.pk,
        "title": 'Refund "now"\nplease',
        "requester": 'Ann "the" \\ Admin',
    }
    invocation = WebhookInvocation.objects.get()
    assert (invocation.ticket_id, invocation.source, invocation.rule_id) == (ticket.pk, "trigger", trigger.pk)
    assert invocation.state == "succeeded"
    assert request.headers["X-Zendesk-Webhook-Invocation-Id"] == str(invocation.pk)


def test_nothing_is_sent_before_commit(receiver, make_webhook, make_trigger, agent, django_capture_on_commit_callbacks):
    webhook = make_webhook(f"{receiver.url}/t")
    make_trigger("Hook", [cond("priority", "is", "urgent")], [act("notification_webhook", [str(webhook.pk), "{}"])])
    ticket = TicketFactory(priority="normal")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"priority": "urgent"})
    assert receiver.requests == [] and len(callbacks) >= 1
    assert WebhookInvocation.objects.get().state == "queued"


def test_an_xml_body_gets_xml_escaped_values(
    receiver, make_webhook, make_trigger, agent, django_capture_on_commit_callbacks
):
    webhook = make_webhook(f"{receiver.url}/x", request_format="xml")
    body = "<ticket><title>{{ticket.title}}</title></ticket>"
    make_trigger("Hook", [cond("priority", "is", "urgent")], [act("notification_webhook", [webhook.pk, body])])
    ticket = TicketFactory(subject="<b>Tom & Jerry</b>", priority="normal")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"priority": "urgent"})
    (request,) = receiver.requests
    assert request.body == b"<ticket><title>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</title></ticket>"
    assert request.headers["Content-Type"].startswith("application/xml")


def test_a_get_webhook_sends_the_pairs_as_query_parameters(
    receiver, make_webhook, make_trigger, agent, django_capture_on_commit_callbacks
):
    webhook = make_webhook(f"{receiver.url}/q", http_method="GET")
    body = '[["ticket", "{{ticket.id}}"], ["title", "{{ticket.title}}"]]'
    make_trigger("Hook", [cond("priority", "is", "urgent")], [act("notification_webhook", [webhook.pk, body])])
    ticket = TicketFactory(subject='A&B "x"', priority="normal")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"priority": "urgent"})
    (request,) = receiver.requests
    assert request.path == f"/q?ticket={ticket.pk}&title=A%26B+%22x%22"


def test_an_inactive_webhook_is_not_called(
    receiver, make_webhook, make_trigger, agent, django_capture_on_commit_callbacks
):
    webhook = make_webhook(f"{receiver.url}/t", status="inactive")
    make_trigger("Hook", [cond("priority", "is", "urgent")], [act("notification_webhook", [webhook.pk, "{}"])])
    ticket = TicketFactory(priority="normal")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"priority": "urgent"})
    assert receiver.requests == [] and not WebhookInvocation.objects.exists()


def test_an_automation_calls_the_webhook(receiver, make_webhook, make_automation, django_capture_on_commit_callbacks):
    webhook = make_webhook(f"{receiver.url}/auto")
    make_automation(
        "Pending too long",
        [cond("status", "is", "pending"), cond("hours_since_updated", "greater_than", 48)],
        [act("status", "open"), act("notification_webhook", [webhook.pk, '{"stale": {{ticket.id}}}'])],
    )
    ticket = TicketFactory(status="pending")
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - timedelta(hours=50))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep.run_automations().fired == 1
    (request,) = receiver.requests
    assert json.loads(request.body) == {"stale": ticket.pk}
    assert WebhookInvocation.objects.get().source == "automation"


def save_trigger(admin_user, actions):
    return rules.rule_create(
        kind="trigger", actor=admin_user, title="T", conditions={"all": [cond("status", "is", "open")], "any": []},
        actions=actions,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1", "is not [webhook id, body]"),
        ([0, "{}"], "is not a webhook id"),
        ([999999, "{}"], "webhook 999999 does not exist"),
        (["{webhook}", 5], "the body must be a text"),
        (["{webhook}", '{"a": {{ticket.nope}}}'], "unknown placeholder {{ticket.nope}}"),
        (["{webhook}", '{"a": '], "the body is not JSON"),
        (["{get_webhook}", '{"a": "b"}'], 'JSON list of ["name", "value"] pairs'),
    ],
)
def test_bad_actions_are_refused_with_the_reason(admin_user, make_webhook, value, problem):
    webhook = make_webhook("https://hooks.example.com/a")
    get_webhook = make_webhook("https://hooks.example.com/b", http_method="GET")
    ids = {"{webhook}": webhook.pk, "{get_webhook}": get_webhook.pk}
    if isinstance(value, list):
        value = [ids.get(item, item) if isinstance(item, str) else item for item in value]
    with pytest.raises(DomainError) as caught:
        save_trigger(admin_user, [act("notification_webhook", value)])
    assert any(problem in message for message in caught.value.errors["actions"]), caught.value.errors


def test_zendesk_string_ids_are_accepted_and_stored_normalised(admin_user, make_webhook):
    webhook = make_webhook("https://hooks.example.com/a")
    trigger = save_trigger(admin_user, [act("notification_webhook", [str(webhook.pk), '{"id": "{{ticket.id}}"}'])])
    assert trigger.actions == [{"field": "notification_webhook", "value": [str(webhook.pk), '{"id": "{{ticket.id}}"}']}]


def test_macros_may_not_call_webhooks(admin_user, make_webhook):
    webhook = make_webhook("https://hooks.example.com/a")
    with pytest.raises(DomainError) as caught:
        macro_definitions.actions_clean([act("notification_webhook", [webhook.pk, "{}"])], kind="macro", empty="")
    assert "notification_webhook is for triggers and automations" in str(caught.value.errors)


def test_the_rules_page_says_which_webhook_a_rule_calls(client, admin_user, make_webhook, make_trigger):
    webhook = make_webhook("https://hooks.example.com/a", name="Order system")
    make_trigger("Hook", [cond("status", "is", "open")], [act("notification_webhook", [webhook.pk, "{}"])])
    client.force_login(admin_user)
    html = client.get("/rules/").content.decode()
    assert "call the webhook Order system" in html
