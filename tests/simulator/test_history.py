"""The phone remembers the demo's conversations: seeded WhatsApp contacts and both sides of their chats."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from channels_whatsapp import demo as whatsapp_demo
from channels_whatsapp.models import WhatsAppAccount
from channels_whatsapp.simulator import selectors
from channels_whatsapp.simulator.history import HistoryConversation, HistoryMessage, phone_history_seed
from channels_whatsapp.simulator.models import SimContact, SimMessage
from tickets.models import AuthorRole, Comment, Contact

pytestmark = pytest.mark.django_db


def seed_demo(tickets: int = 40) -> str:
    out = StringIO()
    call_command("seed_demo", tickets=tickets, seed=7, stdout=out)
    return out.getvalue()


def whatsapp_comments(contact: Contact):
    return (
        Comment.objects.filter(ticket__requester=contact, ticket__whatsapp__isnull=False, public=True)
        .exclude(channel_message_id=None)
        .exclude(author_role=AuthorRole.AGENT, delivery_status=None)
        .order_by("created_at", "id")
    )


def test_seeded_whatsapp_contacts_are_on_the_phone_with_both_sides_of_their_chats():
    output = seed_demo()

    # Every customer on WhatsApp, whether or not they have written yet, so the tester can write as any of them.
    seeded = Contact.objects.filter(wa_id__isnull=False)
    assert seeded.filter(whatsapp_conversations__isnull=False).exists()
    assert set(SimContact.objects.values_list("wa_id", "name")) == set(seeded.values_list("wa_id", "name"))
    assert "the simulator's phone holds" in output
    for contact in seeded:
        comments = list(whatsapp_comments(contact))
        messages = selectors.conversation(wa_id=contact.wa_id, phone_number_id="SIMPHONE1")
        assert [m.wamid for m in messages] == [c.channel_message_id for c in comments]
        for message, comment in zip(messages, comments, strict=True):
            assert message.direction == ("in" if comment.author_role == AuthorRole.END_USER else "out")
            assert message.text == comment.body
            if message.direction == "out":
                assert message.status == comment.delivery_status
                assert message.error_code == comment.delivery_error_code
            else:
                assert message.webhook_status == 200
                assert message.backdated_hours == 0.0  # history, not a backdated send
                assert message.body["from"] == contact.wa_id


def test_the_phone_knows_when_each_customer_last_wrote():
    """The simulator's 24-hour rule counts the seeded customer messages, like Meta knows the real ones."""
    seed_demo()

    for contact in SimContact.objects.all():
        last_customer = (
            whatsapp_comments(Contact.objects.get(wa_id=contact.wa_id))
            .filter(author_role=AuthorRole.END_USER)
            .order_by("-created_at")
            .first()
        )
        last = selectors.last_inbound_at(wa_id=contact.wa_id, phone_number_id="SIMPHONE1")
        assert last == (last_customer.channel_sent_at or last_customer.created_at if last_customer else None)


def test_seeding_the_phone_again_adds_nothing():
    seed_demo()
    counts = (SimContact.objects.count(), SimMessage.objects.count())

    account = WhatsAppAccount.objects.get(phone_number_id="SIMPHONE1")
    assert whatsapp_demo.phone_history_load(account) == (0, 0)
    out = StringIO()
    call_command("seed_whatsapp_demo", stdout=out)
    assert "0 contact(s) and 0 message(s)" in out.getvalue()
    assert (SimContact.objects.count(), SimMessage.objects.count()) == counts


def test_seeded_contacts_and_conversation_show_on_the_phone_page(client, admin_user):
    seed_demo()
    client.force_login(admin_user)
    replied = SimMessage.objects.filter(direction="out").values_list("wa_id", flat=True)
    contact = SimContact.objects.filter(wa_id__in=replied).first()

    page = client.get("/simulator/")
    assert page.status_code == 200
    for name in SimContact.objects.values_list("name", flat=True):
        assert name.encode() in page.content or name.replace("'", "&#x27;").encode() in page.content

    chat = client.get("/simulator/", {"contact": contact.wa_id, "phone": "SIMPHONE1"})
    assert chat.status_code == 200
    messages = selectors.conversation(wa_id=contact.wa_id, phone_number_id="SIMPHONE1")
    assert {m.direction for m in messages} == {"in", "out"}
    for message in messages:
        assert f'data-wamid="{message.wamid}"'.encode() in chat.content


def test_history_keeps_names_and_messages_it_already_has_and_never_posts(settings):
    settings.WHATSAPP_SIMULATOR_WEBHOOK_URL = "http://127.0.0.1:9/unreachable/"
    now = timezone.now()
    SimContact.objects.create(wa_id="5511999990000", name="Renamed on the phone")
    conversation = HistoryConversation(
        wa_id="+55 11 99999-0000",
        name="Ana",
        messages=[
            HistoryMessage(wamid="wamid.H1", inbound=True, text="Hi", sent_at=now - timedelta(hours=30)),
            HistoryMessage(
                wamid="wamid.H2",
                inbound=False,
                text="Hello Ana",
                sent_at=now - timedelta(hours=29),
                status="failed",
                error_code="131047",
            ),
            HistoryMessage(
                wamid="wamid.H3",
                inbound=False,
                text="Hi Ana, your order 42 has shipped.",
                sent_at=now - timedelta(hours=2),
                status="read",
                template_name="order_update",
                template_language="en_US",
            ),
        ],
    )
    fresh = HistoryConversation(
        wa_id="5511888880000",
        name="Bia",
        messages=[HistoryMessage(wamid="wamid.H4", inbound=True, text="Oi", sent_at=now - timedelta(hours=1))],
    )

    first = phone_history_seed(phone_number_id="SIMPHONE1", conversations=[conversation, fresh])
    again = phone_history_seed(phone_number_id="SIMPHONE1", conversations=[conversation, fresh])

    assert (first.contacts, first.messages) == (1, 4)
    assert (again.contacts, again.messages) == (0, 0)
    assert SimContact.objects.get(wa_id="5511999990000").name == "Renamed on the phone"
    bia = SimContact.objects.get(wa_id="5511888880000")
    assert (bia.name, bia.updated_at) == ("Bia", now - timedelta(hours=1))
    failed, template = SimMessage.objects.get(wamid="wamid.H2"), SimMessage.objects.get(wamid="wamid.H3")
    assert (failed.status, failed.error_code, failed.type) == ("failed", "131047", "text")
    assert (template.type, template.template_name, template.status) == ("template", "order_update", "read")
    assert template.body["template"] == {"name": "order_update", "language": {"code": "en_US"}}
    assert all(m.webhook_status in (None, 200) for m in SimMessage.objects.all())
    # The window follows the last customer message: closed for Ana (30 h ago), open for Bia.
    assert not selectors.window_open(wa_id="5511999990000", phone_number_id="SIMPHONE1")
    assert selectors.window_open(wa_id="5511888880000", phone_number_id="SIMPHONE1")
