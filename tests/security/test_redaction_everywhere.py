"""Credit-card redaction everywhere in the product (the pure rules are `tests/tickets/test_redaction_rules.py` and
`tests/tickets/test_redaction_corpus.py`): an inbound WhatsApp webhook leaves no full number in any table, file or
log line, however the numbers are written; the per-number opt-out and who may use it; and the account-wide setting
for web, API and e-mail tickets."""

import base64
import copy
import hashlib
import logging
import re
import unicodedata

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings

from channels_whatsapp import client as graph_client
from channels_whatsapp.models import AccountChange, WebhookDelivery, WhatsAppAccount
from tests.channels_whatsapp.conftest import load_payload
from tests.factories import ContactFactory, ProductAdminFactory, TicketFactory, UserFactory
from tests.security.conftest import PHONE_NUMBER_ID, dump_attachment_files, dump_database, token_client
from tests.tickets.test_redaction_rules import CARDS, FORMATS, expected_mask
from tickets import services
from tickets.models import Comment, Event, Ticket, Via
from tickets.redaction import MASK

# --- An inbound webhook leaves no full number anywhere -------------------------------------------------------------

DOCUMENT = b"%PDF-1.4 a statement with no card in it\n%%EOF"
DOC_SHA = base64.b64encode(hashlib.sha256(DOCUMENT).digest()).decode()

# One card per place, so a failure names the place that leaked.
PLACED = {
    "text": CARDS["visa-16"],
    "caption": CARDS["mastercard-55"],
    "filename": CARDS["visa-16b"],
    "contact card name": CARDS["amex-37"],
    "contact card phone": CARDS["discover-6011"],
    "contact card company": CARDS["jcb-3566"],
    "location name": CARDS["jcb-3530"],
    "location address": CARDS["diners-14-305"],
    "profile name": CARDS["unionpay-16"],
    "order text": CARDS["discover-6011b"],
    "interactive title": CARDS["mastercard-2series-2223"],
    "edit": CARDS["mastercard-51"],
}


def spaced(number: str) -> str:
    return FORMATS["spaced"](number)


def dashed(number: str) -> str:
    return FORMATS["dashed"](number)


def message(wamid: str, kind: str, content: dict, ts: int = 1760000000) -> dict:
    return {
        "from": "5511999990000",
        "from_user_id": "BR.1502948372615",
        "id": wamid,
        "timestamp": str(ts),
        "type": kind,
        kind: content,
    }


def inbound_with_cards() -> dict:
    body = copy.deepcopy(load_payload("text.json"))
    value = body["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = PHONE_NUMBER_ID
    value["contacts"][0]["profile"]["name"] = f"Ana {PLACED['profile name']}"
    value["messages"] = [
        message("wamid.sec.text", "text", {"body": f"My card is {spaced(PLACED['text'])}, exp 12/29"}),
        message(
            "wamid.sec.image",
            "image",
            {"caption": f"front: {dashed(PLACED['caption'])}", "mime_type": "image/jpeg", "id": "9001"},
        ),
        message(
            "wamid.sec.doc",
            "document",
            {
                "caption": "my statement",
                "filename": f"statement-{PLACED['filename']}.pdf",
                "mime_type": "application/pdf",
                "sha256": DOC_SHA,
                "id": "9002",
            },
        ),
        message(
            "wamid.sec.contacts",
            "contacts",
            [
                {
                    "name": {"formatted_name": f"Card {spaced(PLACED['contact card name'])}", "first_name": "Card"},
                    "phones": [{"phone": spaced(PLACED["contact card phone"]), "type": "CELL"}],
                    "emails": [{"email": "maria@example.com", "type": "WORK"}],
                    "org": {"company": f"Org {PLACED['contact card company']}"},
                }
            ],
        ),
        message(
            "wamid.sec.location",
            "location",
            {
                "latitude": -23.56,
                "longitude": -46.65,
                "name": f"Loja {PLACED['location name']}",
                "address": f"Av. Paulista {spaced(PLACED['location address'])}",
            },
        ),
        message(
            "wamid.sec.order",
            "order",
            {
                "catalog_id": "1234567890",
                "text": f"pay with {PLACED['order text']}",
                "product_items": [
                    {"product_retailer_id": "SKU-1", "quantity": 1, "item_price": 9.9, "currency": "BRL"}
                ],
            },
        ),
        message(
            "wamid.sec.interactive",
            "interactive",
            {"type": "button_reply", "button_reply": {"id": "b1", "title": f"Use {PLACED['interactive title']}"}},
        ),
    ]
    return body


def edit_with_card() -> dict:
    body = copy.deepcopy(load_payload("edit.json"))
    value = body["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = PHONE_NUMBER_ID
    edit = value["messages"][0]["edit"]
    edit["original_message_id"] = "wamid.sec.text"
    edit["message"]["text"]["body"] = f"sorry, it is {dashed(PLACED['edit'])}"
    return body


@pytest.fixture
def graph_media(monkeypatch):
    """The Cloud API's media endpoints, answered in-process: the document really is downloaded and stored."""

    def media_info(*, media_id, token, phone_number_id=""):
        return graph_client.MediaInfo(
            url=f"https://media.example/{media_id}", mime_type="application/pdf", sha256="", file_size=len(DOCUMENT)
        )

    def download_media(*, url, token, max_bytes):
        return DOCUMENT, "application/pdf"

    monkeypatch.setattr(graph_client, "media_info", media_info)
    monkeypatch.setattr(graph_client, "download_media", download_media)


@pytest.fixture
def deliver(post_webhook, django_capture_on_commit_callbacks, graph_media):
    def run(body: dict) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(body)
        assert response.status_code == 200, response.content

    return run


def full_number_places(haystack: str) -> dict[str, str]:
    """The places of PLACED whose number is in `haystack`, typed or with its separators removed."""
    flat = re.sub(r"[\s\-]", "", haystack)
    return {
        place: number
        for place, number in PLACED.items()
        if number in flat or spaced(number) in haystack or dashed(number) in haystack
    }


@pytest.fixture
def sql_logged(caplog):
    """Every log record at DEBUG, including each SQL statement with its parameters."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    previous = connection.force_debug_cursor
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = previous


def test_inbound_cards_are_in_no_table_no_file_and_no_log_line(deliver, account, sql_logged):
    deliver(inbound_with_cards())
    deliver(edit_with_card())

    assert WebhookDelivery.objects.count() == 2
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {WebhookDelivery.State.PROCESSED}
    ticket = Ticket.objects.get()
    assert ticket.comments.filter(author_role="end_user").count() == 7
    document = ticket.attachments.get(channel_media_id="9002")
    assert document.file, "the document was downloaded and stored"
    assert document.filename == f"statement-{PLACED['filename'][:6]}{MASK * 6}{PLACED['filename'][-4:]}.pdf"

    # The searches can find what they look for: the masked forms (first six, last four) are there.
    everything = dump_database() + "\n" + dump_attachment_files()
    for number in PLACED.values():
        assert number[:6] in re.sub(r"[\s\-]", "", everything)
    assert full_number_places(everything) == {}
    assert full_number_places(sql_logged.text) == {}
    assert "SELECT" in sql_logged.text or "INSERT" in sql_logged.text  # the SQL really was logged

    # Each redacted message is recorded: where and how many, never the number; and the tag.
    recorded = ticket.events.filter(type="redaction.applied")
    assert recorded.count() >= 7
    for event in recorded:
        assert set(event.data) == {"comment_id", "where", "count"}
        assert event.data["count"] >= 1
    assert "credit_card_redacted" in ticket.tag_rows.values_list("name", flat=True)


def test_the_opt_out_keeps_every_number_and_the_dump_finds_them(deliver, account, sql_logged):
    """The control for the test above: with the account's redaction off, the same searches find every number."""
    account.redact_credit_cards = False
    account.save()
    deliver(inbound_with_cards())
    deliver(edit_with_card())
    found = full_number_places(dump_database() + "\n" + dump_attachment_files())
    assert set(found) == set(PLACED)
    assert not Event.objects.filter(type="redaction.applied").exists()
    assert not Ticket.objects.get().tag_rows.filter(name="credit_card_redacted").exists()


def test_whatsapp_redaction_is_on_even_with_the_account_wide_setting_off(deliver, account, settings):
    settings.ACCOUNT_REDACT_CREDIT_CARDS = False
    assert WhatsAppAccount._meta.get_field("redact_credit_cards").default is True
    deliver(inbound_with_cards())
    assert full_number_places(dump_database()) == {}


def test_the_per_number_opt_out_wins_over_the_account_wide_setting(deliver, account, settings):
    settings.ACCOUNT_REDACT_CREDIT_CARDS = True
    account.redact_credit_cards = False
    account.save()
    deliver(inbound_with_cards())
    comment = Comment.objects.get(channel_message_id="wamid.sec.text")
    assert spaced(PLACED["text"]) in comment.body


def test_an_unknown_number_s_messages_are_masked_too(deliver, db):
    deliver(inbound_with_cards())  # no account for this phone_number_id: kept for the admin, masked
    stored = WebhookDelivery.objects.get()
    assert any("unknown phone_number_id" in note for note in stored.notes)
    assert full_number_places(dump_database()) == {}


# --- ... however the numbers are written ------------------------------------------------------------------------

# One card per place, each written in a form the detector once missed: separators of every kind, glued to letters,
# inside URLs.
WRITTEN_APART = {
    "text": (CARDS["visa-16"], "Meu cartão:\n4111\n1111\u00a01111\u20091111\nobrigada"),
    "second text": (CARDS["discover-6011b"], "6011\u22120009\u20079013\u00ad9424 ok"),
    "caption": (CARDS["mastercard-55"], "front 5555\u200b5555\u200b5555\u200b4444"),
    "filename": (CARDS["visa-16b"], "card4012888888881881exp0127.pdf"),
    "contact card name": (CARDS["amex-37"], "Card 3782\u2014822463\u201410005"),
    "contact card phone": (CARDS["discover-6011"], "6011/1111/1111/1117"),
    "contact card company": (CARDS["jcb-3566"], "Org3566002020360505"),
    "contact card url": (CARDS["maestro-16"], "https://pay.example/c?n=6759%206498%202643%208453&x=1"),
    "contact card street": (CARDS["mastercard-52"], "Rua 5200\t8282\t8282\t8210"),
    "location name": (CARDS["jcb-3530"], "Loja 3530.1113.3330.0000"),
    "location address": (CARDS["diners-14-305"], "Av. Paulista 3056\r\n930902\r\n5904"),
    "location url": (CARDS["mastercard-54"], "https://maps.example/place/5425-2334-3010-9903"),
    "profile name": (CARDS["unionpay-16"], "Ana_6200000000000005_"),
}


def inbound_written_apart() -> dict:
    w = {place: written for place, (_, written) in WRITTEN_APART.items()}
    body = copy.deepcopy(load_payload("text.json"))
    value = body["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = PHONE_NUMBER_ID
    value["contacts"][0]["profile"]["name"] = w["profile name"]
    card = {
        "name": {"formatted_name": w["contact card name"], "first_name": "Card"},
        "phones": [{"phone": w["contact card phone"], "type": "CELL"}],
        "org": {"company": w["contact card company"]},
        "urls": [{"url": w["contact card url"], "type": "WORK"}],
        "addresses": [{"street": w["contact card street"], "city": "São Paulo", "type": "HOME"}],
    }
    document = {"filename": w["filename"], "mime_type": "application/pdf", "sha256": DOC_SHA, "id": "9102"}
    location = {"latitude": -23.56, "longitude": -46.65, "url": w["location url"]}
    location |= {"name": w["location name"], "address": w["location address"]}
    value["messages"] = [
        message("wamid.apart.text", "text", {"body": w["text"]}),
        message("wamid.apart.text2", "text", {"body": w["second text"]}),
        message("wamid.apart.image", "image", {"caption": w["caption"], "mime_type": "image/jpeg", "id": "9101"}),
        message("wamid.apart.doc", "document", document),
        message("wamid.apart.contacts", "contacts", [card]),
        message("wamid.apart.location", "location", location),
    ]
    return body


def flattened(haystack: str) -> str:
    """`haystack` with JSON and URL escapes decoded and every separator removed: however a number was written
    apart, its digits stand together again."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), haystack)
    text = re.sub(r"\\[nrtfb]|%[0-9A-Fa-f]{2}", " ", text)
    return "".join(
        c for c in text if not (c.isspace() or c in "./\\_+" or unicodedata.category(c) in ("Zs", "Pd", "Sm", "Cf"))
    )


def written_apart_found(haystack: str) -> set[str]:
    flat = flattened(haystack)
    return {place for place, (number, _) in WRITTEN_APART.items() if number in flat}


def test_cards_written_apart_glued_or_in_urls_are_in_no_table_no_file_and_no_log_line(deliver, account, sql_logged):
    deliver(inbound_written_apart())

    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.PROCESSED
    ticket = Ticket.objects.get()
    assert ticket.comments.filter(author_role="end_user").count() == 6
    assert ticket.attachments.get(channel_media_id="9102").filename == f"card401288{MASK * 6}1881exp0127.pdf"
    stored = WebhookDelivery.objects.get().payload["entry"][0]["changes"][0]["value"]
    contact_card = stored["messages"][4]["contacts"][0]
    assert contact_card["urls"][0]["url"] == f"https://pay.example/c?n=6759%2064{MASK * 2}%20{MASK * 4}%208453&x=1"

    everything = dump_database() + "\n" + dump_attachment_files()
    assert written_apart_found(everything) == set()
    assert written_apart_found(sql_logged.text) == set()
    assert "INSERT" in sql_logged.text  # the SQL really was logged
    for number, _ in WRITTEN_APART.values():  # the masked forms are there: first six, last four
        assert number[:6] in flattened(everything)
    assert ticket.events.filter(type="redaction.applied").count() == 6


def test_the_opt_out_control_finds_every_card_written_apart(deliver, account):
    """The searches above can fail: with the number's redaction off, they find every card in every place."""
    account.redact_credit_cards = False
    account.save()
    deliver(inbound_written_apart())
    assert written_apart_found(dump_database() + "\n" + dump_attachment_files()) == set(WRITTEN_APART)


# --- Who may turn it off -------------------------------------------------------------------------------------------


def test_only_an_admin_turns_redaction_off_and_it_is_audited(account, caplog):
    agent, admin = UserFactory(), ProductAdminFactory()
    caplog.set_level(logging.DEBUG)
    url = f"/api/whatsapp/accounts/{account.pk}/"

    refused = token_client(agent).patch(url, {"redact_credit_cards": False}, format="json")
    assert refused.status_code == 403
    account.refresh_from_db()
    assert account.redact_credit_cards is True
    assert not AccountChange.objects.exists()

    changed = token_client(admin).patch(
        url, {"redact_credit_cards": False, "access_token": "EAAG-new-very-secret"}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["redact_credit_cards"] is False
    assert "access_token" not in changed.json()
    account.refresh_from_db()
    assert account.redact_credit_cards is False
    audit = AccountChange.objects.get()
    assert audit.actor == admin
    assert audit.changes["redact_credit_cards"] == [True, False]
    assert audit.changes["access_token"] == "(changed)"
    assert "EAAG-new-very-secret" not in caplog.text
    assert "EAAG-new-very-secret" not in dump_database().replace(account.access_token, "", 1)
    for reader in (agent, admin):
        listing = token_client(reader).get("/api/whatsapp/accounts/").content.decode()
        assert "EAAG" not in listing


def test_anonymous_callers_cannot_touch_the_setting(client, account):
    response = client.patch(
        f"/api/whatsapp/accounts/{account.pk}/", {"redact_credit_cards": False}, content_type="application/json"
    )
    assert response.status_code == 401
    account.refresh_from_db()
    assert account.redact_credit_cards is True


# --- Account-wide redaction: web, API and e-mail tickets ----------------------------------------------------------

CARD = CARDS["visa-16"]
CARD_TYPED = spaced(CARD)
CARD_MASKED = expected_mask(CARD_TYPED)


def recorded_for(comment: Comment) -> Event:
    return comment.ticket.events.get(type="redaction.applied", data__comment_id=comment.pk)


def test_the_account_wide_setting_is_off_by_default(db):
    from django.conf import settings

    assert settings.ACCOUNT_REDACT_CREDIT_CARDS is False
    agent = UserFactory()
    ticket = TicketFactory(group=None)
    response = token_client(agent).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": f"card {CARD_TYPED}", "public": False}, format="json"
    )
    assert response.status_code == 201
    assert Comment.objects.get(pk=response.json()["id"]).body == f"card {CARD_TYPED}"
    assert not Event.objects.filter(type="redaction.applied").exists()


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
def test_api_comment_is_masked_before_storage_with_event_and_tag(db, sql_logged):
    agent = UserFactory()
    ticket = TicketFactory(group=None, via=Via.API)
    response = token_client(agent).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": f"card {CARD_TYPED} thanks", "public": False}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["body"] == f"card {CARD_MASKED} thanks"
    comment = Comment.objects.get(pk=response.json()["id"])
    assert comment.body == f"card {CARD_MASKED} thanks"
    assert recorded_for(comment).data == {"comment_id": comment.pk, "where": "comment", "count": 1}
    assert "credit_card_redacted" in ticket.tag_rows.values_list("name", flat=True)
    assert CARD not in re.sub(r"[\s\-]", "", dump_database())
    assert CARD_TYPED not in sql_logged.text


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
def test_api_ticket_with_a_first_comment_is_masked(db):
    agent = UserFactory()
    requester = ContactFactory(created_by=agent)
    response = token_client(agent).post(
        "/api/tickets/",
        {"subject": "Payment", "requester_id": requester.pk, "comment": {"body": f"use {CARD}", "public": True}},
        format="json",
    )
    assert response.status_code == 201, response.content
    comment = Comment.objects.get(ticket_id=response.json()["id"])
    assert comment.body == f"use {expected_mask(CARD)}"
    assert recorded_for(comment).data["count"] == 1
    # The public reply's e-mail to the requester carries the masked text only.
    assert all(CARD not in message.body for message in mail.outbox)


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
def test_agent_note_from_the_ticket_page_is_masked(client, db):
    agent = UserFactory()
    ticket = TicketFactory(group=None)
    client.force_login(agent)
    response = client.post(
        f"/tickets/{ticket.pk}/",
        {"body": f"customer said {CARD_TYPED}", "mode": "internal", "status": ticket.status, "tags": ""},
    )
    assert response.status_code in (200, 302), response.content[:500]
    comment = ticket.comments.get()
    assert comment.body == f"customer said {CARD_MASKED}"
    assert recorded_for(comment).data["count"] == 1


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
def test_end_user_email_message_is_masked_and_so_is_the_subject_made_of_it(db):
    requester = ContactFactory()
    comment = services.end_user_message_add(
        conversation_ticket=None, requester=requester, via=Via.EMAIL, body=f"{CARD_TYPED} was charged twice"
    )
    comment.refresh_from_db()
    assert comment.body == f"{CARD_MASKED} was charged twice"
    assert CARD_TYPED not in comment.ticket.subject
    assert recorded_for(comment).data["count"] == 1
    assert CARD not in re.sub(r"[\s\-]", "", dump_database())


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
def test_the_core_leaves_whatsapp_messages_to_the_whatsapp_app(db):
    requester = ContactFactory()
    comment = services.end_user_message_add(
        conversation_ticket=None, requester=requester, via=Via.WHATSAPP, body=f"card {CARD}"
    )
    assert Comment.objects.get(pk=comment.pk).body == f"card {CARD}"
    assert not Event.objects.filter(type="redaction.applied").exists()


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
def test_the_tag_is_added_once_and_each_comment_gets_its_event(db):
    agent = UserFactory()
    ticket = TicketFactory(group=None)
    api = token_client(agent)
    for _ in range(2):
        assert (
            api.post(
                f"/api/tickets/{ticket.pk}/comments/", {"body": f"{CARD} {CARD}", "public": False}, format="json"
            ).status_code
            == 201
        )
    assert ticket.tag_rows.filter(name="credit_card_redacted").count() == 1
    assert [e.data["count"] for e in ticket.events.filter(type="redaction.applied").order_by("id")] == [2, 2]


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
@pytest.mark.parametrize(("place", "via"), [("text", Via.EMAIL), ("contact card url", Via.API), ("filename", Via.WEB)])
def test_the_account_wide_setting_uses_the_same_detector_for_cards_written_apart(db, place, via):
    number, written = WRITTEN_APART[place]
    comment = services.end_user_message_add(
        conversation_ticket=None, requester=ContactFactory(), via=via, body=f"here: {written}"
    )
    comment.refresh_from_db()
    assert number not in flattened(comment.body)
    assert number[:6] in flattened(comment.body) and MASK in comment.body
    assert recorded_for(comment).data["count"] == 1
    assert written_apart_found(dump_database()) == set()
