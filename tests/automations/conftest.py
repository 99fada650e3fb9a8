"""Fixtures of the business rules tests.

By default a test starts with no business rules at all (the shipped defaults are deleted inside the test's
transaction), so each test sees only the rules it creates; tests of the shipped defaults override `_no_rules`.
"""

import pytest

from automations import rules
from automations.models import Automation, Trigger
from channels_whatsapp.models import WhatsAppAccount
from tests.channels_whatsapp import graph_server


@pytest.fixture(autouse=True)
def _no_rules(db):
    Trigger.objects.all().delete()
    Automation.objects.all().delete()


@pytest.fixture
def account(db):
    """The same connected number as tests/channels_whatsapp (copied: fixtures there are not shared)."""
    return WhatsAppAccount.objects.create(
        name="Support line",
        phone_number_id="106540352242922",
        waba_id="102290129340398",
        display_phone_number="15550001111",
        access_token="EAAG-secret-token",
    )


@pytest.fixture
def graph(settings):
    """A real HTTP stand-in for the Cloud API (tests/channels_whatsapp/graph_server.py)."""
    state = graph_server.GraphStandIn()
    server = graph_server.start(state)
    settings.WHATSAPP_GRAPH_URL = state.url
    settings.WHATSAPP_RETRY_BASE_SECONDS = 0
    yield state
    server.shutdown()


def _definition(conditions):
    if isinstance(conditions, dict):
        return conditions
    return {"all": list(conditions), "any": []}


@pytest.fixture
def make_trigger(admin_user):
    def make(title="Trigger", conditions=(), actions=(), **fields):
        return rules.rule_create(
            kind="trigger",
            actor=admin_user,
            title=title,
            conditions=_definition(conditions),
            actions=list(actions),
            **fields,
        )

    return make


@pytest.fixture
def make_automation(admin_user):
    def make(title="Automation", conditions=(), actions=(), **fields):
        return rules.rule_create(
            kind="automation",
            actor=admin_user,
            title=title,
            conditions=_definition(conditions),
            actions=list(actions),
            **fields,
        )

    return make


def cond(field, operator, value=None):
    return {"field": field, "operator": operator, "value": value}


def act(field, value):
    return {"field": field, "value": value}
