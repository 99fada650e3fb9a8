"""Shared fixtures and page helpers of the delivery-failure banner tests."""

import re
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from channels_whatsapp.models import WhatsAppConversation
from channels_whatsapp.simulator import phone_messages, protocol
from tests.e2e.asgi_server import group_members, run_in_thread, wait_for_new_member
from tickets import delivery, realtime
from tickets.models import Comment, Contact, Ticket, TicketStatus, Via

PASSWORD = "correct-horse-battery"


WA = "5511987650042"


PHONE_NUMBER_ID = "SIMPHONE1"


TITLE = "Message not delivered"


WINDOW_REASON = "More than 24 hours since the customer's last message: only a template can reach them now"


LIVE_TIMEOUT_MS = 1000  # the banner's promise: within one second, without a reload


QUIET_MS = 1200  # how long "no banner" is watched for


def whatsapp_ticket(*, account, hours_since_customer: float, group=None, assignee=None, wa_id=WA) -> Ticket:
    contact = Contact.objects.create(name="Ana Souza", wa_id=wa_id, phone=f"+{wa_id}")
    last = timezone.now() - timedelta(hours=hours_since_customer)
    ticket = Ticket.objects.create(
        subject="Where is my order?",
        requester=contact,
        via=Via.WHATSAPP,
        status=TicketStatus.OPEN,
        group=group,
        assignee=assignee,
        last_customer_message_at=last,
    )
    Comment.objects.create(
        ticket=ticket, author_role="end_user", author_contact=contact, body="My order #4521 is late", via=Via.WHATSAPP
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    return ticket


def agent_reply(*, ticket, author, body="We are on it.", wamid="wamid.TEST") -> Comment:
    """A public reply already handed to WhatsApp (as after a successful send)."""
    return Comment.objects.create(
        ticket=ticket,
        author_role="agent",
        author_user=author,
        body=body,
        public=True,
        via=Via.WHATSAPP,
        channel_message_id=wamid,
        delivery_status="sent",
        delivery_updated_at=timezone.now(),
    )


def fail_in_worker(comment: Comment, *, code: str, title: str, detail: str = "") -> None:
    """What the worker does: `delivery_fail` in a committed transaction, in a thread of its own."""

    def work():
        with transaction.atomic():
            fresh = Comment.objects.select_related("ticket").get(pk=comment.pk)
            assert delivery.delivery_fail(comment=fresh, code=code, title=title, detail=detail)

    run_in_thread(work)


def post_status(account, comment: Comment, status: str, error: dict | None = None) -> None:
    """WhatsApp's status webhook for `comment`, signed and posted over HTTP to our webhook, like Meta."""
    obj = protocol.status_json(
        wamid=comment.channel_message_id,
        status=status,
        timestamp=int(time.time()),
        recipient_id=WA,
        callback_data=f"comment:{comment.pk}",
        errors=[error] if error else None,
    )
    payload = protocol.envelope(
        waba_id=account.waba_id,
        phone_number_id=account.phone_number_id,
        display_phone_number=account.display_phone_number,
        value={"statuses": [obj]},
    )
    assert phone_messages.post_webhook(payload) == 200


RE_ENGAGEMENT = protocol.status_error(131047, "Re-engagement message", protocol.RE_ENGAGEMENT_DETAILS)


def wait_live(page) -> None:
    page.wait_for_function("document.body.dataset.live === 'connected'", timeout=5000)


def open_connected(page, url: str, *, ticket_id: int | None = None) -> None:
    """Load `url` and wait until its socket is connected (and, on a ticket page, subscribed to the ticket)."""
    before = group_members(realtime.ticket_group(ticket_id)) if ticket_id else set()
    page.goto(url)
    wait_live(page)
    if ticket_id:
        wait_for_new_member(realtime.ticket_group(ticket_id), before)


def log_in(page, server, user) -> None:
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/")


def delivery_banners(page):
    return page.locator("#banner-area .banner-delivery")


def banner_for(page, comment: Comment):
    return page.locator(f'#banner-area .banner-delivery[data-comment-id="{comment.pk}"]')


def assert_banner_text(banner, *, server, ticket, reason: str) -> None:
    expect(banner.locator(".banner-title")).to_have_text(TITLE)
    expect(banner.locator(".banner-text")).to_contain_text(reason)
    link = banner.get_by_role("link", name=f"Ticket #{ticket.pk}")
    expect(link).to_have_attribute("href", f"{server.url}/tickets/{ticket.pk}/")
    expect(banner.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d"))
    expect(banner.locator("time")).to_have_text(re.compile(r"\d{1,2}:\d\d"))
    expect(banner.get_by_role("button", name="Dismiss notification")).to_be_visible()


def assert_top_right_clear_of(page, banner, other) -> None:
    """The banner sits in the top-right of the page (its own strip under the top bar, seen from the top of the page)
    and does not cover `other`, neither seen from the top nor with `other` scrolled into view."""
    viewport = page.viewport_size
    page.evaluate("window.scrollTo(0, 0)")
    box = banner.bounding_box()
    assert box is not None
    assert box["x"] >= viewport["width"] / 2, box
    assert box["x"] + box["width"] <= viewport["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] / 2, box
    for scrolled in (False, True):
        if scrolled:
            other.scroll_into_view_if_needed()
        box, other_box = banner.bounding_box(), other.bounding_box()
        assert box is not None and other_box is not None
        overlap_x = box["x"] < other_box["x"] + other_box["width"] and other_box["x"] < box["x"] + box["width"]
        overlap_y = box["y"] < other_box["y"] + other_box["height"] and other_box["y"] < box["y"] + box["height"]
        assert not (overlap_x and overlap_y), (box, other_box)


def mark_page(page) -> None:
    """A marker a reload would wipe out."""
    page.evaluate("window.__noReload = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"
