"""Real XSS payloads in every user-controlled string, rendered in Debian's chromium through the ASGI server.

Contact names, message bodies, captions, file names, template names and parameters, tags, group and agent names,
macro titles, event data, the simulator's phone and live banner frames all carry payloads that would set
`window.__xss` if they ever ran. Each page is loaded (and the dynamic parts opened), and then: `window.__xss` is
still undefined, no dialog opened, no `javascript:` link exists, and the payloads are on screen as text.
"""

from datetime import timedelta

import httpx
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from channels_whatsapp.models import MessageTemplate, WhatsAppAccount, WhatsAppConversation
from channels_whatsapp.simulator import phone_messages
from macros.models import Macro, MacroAvailability
from tests.e2e.asgi_server import run_in_thread
from tests.e2e.conftest import log_in
from tests.factories import AdminFactory, GroupFactory, UserFactory
from tickets import events, realtime
from tickets.models import Attachment, Comment, Contact, Notification, Ticket, TicketStatus, TicketTag, Via

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WA = "5511987650077"
PHONE_NUMBER_ID = "SIMPHONE1"
IMG = "<img src=x onerror=window.__xss=1>"
SVG = '"><svg onload=window.__xss=1>'
SCRIPT = "<script>window.__xss=1</script>"
JS_LINK = "javascript:window.__xss=1"
QUOTE = "';window.__xss=1;'"
PAYLOADS = (IMG, SVG, SCRIPT, JS_LINK)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def hostile_world() -> dict:
    agent = UserFactory(username="agent", first_name=SVG, last_name=IMG, password=PASSWORD)
    group = GroupFactory(name=IMG)
    group.members.add(agent)
    account = WhatsAppAccount.objects.create(
        name=SVG,
        phone_number_id=PHONE_NUMBER_ID,
        waba_id="SIMWABA1",
        display_phone_number="15550001111",
        access_token="simulator-token",
        templates_enabled=True,
    )
    contact = Contact.objects.create(
        name=f"Ana {IMG}", wa_id=WA, phone=f"+{WA}", email="ana@example.com", whatsapp_opt_in=True
    )
    ticket = Ticket.objects.create(
        subject=f"Order {SVG}",
        requester=contact,
        via=Via.WHATSAPP,
        status=TicketStatus.OPEN,
        group=group,
        assignee=agent,
        last_customer_message_at=timezone.now() - timedelta(minutes=5),
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    # Tags bypass the service's validation here: escaping must not rely on it.
    TicketTag.objects.bulk_create([TicketTag(ticket=ticket, name=IMG), TicketTag(ticket=ticket, name=SVG)])
    message = Comment.objects.create(
        ticket=ticket,
        author_role="end_user",
        author_contact=contact,
        body=f"hi {IMG}\n{SCRIPT}\nsee {JS_LINK} and {QUOTE} {{{{7*7}}}}",
        via=Via.WHATSAPP,
        message_type="text",
    )
    photo = Comment.objects.create(
        ticket=ticket,
        author_role="end_user",
        author_contact=contact,
        body=SVG,  # the caption
        via=Via.WHATSAPP,
        message_type="image",
        channel_data={"location": {"name": IMG, "address": SVG}},
    )
    for filename, content_type in ((f"{IMG}.png", "image/png"), (f"{SVG}.pdf", "application/pdf")):
        attachment = Attachment(
            ticket=ticket, comment=photo, filename=filename, content_type=content_type, size=len(PNG)
        )
        attachment.file.save("upload.bin", ContentFile(PNG), save=False)
        attachment.save()
    templated = Comment.objects.create(
        ticket=ticket,
        author_role="agent",
        author_user=agent,
        body=f"Hello {IMG}, your order {SVG} shipped",  # a template's text with hostile parameters
        via=Via.WHATSAPP,
        public=True,
        template={"name": SVG, "language": IMG, "params": [IMG, SVG]},
    )
    events.field_changed(ticket=ticket, field="subject", old=IMG, new=f"Order {SVG}", actor=agent)
    events.field_changed(ticket=ticket, field="tags", old=[IMG], new=[IMG, SVG], actor=agent)
    events.record(ticket=ticket, type=events.MACRO_APPLIED, actor=agent, data={"macro_id": 1, "title": IMG})
    events.delivery_failed(comment=templated, code=SVG, title=IMG, detail=SVG)
    Notification.objects.create(
        user=agent, ticket=ticket, comment=templated, error_code="999", error_title=IMG, error_detail=SVG
    )
    Macro.objects.create(
        title=f"{IMG}::{SVG}",
        description=SCRIPT,
        availability=MacroAvailability.EVERYONE,
        actions=[{"field": "comment_value", "value": f"Thanks {IMG}"}],
    )
    MessageTemplate.objects.create(
        account=account, name="order_update", language="en_US", body=f"Hi {IMG} {{{{1}}}}", status="APPROVED"
    )
    return {"agent": agent, "ticket": ticket, "contact": contact, "message": message}


@pytest.fixture
def world(asgi_server) -> dict:
    return hostile_world()


@pytest.fixture
def agent_page(page, asgi_server, world):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    log_in(page, asgi_server, world["agent"], PASSWORD)
    return page


def assert_inert(page, *expected_text: str) -> None:
    """Nothing ran, nothing links to javascript:, and the payloads are shown as text."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # an <img onerror> fires after its failed load
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.dialogs == []
    assert page.locator('a[href^="javascript:" i], [src^="javascript:" i], iframe, object, embed').count() == 0
    assert (
        page.locator("script:not([src])").evaluate_all(
            "nodes => nodes.filter(n => n.textContent.includes('__xss')).length"
        )
        == 0
    )
    text = page.locator("body").inner_text()
    for snippet in expected_text:
        assert snippet in text, f"{snippet!r} is not on the page as text"


def test_ticket_list(agent_page, asgi_server):
    agent_page.goto(f"{asgi_server.url}/?view=open")
    assert_inert(agent_page, f"Order {SVG}", "Ana")


def test_ticket_page_conversation_properties_and_event_log(agent_page, asgi_server, world):
    ticket = world["ticket"]
    agent_page.goto(f"{asgi_server.url}/tickets/{ticket.pk}/")
    assert_inert(agent_page, f"Order {SVG}", IMG, SVG, SCRIPT, JS_LINK, QUOTE, "{{7*7}}", f"Hello {IMG}")
    agent_page.goto(f"{asgi_server.url}/tickets/{ticket.pk}/?events=delivery")
    assert_inert(agent_page, IMG)


def test_stored_notification_banner(agent_page, asgi_server, world):
    agent_page.goto(f"{asgi_server.url}/tickets/{world['ticket'].pk}/")
    banner = agent_page.locator(".banner-delivery")
    expect(banner.first).to_be_visible()
    expect(banner.first).to_contain_text(IMG)
    assert_inert(agent_page, f"{IMG}: {SVG}")


def test_live_banner_frame_with_hostile_fields(agent_page, asgi_server, world):
    agent = world["agent"]
    agent_page.goto(f"{asgi_server.url}/")
    expect(agent_page.locator("body")).to_have_attribute("data-live", "connected")
    frame = {
        "type": "delivery.failed",
        "ticket_id": world["ticket"].pk,
        "comment_id": IMG,
        "error": {"code": SVG, "title": IMG, "detail": SCRIPT},
        "occurred_at": IMG,
        "ticket_url": JS_LINK,
    }
    run_in_thread(lambda: realtime.send_to_groups([realtime.agent_group(agent.pk)], frame))
    live = agent_page.locator(".banner-delivery", has_text=SCRIPT)
    expect(live).to_be_visible()
    assert_inert(agent_page, IMG, SCRIPT)
    link = live.locator("a")
    link.click()  # a javascript: URL would run here
    agent_page.wait_for_timeout(300)
    assert agent_page.evaluate("typeof window.__xss") == "undefined"


def test_macro_menu_titles(agent_page, asgi_server, world):
    agent_page.goto(f"{asgi_server.url}/tickets/{world['ticket'].pk}/")
    agent_page.get_by_text("Apply macro", exact=True).click()
    expect(agent_page.locator(".macro-option").first).to_contain_text(SVG)
    assert_inert(agent_page, IMG, SVG)
    agent_page.locator(".macro-option").first.click()  # previews the macro's comment into the form
    assert_inert(agent_page)
    assert IMG in agent_page.get_by_label("Message").input_value()


def test_contact_page(agent_page, asgi_server, world):
    response = agent_page.goto(f"{asgi_server.url}/contacts/{world['contact'].pk}/")
    if response.status == 404:
        pytest.skip("no contact page in this build")
    assert_inert(agent_page, f"Ana {IMG}")


def test_composer_template_picker(agent_page, asgi_server, world):
    agent_page.goto(f"{asgi_server.url}/tickets/{world['ticket'].pk}/")
    body = agent_page.get_by_label("Message")
    body.fill(f"&((template=[[order_update]] language=[[en_US]] body_text=[[{IMG}]]))&")
    agent_page.wait_for_timeout(800)  # the composer's live check renders its preview
    assert_inert(agent_page)


def test_agent_reply_typed_into_the_page(agent_page, asgi_server, world):
    """The agent types payloads; the page stores them and shows them back as text."""
    TicketTag.objects.filter(ticket=world["ticket"]).delete()  # the form would refuse the planted invalid tags
    agent_page.goto(f"{asgi_server.url}/tickets/{world['ticket'].pk}/")
    agent_page.get_by_role("radio", name="Internal note").check()
    agent_page.get_by_label("Message").fill(f"note {SVG} {SCRIPT}")
    with agent_page.expect_navigation():
        agent_page.get_by_role("button", name="Submit").click()
    expect(agent_page.locator(".comment-body", has_text=f"note {SVG} {SCRIPT}")).to_be_visible(timeout=15_000)
    assert_inert(agent_page, f"note {SVG} {SCRIPT}")


def test_simulator_phone(agent_page, asgi_server, world):
    agent_page.context.clear_cookies()  # log the agent out: the simulator is for admins
    log_in(agent_page, asgi_server, AdminFactory(password=PASSWORD), PASSWORD)
    phone_messages.contact_save(wa_id=WA, name=f"Ana {SVG}")
    response = httpx.post(
        f"{asgi_server.url}/simulator/graph/v23.0/{PHONE_NUMBER_ID}/messages",
        json={"messaging_product": "whatsapp", "to": f"+{WA}", "type": "text", "text": {"body": f"Shipped {IMG}"}},
        headers={"Authorization": "Bearer simulator-token"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    agent_page.goto(f"{asgi_server.url}/simulator/?contact={WA}&phone={PHONE_NUMBER_ID}")
    expect(agent_page.locator("#sim-conversation")).to_contain_text(f"Shipped {IMG}")
    # The customer types payloads too: they reach our webhook, become a ticket, and come back as text.
    agent_page.locator("#sim-text").fill(f"from the phone {SVG}")
    agent_page.get_by_role("button", name="Send", exact=True).click()
    expect(agent_page.locator("#sim-conversation")).to_contain_text(f"from the phone {SVG}")
    assert_inert(agent_page, f"Shipped {IMG}", f"from the phone {SVG}")
