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
from django.db import connection

from channels_whatsapp import client as graph_client
from channels_whatsapp.models import WebhookDelivery, WhatsAppAccount
from tests.channels_whatsapp.conftest import load_payload
from tests.security.conftest import PHONE_NUMBER_ID, dump_attachment_files, dump_database
from tests.tickets.test_redaction_rules import CARDS, FORMATS
from tickets.models import Comment, Event, Ticket
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
