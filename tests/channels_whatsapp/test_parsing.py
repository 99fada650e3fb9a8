"""Webhook JSON -> dataclasses: every sample parses, and no shape of JSON ever raises."""

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels_whatsapp import parsing
from channels_whatsapp.inbound import render_body
from tests.channels_whatsapp.conftest import PAYLOADS, load_payload

TS = datetime.fromtimestamp(1760000000, tz=UTC)
PNID = "106540352242922"


def only_message(name: str) -> parsing.InboundMessage:
    (change,) = parsing.parse_payload(load_payload(f"{name}.json"))
    assert change.problems == ()
    (message,) = change.messages
    return message


def test_every_sample_is_valid_json_for_our_number():
    names = sorted(p.name for p in PAYLOADS.glob("*.json"))
    assert len(names) >= 34
    for path in PAYLOADS.glob("*.json"):
        payload = json.loads(path.read_text())
        assert payload["object"] == "whatsapp_business_account", path.name
        changes = parsing.parse_payload(payload)
        assert changes, path.name
        assert all(c.phone_number_id == PNID and c.field == "messages" for c in changes), path.name
        assert all(c.problems == () for c in changes), path.name


def test_text_envelope():
    (change,) = parsing.parse_payload(load_payload("text.json"))
    assert change.waba_id == "102290129340398"
    assert change.display_phone_number == "15550001111"
    assert change.contacts == (
        parsing.ContactProfile(wa_id="5511999990000", user_id="BR.1502948372615", name="Ana Souza"),
    )
    (message,) = change.messages
    assert message.type == "text"
    assert message.text == "Hi, I need help with my order"
    assert message.sender_wa_id == "5511999990000"
    assert message.sender_user_id == "BR.1502948372615"
    assert message.sent_at == TS
    assert message.wamid.startswith("wamid.")
    assert change.profile_for("5511999990000").name == "Ana Souza"
    assert change.profile_for("", "BR.1502948372615").name == "Ana Souza"


def test_non_ascii_text_is_kept():
    assert only_message("text_non_ascii").text == "Olá, não consigo pagar 😢 ação"


def test_context_fields():
    assert only_message("text_forwarded").forwarded is True
    assert only_message("text_forwarded").frequently_forwarded is False
    frequently = only_message("text_frequently_forwarded")
    assert frequently.forwarded is True
    assert frequently.frequently_forwarded is True
    reply = only_message("text_reply_context")
    assert reply.context_id == "wamid.HBgNNTUxMTk5OTk5MDAwMBUCABEYEkFHRU5UUkVQTFkwMDAxAA=="
    assert reply.forwarded is False


@pytest.mark.parametrize(
    ("name", "type_", "mime", "caption", "extra"),
    [
        ("image", "image", "image/jpeg", "Photo of the broken screen", {}),
        ("video", "video", "video/mp4", "How it fails", {}),
        ("audio_voice", "audio", "audio/ogg; codecs=opus", "", {"voice": True}),
        ("document", "document", "application/pdf", "Invoice for October", {"filename": "invoice-2025-10.pdf"}),
        ("sticker", "sticker", "image/webp", "", {"animated": False}),
    ],
)
def test_media_messages(name, type_, mime, caption, extra):
    message = only_message(name)
    assert message.type == type_
    assert message.media is not None
    assert message.media.id
    assert message.media.mime_type == mime
    assert len(message.media.sha256) == 44 and message.media.sha256.endswith("=")
    assert message.text == caption
    for key, value in extra.items():
        assert getattr(message.media, key) == value


def test_other_types():
    location = only_message("location")
    assert location.details == {
        "latitude": -23.561414,
        "longitude": -46.655881,
        "name": "Loja Paulista",
        "address": "Av. Paulista, 1000, São Paulo",
    }
    assert only_message("contacts").details["contacts"][0]["name"]["formatted_name"] == "Maria Lima"
    button_reply = only_message("interactive_button_reply")
    assert (button_reply.text, button_reply.details) == (
        "Yes, solved",
        {"kind": "button_reply", "id": "resolved_yes", "title": "Yes, solved"},
    )
    list_reply = only_message("interactive_list_reply")
    assert list_reply.details["kind"] == "list_reply"
    assert list_reply.details["description"] == "Invoices and payments"
    button = only_message("button")
    assert (button.text, button.details) == ("Reopen my ticket", {"payload": "reopen:4521"})
    order = only_message("order")
    assert order.text == "Please deliver before Friday"
    assert order.details["catalog_id"] == "1234567890"
    assert len(order.details["items"]) == 2
    reaction = only_message("reaction")
    assert (reaction.reaction_to, reaction.reaction_emoji) == (
        "wamid.HBgNNTUxMTk5OTk5MDAwMBUCABEYEkFHRU5UUkVQTFkwMDAxAA==",
        "👍",
    )
    assert only_message("reaction_removed").reaction_emoji == ""
    edit = only_message("edit")
    assert edit.original_id == load_payload("text.json")["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert edit.text == "Hi, I need help with my order #4521"
    assert only_message("revoke").original_id == edit.original_id
    system = only_message("system_user_changed_number")
    assert system.details == {"kind": "user_changed_number", "wa_id": "5511988887777"}
    assert only_message("request_welcome").type == "request_welcome"
    assert only_message("unknown_type").type == "hologram"


def test_inbound_errors():
    unsupported = only_message("unsupported")
    assert unsupported.details == {"unsupported_type": "poll"}
    assert unsupported.errors[0].code == "131051"
    assert unsupported.errors[0].title == "Message type unknown"
    media_error = only_message("media_error_131052")
    assert media_error.errors == (
        parsing.GraphErrorInfo("131052", "Media download error", "Unable to download the media sent by the user."),
    )


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("status_sent", "sent", None),
        ("status_delivered", "delivered", None),
        ("status_read", "read", None),
        ("status_played", "played", None),
        ("status_failed_131047", "failed", "131047"),
        ("status_failed_131026", "failed", "131026"),
    ],
)
def test_status_samples(name, status, code):
    (change,) = parsing.parse_payload(load_payload(f"{name}.json"))
    assert change.messages == ()
    (update,) = change.statuses
    assert update.status == status
    assert update.recipient_id == "5511999990000"
    assert update.sent_at is not None
    assert [e.code for e in update.errors] == ([code] if code else [])
    if code:
        assert update.errors[0].detail


def test_multi_bodies():
    multi_entry = parsing.parse_payload(load_payload("multi_entry.json"))
    assert [m.sender_wa_id for c in multi_entry for m in c.messages] == ["5511999990000", "5521977776666"]
    multi_change = parsing.parse_payload(load_payload("multi_change.json"))
    assert [len(c.messages) for c in multi_change] == [1, 0, 1]
    assert [len(c.statuses) for c in multi_change] == [0, 1, 0]
    (multi_message,) = parsing.parse_payload(load_payload("multi_message.json"))
    assert [m.text for m in multi_message.messages] == ["One", "Two", "Three"]
    assert [s.status for s in multi_message.statuses] == ["read"]


# --- wrong types everywhere --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [None, [], "entry", 42, 4.2, True, {}, {"entry": None}, {"entry": 5}, {"entry": "abc"}, {"entry": {"id": "x"}}],
)
def test_not_an_envelope_gives_no_changes(payload):
    assert parsing.parse_payload(payload) == []


def test_null_and_wrong_entries_are_skipped():
    payload = {
        "entry": [
            None,
            3,
            "x",
            [],
            {"changes": None},
            {"id": 7, "changes": [None, 7, "s", {"field": None, "value": []}, {"field": "messages", "value": None}]},
        ]
    }
    changes = parsing.parse_payload(payload)
    assert len(changes) == 5  # one per dict-or-not change of the last entry, each harmless
    assert all(c.messages == () and c.statuses == () for c in changes)
    assert changes[-1].waba_id == "7"


def _value(**value) -> dict:
    return {"entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]}


def test_messages_without_ids_are_reported():
    (change,) = parsing.parse_payload(
        _value(
            metadata={"phone_number_id": 106540352242922},
            messages=[None, 5, "text", {"type": "text", "text": {"body": "no id"}}, {"id": None}, {"id": ""}],
        )
    )
    assert change.phone_number_id == "106540352242922"  # a number where a string was expected
    assert change.messages == ()
    assert len(change.problems) == 6
    assert all(p.startswith("message without id") for p in change.problems)


def test_statuses_without_id_or_status_are_reported():
    (change,) = parsing.parse_payload(
        _value(statuses=[{"id": "wamid.1"}, {"status": "read"}, None, {"id": {"x": 1}, "status": "sent"}])
    )
    assert change.statuses == ()
    assert len(change.problems) == 4
    assert all(p.startswith("status without id") for p in change.problems)


def test_wrong_types_inside_a_message_are_treated_as_missing():
    (change,) = parsing.parse_payload(
        _value(
            metadata=[],
            contacts=[None, 5, {"wa_id": 5511999990000, "profile": "Ana"}],
            messages=[
                {
                    "id": "wamid.1",
                    "from": ["5511"],
                    "timestamp": {"t": 1},
                    "type": None,
                    "context": "forwarded",
                    "errors": {"code": 1},
                },
                {"id": "wamid.2", "type": "text", "text": "plain", "context": {"forwarded": "yes", "id": 9}},
                {"id": "wamid.3", "type": "image", "image": [1, 2]},
                {"id": "wamid.4", "type": "interactive", "interactive": {"type": 5, "5": {"title": None}}},
                {"id": "wamid.5", "type": "reaction", "reaction": None},
                {"id": "wamid.6", "type": "location", "location": "here"},
                {"id": "wamid.7", "type": "contacts", "contacts": {"name": "x"}},
                {"id": "wamid.8", "type": "order", "order": {"product_items": "many"}},
                {"id": "wamid.9", "type": "edit", "edit": {"message": "new text"}},
                {"id": "wamid.10", "type": "system", "system": {"wa_id": None, "type": []}},
                {"id": "wamid.11", "type": "unsupported", "unsupported": 3, "errors": [None, {"code": None}]},
                {"id": "wamid.12", "type": "text", "timestamp": "not a number"},
                {"id": "wamid.13", "type": "text", "timestamp": "-5"},
                {"id": "wamid.14", "type": "text", "timestamp": 1760000000},
                {"id": "wamid.15", "type": "text", "timestamp": "9" * 5000},
                {"id": "wamid.16", "type": "text", "timestamp": True},
                {"id": "wamid.17", "type": "text", "timestamp": 1.7e9},
            ],
        )
    )
    assert change.phone_number_id == ""
    assert [c.wa_id for c in change.contacts] == ["", "", "5511999990000"]
    assert change.contacts[2].name == ""
    by_id = {m.wamid: m for m in change.messages}
    assert len(by_id) == 17
    first = by_id["wamid.1"]
    assert (first.type, first.sender_wa_id, first.sent_at, first.forwarded, first.errors) == (
        "unknown",
        "",
        None,
        False,
        (),
    )
    assert by_id["wamid.2"].text == ""
    assert by_id["wamid.2"].forwarded is False
    assert by_id["wamid.2"].context_id == "9"
    assert by_id["wamid.3"].media == parsing.Media(id="", mime_type="", sha256="")
    assert by_id["wamid.4"].text == ""
    assert by_id["wamid.5"].reaction_to == ""
    assert by_id["wamid.6"].details == {}
    assert by_id["wamid.7"].details == {"contacts": []}
    assert by_id["wamid.8"].details["items"] == []
    assert by_id["wamid.9"].original_id == ""
    assert by_id["wamid.10"].details == {"kind": "", "wa_id": ""}
    assert [e.code for e in by_id["wamid.11"].errors] == ["", ""]
    assert by_id["wamid.12"].sent_at is None
    assert by_id["wamid.13"].sent_at is None
    assert by_id["wamid.14"].sent_at == TS
    assert by_id["wamid.15"].sent_at is None
    assert by_id["wamid.16"].sent_at is None
    for message in change.messages:
        assert isinstance(render_body(message), str)


def test_ids_longer_than_any_real_one_count_as_missing():
    (change,) = parsing.parse_payload(
        _value(
            contacts=[
                {"wa_id": "1" * 32, "user_id": "US." + "1" * 62},
                {"wa_id": "1" * 31, "user_id": "US." + "1" * 61},
            ],
            messages=[
                {"id": "w" * 201, "type": "text", "text": {"body": "id too long"}},
                {
                    "id": "w" * 200,
                    "from": "1" * 32,
                    "from_user_id": "U" * 65,
                    "type": "image",
                    "image": {"id": "9" * 201, "sha256": "s" * 65},
                },
                {
                    "id": "wamid.ok",
                    "from": "1" * 31,
                    "type": "system",
                    "system": {"type": "user_changed_number", "wa_id": "2" * 32},
                },
            ],
            statuses=[{"id": "w" * 201, "status": "read"}, {"id": "w" * 200, "status": "read"}],
        )
    )
    assert [(c.wa_id, c.user_id) for c in change.contacts] == [("", ""), ("1" * 31, "US." + "1" * 61)]
    image, system = change.messages
    assert (image.wamid, image.sender_wa_id, image.sender_user_id) == ("w" * 200, "", "")
    assert (image.media.id, image.media.sha256) == ("", "")
    assert system.sender_wa_id == "1" * 31
    assert system.details["wa_id"] == ""
    assert [s.wamid for s in change.statuses] == ["w" * 200]
    assert len(change.problems) == 2


def test_render_body_survives_odd_contact_cards():
    (change,) = parsing.parse_payload(
        _value(
            messages=[
                {
                    "id": "wamid.c",
                    "type": "contacts",
                    "contacts": [
                        {"name": None, "phones": None, "emails": 5},
                        {"name": {"formatted_name": "Maria"}, "phones": "123", "emails": [None, {"email": "m@x.y"}]},
                        7,
                    ],
                }
            ]
        )
    )
    assert render_body(change.messages[0]) == "Shared contact: ; Maria, m@x.y"


def test_template_status_update_change():
    payload = {
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "message_template_status_update",
                        "value": {
                            "event": "APPROVED",
                            "message_template_id": 123,
                            "message_template_name": "ticket_update",
                            "message_template_language": "pt_BR",
                            "reason": "NONE",
                        },
                    }
                ],
            }
        ]
    }
    (change,) = parsing.parse_payload(payload)
    assert change.template_status == parsing.TemplateStatusUpdate(
        "123", "ticket_update", "pt_BR", "APPROVED", "NONE", ""
    )


# --- property: nothing JSON-shaped ever raises ------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=30,
)
KEYS = [
    "id",
    "from",
    "from_user_id",
    "timestamp",
    "type",
    "text",
    "body",
    "context",
    "forwarded",
    "frequently_forwarded",
    "image",
    "audio",
    "document",
    "sticker",
    "video",
    "caption",
    "mime_type",
    "sha256",
    "voice",
    "location",
    "latitude",
    "contacts",
    "name",
    "phones",
    "emails",
    "formatted_name",
    "interactive",
    "button_reply",
    "list_reply",
    "nfm_reply",
    "title",
    "description",
    "button",
    "payload",
    "reaction",
    "message_id",
    "emoji",
    "order",
    "product_items",
    "edit",
    "original_message_id",
    "message",
    "revoke",
    "system",
    "wa_id",
    "new_wa_id",
    "unsupported",
    "errors",
    "code",
    "error_data",
    "details",
    "status",
    "recipient_id",
    "biz_opaque_callback_data",
    "profile",
    "user_id",
]
TYPES = ["text", "image", "location", "contacts", "interactive", "button", "reaction", "order", "edit", "revoke"]
TYPES += ["system", "unsupported", "request_welcome", "audio", "document", "sticker", "video", "zzz"]
shaped = st.recursive(
    json_scalars | st.sampled_from(TYPES),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(KEYS) | st.sampled_from(TYPES), children, max_size=6),
    max_leaves=40,
)


def _envelope(messages, statuses, contacts, metadata, field):
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": field,
                        "value": {
                            "metadata": metadata,
                            "contacts": contacts,
                            "messages": messages,
                            "statuses": statuses,
                        },
                    }
                ],
            }
        ],
    }


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(payload=json_values)
def test_parse_payload_never_raises_on_arbitrary_json(payload):
    changes = parsing.parse_payload(payload)
    assert isinstance(changes, list)
    assert parsing.parse_payload({"entry": [{"changes": [{"value": payload}]}]}) is not None
    assert parsing.parse_payload({"entry": payload}) is not None


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    messages=st.lists(shaped, max_size=4) | shaped,
    statuses=st.lists(shaped, max_size=3) | shaped,
    contacts=st.lists(shaped, max_size=2) | shaped,
    metadata=shaped,
    field=st.sampled_from(["messages", "message_template_status_update", "zzz"]) | json_scalars,
)
def test_parse_payload_and_render_body_never_raise_on_webhook_shaped_json(
    messages, statuses, contacts, metadata, field
):
    for change in parsing.parse_payload(_envelope(messages, statuses, contacts, metadata, field)):
        for message in change.messages:
            assert isinstance(render_body(message), str)
        change.profile_for("x", "y")
