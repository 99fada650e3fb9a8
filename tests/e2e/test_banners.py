"""Live delivery-failure banners in chromium, through the ASGI server (HTTP + /ws/agent/ in one process).

Every failure here goes through the real pieces: the composer's POST (window closed), a signed status webhook
over HTTP (131047), or `tickets.delivery.delivery_fail` called the way the worker calls it (in another thread,
committed, so the broadcast leaves on commit). The page is never reloaded unless the test says so.
"""

import re
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from channels_whatsapp.simulator import phone_messages, protocol, status_webhooks
from tests.e2e.asgi_server import group_members, run_in_thread, wait_for_new_member
from tests.factories import GroupFactory, UserFactory
from tickets import delivery, realtime
from tickets.models import Comment, Contact, Notification, Ticket, TicketStatus, Via

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WA = "5511987650042"
PHONE_NUMBER_ID = "SIMPHONE1"
TITLE = "Message not delivered"
WINDOW_REASON = "More than 24 hours since the customer's last message: only a template can reach them now"
LIVE_TIMEOUT_MS = 1000  # the banner's promise: within one second, without a reload
QUIET_MS = 1200  # how long "no banner" is watched for


# --- Helpers -------------------------------------------------------------------------------------------------


@pytest.fixture
def account(asgi_server) -> WhatsAppAccount:
    return WhatsAppAccount.objects.create(
        name="Demo line",
        phone_number_id=PHONE_NUMBER_ID,
        waba_id="SIMWABA1",
        display_phone_number="15550001111",
        access_token="simulator-token",
    )


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
    """The banner sits in the viewport's top-right quadrant and does not cover `other`."""
    viewport = page.viewport_size
    other.scroll_into_view_if_needed()
    box, other_box = banner.bounding_box(), other.bounding_box()
    assert box is not None and other_box is not None
    assert box["x"] >= viewport["width"] / 2, box
    assert box["x"] + box["width"] <= viewport["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] / 2, box
    overlap_x = box["x"] < other_box["x"] + other_box["width"] and other_box["x"] < box["x"] + box["width"]
    overlap_y = box["y"] < other_box["y"] + other_box["height"] and other_box["y"] < box["y"] + box["height"]
    assert not (overlap_x and overlap_y), (box, other_box)


def mark_page(page) -> None:
    """A marker a reload would wipe out."""
    page.evaluate("window.__noReload = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"


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
    expect(tick).to_contain_text("131047")
    assert_not_reloaded(ticket_tab)

    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error_code) == ("failed", "131047")
    page.goto(f"{asgi_server.url}/tickets/{ticket.pk}/")
    expect(page.locator(f'.delivery[data-comment-id="{reply.pk}"]')).to_have_class(re.compile("delivery-failed"))


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


def test_many_banners_stay_in_the_top_right_corner(page, asgi_server, account, artifacts_dir):
    """After an outage an agent may come back to many failures at once: they stack in the top-right quadrant
    (scrolling there), clear of the composer's Submit, and each can still be dismissed."""
    agent = UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)
    ticket = whatsapp_ticket(account=account, hours_since_customer=2, assignee=agent)
    replies = [agent_reply(ticket=ticket, author=agent, body=f"Reply {i}", wamid=f"wamid.MANY{i}") for i in range(8)]
    for reply in replies:
        fail_in_worker(reply, code="131026", title="Message undeliverable")

    log_in(page, asgi_server, agent)
    open_connected(page, f"{asgi_server.url}/tickets/{ticket.pk}/", ticket_id=ticket.pk)
    expect(delivery_banners(page)).to_have_count(len(replies))
    area = page.locator("#banner-area")
    assert_top_right_clear_of(page, area, page.get_by_role("button", name="Submit"))
    last = banner_for(page, replies[-1])
    last.get_by_role("button", name="Dismiss notification").click()  # reachable: scrolled into view in the area
    expect(last).to_have_count(0)
    expect(delivery_banners(page)).to_have_count(len(replies) - 1)
    page.screenshot(path=str(artifacts_dir / "banners-many.png"))


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
    expect(page.locator(f'.delivery[data-comment-id="{reply.pk}"]')).to_contain_text(HOSTILE_TITLE)
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
