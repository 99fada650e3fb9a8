"""Business rules in chromium: the admin's rules page (sentences, toggles, ordering) and the shipped auto-reply
reaching the simulator's phone over real HTTP, as in `make run`."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import expect

from automations.models import Trigger
from channels_whatsapp.models import WhatsAppAccount
from channels_whatsapp.simulator import phone_messages, status_webhooks
from tests.factories import AdminFactory, UserFactory
from tickets.models import Comment, Ticket

PASSWORD = "correct-horse-battery"
WA = "5511987650002"
AUTO_REPLY = "Auto-reply to new WhatsApp requests"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shipped_rules():
    """The shipped rules, as `migrate` creates them (a transactional test's flush may have removed them)."""
    migration = importlib.import_module("automations.migrations.0003_default_rules")
    migration.create_defaults(django_apps, None)
    return Trigger.objects.get(title=AUTO_REPLY)


@pytest.fixture
def wired(live_server, settings, monkeypatch):
    settings.WHATSAPP_GRAPH_URL = f"{live_server.url}/simulator/graph/v23.0"
    settings.WHATSAPP_SIMULATOR_WEBHOOK_URL = f"{live_server.url}/whatsapp/webhook/"
    monkeypatch.setattr(status_webhooks, "STATUS_DELAY_SECONDS", 0)
    return WhatsAppAccount.objects.create(
        name="Demo line",
        phone_number_id="SIMPHONE1",
        waba_id="SIMWABA1",
        display_phone_number="15550001111",
        access_token="simulator-token",
    )


def test_admin_reads_toggles_and_orders_rules(page, live_server, login, shipped_rules, artifacts_dir):
    admin = AdminFactory(username="ada", first_name="Ada", last_name="Admin", password=PASSWORD)
    login(page, live_server, admin, PASSWORD)
    page.goto(f"{live_server.url}/rules/")
    auto_reply = page.locator(f"#triggers-{shipped_rules.pk}")
    expect(auto_reply).to_contain_text("When the ticket is created, and channel is WhatsApp")
    expect(auto_reply).to_contain_text("notify the requester")
    expect(page.locator(".rule-list").nth(1)).to_contain_text("Every hour, for tickets where status is solved")
    page.screenshot(path=str(artifacts_dir / "rules-page.png"), full_page=True)

    auto_reply.get_by_role("button", name=f"Deactivate {AUTO_REPLY}").click()
    expect(page.locator(".banner")).to_contain_text("is now inactive")
    expect(page.locator(f"#triggers-{shipped_rules.pk}")).to_contain_text("Inactive")
    shipped_rules.refresh_from_db()
    assert not shipped_rules.active

    page.get_by_role("button", name=f"Move {AUTO_REPLY} down").click()
    expect(page.locator(".rule-list").first.locator(".rule").first).to_contain_text("Notify assignee of assignment")
    assert list(Trigger.objects.order_by("position").values_list("title", flat=True))[-1] == AUTO_REPLY


def test_agents_are_refused_the_rules_page(page, live_server, login):
    agent = UserFactory(username="alice", password=PASSWORD)
    login(page, live_server, agent, PASSWORD)
    response = page.goto(f"{live_server.url}/rules/")
    assert response.status == 403


def test_a_new_simulator_message_gets_its_auto_reply(page, live_server, login, wired, shipped_rules, artifacts_dir):
    status = phone_messages.post_webhook(
        phone_messages.phone_send(
            phone_messages.PhoneMessage(
                WA, "Bruno Lima", text="Oi! Is my order on its way?", phone_number_id="SIMPHONE1"
            )
        ).payload
    )
    assert status == 200
    ticket = Ticket.objects.get(via="whatsapp")
    reply = Comment.objects.get(ticket=ticket, author_role="system")
    assert reply.channel_message_id and reply.channel_message_id.startswith("wamid.")
    assert status_webhooks.status_threads_join(10)
    login(page, live_server, AdminFactory(password=PASSWORD), PASSWORD)  # the phone page is for admins
    page.goto(f"{live_server.url}/simulator/?contact={WA}&phone=SIMPHONE1")
    conversation = page.locator("#sim-conversation")
    expect(conversation).to_contain_text(re.compile(rf"Thanks for your message!.*#{ticket.pk}"))
    page.screenshot(path=str(artifacts_dir / "auto-reply-phone.png"), full_page=True)
