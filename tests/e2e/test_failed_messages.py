"""Failed messages with a next step, in chromium: the red bubble in plain words (desktop and phone widths), "Send as
template" from the bubble to a delivered template, "Retry" after a transient failure to a delivered message (live,
no reload), and the composer's reply/note shortcut. WhatsApp is the bundled simulator, over real HTTP."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from channels_whatsapp import message_templates
from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from channels_whatsapp.simulator import faults, phone_messages, seed_templates, status_webhooks
from tests.e2e.banner_helpers import assert_not_reloaded, banner_for, mark_page, open_connected
from tests.factories import UserFactory
from tickets import services
from tickets.models import Comment, Contact, Ticket, TicketStatus, Via

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WA = "5511987650099"
PHONE_NUMBER_ID = "SIMPHONE1"
DESKTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}
WINDOW_WORDS = (
    "The reply was kept on the ticket but not sent. More than 24 hours since the customer's last message: "
    "only a template can reach them now."
)
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LIVE_TIMEOUT_MS = 5000


def wire(server_url: str, settings, monkeypatch, *, templates: bool) -> WhatsAppAccount:
    """Our Cloud API client talks to the simulator's Graph API, the simulator's phone to our webhook."""
    settings.WHATSAPP_GRAPH_URL = f"{server_url}/simulator/graph/v23.0"
    settings.WHATSAPP_SIMULATOR_WEBHOOK_URL = f"{server_url}/whatsapp/webhook/"
    monkeypatch.setattr(status_webhooks, "STATUS_DELAY_SECONDS", 0)
    account = WhatsAppAccount.objects.create(
        name="Demo line",
        phone_number_id=PHONE_NUMBER_ID,
        waba_id="SIMWABA1",
        display_phone_number="15550001111",
        access_token="simulator-token",
        templates_enabled=templates,
    )
    for spec in seed_templates.SEED_TEMPLATES:
        if templates and spec["status"] == "APPROVED" and not spec.get("header_format"):
            message_templates.template_create(
                account=account,
                name=spec["name"],
                language=spec["language"],
                category=spec["category"],
                status="APPROVED",
                body=spec["body"],
            )
    return account


def customer_writes(text: str, *, hours_ago: float = 0) -> Ticket:
    phone_messages.phone_send(
        phone_messages.PhoneMessage(WA, "Ana Souza", text=text, phone_number_id=PHONE_NUMBER_ID, hours_ago=hours_ago)
    )
    # The welcome auto-reply's status webhooks come from threads: let them land before the test writes.
    assert status_webhooks.status_threads_join(10)
    return Ticket.objects.get(via=Via.WHATSAPP)


def log_in(page, server_url: str, user) -> None:
    page.goto(f"{server_url}/accounts/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server_url}/")


@pytest.fixture
def agent(db):
    return UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)


def closed_window_failure(agent) -> tuple[Ticket, Comment]:
    """A WhatsApp ticket whose customer wrote 30 hours ago, and the agent's reply, failed: window closed."""
    contact = Contact.objects.create(name="Ana Souza", wa_id=WA, phone=f"+{WA}", whatsapp_opt_in=True)
    ticket = Ticket.objects.create(
        subject="Where is my order?",
        requester=contact,
        via=Via.WHATSAPP,
        status=TicketStatus.OPEN,
        assignee=agent,
        last_customer_message_at=timezone.now() - timedelta(hours=30),
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=WhatsAppAccount.objects.get(), contact=contact)
    Comment.objects.create(
        ticket=ticket, author_role="end_user", author_contact=contact, body="My order #4521 is late", via=Via.WHATSAPP
    )
    reply = services.comment_add(ticket=ticket, author=agent, body="Sorry Ana, it ships today.", public=True)
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error_code) == ("failed", "window_closed")
    return ticket, reply


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366x850", "390x844"])
def test_a_failed_message_is_red_with_plain_words(
    page, live_server, settings, monkeypatch, agent, artifacts_dir, viewport
):
    wire(live_server.url, settings, monkeypatch, templates=True)
    ticket, reply = closed_window_failure(agent)
    page.set_viewport_size(viewport)
    log_in(page, live_server.url, agent)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/#comment-{reply.pk}")

    item = page.locator(f"#comment-{reply.pk}")
    expect(item).to_have_class(re.compile(r"\bcomment--failed\b"))
    expect(item.locator(".bubble")).to_have_css("background-color", "rgb(253, 236, 238)")  # red tint
    expect(item.locator(".delivery-failure-text")).to_have_text(f"Not delivered: {WINDOW_WORDS}")
    expect(item.locator(".delivery-failure-icon")).to_be_visible()
    code = item.locator(".delivery-failure-code")
    expect(code).to_contain_text("code window_closed")
    assert code.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") < item.locator(
        ".delivery-failure-reason"
    ).evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    expect(item.get_by_role("button", name="Send as template")).to_be_visible()
    expect(item.get_by_role("button", name="Retry")).to_have_count(0)  # a closed window is not transient

    # The banner says the very same words.
    banner = page.locator(f'#banner-area .banner-delivery[data-comment-id="{reply.pk}"]')
    if banner.count():
        expect(banner.locator(".banner-text")).to_have_text(WINDOW_WORDS)

    # Everything fits the width: no sideways scrolling, the actions inside the bubble.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    bubble_box = item.locator(".bubble").bounding_box()
    button_box = item.get_by_role("button", name="Send as template").bounding_box()
    assert bubble_box["x"] + bubble_box["width"] <= viewport["width"]
    assert button_box["x"] + button_box["width"] <= bubble_box["x"] + bubble_box["width"]
    item.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / f"failed-bubble-{viewport['width']}x{viewport['height']}.png"))
    if viewport == DESKTOP:
        page.evaluate("window.scrollTo(0, 0)")  # the whole page: header, conversation, composer, events
        shots = DOCS_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else artifacts_dir
        page.screenshot(path=str(shots / "ticket-page.png"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366x850", "390x844"])
def test_send_as_template_from_a_failed_bubble_reaches_the_customer(
    page, live_server, settings, monkeypatch, agent, viewport
):
    page.set_viewport_size(viewport)
    wire(live_server.url, settings, monkeypatch, templates=True)
    ticket = customer_writes("Any news about order 4521?", hours_ago=30)
    Contact.objects.filter(wa_id=WA).update(whatsapp_opt_in=True)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    reply = services.comment_add(ticket=ticket, author=agent, body="It ships today.", public=True)
    log_in(page, live_server.url, agent)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    expect(page.locator("[data-wa-open-picker]")).to_be_visible()  # the composer is running

    page.get_by_text("Internal note", exact=True).click()  # the picker brings back the public reply
    page.locator(f"#comment-{reply.pk}").get_by_role("button", name="Send as template").click()
    dialog = page.get_by_role("dialog", name="Choose a WhatsApp template")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("radio", name="Public reply")).to_be_checked()
    dialog.get_by_label("Search templates").fill("follow")
    dialog.locator(".wa-template-option").filter(has_text="en_US").click()
    expect(dialog.get_by_label("Parameter 1")).to_have_value("Ana")  # prefilled for this customer
    dialog.get_by_label("Parameter 2").fill(str(ticket.pk))
    dialog.get_by_role("button", name="Insert").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_label("Message")).to_have_value(re.compile(r"^&\(\(template=\[\[ticket_followup\]\]"))
    page.get_by_role("button", name="Submit").click()

    expected = f"Hello Ana, we have an update on your request #{ticket.pk}. Reply to continue the conversation."
    expect(page.locator(".comment--agent").filter(has_text=expected)).to_be_visible()
    assert status_webhooks.status_threads_join(10)
    sent = Comment.objects.get(ticket=ticket, template__name="ticket_followup")
    assert sent.delivery_status in ("sent", "delivered", "read")
    assert expected in phone_texts()


def phone_texts() -> list[str]:
    """What the customer's phone (the simulator) received from the business."""
    from channels_whatsapp.simulator.models import SimMessage

    return list(SimMessage.objects.filter(wa_id=WA, direction="out").values_list("text", flat=True))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366x850", "390x844"])
def test_retry_after_a_transient_failure_gets_the_message_delivered_live(
    page, asgi_server, settings, monkeypatch, agent, viewport
):
    page.set_viewport_size(viewport)
    wire(asgi_server.url, settings, monkeypatch, templates=False)
    ticket = customer_writes("Any news about order 4521?")
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    faults.fault_inject("server_error", count=5)  # every automatic attempt meets an HTTP 500
    reply = services.comment_add(ticket=ticket, author=agent, body="It ships today.", public=True)
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error_code) == ("failed", "131000")

    log_in(page, asgi_server.url, agent)
    open_connected(page, f"{asgi_server.url}/tickets/{ticket.pk}/", ticket_id=ticket.pk)
    item = page.locator(f"#comment-{reply.pk}")
    expect(item).to_have_class(re.compile(r"\bcomment--failed\b"))
    expect(item.locator(".delivery-failure-reason")).to_have_text(
        "WhatsApp reported an unknown error. Try again; if it keeps happening, tell an admin."
    )
    expect(item.get_by_role("button", name="Send as template")).to_have_count(0)
    expect(item.locator("[data-template-refusal]")).to_have_text(
        "Templates are not enabled on this WhatsApp number: an admin can turn them on."
    )
    banner = banner_for(page, reply)
    expect(banner.locator(".banner-title")).to_have_text("Message not delivered")
    mark_page(page)
    item.get_by_role("button", name="Retry").click()

    tick = page.locator(f'.delivery[data-comment-id="{reply.pk}"]')
    expect(tick).to_have_class(re.compile(r"delivery-(delivered|read)"), timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(f"#comment-{reply.pk}")).not_to_have_class(re.compile(r"comment--failed"))
    expect(page.locator(f"#comment-{reply.pk} .delivery-failure")).to_have_count(0)
    expect(banner.locator(".banner-title")).to_have_text("Delivered later")  # its own banner is resolved
    assert_not_reloaded(page)
    assert Comment.objects.filter(ticket=ticket, author_role="agent").count() == 1  # the same message, no copy
    assert phone_texts().count("It ships today.") == 1  # sent once, by the retry
    expect(page.locator("#event-log")).to_contain_text("Failed message sent again (it had failed with 131000)")


def test_the_reply_note_shortcut_toggles_while_typing(page, live_server, agent):
    """Desktop only (1366x850): Alt+N is a keyboard shortcut, and a phone has no Alt key; at phone size the agent
    taps the Reply type radios, which the send-as-template test above uses at both sizes."""
    page.set_viewport_size(DESKTOP)
    contact = Contact.objects.create(name="Carla", email="carla@example.com")
    ticket = Ticket.objects.create(subject="Refund", requester=contact, via=Via.WEB, assignee=agent)
    log_in(page, live_server.url, agent)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    modes = page.get_by_role("radiogroup", name="Reply type")
    expect(modes).to_have_attribute("title", re.compile("Alt\\+N"))
    expect(page.locator(".composer-hint")).to_contain_text("Alt+N")
    body = page.get_by_label("Message")
    body.click()
    body.type("Checking with the courier")
    page.keyboard.press("Alt+n")
    expect(page.get_by_role("radio", name="Internal note")).to_be_checked()
    expect(page.locator("[data-mode-announce]")).to_have_text("Internal note: only agents will see this.")
    expect(body).to_be_focused()
    expect(body).to_have_value("Checking with the courier")  # the key typed nothing
    page.keyboard.press("Alt+n")
    expect(page.get_by_role("radio", name="Public reply")).to_be_checked()
    expect(page.locator("[data-mode-announce]")).to_have_text("Public reply: the customer will see this.")
    page.keyboard.press("Alt+n")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".comment--note").filter(has_text="Checking with the courier")).to_be_visible()
