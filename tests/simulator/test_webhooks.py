"""What the simulator posts over real HTTP: the phone's signed message webhooks and the status webhooks of sends."""

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_whatsapp.parsing import parse_payload
from channels_whatsapp.simulator import faults, phone_messages, protocol, status_webhooks
from channels_whatsapp.simulator.models import SimMedia, SimMessage
from tests.simulator.helpers import template_body, text_body

WA = "5511999990000"


def only_message(payload: dict) -> dict:
    [entry] = payload["entry"]
    [change] = entry["changes"]
    [message] = change["value"]["messages"]
    return message


# --- The phone -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_phone_send_text_posts_a_signed_meta_webhook(webhook_receiver, settings):
    before = time.time()
    payload = phone_messages.phone_send(
        phone_messages.PhoneMessage(
            WA, "Zoë Ñandú", text="Olá 👋 é ação", phone_number_id="SIMPHONE1", forwarded=True, hours_ago=30
        )
    ).payload

    [received] = webhook_receiver.requests
    assert received.path == "/whatsapp/webhook/"
    assert received.headers.get("Content-Type") == "application/json"
    # The signature is over the exact raw bytes, keyed by the app secret.
    expected = hmac.new(settings.WHATSAPP_APP_SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    assert received.headers.get("X-Hub-Signature-256") == f"sha256={expected}"
    # Serialized like Meta: non-ASCII escaped as \uXXXX.
    assert received.body.isascii()
    assert b"Ol\\u00e1 \\ud83d\\udc4b \\u00e9 a\\u00e7\\u00e3o" in received.body
    assert b"Zo\\u00eb \\u00d1and\\u00fa" in received.body
    assert received.json == payload

    assert payload["object"] == "whatsapp_business_account"
    [entry] = payload["entry"]
    assert entry["id"] == "SIMWABA1"
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {"display_phone_number": "15550100001", "phone_number_id": "SIMPHONE1"}
    assert value["contacts"] == [{"profile": {"name": "Zoë Ñandú"}, "wa_id": WA, "user_id": f"SIM.{WA}"}]
    message = only_message(payload)
    assert message["from"] == WA
    assert message["id"].startswith("wamid.SIM")
    assert message["type"] == "text"
    assert message["text"] == {"body": "Olá 👋 é ação"}
    assert message["context"] == {"forwarded": True}
    # Backdated by 30 hours: the timestamp is the phone's own send time, as a string of unix seconds.
    assert isinstance(message["timestamp"], str)
    assert abs(int(message["timestamp"]) - (before - 30 * 3600)) < 5

    # Our own parser reads it back.
    [parsed] = parse_payload(received.json)
    [inbound] = parsed.messages
    assert inbound.text == "Olá 👋 é ação"
    assert inbound.forwarded is True
    assert inbound.sender_wa_id == WA
    assert inbound.sent_at is not None
    assert abs((timezone.now() - timedelta(hours=30) - inbound.sent_at).total_seconds()) < 5

    record = SimMessage.objects.get(wamid=message["id"])
    assert record.direction == SimMessage.Direction.INBOUND
    assert record.webhook_status == 200
    assert record.backdated_hours == 30.0


@pytest.mark.django_db
def test_phone_contexts_frequently_forwarded_and_quote(webhook_receiver):
    frequent = phone_messages.phone_send(
        phone_messages.PhoneMessage(WA, "Ana", text="fwd", phone_number_id="SIMPHONE1", frequently_forwarded=True)
    ).payload
    quote = phone_messages.phone_send(
        phone_messages.PhoneMessage(WA, "Ana", text="yes", phone_number_id="SIMPHONE1", context_id="wamid.BIZ1")
    ).payload

    assert only_message(frequent)["context"] == {"frequently_forwarded": True}
    assert only_message(quote)["context"] == {"from": "15550100001", "id": "wamid.BIZ1"}
    assert parse_payload(quote)[0].messages[0].context_id == "wamid.BIZ1"
    assert "context" not in only_message(
        phone_messages.phone_send(
            phone_messages.PhoneMessage(WA, "Ana", text="plain", phone_number_id="SIMPHONE1")
        ).payload
    )


@pytest.mark.django_db
def test_phone_send_media_stores_the_bytes_first(webhook_receiver, graph):
    content = b"\x89PNG\r\n\x1a\nphone-photo"
    payload = phone_messages.phone_send(
        phone_messages.PhoneMessage(
            WA,
            "Ana",
            kind="media",
            phone_number_id="SIMPHONE1",
            content=content,
            filename="p.png",
            mime_type="image/png",
            text="Look",
        )
    ).payload

    message = only_message(payload)
    assert message["type"] == "image"
    image = message["image"]
    assert image["mime_type"] == "image/png"
    assert image["caption"] == "Look"
    assert image["sha256"] == base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert SimMedia.objects.get(media_id=image["id"]).origin == SimMedia.Origin.PHONE
    # The worker can fetch it through the Graph API.
    info = graph.get(image["id"]).json()
    assert graph.client.get(info["url"], HTTP_AUTHORIZATION="Bearer t").content == content

    document = only_message(
        phone_messages.phone_send(
            phone_messages.PhoneMessage(
                WA,
                "Ana",
                kind="media",
                phone_number_id="SIMPHONE1",
                content=b"%PDF",
                filename="r.pdf",
                mime_type="application/pdf",
            )
        ).payload
    )
    assert document["type"] == "document"
    assert document["document"]["filename"] == "r.pdf"
    assert "caption" not in document["document"]
    assert len(webhook_receiver.requests) == 2
    assert all(r.signature_ok for r in webhook_receiver.requests)


@pytest.mark.django_db
def test_phone_reaction_and_location(webhook_receiver):
    reaction = only_message(
        phone_messages.phone_send(
            phone_messages.PhoneMessage(
                WA, "Ana", kind="reaction", phone_number_id="SIMPHONE1", reaction_to="wamid.BIZ", emoji="👍"
            )
        ).payload
    )
    assert reaction["type"] == "reaction"
    assert reaction["reaction"] == {"message_id": "wamid.BIZ", "emoji": "👍"}

    location = only_message(
        phone_messages.phone_send(
            phone_messages.PhoneMessage(
                WA,
                "Ana",
                kind="location",
                phone_number_id="SIMPHONE1",
                latitude=-23.55,
                longitude=-46.63,
                location_name="Office",
            )
        ).payload
    )
    assert location["location"] == {"latitude": -23.55, "longitude": -46.63, "name": "Office"}
    [parsed] = parse_payload(webhook_receiver.requests[0].json)
    assert parsed.messages[0].reaction_to == "wamid.BIZ"


@pytest.mark.django_db
def test_webhook_answer_is_recorded_even_when_refused_or_unreachable(webhook_receiver, settings):
    webhook_receiver.answer = 403
    phone_messages.phone_send(phone_messages.PhoneMessage(WA, "Ana", text="hi", phone_number_id="SIMPHONE1"))
    assert SimMessage.objects.get().webhook_status == 403

    settings.WHATSAPP_SIMULATOR_WEBHOOK_URL = "http://127.0.0.1:9/nowhere/"
    result = phone_messages.phone_send(
        phone_messages.PhoneMessage(WA, "Ana", text="again", phone_number_id="SIMPHONE1")
    )
    assert result.webhook_status == 0
    assert SimMessage.objects.get(wamid=result.wamid).webhook_status == 0


@pytest.mark.django_db
def test_phone_input_is_checked():
    with pytest.raises(phone_messages.SimulatorError):
        phone_messages.phone_send(phone_messages.PhoneMessage("12", "Ana", text="hi", phone_number_id="SIMPHONE1"))
    with pytest.raises(phone_messages.SimulatorError):
        phone_messages.phone_send(
            phone_messages.PhoneMessage(WA, "Ana", text="hi", phone_number_id="SIMPHONE1", hours_ago=-1)
        )
    with pytest.raises(phone_messages.SimulatorError):
        phone_messages.phone_send(phone_messages.PhoneMessage(WA, "Ana", text="", phone_number_id="SIMPHONE1"))


def test_build_signed_webhook(settings):
    body, headers = phone_messages.build_signed_webhook({"text": "ünïcode"})
    assert body == b'{"text":"\\u00fcn\\u00efcode"}'
    assert json.loads(body) == {"text": "ünïcode"}
    digest = hmac.new(settings.WHATSAPP_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == f"sha256={digest}"
    assert headers["Content-Type"] == "application/json"


def test_webhook_url_defaults_to_site_url(settings):
    settings.WHATSAPP_SIMULATOR_WEBHOOK_URL = ""
    settings.SITE_URL = "http://desk.test:8000"
    assert phone_messages.webhook_url() == "http://desk.test:8000/whatsapp/webhook/"


# --- Status webhooks of sends ----------------------------------------------------------------------------


def send(graph, body) -> str:
    response = graph.send(body)
    assert response.status_code == 200, response.content
    return response.json()["messages"][0]["id"]


@pytest.mark.django_db(transaction=True)
def test_free_form_to_a_phone_that_never_wrote_fails_131047(graph, webhook_receiver):
    wamid = send(graph, text_body(biz_opaque_callback_data="comment-1"))

    assert webhook_receiver.wait_for(lambda r: r.statuses())
    assert status_webhooks.status_threads_join(5)
    [status] = webhook_receiver.statuses()
    assert status["id"] == wamid
    assert status["status"] == "failed"
    assert status["recipient_id"] == WA
    assert status["biz_opaque_callback_data"] == "comment-1"
    assert status["timestamp"].isdigit()
    assert status["errors"] == [
        {
            "code": 131047,
            "title": "Re-engagement message",
            "message": "Re-engagement message",
            "error_data": {
                "details": "More than 24 hours have passed since the recipient last replied to the sender number."
            },
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        }
    ]
    assert all(r.signature_ok for r in webhook_receiver.requests)
    message = SimMessage.objects.get(wamid=wamid)
    assert (message.status, message.error_code) == ("failed", "131047")
    [parsed] = parse_payload(webhook_receiver.requests[0].json)
    assert parsed.statuses[0].errors[0].code == "131047"


@pytest.mark.django_db(transaction=True)
def test_free_form_after_a_backdated_message_older_than_24h_fails(graph, webhook_receiver):
    phone_messages.phone_send(
        phone_messages.PhoneMessage(WA, "Ana", text="old", phone_number_id="SIMPHONE1", hours_ago=25)
    )
    wamid = send(graph, text_body())

    assert webhook_receiver.wait_for(lambda r: r.statuses())
    assert status_webhooks.status_threads_join(5)
    assert [(s["id"], s["status"]) for s in webhook_receiver.statuses()] == [(wamid, "failed")]


@pytest.mark.django_db(transaction=True)
def test_free_form_within_24h_is_sent_delivered_read(graph, webhook_receiver):
    phone_messages.phone_send(
        phone_messages.PhoneMessage(WA, "Ana", text="hello", phone_number_id="SIMPHONE1", hours_ago=23)
    )
    wamid = send(graph, text_body(biz_opaque_callback_data="ticket-42/msg-7"))

    assert webhook_receiver.wait_for(lambda r: len(r.statuses()) == 3)
    assert status_webhooks.status_threads_join(5)
    statuses = webhook_receiver.statuses()
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    for status in statuses:
        assert status["id"] == wamid
        assert status["recipient_id"] == WA
        assert status["biz_opaque_callback_data"] == "ticket-42/msg-7"
        assert status["conversation"]["origin"] == {"type": "service"}
        assert "errors" not in status
    sent, delivered, read = statuses
    assert "expiration_timestamp" in sent["conversation"]
    assert "expiration_timestamp" not in delivered["conversation"]
    assert sent["pricing"] == {
        "billable": False,
        "pricing_model": "PMP",
        "type": "free_customer_service",
        "category": "service",
    }
    assert "pricing" in delivered and "pricing" not in read
    assert all(r.signature_ok and r.body.isascii() for r in webhook_receiver.requests[1:])
    assert SimMessage.objects.get(wamid=wamid).status == "read"


@pytest.mark.django_db(transaction=True)
def test_template_outside_the_window_is_delivered(graph, webhook_receiver):
    wamid = send(graph, template_body("ticket_followup", params=["Ana", "42"]))

    assert webhook_receiver.wait_for(lambda r: len(r.statuses()) == 3)
    assert status_webhooks.status_threads_join(5)
    statuses = webhook_receiver.statuses()
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    assert "biz_opaque_callback_data" not in statuses[0]  # absent when the send carried none
    assert statuses[0]["pricing"]["category"] == "utility"
    assert statuses[0]["pricing"]["billable"] is True
    assert SimMessage.objects.get(wamid=wamid).status == "read"


@pytest.mark.django_db(transaction=True)
def test_undeliverable_fault_posts_a_131026_failure(graph, webhook_receiver):
    phone_messages.phone_send(phone_messages.PhoneMessage(WA, "Ana", text="hello", phone_number_id="SIMPHONE1"))
    faults.fault_inject("undeliverable")
    wamid = send(graph, text_body())

    assert webhook_receiver.wait_for(lambda r: r.statuses())
    assert status_webhooks.status_threads_join(5)
    [status] = webhook_receiver.statuses()
    assert (status["id"], status["status"], status["errors"][0]["code"]) == (wamid, "failed", 131026)


def test_status_payload_shape_is_pure():
    job = status_webhooks.StatusJob(
        wamid="wamid.X",
        recipient_id=WA,
        callback_data="",
        category="marketing",
        waba_id="W",
        phone_number_id="P",
        display_phone_number="1555",
        plan=[],
    )
    payload = status_webhooks.status_payload(job, "read", None, timestamp=1760000000)
    [status] = payload["entry"][0]["changes"][0]["value"]["statuses"]
    assert status == {
        "id": "wamid.X",
        "status": "read",
        "timestamp": "1760000000",
        "recipient_id": WA,
        "conversation": {"id": job.conversation_id, "origin": {"type": "marketing"}},
    }
    assert protocol.serialize(payload).isascii()


@pytest.mark.django_db(transaction=True)
def test_status_webhooks_carry_the_recipient_in_contacts(graph, webhook_receiver):
    """Meta sends `value.contacts` beside `value.statuses`; pywa indexes it (KeyError: 'contacts' without it)."""
    phone_messages.phone_send(phone_messages.PhoneMessage(WA, "Zoë", text="hello", phone_number_id="SIMPHONE1"))
    wamid = send(graph, text_body())

    assert webhook_receiver.wait_for(lambda r: len(r.statuses()) == 3)
    assert status_webhooks.status_threads_join(5)
    status_bodies = [r.json for r in webhook_receiver.requests if r.statuses]
    assert len(status_bodies) == 3
    for body in status_bodies:
        value = body["entry"][0]["changes"][0]["value"]
        assert value["statuses"][0]["id"] == wamid
        assert value["contacts"] == [{"profile": {"name": "Zoë"}, "wa_id": WA, "user_id": f"SIM.{WA}"}]


@pytest.mark.django_db(transaction=True)
def test_status_webhook_to_an_unknown_phone_names_it_by_its_number(graph, webhook_receiver):
    wamid = send(graph, template_body("hello_world", params=[]))

    assert webhook_receiver.wait_for(lambda r: len(r.statuses()) == 3)
    assert status_webhooks.status_threads_join(5)
    [first, *_] = [r.json for r in webhook_receiver.requests if r.statuses]
    value = first["entry"][0]["changes"][0]["value"]
    assert value["statuses"][0]["id"] == wamid
    assert value["contacts"] == [{"profile": {"name": WA}, "wa_id": WA, "user_id": f"SIM.{WA}"}]


@pytest.mark.django_db(transaction=True)
def test_display_phone_number_is_digits_only_on_the_wire(graph, webhook_receiver):
    """An account written "+1 555 000 1111" in our settings still reaches webhooks as Meta sends it: digits."""
    from channels_whatsapp.models import WhatsAppAccount

    WhatsAppAccount.objects.create(
        name="Formatted",
        phone_number_id="PN-FMT",
        waba_id="SIMWABA1",
        display_phone_number="+1 555 000 1111",
        access_token="t",
    )
    inbound = phone_messages.phone_send(
        phone_messages.PhoneMessage(WA, "Ana", text="hi", phone_number_id="PN-FMT", context_id="wamid.BIZ1")
    ).payload
    assert graph.send(text_body(), phone_number_id="PN-FMT").status_code == 200

    assert inbound["entry"][0]["changes"][0]["value"]["metadata"]["display_phone_number"] == "15550001111"
    assert only_message(inbound)["context"]["from"] == "15550001111"
    assert webhook_receiver.wait_for(lambda r: len(r.statuses()) == 3)
    assert status_webhooks.status_threads_join(5)
    metadata = [r.json["entry"][0]["changes"][0]["value"]["metadata"] for r in webhook_receiver.requests]
    assert {m["display_phone_number"] for m in metadata} == {"15550001111"}
