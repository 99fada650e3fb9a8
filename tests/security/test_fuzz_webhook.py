"""Hostile webhook bodies, correctly signed, through the Django test client and the (sync) worker.

Whatever arrives: never a 500, and nothing half-written. An accepted body is stored exactly once as a
WebhookDelivery and fully processed (state `processed`, no failed task); a refused one is a 4xx and leaves every
table as it was.
"""

import hashlib
import itertools
import json

import pytest
from django.apps import apps
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from channels_whatsapp import client as graph_client
from channels_whatsapp import intake
from channels_whatsapp.models import WebhookDelivery
from tests.channels_whatsapp.conftest import sign
from tests.security.conftest import PHONE_NUMBER_ID

OTHER_PHONE_NUMBER_ID = "999000111"
WA_IDS = ["5511999990000", "5511988887777", "15551234567"]
MESSAGE_TYPES = [
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "button",
    "reaction",
    "edit",
    "revoke",
    "order",
    "system",
    "request_welcome",
    "unsupported",
    "unknown",
    "nfm",
]
STATUSES = ["sent", "delivered", "read", "failed", "played", "deleted", "warning", ""]

# --- Strategies: Cloud API shapes, where any value may also be of any other JSON type -------------------------------

texts = st.text(max_size=60) | st.sampled_from(["4111 1111 1111 1111", "STOP", "START", "<script>x</script>", ""])
numbers = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0, -1, 2**63, 2**64 + 1, 1e308, -1e308, 1e-300])
)
scalars = st.none() | st.booleans() | numbers | texts
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def maybe(strategy):
    """Mostly the right shape, sometimes anything at all."""
    return st.one_of(strategy, strategy, strategy, junk)


wamids = maybe(
    st.sampled_from(["wamid.A", "wamid.B", "wamid.C"]) | st.text(min_size=1, max_size=30).map("wamid.{}".format)
)
timestamps = maybe(
    st.integers(min_value=-(2**40), max_value=2**45).map(str) | st.sampled_from(["1760000000", "0", "abc", "1e10"])
)
wa_ids = maybe(st.sampled_from(WA_IDS) | st.text(max_size=40))
media = st.fixed_dictionaries(
    {},
    optional={
        "id": maybe(st.sampled_from(["m1", "m2"]) | st.text(max_size=20)),
        "mime_type": maybe(st.sampled_from(["image/jpeg", "application/pdf", "text/html", "image/svg+xml", ""])),
        "sha256": maybe(st.text(max_size=64)),
        "caption": maybe(texts),
        "filename": maybe(
            st.sampled_from(["../../etc/passwd", "a\\b.pdf", "..", "x.html", "card_4111111111111111.pdf"])
        ),
        "voice": maybe(st.booleans()),
    },
)
errors = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "code": maybe(st.sampled_from([131047, 131026, 131052, 131051, 470]) | st.integers()),
            "title": maybe(texts),
            "message": maybe(texts),
            "error_data": maybe(st.fixed_dictionaries({}, optional={"details": maybe(texts)})),
        },
    ),
    max_size=2,
)
type_bodies = {
    "text": st.fixed_dictionaries({}, optional={"body": maybe(texts)}),
    "location": st.fixed_dictionaries(
        {},
        optional={
            "latitude": maybe(numbers),
            "longitude": maybe(numbers),
            "name": maybe(texts),
            "address": maybe(texts),
            "url": maybe(texts),
        },
    ),
    "contacts": st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "name": maybe(st.fixed_dictionaries({}, optional={"formatted_name": maybe(texts)})),
                "phones": maybe(st.lists(st.fixed_dictionaries({}, optional={"phone": maybe(texts)}), max_size=2)),
                "emails": maybe(st.lists(st.fixed_dictionaries({}, optional={"email": maybe(texts)}), max_size=2)),
            },
        ),
        max_size=2,
    ),
    "interactive": st.fixed_dictionaries(
        {},
        optional={
            "type": maybe(st.sampled_from(["button_reply", "list_reply", "nfm_reply", "other"])),
            "button_reply": maybe(st.fixed_dictionaries({}, optional={"id": maybe(texts), "title": maybe(texts)})),
            "list_reply": maybe(
                st.fixed_dictionaries(
                    {}, optional={"id": maybe(texts), "title": maybe(texts), "description": maybe(texts)}
                )
            ),
            "nfm_reply": maybe(st.fixed_dictionaries({}, optional={"response_json": maybe(texts)})),
        },
    ),
    "button": st.fixed_dictionaries({}, optional={"text": maybe(texts), "payload": maybe(texts)}),
    "reaction": st.fixed_dictionaries({}, optional={"message_id": wamids, "emoji": maybe(texts)}),
    "edit": st.fixed_dictionaries(
        {},
        optional={
            "original_message_id": wamids,
            "message": maybe(st.fixed_dictionaries({"type": st.just("text"), "text": st.just({"body": "edited"})})),
        },
    ),
    "revoke": st.fixed_dictionaries({}, optional={"original_message_id": wamids}),
    "order": st.fixed_dictionaries(
        {},
        optional={"catalog_id": maybe(texts), "text": maybe(texts), "product_items": maybe(st.lists(junk, max_size=3))},
    ),
    "system": st.fixed_dictionaries(
        {},
        optional={
            "body": maybe(texts),
            "type": maybe(st.sampled_from(["user_changed_number", "customer_identity_changed"])),
            "wa_id": wa_ids,
            "new_wa_id": wa_ids,
        },
    ),
}


@st.composite
def messages(draw) -> dict:
    kind = draw(maybe(st.sampled_from(MESSAGE_TYPES)))
    message = draw(
        st.fixed_dictionaries(
            {"id": wamids, "type": st.just(kind)},
            optional={
                "from": wa_ids,
                "from_user_id": maybe(st.sampled_from(["BR.1", "US.2"]) | st.text(max_size=70)),
                "timestamp": timestamps,
                "context": maybe(st.fixed_dictionaries({}, optional={"id": wamids, "forwarded": maybe(st.booleans())})),
                "errors": maybe(errors),
            },
        )
    )
    if isinstance(kind, str):
        body = type_bodies.get(kind)
        if body is None:
            body = media if kind in ("image", "video", "audio", "document", "sticker") else junk
        if draw(st.booleans()) or kind in type_bodies:
            message[kind] = draw(maybe(body))
    return message


statuses = st.fixed_dictionaries(
    {"id": wamids, "status": maybe(st.sampled_from(STATUSES))},
    optional={
        "timestamp": timestamps,
        "recipient_id": wa_ids,
        "errors": maybe(errors),
        "biz_opaque_callback_data": maybe(st.sampled_from(["comment:1", "comment:x", "comment:99999999999999999999"])),
        "conversation": junk,
        "pricing": junk,
    },
)
values = st.fixed_dictionaries(
    {
        "messaging_product": maybe(st.just("whatsapp")),
        "metadata": maybe(
            st.fixed_dictionaries(
                {"phone_number_id": maybe(st.sampled_from([PHONE_NUMBER_ID, OTHER_PHONE_NUMBER_ID, ""]))},
                optional={"display_phone_number": maybe(texts)},
            )
        ),
    },
    optional={
        "contacts": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "profile": maybe(st.fixed_dictionaries({}, optional={"name": maybe(texts)})),
                        "wa_id": wa_ids,
                        "user_id": maybe(texts),
                    },
                ),
                max_size=2,
            )
        ),
        "messages": maybe(st.lists(messages(), max_size=3)),
        "statuses": maybe(st.lists(statuses, max_size=3)),
        "errors": maybe(errors),
        "event": maybe(st.sampled_from(["APPROVED", "REJECTED", "PAUSED"])),
        "message_template_name": maybe(texts),
        "message_template_language": maybe(texts),
    },
)
payloads = st.fixed_dictionaries(
    {
        "object": maybe(st.just("whatsapp_business_account")),
        "entry": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {"id": maybe(st.just("102290129340398"))},
                    optional={
                        "changes": maybe(
                            st.lists(
                                st.fixed_dictionaries(
                                    {
                                        "field": maybe(
                                            st.sampled_from(["messages", "message_template_status_update", "x"])
                                        ),
                                        "value": maybe(values),
                                    }
                                ),
                                max_size=2,
                            )
                        )
                    },
                ),
                max_size=2,
            )
        ),
    },
)


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


HOSTILE_BODIES = st.sampled_from(
    [
        b"",
        b"not json",
        b"[]",
        b"[1, 2, 3]",
        b'"a string"',
        b"null",
        b"{",
        b'{"entry": NaN}',
        b'{"entry": Infinity}',
        b'{"n": 1e400}',
        b'{"s": "\\ud800"}',
        b'{"s": "\\u0000 nul"}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": "\\u0000"}]}]}',
        b'{"a": 1, "a": 2}',
        b"\xff\xfe{}",
        _nested(64),
        _nested(65),
        _nested(5000),
        b"[" * 100_000 + b"]" * 100_000,
        b'{"big": ' + b"9" * 5000 + b"}",
    ]
)
bodies = st.one_of(
    payloads.map(lambda p: json.dumps(p).encode()),
    payloads.map(lambda p: json.dumps(p, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    HOSTILE_BODIES,
    st.binary(max_size=200),
)


# --- The harness ------------------------------------------------------------------------------------------------


@pytest.fixture
def graph_offline(monkeypatch, settings):
    """Nothing leaves the process: the Cloud API answers in-process (sends accepted, media served)."""
    settings.WHATSAPP_RETRY_BASE_SECONDS = 0
    counter = itertools.count(1)
    monkeypatch.setattr(
        graph_client,
        "send_message",
        lambda **kw: graph_client.SendResult(wamid=f"wamid.OUT{next(counter)}", wa_id=WA_IDS[0]),
    )
    monkeypatch.setattr(graph_client, "upload_media", lambda **kw: f"media-{next(counter)}")
    monkeypatch.setattr(
        graph_client,
        "media_info",
        lambda **kw: graph_client.MediaInfo(
            url="https://media.example/x", mime_type="image/jpeg", sha256="", file_size=4
        ),
    )
    monkeypatch.setattr(graph_client, "download_media", lambda **kw: (b"\xff\xd8\xff\xd9", "image/jpeg"))


def table_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models(include_auto_created=True)}


def failed_tasks() -> list[str]:
    from django_q.models import Task

    return [f"{t.func}: {t.result}" for t in Task.objects.filter(success=False)]


@pytest.fixture
def post_and_check(client, account, graph_offline, django_capture_on_commit_callbacks):
    """POST one signed body; check the outcome against the rules above. Returns the status code."""

    def run(body: bytes, *, signature: str | None = None) -> int:
        before = table_counts()
        failures_before = len(failed_tasks())
        last = WebhookDelivery.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with django_capture_on_commit_callbacks(execute=True):
            response = client.generic(
                "POST",
                "/whatsapp/webhook/",
                data=body,
                content_type="application/json",
                headers={"X-Hub-Signature-256": signature if signature is not None else sign(body)},
            )
        assert response.status_code < 500, response.content[:500]
        new = list(WebhookDelivery.objects.filter(id__gt=last))
        if response.status_code == 200 and not new:
            # The same bytes were accepted earlier in this run: a replay is acknowledged, not stored again.
            assert WebhookDelivery.objects.filter(body_sha256=hashlib.sha256(body).hexdigest()).count() == 1
            assert table_counts() == before, "a replayed body left something behind"
        elif response.status_code == 200:
            assert len(new) == 1, "an accepted body is stored exactly once"
            new[0].refresh_from_db()
            assert new[0].state == WebhookDelivery.State.PROCESSED, (new[0].state, new[0].error, new[0].notes)
            assert failed_tasks()[failures_before:] == [], "a task failed while processing the body"
        else:
            assert 400 <= response.status_code < 500
            assert response.json()["error"]
            assert table_counts() == before, "a refused body left something behind"
        return response.status_code

    return run


# Hypothesis runs many examples in one test (one database transaction): every check is relative to before.
FUZZ_SETTINGS = hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ_SETTINGS
@given(body=bodies)
def test_any_signed_body_is_stored_and_processed_once_or_refused_cleanly(post_and_check, body):
    post_and_check(body)


@FUZZ_SETTINGS
@given(payload=payloads)
def test_cloud_api_shaped_bodies_are_always_accepted(post_and_check, payload):
    """A JSON object within the limits is always taken (then kept and shown if it cannot be used)."""
    assert post_and_check(json.dumps(payload).encode()) == 200


# A message claiming its own redaction count (the product's private key): the count is never taken from the body.
FORGED_COUNT = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "1",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "metadata": {"phone_number_id": PHONE_NUMBER_ID},
                        "contacts": [{"profile": {"name": "Ana"}, "wa_id": WA_IDS[0]}],
                        "messages": [
                            {
                                "from": WA_IDS[0],
                                "id": "wamid.FORGED",
                                "timestamp": "1760000000",
                                "type": "text",
                                "text": {"body": "hello"},
                                "_supportdesk_redactions": "many",
                            }
                        ],
                    },
                }
            ],
        }
    ],
}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[]", 400),
        (b'{"n": NaN}', 400),
        (b'{"n": 1e400}', 400),
        (b'{"s": "\\ud800"}', 400),
        (_nested(64), 200),
        (_nested(65), 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b'{"pad": "' + b"x" * (intake.MAX_WEBHOOK_BYTES - 10) + b'"}', 400),
        (b'{"s": "\\u0000"}', 200),
        (b'{"entry": true}', 200),
        (b'{"entry": [{"changes": 7}]}', 200),
        (b'{"entry": [{"changes": [{"field": "messages", "value": {"metadata": "x", "messages": []}}]}]}', 200),
        (json.dumps(FORGED_COUNT).encode(), 200),
    ],
    ids=[
        "text",
        "array",
        "nan",
        "overflow",
        "surrogate",
        "depth-64",
        "depth-65",
        "deep-array",
        "over-3mib",
        "nul",
        "entry-bool",
        "changes-int",
        "metadata-str",
        "forged-redaction-count",
    ],
)
def test_hostile_bodies(post_and_check, body, status):
    assert post_and_check(body) == status


@pytest.mark.parametrize("signature", ["", "sha256=", "sha256=00", "sha1=abc", "sha256=" + "0" * 64])
def test_unsigned_or_wrongly_signed_bodies_are_refused_and_leave_nothing(post_and_check, signature):
    assert post_and_check(b'{"object": "whatsapp_business_account", "entry": []}', signature=signature) == 403


def test_a_body_over_the_limit_is_refused_before_it_is_read(client, account):
    response = client.generic(
        "POST",
        "/whatsapp/webhook/",
        data=b"{}",
        content_type="application/json",
        headers={"X-Hub-Signature-256": sign(b"{}"), "Content-Length": str(intake.MAX_WEBHOOK_BYTES + 1)},
    )
    assert response.status_code == 400
    assert not WebhookDelivery.objects.exists()
