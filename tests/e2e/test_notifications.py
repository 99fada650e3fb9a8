"""Failure notifications in chromium: six failures (stored and live) never cover the composer, the list filters or
the event log; newest first, one banner per ticket, three visible and "3 more", the bell's count and list, Dismiss
all, and the banner of a failure that a later delivered message resolved."""

import os
from pathlib import Path

import pytest
from django.db import transaction
from playwright.sync_api import expect

from tests.e2e.asgi_server import run_in_thread
from tests.e2e.banner_helpers import (
    LIVE_TIMEOUT_MS,
    PASSWORD,
    agent_reply,
    delivery_banners,
    fail_in_worker,
    log_in,
    open_connected,
    whatsapp_ticket,
)
from tests.factories import UserFactory
from tickets import delivery
from tickets.models import Comment, Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The screenshots in docs/ are rewritten only on purpose (UPDATE_SCREENSHOTS=1); otherwise they go with the other
# test artifacts, so a test run leaves the checkout clean.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}


def overlaps(a, b) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and (b["y"] < a["y"] + a["height"])
    )


def assert_nothing_covered(page, *targets) -> None:
    """No banner, nor the "N more" button, lies over any target, wherever the page is scrolled."""
    for position in ("top", "target"):
        for target in targets:
            if position == "target":
                target.scroll_into_view_if_needed()
            else:
                page.evaluate("window.scrollTo(0, 0)")
            expect(target).to_be_visible()  # a live fragment may be swapping it in right now
            box = target.bounding_box()
            assert box is not None
            for banner in page.locator("#banner-area .banner, #banner-area .banner-more").all():
                banner_box = banner.bounding_box()
                assert banner_box is not None
                assert not overlaps(banner_box, box), (banner_box, box)


def six_failures(account, agent):
    """Six tickets whose reply failed: five stored before the page loads, the newest handed back for a live one."""
    tickets, replies = [], []
    for n in range(6):
        ticket = whatsapp_ticket(account=account, hours_since_customer=30, assignee=agent, wa_id=f"55119876500{n:02d}")
        tickets.append(ticket)
        replies.append(agent_reply(ticket=ticket, author=agent, wamid=f"wamid.N{n}"))
    for reply in replies[:5]:
        delivery.delivery_fail(comment=reply, code="131047", title="Re-engagement message")
    return tickets, replies


@pytest.mark.parametrize("size", VIEWPORTS.keys())
def test_six_failures_never_cover_the_composer_and_collapse_into_the_bell(
    page, asgi_server, account, size, artifacts_dir
):
    shots = DOCS_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else artifacts_dir
    page.set_viewport_size(VIEWPORTS[size])
    agent = UserFactory(username="alice", password=PASSWORD)
    tickets, replies = six_failures(account, agent)
    log_in(page, asgi_server, agent)
    here = tickets[5]
    open_connected(page, f"{asgi_server.url}/tickets/{here.pk}/", ticket_id=here.pk)
    expect(delivery_banners(page)).to_have_count(3, timeout=LIVE_TIMEOUT_MS)
    fail_in_worker(replies[5], code="131047", title="Re-engagement message")  # the live one, on this ticket
    newest_first = [str(t.pk) for t in reversed(tickets)]
    expect(delivery_banners(page).first).to_have_attribute("data-ticket-id", newest_first[0], timeout=LIVE_TIMEOUT_MS)
    assert [b.get_attribute("data-ticket-id") for b in delivery_banners(page).all()] == newest_first[:3]
    expect(page.locator("#banner-area .banner-more")).to_have_text("3 more")
    expect(page.locator("#notification-count")).to_have_text("6")

    assert_nothing_covered(
        page, page.get_by_label("Message"), page.get_by_role("button", name="Submit"), page.locator(".event-log")
    )
    shots.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / f"notifications-ticket-page-{size}.png"))

    page.locator("#banner-area .banner-more").click()
    items = page.locator("#notification-items .notification-item")
    expect(items).to_have_count(6)
    assert [i.get_attribute("data-ticket-id") for i in items.all()] == newest_first
    if size == "desktop":
        page.locator("#notification-list").screenshot(path=str(shots / "notifications-list.png"))

    page.get_by_role("button", name="Dismiss all").click()
    expect(delivery_banners(page)).to_have_count(0)
    expect(page.locator("#notification-count")).to_be_hidden()
    expect(page.locator("#notification-empty")).to_be_visible()
    for _ in range(50):
        if not Notification.objects.filter(user=agent, dismissed_at__isnull=True).exists():
            break
        page.wait_for_timeout(100)
    assert not Notification.objects.filter(user=agent, dismissed_at__isnull=True).exists()
    page.reload()
    page.wait_for_function("document.body.dataset.live === 'connected'", timeout=5000)
    page.wait_for_timeout(300)
    expect(delivery_banners(page)).to_have_count(0)


@pytest.mark.parametrize("size", VIEWPORTS.keys())
def test_list_filters_and_contact_form_stay_clear_and_a_second_failure_raises_the_count(
    page, asgi_server, account, size
):
    page.set_viewport_size(VIEWPORTS[size])
    agent = UserFactory(username="alice", password=PASSWORD)
    tickets, _ = six_failures(account, agent)
    log_in(page, asgi_server, agent)
    open_connected(page, f"{asgi_server.url}/")
    expect(delivery_banners(page)).to_have_count(3, timeout=LIVE_TIMEOUT_MS)
    assert_nothing_covered(page, page.get_by_role("button", name="Apply"), page.get_by_role("link", name="Reset"))
    page.goto(f"{asgi_server.url}/contacts/{tickets[5].requester_id}/")
    expect(delivery_banners(page)).to_have_count(3, timeout=5000)
    assert_nothing_covered(page, page.get_by_role("button", name="Save opt-in"))
    open_connected(page, f"{asgi_server.url}/")

    again = agent_reply(ticket=tickets[0], author=agent, wamid="wamid.AGAIN")
    fail_in_worker(again, code="131047", title="Re-engagement message")
    first = delivery_banners(page).first
    expect(first).to_have_attribute("data-ticket-id", str(tickets[0].pk), timeout=LIVE_TIMEOUT_MS)
    expect(first).to_have_attribute("data-count", "2")
    expect(first.locator(".banner-count")).to_have_text("\u00d72")
    expect(page.locator("#notification-count")).to_have_text("5")  # five tickets: one banner each


@pytest.mark.parametrize("size", VIEWPORTS.keys())
def test_a_later_delivered_message_marks_the_banner_resolved(page, asgi_server, account, size):
    page.set_viewport_size(VIEWPORTS[size])
    agent = UserFactory(username="alice", password=PASSWORD)
    ticket = whatsapp_ticket(account=account, hours_since_customer=1, assignee=agent)
    failed = agent_reply(ticket=ticket, author=agent, wamid="wamid.F")
    delivery.delivery_fail(comment=failed, code="131026", title="Message undeliverable")
    log_in(page, asgi_server, agent)
    open_connected(page, f"{asgi_server.url}/tickets/{ticket.pk}/", ticket_id=ticket.pk)
    banner = delivery_banners(page).first
    expect(banner).to_have_class("banner banner-delivery banner-failed", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#notification-count")).to_have_text("1")
    later = agent_reply(ticket=ticket, author=agent, wamid="wamid.L")

    def deliver():
        with transaction.atomic():
            assert delivery.delivery_advance(comment=Comment.objects.get(pk=later.pk), status="delivered")

    run_in_thread(deliver)
    expect(banner).to_have_class("banner banner-delivery banner-resolved", timeout=LIVE_TIMEOUT_MS)
    expect(banner.locator(".banner-title")).to_have_text("Delivered later")
    expect(page.locator("#notification-count")).to_be_hidden()
