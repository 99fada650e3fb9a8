"""The composer that knows, in chromium: the window countdown, the closed-window notice, the template picker,
shorthand checked as the agent writes, the confirmation before a free-form reply into a closed window, and
starting a conversation from the contact page. WhatsApp is the bundled simulator, over real HTTP."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from channels_whatsapp import message_templates
from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from channels_whatsapp.simulator import phone_messages, seed_templates, status_webhooks
from tests.factories import AdminFactory, UserFactory
from tickets.models import Comment, Contact, Ticket, TicketStatus, Via

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WA = "5511987650077"
PHONE_NUMBER_ID = "SIMPHONE1"
FOLLOWUP_TEXT = "Hello Ana, we have an update on your request #{ref}. Reply to continue the conversation."
CLOSED_NOTICE = (
    "The 24-hour window is closed: a free-form reply will be kept on the ticket but not delivered. "
    "Only an approved template can reach the customer now."
)
CONFIRM_TEXT = (
    "The window is closed: this reply will be kept on the ticket but not delivered to the customer. Send anyway?"
)


@pytest.fixture
def wired(live_server, settings, monkeypatch) -> WhatsAppAccount:
    """Our Cloud API client talks to the simulator's Graph API, the simulator's phone to our webhook."""
    settings.WHATSAPP_GRAPH_URL = f"{live_server.url}/simulator/graph/v23.0"
    settings.WHATSAPP_SIMULATOR_WEBHOOK_URL = f"{live_server.url}/whatsapp/webhook/"
    monkeypatch.setattr(status_webhooks, "STATUS_DELAY_SECONDS", 0)
    account = WhatsAppAccount.objects.create(
        name="Demo line",
        phone_number_id=PHONE_NUMBER_ID,
        waba_id="SIMWABA1",
        display_phone_number="15550001111",
        access_token="simulator-token",
        templates_enabled=True,
    )
    # Our registry, as a sync would have copied it from the simulator's seeded templates.
    for spec in seed_templates.SEED_TEMPLATES:
        if spec["status"] == "APPROVED" and not spec.get("header_format"):
            message_templates.template_create(
                account=account,
                name=spec["name"],
                language=spec["language"],
                category=spec["category"],
                status="APPROVED",
                body=spec["body"],
            )
    return account


@pytest.fixture
def agent(db):
    return UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)


def ticket_with_window(account, *, hours_since_customer: float, wa_id: str = WA) -> Ticket:
    """A WhatsApp ticket whose customer last wrote `hours_since_customer` ago (no simulator needed)."""
    contact = Contact.objects.create(name="Ana Souza", wa_id=wa_id, phone=f"+{wa_id}")
    ticket = Ticket.objects.create(
        subject="Where is my order?",
        requester=contact,
        via=Via.WHATSAPP,
        status=TicketStatus.OPEN,
        last_customer_message_at=timezone.now() - timedelta(hours=hours_since_customer),
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    Comment.objects.create(
        ticket=ticket, author_role="end_user", author_contact=contact, body="My order #4521 is late", via=Via.WHATSAPP
    )
    return ticket


def record_and_dismiss(seen: list[str]):
    def handler(dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    return handler


def open_ticket(page, live_server, ticket) -> None:
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    expect(page.locator("[data-wa-open-picker]")).to_be_visible()  # composer.js is running


# --- The whole story: closed window -> picker -> template sent -> phone -> free-form confirm ---------------------


def test_closed_window_template_picker_send_and_free_form_confirmation(
    page, live_server, login, wired, agent, artifacts_dir
):
    phone_messages.phone_send(
        phone_messages.PhoneMessage(
            WA, "Ana Souza", text="Any news about order 4521?", phone_number_id=PHONE_NUMBER_ID, hours_ago=30
        )
    )
    ticket = Ticket.objects.get(via="whatsapp")
    assert ticket.last_customer_message_at < timezone.now() - timedelta(hours=29)

    login(page, live_server, agent, PASSWORD)
    open_ticket(page, live_server, ticket)

    # Said before the agent types anything.
    window = page.locator("[data-wa-window]")
    expect(window).to_have_text("Window closed")
    expect(window).to_have_class(re.compile("wa-window-closed"))
    expect(window).to_have_css("color", "rgb(204, 51, 64)")  # red
    expect(page.locator("[data-wa-closed-notice]")).to_have_text(CLOSED_NOTICE)
    expect(page.get_by_label("Message")).to_have_value("")
    page.screenshot(path=str(artifacts_dir / "composer-closed.png"), full_page=True)

    # The picker: a labelled modal dialog, searchable.
    page.get_by_role("button", name="Use a template").click()
    dialog = page.get_by_role("dialog", name="Choose a WhatsApp template")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Search templates")).to_be_focused()
    expect(dialog.locator(".wa-template-option")).to_have_count(5)
    dialog.get_by_label("Search templates").fill("follow")
    options = dialog.locator(".wa-template-option")
    expect(options).to_have_count(2)  # en_US and pt_BR
    english = options.filter(has_text="en_US")
    expect(english).to_contain_text("ticket_followup")
    expect(english).to_contain_text("UTILITY")
    expect(english).to_contain_text("Hello {{1}}, we have an update on your request #{{2}}.")
    page.screenshot(path=str(artifacts_dir / "composer-picker-list.png"))
    english.click()

    # Parameters as fields: 1 pre-filled with the first name, 2 focused and empty; the preview follows.
    first, second = dialog.get_by_label("Parameter 1"), dialog.get_by_label("Parameter 2")
    expect(first).to_have_value("Ana")
    expect(second).to_have_value("")
    expect(second).to_be_focused()
    preview = dialog.locator("[data-wa-preview]")
    expect(preview).to_have_text(
        "Hello Ana, we have an update on your request #{{2}}. Reply to continue the conversation."
    )
    dialog.get_by_role("button", name="Insert").click()
    expect(dialog.locator("[data-wa-picker-error]")).to_have_text("Fill in Parameter 2.")
    second.fill(str(ticket.pk))
    expected = FOLLOWUP_TEXT.format(ref=ticket.pk)
    expect(preview).to_have_text(expected)
    page.screenshot(path=str(artifacts_dir / "composer-picker-params.png"))
    dialog.get_by_role("button", name="Insert").click()
    expect(dialog).to_be_hidden()

    # The textarea holds valid shorthand, public reply mode; the check shows what the customer will get.
    body = page.get_by_label("Message")
    expect(body).to_have_value(
        f"&((template=[[ticket_followup]] language=[[en_US]] body_text=[[Ana]] body_text=[[{ticket.pk}]]))&"
    )
    expect(page.get_by_role("radio", name="Public reply")).to_be_checked()
    check = page.locator("[data-wa-check]")
    expect(check.locator(".wa-rendered")).to_have_text(expected)
    expect(check.locator(".badge-template")).to_have_text("template")
    expect(check).to_have_attribute("aria-live", "polite")
    page.screenshot(path=str(artifacts_dir / "composer-inserted.png"), full_page=True)

    # A template needs no confirmation; the ticket shows the rendered text with a badge, not the shorthand.
    unexpected: list[str] = []
    page.on("dialog", record_and_dismiss(unexpected))
    page.get_by_role("button", name="Submit").click()
    sent = page.locator(".comment--agent").filter(has_text=expected)
    expect(sent).to_be_visible()
    expect(sent.locator(".badge-template")).to_have_text("template")
    expect(page.locator("#comments")).not_to_contain_text("&((")
    assert unexpected == []

    template_comment = Comment.objects.get(ticket=ticket, author_role="agent")
    assert template_comment.template["name"] == "ticket_followup"
    assert status_webhooks.status_threads_join(10)
    template_comment.refresh_from_db()
    assert template_comment.delivery_status in ("sent", "delivered", "read")

    # The customer's phone shows the template text (the simulator is for admins).
    page.context.clear_cookies()  # log the agent out
    login(page, live_server, AdminFactory(password=PASSWORD), PASSWORD)
    page.goto(f"{live_server.url}/simulator/?contact={WA}&phone={PHONE_NUMBER_ID}")
    expect(page.locator("#sim-conversation")).to_contain_text(expected)
    page.screenshot(path=str(artifacts_dir / "composer-phone.png"), full_page=True)


def test_free_form_reply_into_a_closed_window_asks_first(page, live_server, login, wired, agent, artifacts_dir):
    ticket = ticket_with_window(wired, hours_since_customer=30)
    login(page, live_server, agent, PASSWORD)
    open_ticket(page, live_server, ticket)

    body = page.get_by_label("Message")
    body.fill("Are you still there, Ana?")
    expect(page.locator("[data-wa-check]")).to_contain_text("Free-form reply: the window is closed")

    # Cancel: nothing is sent, the text stays.
    messages: list[str] = []
    page.once("dialog", record_and_dismiss(messages))
    page.get_by_role("button", name="Submit").click()
    expect(body).to_have_value("Are you still there, Ana?")
    assert messages == [CONFIRM_TEXT]
    assert not Comment.objects.filter(ticket=ticket, author_role="agent").exists()

    # An internal note never asks.
    page.get_by_text("Internal note", exact=True).click()
    unexpected: list[str] = []
    page.on("dialog", record_and_dismiss(unexpected))
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".comment--note").filter(has_text="Are you still there, Ana?")).to_be_visible()
    assert unexpected == []


def test_free_form_after_a_template_is_confirmed_then_fails_window_closed(
    page, live_server, login, wired, agent, artifacts_dir
):
    phone_messages.phone_send(
        phone_messages.PhoneMessage(WA, "Ana Souza", text="Hello?", phone_number_id=PHONE_NUMBER_ID, hours_ago=30)
    )
    ticket = Ticket.objects.get(via="whatsapp")
    login(page, live_server, agent, PASSWORD)
    open_ticket(page, live_server, ticket)

    accepted: list[str] = []

    def accept(dialog):
        accepted.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_label("Message").fill("Sorry for the wait, it ships today.")
    page.get_by_role("button", name="Submit").click()
    failed = page.locator(".comment--agent").filter(has_text="Sorry for the wait, it ships today.")
    expect(failed).to_be_visible()
    assert accepted == [CONFIRM_TEXT]

    comment = Comment.objects.get(ticket=ticket, author_role="agent")
    assert comment.delivery_status == "failed"
    assert comment.delivery_error_code == "window_closed"
    expect(failed.locator(".delivery")).to_have_class(re.compile("delivery-failed"))
    banner = page.locator(".banner-delivery")
    if banner.count():
        expect(banner.first).to_contain_text("only a template can reach them now")
    page.screenshot(path=str(artifacts_dir / "composer-window-closed-failed.png"), full_page=True)


# --- Shorthand checked as it is typed ----------------------------------------------------------------------------


def test_typed_shorthand_is_checked_as_the_agent_writes(page, live_server, login, wired, agent, artifacts_dir):
    ticket = ticket_with_window(wired, hours_since_customer=30)
    login(page, live_server, agent, PASSWORD)
    open_ticket(page, live_server, ticket)
    body = page.get_by_label("Message")
    check = page.locator("[data-wa-check]")

    body.fill("&((template=[[ticket_followup]] language=[[en_US]] body_text=[[Ana]]))&")
    expect(check).to_contain_text("takes 2 body parameter(s); 1 given")
    expect(check).to_contain_text("kept on the ticket but not delivered")
    page.screenshot(path=str(artifacts_dir / "composer-check-params.png"), full_page=True)

    body.fill("&((template=[[ticket_followup]] language=[[de_DE]] body_text=[[Ana]] body_text=[[1]]))&")
    expect(check).to_contain_text("'ticket_followup' in de_DE does not exist")

    body.fill("&((template=[[no_such_template]] language=[[en_US]]))&")
    expect(check).to_contain_text("'no_such_template' in en_US does not exist")

    body.fill("&((template=[[ticket_followup]] language=[[en_US]]")
    expect(check).to_contain_text("cannot be sent as it is")
    expect(check).to_contain_text("Template shorthand:")

    body.fill("&((template=[[hello_world]] language=[[en_US]]))&")
    expect(check.locator(".wa-rendered")).to_have_text("Hello World")
    expect(check.locator(".badge-template")).to_be_visible()
    expect(check).not_to_contain_text("not delivered")

    # Text from the server is text: a parameter that looks like markup stays visible as typed.
    body.fill(
        "&((template=[[ticket_followup]] language=[[en_US]] body_text=[[<img src=x onerror=alert(1)>]] body_text=[[7]]))&"
    )
    expect(check.locator(".wa-rendered")).to_contain_text("Hello <img src=x onerror=alert(1)>,")
    assert check.locator("img").count() == 0

    # Internal notes are not messages to the customer: nothing to check.
    page.get_by_text("Internal note", exact=True).click()
    expect(check).to_be_empty()


# --- The countdown ------------------------------------------------------------------------------------------------


def test_open_window_counts_down(page, live_server, login, wired, agent, artifacts_dir):
    ticket = ticket_with_window(wired, hours_since_customer=21)  # 3 h left
    login(page, live_server, agent, PASSWORD)
    open_ticket(page, live_server, ticket)
    window = page.locator("[data-wa-window]")
    expect(page.locator("[data-wa-window-text]")).to_have_text(
        re.compile(r"^Window open · closes in (3 h|2 h 59 min)$")
    )
    expect(window).to_have_class(re.compile("wa-window-open"))
    expect(page.locator("[data-wa-closed-notice]")).to_be_hidden()
    expect(page.get_by_role("button", name="Use a template")).to_be_visible()  # also while open
    page.screenshot(path=str(artifacts_dir / "composer-open.png"), full_page=True)


def test_under_two_hours_is_amber(page, live_server, login, wired, agent):
    ticket = ticket_with_window(wired, hours_since_customer=22.5)  # 1 h 30 min left
    login(page, live_server, agent, PASSWORD)
    open_ticket(page, live_server, ticket)
    window = page.locator("[data-wa-window]")
    expect(page.locator("[data-wa-window-text]")).to_have_text(re.compile(r"^Window open · closes in 1 h (30|29) min$"))
    expect(window).to_have_class(re.compile("wa-window-soon"))
    expect(window).to_have_css("color", "rgb(138, 75, 0)")  # amber


def test_window_closing_while_the_page_is_open_switches_without_reload(
    page, live_server, login, wired, agent, artifacts_dir
):
    ticket = ticket_with_window(wired, hours_since_customer=24 - 6 / 3600)  # closes in ~6 s
    login(page, live_server, agent, PASSWORD)
    open_ticket(page, live_server, ticket)
    window = page.locator("[data-wa-window]")
    expect(window).to_have_text("Window open · closes in less than a minute")
    expect(page.locator("[data-wa-closed-notice]")).to_be_hidden()
    page.get_by_label("Message").fill("Typing while it closes")
    expect(window).to_have_text("Window closed", timeout=15_000)
    expect(window).to_have_class(re.compile("wa-window-closed"))
    expect(page.locator("[data-wa-closed-notice]")).to_be_visible()
    expect(page.locator("[data-wa-check]")).to_contain_text("Free-form reply: the window is closed")
    page.screenshot(path=str(artifacts_dir / "composer-closed-live.png"), full_page=True)
    expect(page.locator(".ticket-meta .chip")).to_have_text("WhatsApp window closed")


# --- The contact page -----------------------------------------------------------------------------------------


def test_start_a_conversation_from_the_contact_page(page, live_server, login, wired, agent, artifacts_dir):
    contact = Contact.objects.create(name="Bruno Lima", wa_id="5511987650088", phone="+5511987650088", created_by=agent)
    phone_messages.contact_save(wa_id=contact.wa_id, name=contact.name)
    login(page, live_server, agent, PASSWORD)
    page.goto(f"{live_server.url}/contacts/")
    page.get_by_role("searchbox", name="Search").fill("bruno")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".results-count")).to_contain_text("of 1 contact")
    page.screenshot(path=str(artifacts_dir / "composer-contact-list.png"), full_page=True)
    page.get_by_role("link", name="Bruno Lima").click()
    expect(page.get_by_role("heading", name="Bruno Lima", level=1)).to_be_visible()

    # Opt-in is recorded with who and how.
    page.get_by_label("Opted in", exact=True).check()
    page.get_by_label("How was it given?").fill("asked on the phone")
    page.get_by_role("button", name="Save opt-in").click()
    expect(page.locator(".opt-in-record")).to_contain_text("agent (asked on the phone)")
    expect(page.locator(".opt-in-record")).to_contain_text("Alice Agent")

    page.get_by_role("button", name="Choose a template").click()
    dialog = page.get_by_role("dialog", name="Choose a WhatsApp template")
    dialog.get_by_label("Search templates").fill("order")
    dialog.locator(".wa-template-option").filter(has_text="order_update").click()
    expect(dialog.get_by_label("Parameter 1")).to_have_value("Bruno")
    dialog.get_by_label("Parameter 2").fill("#4521")
    expect(dialog.locator("[data-wa-preview]")).to_have_text("Hi Bruno, your order #4521 has shipped.")
    page.screenshot(path=str(artifacts_dir / "composer-contact-picker.png"))
    dialog.get_by_role("button", name="Insert").click()
    expect(page.locator(".wa-start [data-wa-check] .wa-rendered")).to_have_text(
        "Hi Bruno, your order #4521 has shipped."
    )
    page.screenshot(path=str(artifacts_dir / "composer-contact.png"), full_page=True)

    page.get_by_role("button", name="Start conversation").click()
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    ticket = Ticket.objects.get(requester=contact)
    assert ticket.via == "whatsapp"
    sent = page.locator(".comment--agent").filter(has_text="Hi Bruno, your order #4521 has shipped.")
    expect(sent.locator(".badge-template")).to_be_visible()
    expect(page.locator("#banner-area")).to_contain_text(f"Conversation started with Bruno Lima: ticket #{ticket.pk}.")
    # No customer message yet: the window is closed until Bruno answers.
    expect(page.locator("[data-wa-window]")).to_have_text("Window closed")
    assert status_webhooks.status_threads_join(10)


def test_the_picker_works_from_the_keyboard(page, live_server, login, wired, agent):
    ticket = ticket_with_window(wired, hours_since_customer=2)
    login(page, live_server, agent, PASSWORD)
    open_ticket(page, live_server, ticket)
    opener = page.get_by_role("button", name="Use a template")

    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Choose a WhatsApp template")
    search = dialog.get_by_label("Search templates")
    expect(search).to_be_focused()
    page.keyboard.press("Escape")  # the native dialog closes on Esc, and focus goes back to the button
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    page.keyboard.press("Enter")
    page.keyboard.type("hello world")
    expect(dialog.locator(".wa-template-option")).to_have_count(1)
    page.keyboard.press("Enter")  # the only match is chosen
    expect(dialog.get_by_text("This template takes no parameters.")).to_be_visible()
    expect(dialog.get_by_role("button", name="Insert")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.get_by_label("Message")).to_have_value("&((template=[[hello_world]] language=[[en_US]]))&")
    expect(page.get_by_label("Message")).to_be_focused()
    expect(page.locator("[data-wa-check] .wa-rendered")).to_have_text("Hello World")


def test_a_new_customer_message_reopens_the_window_without_reload(page, live_server, login, wired, agent):
    ticket = ticket_with_window(wired, hours_since_customer=30)
    login(page, live_server, agent, PASSWORD)
    open_ticket(page, live_server, ticket)
    expect(page.locator("[data-wa-window]")).to_have_text("Window closed")

    Ticket.objects.filter(pk=ticket.pk).update(last_customer_message_at=timezone.now() - timedelta(minutes=5))
    # What realtime.js does on a `comment.added` frame: fetch the parts it concerns and swap them out of band.
    page.evaluate(
        """() => htmx.ajax("GET", document.body.dataset.fragmentsUrl + "?part=conversation&part=events&part=window",
                           {target: "body", swap: "none"})"""
    )
    expect(page.locator("[data-wa-window-text]")).to_have_text(re.compile(r"^Window open · closes in 23 h 5\d min$"))
    expect(page.locator("[data-wa-closed-notice]")).to_be_hidden()


def test_without_javascript_the_composer_still_says_and_sends(browser, live_server, login, wired, agent):
    ticket = ticket_with_window(wired, hours_since_customer=30)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US", java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, live_server, agent, PASSWORD)
        page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
        expect(page.locator("[data-wa-window]")).to_have_text("Window closed")
        expect(page.locator("[data-wa-closed-notice]")).to_have_text(CLOSED_NOTICE)
        expect(page.locator("[data-wa-open-picker]")).to_be_hidden()  # needs the script
        page.get_by_label("Message").fill(
            f"&((template=[[ticket_followup]] language=[[en_US]] body_text=[[Ana]] body_text=[[{ticket.pk}]]))&"
        )
        page.get_by_role("button", name="Submit").click()
        expect(page.locator(".comment--agent")).to_contain_text(FOLLOWUP_TEXT.format(ref=ticket.pk))
    finally:
        context.close()
    assert status_webhooks.status_threads_join(10)
