"""The phone's own history: conversations that happened before the simulator was watching (the demo's).

A real phone keeps its chats; so does the simulator. `phone_history_seed` writes the simulator's own rows
(SimContact, SimMessage) for conversations described in plain data, so the phone page shows them and the 24-hour
rule counts the customer's last message, without the simulator ever reading the product's tables. Nothing is
posted: these messages were exchanged long ago. Idempotent by wamid.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Case, DateTimeField, F, Value, When

from channels_whatsapp.simulator import protocol
from channels_whatsapp.simulator.models import SimContact, SimMessage

BATCH_SIZE = 500  # also keeps every IN list under SQLite's 999 parameters


@dataclass(frozen=True)
class HistoryMessage:
    """One past text (or template) either way. `status`/`error_code`: what Meta last reported for an outbound one."""

    wamid: str
    inbound: bool
    text: str
    sent_at: datetime
    status: str = ""
    error_code: str = ""
    template_name: str = ""
    template_language: str = ""


@dataclass(frozen=True)
class HistoryConversation:
    """A phone and its chat with the business; `messages` may be empty (a customer on WhatsApp who has not
    written yet), then `known_since` places it in the chat list."""

    wa_id: str
    name: str
    messages: list[HistoryMessage] = field(default_factory=list)
    known_since: datetime | None = None


@dataclass(frozen=True)
class HistorySeeded:
    contacts: int
    messages: int


def _inbound_row(message: HistoryMessage, *, wa_id: str, phone_number_id: str) -> SimMessage:
    body = {
        "from": wa_id,
        "from_user_id": protocol.user_id_for(wa_id),
        "id": message.wamid,
        "timestamp": str(int(message.sent_at.timestamp())),
        "type": "text",
        "text": {"body": message.text},
    }
    return SimMessage(
        wamid=message.wamid,
        direction=SimMessage.Direction.INBOUND,
        phone_number_id=phone_number_id,
        wa_id=wa_id,
        type="text",
        body=body,
        text=message.text,
        sent_at=message.sent_at,
        webhook_status=200,  # the product has it: it reached our webhook back then
    )


def _outbound_row(message: HistoryMessage, *, wa_id: str, phone_number_id: str) -> SimMessage:
    if message.template_name:
        type_ = "template"
        content: dict = {"name": message.template_name, "language": {"code": message.template_language}}
    else:
        type_, content = "text", {"body": message.text}
    status = message.status if message.status in SimMessage.Status.values else SimMessage.Status.ACCEPTED
    return SimMessage(
        wamid=message.wamid,
        direction=SimMessage.Direction.OUTBOUND,
        phone_number_id=phone_number_id,
        wa_id=wa_id,
        type=type_,
        body={
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": wa_id,
            "type": type_,
            type_: content,
        },
        text=message.text,
        template_name=message.template_name,
        template_language=message.template_language,
        sent_at=message.sent_at,
        status=status,
        error_code=message.error_code if status == SimMessage.Status.FAILED else "",
    )


def _chunks(items: list, size: int = BATCH_SIZE) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def phone_history_seed(*, phone_number_id: str, conversations: Iterable[HistoryConversation]) -> HistorySeeded:
    """Put past conversations on the phone. A contact the phone already knows keeps its name; a message the
    simulator already holds (same wamid) is left alone. Returns how many contacts and messages were new.

    Bulk writes in batches (a demo of thousands of tickets costs a few dozen queries, not one per row)."""
    names: dict[str, str] = {}
    listed_at: dict[str, datetime] = {}
    rows: list[SimMessage] = []
    for conversation in conversations:
        wa_id = protocol.digits(conversation.wa_id)
        if not wa_id:
            continue
        names.setdefault(wa_id, (conversation.name or "").strip()[:100] or wa_id)
        times = [m.sent_at for m in conversation.messages] + [listed_at.get(wa_id), conversation.known_since]
        if any(times):
            listed_at[wa_id] = max(t for t in times if t)
        for message in conversation.messages:
            build = _inbound_row if message.inbound else _outbound_row
            rows.append(build(message, wa_id=wa_id, phone_number_id=phone_number_id))

    new_wa_ids: list[str] = []
    for chunk in _chunks(list(names)):
        known = set(SimContact.objects.filter(wa_id__in=chunk).values_list("wa_id", flat=True))
        new_wa_ids.extend(w for w in chunk if w not in known)
    SimContact.objects.bulk_create(
        [SimContact(wa_id=w, name=names[w]) for w in new_wa_ids], batch_size=BATCH_SIZE, ignore_conflicts=True
    )

    new_messages = 0
    for chunk in _chunks(rows):
        wamids = [r.wamid for r in chunk]
        existing = set(SimMessage.objects.filter(wamid__in=wamids).values_list("wamid", flat=True))
        SimMessage.objects.bulk_create(chunk, ignore_conflicts=True)
        fresh = [w for w in wamids if w not in existing]
        # Recorded when they happened, not now: the phone page would call them "backdated" otherwise.
        SimMessage.objects.filter(wamid__in=fresh).update(created_at=F("sent_at"))
        new_messages += len(fresh)

    # A new contact is listed by when it last spoke, like a phone's chat list.
    dated = [w for w in new_wa_ids if w in listed_at]
    for chunk in _chunks(dated, 300):
        when = Case(*[When(wa_id=w, then=Value(listed_at[w])) for w in chunk], output_field=DateTimeField())
        SimContact.objects.filter(wa_id__in=chunk).update(created_at=when, updated_at=when)
    return HistorySeeded(contacts=len(new_wa_ids), messages=new_messages)
