"""Shared payload builders and fixtures of the inbound WhatsApp tests."""

from datetime import UTC, datetime

from tests.channels_whatsapp.conftest import payload
from tickets.models import AuthorRole, Comment, DeliveryStatus, Ticket, Via

PAYLOAD_TS = datetime.fromtimestamp(1760000000, tz=UTC)


WA_ID = "5511999990000"


AGENT_WAMID = "wamid.HBgNNTUxMTk5OTk5MDAwMBUCABEYEkFHRU5UUkVQTFkwMDAxAA=="


def value_of(body: dict) -> dict:
    return body["entry"][0]["changes"][0]["value"]


def first_message(body: dict) -> dict:
    return value_of(body)["messages"][0]


def text_message(wamid: str, text: str, ts: int | str = 1760000000, **extra) -> dict:
    body = payload("text")
    message = first_message(body)
    message.update(id=wamid, timestamp=str(ts), text={"body": text}, **extra)
    return body


def agent_reply(ticket: Ticket, agent, wamid: str = AGENT_WAMID) -> Comment:
    """An agent reply already sent through WhatsApp (no outbound machinery involved)."""
    return Comment.objects.create(
        ticket=ticket,
        author_role=AuthorRole.AGENT,
        author_user=agent,
        body="Can you confirm the delivery address?",
        public=True,
        via=Via.WHATSAPP,
        channel_message_id=wamid,
        delivery_status=DeliveryStatus.SENT,
    )


MEDIA_ID = {
    "image": "1479537139650973",
    "video": "1023456789012345",
    "audio_voice": "2034567890123456",
    "document": "3045678901234567",
    "sticker": "4056789012345678",
}
