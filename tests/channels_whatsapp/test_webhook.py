"""`/whatsapp/webhook/`: the subscription handshake, signatures, size and shape checks, durable storage."""

import copy
import hashlib
import json
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from channels_whatsapp.models import InboundReceipt, WebhookDelivery
from tests.channels_whatsapp.conftest import load_payload, meta_json, sign
from tickets.models import AuthorRole, Comment, Contact, Ticket

URL = "/whatsapp/webhook/"
MiB = 1024 * 1024


def payload(name: str) -> dict:
    return load_payload(f"{name}.json")


def first_message(body: dict) -> dict:
    return body["entry"][0]["changes"][0]["value"]["messages"][0]


def assert_json_error(response, status: int) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["error"], str)
    assert response.json()["error"]


@pytest.fixture
def deliver(post_webhook, django_capture_on_commit_callbacks, account):
    """POST as Meta does and run what the commit hands to the (sync) worker."""

    def run(body, *, signature=None):
        with django_capture_on_commit_callbacks(execute=True):
            return post_webhook(body, signature=signature)

    return run


# --- GET handshake ----------------------------------------------------------------------------------------


def test_handshake_answers_the_challenge_as_plain_text(client):
    response = client.get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1158201444"}
    )
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong-token", "hub.challenge": "1158201444"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1158201444"},
        {"hub.verify_token": "test-verify-token", "hub.challenge": "1158201444"},
        {"hub.mode": "subscribe", "hub.challenge": "1158201444"},
        {"hub.mode": "subscribe", "hub.verify_token": "test-verify-token-and-more", "hub.challenge": "1"},
        {},
    ],
    ids=["wrong-token", "wrong-mode", "no-mode", "no-token", "token-prefix", "nothing"],
)
def test_handshake_refused(client, params):
    response = client.get(URL, params)
    assert response.status_code == 403
    assert b"1158201444" not in response.content


def test_handshake_refused_when_no_token_is_configured(client, settings):
    settings.WHATSAPP_VERIFY_TOKEN = ""
    response = client.get(URL, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})
    assert response.status_code == 403


def test_other_methods_are_not_allowed(client):
    assert client.put(URL, data=b"{}", content_type="application/json").status_code == 405
    assert client.delete(URL).status_code == 405


# --- POST: signature ------------------------------------------------------------------------------------------


def test_missing_signature_is_refused_and_nothing_stored(client, account):
    response = client.post(URL, data=meta_json(payload("text")), content_type="application/json")
    assert response.status_code == 403
    assert WebhookDelivery.objects.count() == 0
    assert Comment.objects.count() == 0


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "sha256=",
        "sha256=" + "0" * 64,
        "sha1=" + "0" * 40,
        "deadbeef",
        "sha256=zz",
    ],
    ids=["empty", "prefix-only", "zeros", "sha1", "no-prefix", "not-hex"],
)
def test_wrong_signature_is_refused(deliver, signature):
    response = deliver(payload("text"), signature=signature)
    assert response.status_code == 403
    assert WebhookDelivery.objects.count() == 0
    assert Comment.objects.count() == 0


def test_signature_with_another_secret_is_refused(deliver):
    import hashlib
    import hmac

    body = meta_json(payload("text"))
    signature = "sha256=" + hmac.new(b"another-secret", body, hashlib.sha256).hexdigest()
    assert deliver(body, signature=signature).status_code == 403
    assert WebhookDelivery.objects.count() == 0


def test_signature_of_the_bare_hex_without_prefix_is_refused(deliver):
    body = meta_json(payload("text"))
    assert deliver(body, signature=sign(body)[len("sha256=") :]).status_code == 403


def test_uppercase_hex_signature_is_accepted(deliver):
    body = meta_json(payload("text"))
    assert deliver(body, signature="sha256=" + sign(body)[7:].upper()).status_code == 200
    assert Comment.objects.count() == 1


def test_everything_is_refused_without_an_app_secret(deliver, settings):
    body = meta_json(payload("text"))
    settings.WHATSAPP_APP_SECRET = ""
    import hashlib
    import hmac

    assert deliver(body, signature="sha256=" + hmac.new(b"", body, hashlib.sha256).hexdigest()).status_code == 403
    assert WebhookDelivery.objects.count() == 0


def test_signature_over_escaped_non_ascii_body_is_accepted_and_text_unescaped(deliver):
    body = meta_json(payload("text_non_ascii"))
    assert b"\\u00e1" in body and b"\\ud83d\\ude22" in body  # as Meta sends it: lower-case \uXXXX escapes
    assert body.isascii()
    response = deliver(body)
    assert response.status_code == 200
    comment = Comment.objects.get()
    assert comment.body == "Olá, não consigo pagar 😢 ação"
    assert comment.ticket.subject == "Olá, não consigo pagar 😢 ação"


def test_body_reserialized_differently_than_signed_is_refused(post_webhook, account):
    data = payload("text_non_ascii")
    signed = meta_json(data)
    sent = json.dumps(data, ensure_ascii=False).encode()
    assert json.loads(signed) == json.loads(sent)
    response = post_webhook(sent, signature=sign(signed))
    assert response.status_code == 403
    assert WebhookDelivery.objects.count() == 0


def test_ascii_body_reserialized_with_spaces_is_refused(post_webhook, account):
    data = payload("text")
    response = post_webhook(json.dumps(data).encode(), signature=sign(meta_json(data)))
    assert response.status_code == 403


# --- POST: size and shape -------------------------------------------------------------------------------------


def _padded(size: int) -> bytes:
    """A valid webhook body of exactly `size` bytes (JSON whitespace padding)."""
    body = meta_json(payload("text"))
    return body[:-1] + b" " * (size - len(body)) + b"}"


def test_body_over_3_mib_is_refused_with_json_error(deliver):
    body = _padded(3 * MiB + 1)
    assert len(body) == 3 * MiB + 1
    response = deliver(body)
    assert_json_error(response, 400)
    assert WebhookDelivery.objects.count() == 0


def test_body_of_exactly_3_mib_is_accepted(deliver):
    body = _padded(3 * MiB)
    response = deliver(body)
    assert response.status_code == 200
    assert WebhookDelivery.objects.count() == 1
    assert Comment.objects.count() == 1


def test_body_far_over_the_limit_is_refused_with_json_error(deliver):
    body = _padded(6 * MiB)
    response = deliver(body, signature=sign(body))
    assert_json_error(response, 400)
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b'{"object": "whatsapp_business_account", "entry": [',
        b"{'single': 'quotes'}",
        b"\xff\xfe{}",
        b'{"object":"whatsapp_business_account","entry":[],"n":NaN}',
        b'{"object":"whatsapp_business_account","entry":[],"n":Infinity}',
        b'{"object":"whatsapp_business_account","entry":[],"n":1e400}',
        b'{"object":"whatsapp_business_account","entry":[],"s":"\\ud800"}',
        b'{"object":"whatsapp_business_account","entry":[],"n":' + b"9" * 5000 + b"}",
    ],
    ids=[
        "empty",
        "text",
        "truncated",
        "single-quotes",
        "not-utf8",
        "nan",
        "infinity",
        "overflow",
        "lone-surrogate",
        "huge-int",
    ],
)
def test_malformed_json_is_refused_with_json_error(deliver, body):
    response = deliver(body)
    assert_json_error(response, 400)
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.parametrize(
    "body", [b"[]", b'[{"object": "whatsapp_business_account"}]', b'"text"', b"42", b"null", b"true"]
)
def test_json_that_is_not_an_object_is_refused(deliver, body):
    response = deliver(body)
    assert_json_error(response, 400)
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.parametrize("depth", [100_000, 5_000, 950, 900, 100, 64])
def test_deeply_nested_json_is_refused_not_a_500(deliver, depth):
    body = b'{"object":"whatsapp_business_account","entry":' + b"[" * depth + b"]" * depth + b"}"
    response = deliver(body)
    assert_json_error(response, 400)
    assert WebhookDelivery.objects.count() == 0


def test_nesting_up_to_the_limit_is_stored_and_processed(deliver):
    # the body object is level 1, so "extra" may hold 62 more levels
    body = meta_json(payload("text"))[:-1] + b',"extra":' + b"[" * 62 + b"]" * 62 + b"}"
    response = deliver(body)
    assert response.status_code == 200
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.PROCESSED
    assert Comment.objects.count() == 1


def test_many_brackets_but_shallow_json_is_accepted(deliver):
    data = payload("text")
    data["extra"] = [[{"a": [1]}] for _ in range(500)]
    assert deliver(data).status_code == 200
    assert Comment.objects.count() == 1


def test_a_message_without_id_holding_odd_json_is_kept_as_a_note(deliver):
    data = payload("text")
    first_message(data).pop("id")
    body = meta_json(data)
    body = body.replace(b'"type":"text"', b'"type":"text","deep":' + b"[" * 40 + b"]" * 40)
    response = deliver(body)
    assert response.status_code == 200
    stored = WebhookDelivery.objects.get()
    assert stored.state == WebhookDelivery.State.PROCESSED
    assert any("message without id" in note for note in stored.notes)
    assert Comment.objects.count() == 0


# --- POST: stored and processed ---------------------------------------------------------------------------------


def test_signed_message_is_stored_acknowledged_and_processed(deliver):
    data = payload("text")
    response = deliver(data)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    stored = WebhookDelivery.objects.get()
    assert stored.payload == data
    assert stored.state == WebhookDelivery.State.PROCESSED
    assert stored.processed_at is not None
    assert stored.attempts == 1
    assert Comment.objects.get().channel_message_id == first_message(data)["id"]


def test_payload_is_stored_before_processing(post_webhook, account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_webhook(payload("text"))
    assert response.status_code == 200
    assert len(callbacks) == 1  # processing waits for the commit
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.PENDING
    assert Comment.objects.count() == 0
    callbacks[0]()
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.PROCESSED
    assert Comment.objects.count() == 1


def test_unknown_phone_number_id_is_kept_with_a_note_and_no_ticket(deliver):
    data = payload("text")
    data["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999000111222333"
    response = deliver(data)
    assert response.status_code == 200
    stored = WebhookDelivery.objects.get()
    assert stored.payload == data
    assert stored.state == WebhookDelivery.State.PROCESSED
    assert any("999000111222333" in note for note in stored.notes)
    assert Ticket.objects.count() == 0
    assert Comment.objects.count() == 0
    assert Contact.objects.count() == 0
    assert InboundReceipt.objects.count() == 0  # a later fix of the account setup could still replay it


def test_inactive_account_is_treated_as_unknown(deliver, account):
    account.active = False
    account.save()
    assert deliver(payload("text")).status_code == 200
    assert any(account.phone_number_id in note for note in WebhookDelivery.objects.get().notes)
    assert Ticket.objects.count() == 0


def test_unknown_message_type_is_shown_not_a_500(deliver):
    response = deliver(payload("unknown_type"))
    assert response.status_code == 200
    comment = Comment.objects.get()
    assert comment.author_role == AuthorRole.END_USER
    assert comment.message_type == "hologram"
    assert "hologram" in comment.body
    assert "cannot show" in comment.body
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.PROCESSED


def test_other_change_fields_are_kept_with_a_note(deliver):
    data = payload("text")
    data["entry"][0]["changes"][0]["field"] = "account_update"
    assert deliver(data).status_code == 200
    stored = WebhookDelivery.objects.get()
    assert stored.state == WebhookDelivery.State.PROCESSED
    assert any("account_update" in note for note in stored.notes)
    assert Comment.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": None},
        {"object": "whatsapp_business_account", "entry": [None, 1, {"changes": [None, {"value": "x"}]}]},
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": {"messages": 5}}]}],
        },
    ],
    ids=["empty", "no-entry", "null-entry", "junk-entries", "messages-not-a-list"],
)
def test_odd_but_valid_json_objects_are_stored_and_processed(deliver, body):
    response = deliver(body)
    assert response.status_code == 200
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.PROCESSED
    assert Comment.objects.count() == 0


def test_redelivery_of_the_whole_body_adds_no_second_comment(deliver):
    data = payload("text")
    for _ in range(3):
        assert deliver(copy.deepcopy(data)).status_code == 200
    assert WebhookDelivery.objects.count() == 1  # identical bytes within 24 hours are stored once
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {WebhookDelivery.State.PROCESSED}
    assert Comment.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_nul_character_in_text_is_stored_as_a_replacement_character(deliver):
    data = payload("text")
    first_message(data)["text"]["body"] = "before\x00after"
    body = meta_json(data)
    assert b"\\u0000" in body
    response = deliver(body)
    assert response.status_code == 200
    assert Comment.objects.get().body == "before\ufffdafter"
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.PROCESSED


# --- Replays ----------------------------------------------------------------------------------------------------


def test_a_replayed_body_is_acknowledged_and_stored_once(post_webhook, django_capture_on_commit_callbacks, account):
    """Before, every replay of a captured signed request was stored (and processed) again."""
    body = meta_json(payload("text"))
    with django_capture_on_commit_callbacks() as first_callbacks:
        assert post_webhook(body).status_code == 200
    with django_capture_on_commit_callbacks() as replay_callbacks:
        response = post_webhook(body)
    assert response.status_code == 200
    assert response.json() == {"status": "received"}
    assert WebhookDelivery.objects.count() == 1
    assert len(first_callbacks) == 1 and replay_callbacks == []  # nothing handed to the worker again
    assert WebhookDelivery.objects.get().body_sha256 == hashlib.sha256(body).hexdigest()


def test_the_same_body_after_24_hours_is_stored_again(post_webhook, account):
    body = meta_json(payload("text"))
    assert post_webhook(body).status_code == 200
    earlier = timezone.now() - timedelta(hours=25)
    WebhookDelivery.objects.update(received_at=earlier, received_day=earlier.date())
    assert post_webhook(body).status_code == 200
    assert WebhookDelivery.objects.count() == 2


def test_one_row_per_body_and_day_is_a_database_rule(account):
    """The race-safe part: two inserts of the same hash on the same day cannot both succeed."""
    fields = {"payload": {}, "body_sha256": "a" * 64, "received_day": timezone.now().date()}
    WebhookDelivery.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(**fields)
