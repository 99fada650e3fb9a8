"""Live delivery-failure banners in chromium: stored until dismissed, reconnecting, many at once."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.asgi_server import run_in_thread
from tests.e2e.banner_helpers import (
    LIVE_TIMEOUT_MS,
    PASSWORD,
    QUIET_MS,
    RE_ENGAGEMENT,
    WINDOW_REASON,
    agent_reply,
    assert_banner_text,
    assert_not_reloaded,
    assert_top_right_clear_of,
    banner_for,
    delivery_banners,
    fail_in_worker,
    log_in,
    mark_page,
    open_connected,
    post_status,
    wait_live,
    whatsapp_ticket,
)
from tests.factories import UserFactory
from tickets import delivery
from tickets.models import Comment, Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# --- Stored until dismissed -------------------------------------------------------------------------------------


def test_banner_survives_reload_until_dismissed(page, asgi_server, account):
    agent = UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)
    ticket = whatsapp_ticket(account=account, hours_since_customer=2, assignee=agent)
    reply = agent_reply(ticket=ticket, author=agent)
    fail_in_worker(reply, code="131026", title="Message undeliverable", detail="Message Undeliverable.")
    notification = Notification.objects.get(user=agent, comment=reply)
    assert notification.dismissed_at is None

    log_in(page, asgi_server, agent)  # the agent was offline when it failed: replayed on connect
    banner = banner_for(page, reply)
    expect(banner).to_be_visible(timeout=LIVE_TIMEOUT_MS * 2)
    assert_banner_text(banner, server=asgi_server, ticket=ticket, reason="WhatsApp could not deliver it")

    page.reload()
    expect(banner).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(delivery_banners(page)).to_have_count(1)

    with page.expect_response(lambda r: r.url.endswith("/notifications/dismiss/")) as answer:
        banner.get_by_role("button", name="Dismiss notification").click()
    assert answer.value.status == 200
    assert answer.value.json() == {"dismissed": 1}
    expect(banner).to_have_count(0)
    notification.refresh_from_db()
    assert notification.dismissed_at is not None

    page.reload()
    wait_live(page)
    page.wait_for_timeout(QUIET_MS)
    expect(delivery_banners(page)).to_have_count(0)
    page.goto(f"{asgi_server.url}/tickets/{ticket.pk}/")
    wait_live(page)
    page.wait_for_timeout(QUIET_MS)
    expect(delivery_banners(page)).to_have_count(0)


@pytest.mark.parametrize("dismissed_first", [True, False], ids=["timeout-dismissed", "timeout-still-shown"])
def test_revived_message_that_fails_again_shows_the_new_reason(page, asgi_server, account, dismissed_first):
    """An unconfirmed send (timeout) that WhatsApp later accepts is revived; if it then fails for real, the agent
    sees that failure, live and after a reload, whether or not they had dismissed the first banner."""
    agent = UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)
    ticket = whatsapp_ticket(account=account, hours_since_customer=2, assignee=agent)
    reply = agent_reply(ticket=ticket, author=agent, wamid="wamid.REVIVED")
    log_in(page, asgi_server, agent)
    open_connected(page, f"{asgi_server.url}/")
    mark_page(page)

    fail_in_worker(reply, code="timeout", title="No answer from WhatsApp")
    banner = banner_for(page, reply)
    expect(banner).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(banner.locator(".banner-text")).to_contain_text("WhatsApp did not confirm the message")
    if dismissed_first:
        with page.expect_response(lambda r: r.url.endswith("/notifications/dismiss/")):
            banner.get_by_role("button", name="Dismiss notification").click()
        expect(banner).to_have_count(0)

    post_status(account, reply, "sent")  # it did go out after all
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    post_status(account, reply, "failed", RE_ENGAGEMENT)  # and then it failed for real
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error_code) == ("failed", "131047")

    expect(banner.locator(".banner-text")).to_have_text(WINDOW_REASON + ".", timeout=LIVE_TIMEOUT_MS)
    expect(banner).to_have_count(1)
    assert_not_reloaded(page)
    page.reload()
    expect(banner.locator(".banner-text")).to_have_text(WINDOW_REASON + ".", timeout=LIVE_TIMEOUT_MS)
    expect(delivery_banners(page)).to_have_count(1)
    notification = Notification.objects.get(user=agent, comment=reply)
    assert (notification.error_code, notification.dismissed_at) == ("131047", None)


def test_page_reconnects_and_catches_up_after_the_connection_drops(page, asgi_server, account):
    """The server restarts (1012) while the ticket is open, and things happen while the page is disconnected.
    The page reconnects by itself and catches up without a reload: the conversation is re-rendered (a tick that
    moved on) and a failure is shown (replayed from the stored notification)."""
    agent = UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)
    ticket = whatsapp_ticket(account=account, hours_since_customer=2, assignee=agent)
    first = agent_reply(ticket=ticket, author=agent, body="First", wamid="wamid.RECONNECT1")
    second = agent_reply(ticket=ticket, author=agent, body="Second", wamid="wamid.RECONNECT2")
    log_in(page, asgi_server, agent)
    open_connected(page, f"{asgi_server.url}/tickets/{ticket.pk}/", ticket_id=ticket.pk)
    mark_page(page)
    first_tick = page.locator(f'.delivery[data-comment-id="{first.pk}"]')
    second_tick = page.locator(f'.delivery[data-comment-id="{second.pk}"]')
    expect(first_tick).to_have_class(re.compile("delivery-sent"))

    def drop() -> None:
        assert asgi_server.drop_websockets() == 1
        page.wait_for_function("document.body.dataset.live === 'disconnected'", timeout=2000)

    # 1. Only a delivery status is missed: no frame will come for it, the reconnect itself must catch up.
    drop()
    run_in_thread(lambda: delivery.delivery_advance(comment=Comment.objects.get(pk=first.pk), status="read"))
    wait_live(page)  # reconnected, with backoff (1 s plus jitter)
    expect(first_tick).to_have_class(re.compile("delivery-read"), timeout=LIVE_TIMEOUT_MS)

    # 2. A failure is missed: the stored notification is replayed on the reconnect.
    drop()
    fail_in_worker(second, code="131026", title="Message undeliverable", detail="Message Undeliverable.")
    expect(delivery_banners(page)).to_have_count(0)
    wait_live(page)
    expect(banner_for(page, second)).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(second_tick).to_have_class(re.compile("delivery-failed"))
    assert_not_reloaded(page)


def test_many_failures_on_one_ticket_share_one_banner(page, asgi_server, account, artifacts_dir):
    """After an outage an agent may come back to many failures at once: those of one ticket share one banner with
    their count, clear of the composer's Submit, and one click dismisses them all."""
    agent = UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)
    ticket = whatsapp_ticket(account=account, hours_since_customer=2, assignee=agent)
    replies = [agent_reply(ticket=ticket, author=agent, body=f"Reply {i}", wamid=f"wamid.MANY{i}") for i in range(8)]
    for reply in replies:
        fail_in_worker(reply, code="131026", title="Message undeliverable")

    log_in(page, asgi_server, agent)
    open_connected(page, f"{asgi_server.url}/tickets/{ticket.pk}/", ticket_id=ticket.pk)
    banner = banner_for(page, replies[-1])
    expect(banner).to_have_attribute("data-count", str(len(replies)))
    expect(delivery_banners(page)).to_have_count(1)
    assert_top_right_clear_of(page, banner, page.get_by_role("button", name="Submit"))
    page.screenshot(path=str(artifacts_dir / "banners-many.png"))
    banner.get_by_role("button", name="Dismiss notification").click()
    expect(delivery_banners(page)).to_have_count(0)
    for _ in range(50):
        if not Notification.objects.filter(user=agent, dismissed_at__isnull=True).exists():
            break
        page.wait_for_timeout(100)
    assert not Notification.objects.filter(user=agent, dismissed_at__isnull=True).exists()
