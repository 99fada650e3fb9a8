"""Live delivery-failure banners in chromium: hostile text, and who gets a banner."""

import pytest
from playwright.sync_api import expect

from tests.e2e.asgi_server import group_members
from tests.e2e.banner_helpers import (
    LIVE_TIMEOUT_MS,
    PASSWORD,
    QUIET_MS,
    agent_reply,
    assert_not_reloaded,
    banner_for,
    delivery_banners,
    fail_in_worker,
    log_in,
    mark_page,
    open_connected,
    wait_live,
    whatsapp_ticket,
)
from tests.factories import GroupFactory, UserFactory
from tickets import realtime
from tickets.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def new_page(browser):
    """`new_page()`: one more agent's browser (own cookies), closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


# --- Hostile text -----------------------------------------------------------------------------------------------

HOSTILE_CODE = "<img src=x onerror=window.__pwned=3>"
HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1">'
HOSTILE_DETAIL = "<script>window.__pwned=2</script><b>bold</b>"


def assert_inert(page) -> None:
    area = page.locator("#banner-area")
    expect(area.locator("img")).to_have_count(0)
    expect(area.locator("script")).to_have_count(0)
    expect(area.locator("b")).to_have_count(0)
    assert page.evaluate("window.__pwned === undefined")


def test_hostile_error_text_is_shown_as_text(page, asgi_server, account):
    agent = UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)
    ticket = whatsapp_ticket(account=account, hours_since_customer=2, assignee=agent)
    reply = agent_reply(ticket=ticket, author=agent)
    log_in(page, asgi_server, agent)
    open_connected(page, f"{asgi_server.url}/")
    mark_page(page)

    fail_in_worker(reply, code=HOSTILE_CODE, title=HOSTILE_TITLE, detail=HOSTILE_DETAIL)
    banner = banner_for(page, reply)
    expect(banner).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(banner.locator(".banner-text")).to_contain_text(HOSTILE_TITLE)
    expect(banner.locator(".banner-text")).to_contain_text(HOSTILE_DETAIL)
    expect(banner.locator(".banner-code")).to_contain_text(HOSTILE_CODE)
    page.wait_for_timeout(300)  # an onerror would have fired by now
    assert_inert(page)
    assert_not_reloaded(page)

    page.reload()  # the stored notification's replay is just as inert
    expect(banner).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(banner.locator(".banner-text")).to_contain_text(HOSTILE_TITLE)
    page.wait_for_timeout(300)
    assert_inert(page)

    page.goto(f"{asgi_server.url}/tickets/{ticket.pk}/")  # and the ticket page's tick and event log
    failure = page.locator(f"#comment-{reply.pk} .delivery-failure")
    expect(failure.locator(".delivery-failure-reason")).to_contain_text(HOSTILE_TITLE)
    expect(failure.locator(".delivery-failure-code")).to_contain_text(HOSTILE_CODE)
    page.wait_for_timeout(300)
    expect(page.locator("main img[src='x']")).to_have_count(0)
    assert page.evaluate("window.__pwned === undefined")


# --- Who gets it ------------------------------------------------------------------------------------------------


def test_agent_without_access_gets_no_banner(page, new_page, asgi_server, account):
    author = UserFactory(username="alice", first_name="Alice", last_name="Author", password=PASSWORD)
    colleague = UserFactory(username="carol", first_name="Carol", last_name="Colleague", password=PASSWORD)
    outsider = UserFactory(username="bob", first_name="Bob", last_name="Outsider", password=PASSWORD)
    billing = GroupFactory(name="Billing")
    billing.members.add(author, colleague)
    GroupFactory(name="Shipping").members.add(outsider)
    ticket = whatsapp_ticket(account=account, hours_since_customer=2, group=billing)
    reply = agent_reply(ticket=ticket, author=author)

    log_in(page, asgi_server, author)
    open_connected(page, f"{asgi_server.url}/")
    colleague_page = new_page()
    log_in(colleague_page, asgi_server, colleague)
    open_connected(colleague_page, f"{asgi_server.url}/tickets/{ticket.pk}/", ticket_id=ticket.pk)
    outsider_page = new_page()
    log_in(outsider_page, asgi_server, outsider)
    open_connected(outsider_page, f"{asgi_server.url}/")
    assert outsider_page.goto(f"{asgi_server.url}/tickets/{ticket.pk}/").status == 404
    open_connected(outsider_page, f"{asgi_server.url}/")
    # The outsider also tries to listen to the ticket with a socket of their own: refused silently.
    members = group_members(realtime.ticket_group(ticket.pk))
    outsider_page.evaluate(
        """ticketId => new Promise(resolve => {
            window.__frames = [];
            const ws = new WebSocket(`ws://${location.host}/ws/agent/`);
            ws.onmessage = e => window.__frames.push(JSON.parse(e.data));
            ws.onopen = () => { ws.send(JSON.stringify({type: "ticket.subscribe", ticket_id: ticketId})); resolve(); };
        })""",
        ticket.pk,
    )
    outsider_page.wait_for_timeout(300)
    assert group_members(realtime.ticket_group(ticket.pk)) == members

    fail_in_worker(reply, code="131026", title="Message undeliverable", detail="Message Undeliverable.")
    expect(banner_for(page, reply)).to_be_visible(timeout=LIVE_TIMEOUT_MS)  # the author
    expect(banner_for(colleague_page, reply)).to_be_visible(timeout=LIVE_TIMEOUT_MS)  # has the ticket open
    outsider_page.wait_for_timeout(QUIET_MS)
    expect(delivery_banners(outsider_page)).to_have_count(0)
    assert outsider_page.evaluate("window.__frames") == []

    outsider_page.reload()  # nothing stored for them either
    wait_live(outsider_page)
    outsider_page.wait_for_timeout(QUIET_MS)
    expect(delivery_banners(outsider_page)).to_have_count(0)
    assert list(Notification.objects.filter(comment=reply).values_list("user__username", flat=True)) == ["alice"]
