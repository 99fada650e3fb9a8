"""Live delivery-failure banners in chromium: a reply outside the window and a failed status webhook."""

import re
import time

import pytest
from playwright.sync_api import expect

from channels_whatsapp.simulator import phone_messages, status_webhooks
from tests.e2e.banner_helpers import (
    LIVE_TIMEOUT_MS,
    PASSWORD,
    PHONE_NUMBER_ID,
    RE_ENGAGEMENT,
    WA,
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
    whatsapp_ticket,
)
from tests.factories import UserFactory
from tickets.models import Comment, Ticket, Via

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# --- Window closed: the composer's reply fails at once ---------------------------------------------------------


def test_reply_outside_window_shows_banner_after_submit_and_live(page, asgi_server, account, artifacts_dir):
    agent = UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)
    ticket = whatsapp_ticket(account=account, hours_since_customer=30, assignee=agent)
    log_in(page, asgi_server, agent)
    open_connected(page, f"{asgi_server.url}/tickets/{ticket.pk}/", ticket_id=ticket.pk)

    page.get_by_label("Message").fill("Hi Ana, it ships today.")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))  # "Send anyway?": yes
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Submit").click()
    loaded = time.monotonic()
    comment = Comment.objects.get(ticket=ticket, author_role="agent")
    banner = banner_for(page, comment)
    expect(banner).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    after_submit = time.monotonic() - loaded

    assert (comment.delivery_status, comment.delivery_error_code) == ("failed", "window_closed")
    assert asked and "window is closed" in asked[0]
    assert_banner_text(banner, server=asgi_server, ticket=ticket, reason=WINDOW_REASON)
    expect(banner).to_contain_text("The reply was kept on the ticket but not sent.")
    expect(delivery_banners(page)).to_have_count(1)  # stored replay and live frame: one banner
    assert_top_right_clear_of(page, banner, page.get_by_role("button", name="Submit"))
    page.screenshot(path=str(artifacts_dir / "banner.png"))
    expect(page.locator(f'.delivery[data-comment-id="{comment.pk}"]')).to_have_class(re.compile("delivery-failed"))

    # The pure live case: the page is open and connected, a failure is committed elsewhere, no navigation.
    open_connected(page, f"{asgi_server.url}/tickets/{ticket.pk}/", ticket_id=ticket.pk)
    mark_page(page)
    earlier = agent_reply(ticket=ticket, author=agent, body="Sent before the window closed", wamid="wamid.LIVE1")
    started = time.monotonic()
    fail_in_worker(
        earlier,
        code="window_closed",
        title="Outside the 24-hour customer service window",
        detail="More than 24 hours have passed since the customer's last WhatsApp message.",
    )
    live = banner_for(page, earlier)
    expect(live).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    live_latency = time.monotonic() - started
    assert_not_reloaded(page)
    assert_banner_text(live, server=asgi_server, ticket=ticket, reason=WINDOW_REASON)
    # The ticket page re-renders its conversation in place: the tick of that message turns failed.
    expect(page.locator(f'.delivery[data-comment-id="{earlier.pk}"]')).to_have_class(re.compile("delivery-failed"))
    assert_not_reloaded(page)
    print(f"banner after submit+load: {after_submit * 1000:.0f} ms; live banner: {live_latency * 1000:.0f} ms")


# --- 131047 from a status webhook ------------------------------------------------------------------------------


def test_failed_status_webhook_raises_banner_on_open_pages(page, asgi_server, account):
    agent = UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)
    # The customer writes from the simulator's phone: a ticket, a conversation, an open window.
    sent = phone_messages.phone_send(
        phone_messages.PhoneMessage(WA, "Ana Souza", text="Is my order on its way?", phone_number_id=PHONE_NUMBER_ID)
    )
    assert sent.webhook_status == 200
    ticket = Ticket.objects.get(via=Via.WHATSAPP)

    log_in(page, asgi_server, agent)
    open_connected(page, f"{asgi_server.url}/tickets/{ticket.pk}/", ticket_id=ticket.pk)
    page.get_by_label("Message").fill("Yes, it left the warehouse this morning.")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Submit").click()
    assert status_webhooks.status_threads_join(10)
    reply = Comment.objects.get(ticket=ticket, author_role="agent")
    assert reply.channel_message_id and reply.channel_message_id.startswith("wamid.")
    assert reply.delivery_status == "read"

    # The agent moves on to the ticket list; a second tab keeps the ticket open.
    open_connected(page, f"{asgi_server.url}/")
    mark_page(page)
    ticket_tab = page.context.new_page()
    open_connected(ticket_tab, f"{asgi_server.url}/tickets/{ticket.pk}/", ticket_id=ticket.pk)
    mark_page(ticket_tab)
    expect(delivery_banners(page)).to_have_count(0)

    # WhatsApp later reports the message failed (131047), signed and over HTTP like Meta.
    started = time.monotonic()
    post_status(account, reply, "failed", RE_ENGAGEMENT)

    banner = banner_for(page, reply)
    expect(banner).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    print(f"131047 banner {1000 * (time.monotonic() - started):.0f} ms after the webhook was posted")
    assert_not_reloaded(page)
    assert_banner_text(banner, server=asgi_server, ticket=ticket, reason=WINDOW_REASON)
    expect(banner.locator(".banner-code")).to_contain_text("131047")

    # The open ticket tab: one banner (agent group and ticket group both carry it) and the tick turns failed.
    expect(banner_for(ticket_tab, reply)).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(delivery_banners(ticket_tab)).to_have_count(1)
    tick = ticket_tab.locator(f'.delivery[data-comment-id="{reply.pk}"]')
    expect(tick).to_have_class(re.compile("delivery-failed"))
    failure = ticket_tab.locator(f"#comment-{reply.pk} .delivery-failure")
    expect(failure.locator(".delivery-failure-code")).to_contain_text("131047")
    expect(failure.locator(".delivery-failure-reason")).to_have_text(
        banner.locator(".banner-text").text_content()  # the bubble and the banner say the same
    )
    assert_not_reloaded(ticket_tab)

    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error_code) == ("failed", "131047")
    page.goto(f"{asgi_server.url}/tickets/{ticket.pk}/")
    expect(page.locator(f'.delivery[data-comment-id="{reply.pk}"]')).to_have_class(re.compile("delivery-failed"))
