"""The shipped rules read in the reader's language on the rules page while their words are unchanged."""

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from automations import shipped_rules
from automations.models import Trigger

pytestmark = pytest.mark.django_db

DEFAULTS = importlib.import_module("automations.migrations.0003_default_rules")


def test_every_shipped_title_and_description_is_known():
    shipped = {
        text for rule in DEFAULTS.TRIGGERS + DEFAULTS.AUTOMATIONS for text in (rule["title"], rule["description"])
    }
    assert shipped == shipped_rules.SHIPPED_WORDS


def test_a_shipped_rule_reads_german_and_a_reworded_one_as_written(client, admin_user):
    DEFAULTS.create_defaults(apps, None)  # the rows the migration made (tests may start without them)
    client.force_login(admin_user)
    Trigger.objects.filter(title="Notify assignee of assignment").update(title="Zuweisung melden (unser Text)")
    html = client.get("/rules/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Automatische Antwort auf neue WhatsApp-Anfragen" in html
    assert "Auto-reply to new WhatsApp requests" not in html
    assert "Zuweisung melden (unser Text)" in html
    with translation.override("en"):
        assert shipped_rules.shown("Close ticket 4 days after solved") == "Close ticket 4 days after solved"
