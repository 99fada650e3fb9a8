"""Inbound WhatsApp processing never crashes on webhook-shaped payloads (property)."""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from channels_whatsapp import intake
from channels_whatsapp.models import WebhookDelivery
from tests.channels_whatsapp.conftest import payload
from tests.channels_whatsapp.inbound_helpers import AGENT_WAMID, WA_ID, agent_reply, text_message, value_of
from tickets.models import Comment, Ticket

pytestmark = pytest.mark.usefixtures("media_enqueued")


# --- property: no webhook-shaped payload makes processing crash ------------------------------------------------


def _text(max_size: int):
    """What webhook_receive lets through: no NUL (PostgreSQL stores none), no lone surrogate."""
    return st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=max_size)


_junk = (
    st.none()
    | st.booleans()
    | st.integers(-5, 2**40)
    | _text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False)
)
_any = st.recursive(
    _junk, lambda c: st.lists(c, max_size=3) | st.dictionaries(_text(max_size=8), c, max_size=3), max_leaves=12
)
_MESSAGE_TYPES = ["text", "image", "document", "audio", "sticker", "video", "location", "contacts", "interactive"]
_MESSAGE_TYPES += ["button", "reaction", "order", "edit", "revoke", "system", "unsupported", "request_welcome", "x"]


def _typed_body(kind: str):
    media = st.fixed_dictionaries(
        {},
        optional={
            "id": _text(max_size=8) | _junk,
            "mime_type": st.sampled_from(["image/jpeg", "application/pdf", "", "x/../y"]) | _junk,
            "sha256": _text(max_size=8),
            "caption": _text(max_size=30) | _junk,
            "filename": st.sampled_from(["a.pdf", "../x", "", ".", "a/b"]) | _junk,
        },
    )
    shapes = {
        "text": st.fixed_dictionaries({"body": _text(max_size=40) | _junk}),
        "location": st.dictionaries(st.sampled_from(["latitude", "longitude", "name", "address"]), _any, max_size=4),
        "interactive": st.fixed_dictionaries(
            {"type": st.sampled_from(["button_reply", "list_reply", "nfm_reply"]) | _junk},
            optional={"button_reply": _any, "list_reply": _any, "nfm_reply": _any},
        ),
        "reaction": st.fixed_dictionaries(
            {"message_id": st.sampled_from([AGENT_WAMID, "wamid.seed", "nope"]) | _junk, "emoji": _junk}
        ),
        "edit": st.fixed_dictionaries(
            {"original_message_id": st.sampled_from(["wamid.seed", "nope"]) | _junk, "message": _any}
        ),
        "revoke": st.fixed_dictionaries({"original_message_id": st.sampled_from(["wamid.seed", "nope"]) | _junk}),
        "system": st.fixed_dictionaries(
            {
                "type": st.sampled_from(["user_changed_number", "x"]) | _junk,
                "wa_id": st.sampled_from([WA_ID, "1"]) | _junk,
            }
        ),
    }
    if kind in ("image", "document", "audio", "sticker", "video"):
        return media | _any
    return shapes.get(kind, _any) | _any


@st.composite
def _messages(draw):
    kind = draw(st.sampled_from(_MESSAGE_TYPES))
    message = {
        "id": f"wamid.fuzz-{draw(st.uuids())}",
        "type": kind,
        "from": draw(st.sampled_from([WA_ID, "5521977776666", ""]) | _junk),
        "timestamp": draw(st.sampled_from(["1760000000", "0", "-1", "9" * 30]) | _junk),
        kind: draw(_typed_body(kind)),
    }
    if draw(st.booleans()):
        message["context"] = draw(_any | st.fixed_dictionaries({"id": _junk, "forwarded": _junk}))
    if draw(st.booleans()):
        message["errors"] = draw(_any | st.lists(st.fixed_dictionaries({"code": _junk, "title": _junk})))
    if kind == "contacts":
        message["contacts"] = draw(_any)
    return message


@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    messages=st.lists(_messages(), min_size=1, max_size=4),
    contacts=st.lists(
        st.fixed_dictionaries({"wa_id": st.sampled_from([WA_ID, ""]) | _junk, "profile": _any}), max_size=2
    )
    | _any,
)
def test_processing_never_crashes_on_webhook_shaped_payloads(account, agent, messages, contacts):
    if not Comment.objects.filter(channel_message_id="wamid.seed").exists():
        seed = text_message("wamid.seed", "seed message")
        intake.webhook_process(delivery_id=WebhookDelivery.objects.create(payload=seed).pk)
        agent_reply(Ticket.objects.get(comments__channel_message_id="wamid.seed"), agent)
    body = payload("text")
    value_of(body).update(messages=messages, contacts=contacts)
    stored = WebhookDelivery.objects.create(payload=body)
    intake.webhook_process(delivery_id=stored.pk)
    stored.refresh_from_db()
    assert stored.state == WebhookDelivery.State.PROCESSED
