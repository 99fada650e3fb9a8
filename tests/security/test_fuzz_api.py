"""Schemathesis against `/api/schema/`, in-process through the WSGI application: zero 500s.

Every operation of the published schema is called with generated requests, valid and invalid (schemathesis'
positive and negative modes), authenticated with an admin's token and, in a second pass, an agent's. Two requests
in three are pointed at rows that exist (path ids and the `*_id` fields of bodies), so the handlers run past their
404s and 400s. The only check is the one the issue asks for: no server error, whatever is sent.
"""

import contextlib
import itertools

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from automations.webhooks import guard as webhook_guard
from automations.webhooks.models import Webhook
from channels_whatsapp import client as graph_client
from channels_whatsapp.models import MessageTemplate, WhatsAppAccount, WhatsAppConversation
from config.wsgi import application
from macros.models import Macro, MacroAvailability
from tests.factories import AdminFactory, ContactFactory, GroupFactory, TicketFactory, UserFactory
from tests.security.conftest import token_client
from tickets.models import Comment, Via

# Examples per operation: about a minute of CPU for the whole file. Agents meet many cheap 403s (admin-only writes).
ADMIN_EXAMPLES, AGENT_EXAMPLES = 15, 8


# Loaded when the module is imported (the schema view reads no table), so each operation is its own test item.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@contextlib.contextmanager
def same_connection():
    """As Django's test client does around each request: the WSGI handler must not close the test's connection
    (the test's transaction lives on it; on PostgreSQL the next query would need a new one)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def refuse_every_address(host: str, port: int):
    raise webhook_guard.AddressRefused(host)


@pytest.fixture
def seeded(db, monkeypatch, settings) -> dict:
    """One of everything the API can point at, and a Cloud API that answers in-process."""
    settings.WHATSAPP_RETRY_BASE_SECONDS = 0
    monkeypatch.setattr(graph_client, "send_message", lambda **kw: graph_client.SendResult(wamid="wamid.X", wa_id="1"))
    monkeypatch.setattr(graph_client, "upload_media", lambda **kw: "media-1")
    monkeypatch.setattr(graph_client, "list_templates", lambda **kw: [])
    # Webhook test calls stay in-process: every address is refused, whatever endpoint a request sets.
    monkeypatch.setattr(webhook_guard, "resolve", refuse_every_address)
    admin, agent = AdminFactory(), UserFactory()
    group = GroupFactory()
    group.members.add(agent)
    account = WhatsAppAccount.objects.create(
        name="Line", phone_number_id="PN1", waba_id="WABA1", display_phone_number="15550001111", access_token="tok"
    )
    contact = ContactFactory(wa_id="5511999990000", whatsapp_opt_in=True)
    ticket = TicketFactory(requester=contact, group=group, via=Via.WHATSAPP)
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    Comment.objects.create(ticket=ticket, author_role="end_user", author_contact=contact, body="hi", via=Via.WHATSAPP)
    macro = Macro.objects.create(
        title="Escalate", availability=MacroAvailability.EVERYONE, actions=[{"field": "priority", "value": "high"}]
    )
    template = MessageTemplate.objects.create(
        account=account, name="order_update", language="en_US", body="Hi {{1}}", status="APPROVED"
    )
    rules = {}
    for kind, body in (
        (
            "triggers",
            {
                "title": "T",
                "conditions": {"all": [{"field": "status", "operator": "is", "value": "open"}]},
                "actions": [{"field": "priority", "value": "high"}],
            },
        ),
        (
            "automations",
            {
                "title": "A",
                "conditions": {
                    "all": [
                        {"field": "status", "operator": "is", "value": "solved"},
                        {"field": "hours_since_solved", "operator": "greater_than", "value": "96"},
                    ]
                },
                "actions": [{"field": "status", "value": "closed"}],
            },
        ),
    ):
        response = token_client(admin).post(f"/api/{kind}/", body, format="json")
        assert response.status_code == 201, response.content
        rules[kind] = response.json()["id"]
    return {
        "users": {"admin": admin, "agent": agent},
        "ids": {
            "tickets": ticket.pk,
            "contacts": contact.pk,
            "macros": macro.pk,
            "accounts": account.pk,
            "templates": template.pk,
            "triggers": rules["triggers"],
            "automations": rules["automations"],
            "webhooks": Webhook.objects.create(name="Hook", endpoint="https://hooks.example.com/x").pk,
        },
        "fields": {
            "ticket_id": ticket.pk,
            "macro_id": macro.pk,
            "requester_id": contact.pk,
            "contact_id": contact.pk,
            "account_id": account.pk,
            "assignee_id": agent.pk,
            "group_id": group.pk,
            "owner_id": agent.pk,
        },
    }


_turn = itertools.count()


def point_at_real_rows(case, seeded: dict) -> None:
    """Two requests in three: path ids and body `*_id` fields name rows that exist."""
    if next(_turn) % 3 == 2:
        return
    segments = [s for s in case.path.strip("/").split("/") if s]
    for name in list(case.path_parameters or {}):
        if name in seeded["fields"]:
            case.path_parameters[name] = seeded["fields"][name]
            continue
        placeholder = "{" + name + "}"
        if placeholder in segments:
            resource = segments[segments.index(placeholder) - 1]
            if resource in seeded["ids"]:
                case.path_parameters[name] = seeded["ids"][resource]
    if isinstance(case.body, dict):
        for key, value in list(case.body.items()):
            if key in seeded["fields"] and isinstance(value, int) and not isinstance(value, bool):
                case.body[key] = seeded["fields"][key]


def fuzz_settings(max_examples: int):
    return hypothesis_settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,  # the same requests on every run: CI is reproducible
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def call(case, seeded: dict, role: str) -> None:
    point_at_real_rows(case, seeded)
    token = token_client(seeded["users"][role])._credentials["HTTP_AUTHORIZATION"]
    with same_connection():
        case.call_and_validate(headers={"Authorization": token}, checks=[not_a_server_error])


@schema.parametrize()
@fuzz_settings(ADMIN_EXAMPLES)
def test_no_request_of_an_admin_makes_a_server_error(case, seeded):
    call(case, seeded, "admin")


@schema.parametrize()
@fuzz_settings(AGENT_EXAMPLES)
def test_no_request_of_an_agent_makes_a_server_error(case, seeded):
    call(case, seeded, "agent")
