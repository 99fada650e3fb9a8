"""Reads of the simulator's state: business numbers, the template registry, conversations, the 24-hour rule."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from channels_whatsapp.models import WhatsAppAccount
from channels_whatsapp.simulator.models import (
    DEFAULT_WABA_ID,
    SimContact,
    SimMedia,
    SimMessage,
    SimTemplate,
    SimulatorFault,
)

# The business number the phone writes to when no WhatsAppAccount exists yet.
SIMULATOR_PHONE_NUMBER_ID = "SIMPHONE1"
SIMULATOR_DISPLAY_PHONE_NUMBER = "15550100001"
WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class BusinessNumber:
    phone_number_id: str
    waba_id: str
    display_phone_number: str
    name: str


def business_number(phone_number_id: str) -> BusinessNumber:
    """The WABA and display number of one of "our" numbers: from WhatsAppAccount when connected, else defaults."""
    account = (
        WhatsAppAccount.objects.filter(phone_number_id=phone_number_id)
        .only("name", "phone_number_id", "waba_id", "display_phone_number")
        .first()
    )
    if account is not None:
        return BusinessNumber(
            phone_number_id=account.phone_number_id,
            waba_id=account.waba_id or DEFAULT_WABA_ID,
            display_phone_number=account.display_phone_number or SIMULATOR_DISPLAY_PHONE_NUMBER,
            name=account.name,
        )
    return BusinessNumber(
        phone_number_id=phone_number_id,
        waba_id=DEFAULT_WABA_ID,
        display_phone_number=SIMULATOR_DISPLAY_PHONE_NUMBER,
        name="Simulator business",
    )


def business_numbers() -> list[BusinessNumber]:
    """Every number the phone can write to: connected accounts first, then the simulator's default."""
    numbers = [
        BusinessNumber(
            phone_number_id=a.phone_number_id,
            waba_id=a.waba_id or DEFAULT_WABA_ID,
            display_phone_number=a.display_phone_number or SIMULATOR_DISPLAY_PHONE_NUMBER,
            name=a.name,
        )
        for a in WhatsAppAccount.objects.only("name", "phone_number_id", "waba_id", "display_phone_number").order_by(
            "id"
        )
    ]
    if all(n.phone_number_id != SIMULATOR_PHONE_NUMBER_ID for n in numbers):
        numbers.append(business_number(SIMULATOR_PHONE_NUMBER_ID))
    return numbers


def default_phone_number_id() -> str:
    first = WhatsAppAccount.objects.order_by("id").values_list("phone_number_id", flat=True).first()
    return first or SIMULATOR_PHONE_NUMBER_ID


def is_known_business_number(node_id: str) -> bool:
    return node_id == SIMULATOR_PHONE_NUMBER_ID or WhatsAppAccount.objects.filter(phone_number_id=node_id).exists()


# --- Templates -------------------------------------------------------------------------------------------


def templates_for_waba(waba_id: str) -> QuerySet[SimTemplate]:
    """A WABA's templates; a WABA the registry has never heard of sees the default (seeded) registry."""
    own = SimTemplate.objects.filter(waba_id=waba_id)
    if waba_id != DEFAULT_WABA_ID and not own.exists():
        return SimTemplate.objects.filter(waba_id=DEFAULT_WABA_ID)
    return own


TEMPLATE_LIST_FILTERS = ("status", "category", "language")


@dataclass(frozen=True)
class TemplatePage:
    """One page of a template listing: its rows and whether rows lie beyond it on either side."""

    rows: list[SimTemplate]
    more_after: bool
    more_before: bool
    total_count: int
    waba_count: int


def templates_page(
    *, waba_id: str, filters: dict[str, str], limit: int, after: int | None = None, before: int | None = None
) -> TemplatePage:
    """Graph's cursor paging over a WABA's templates (oldest first). `status`, `category` and `language` take
    comma-separated values; `name`, `content` (the body) and `name_or_content` match any part, case-insensitively,
    as Meta's filters do."""
    registry = templates_for_waba(waba_id)
    queryset = registry
    for param in TEMPLATE_LIST_FILTERS:
        values = [v.strip() for v in (filters.get(param) or "").split(",") if v.strip()]
        if values:
            queryset = queryset.filter(**{f"{param}__in": values})
    if filters.get("name"):
        queryset = queryset.filter(name__icontains=filters["name"])
    if filters.get("content"):
        queryset = queryset.filter(body__icontains=filters["content"])
    if filters.get("name_or_content"):
        term = filters["name_or_content"]
        queryset = queryset.filter(Q(name__icontains=term) | Q(body__icontains=term))
    if after is not None:
        rows = list(queryset.filter(pk__gt=after).order_by("pk")[: limit + 1])
        more_after, more_before = len(rows) > limit, queryset.filter(pk__lte=after).exists()
        rows = rows[:limit]
    elif before is not None:
        rows = list(queryset.filter(pk__lt=before).order_by("-pk")[: limit + 1])
        more_after, more_before = queryset.filter(pk__gte=before).exists(), len(rows) > limit
        rows = list(reversed(rows[:limit]))
    else:
        rows = list(queryset.order_by("pk")[: limit + 1])
        more_after, more_before = len(rows) > limit, False
        rows = rows[:limit]
    return TemplatePage(
        rows=rows,
        more_after=more_after,
        more_before=more_before,
        total_count=queryset.count(),
        waba_count=registry.count(),
    )


def templates_all() -> QuerySet[SimTemplate]:
    return SimTemplate.objects.order_by("waba_id", "name", "language")


def template_for_send(*, phone_number_id: str, name: str, language: str) -> SimTemplate | None:
    waba_id = business_number(phone_number_id).waba_id
    return templates_for_waba(waba_id).filter(name=name, language=language).first()


# --- Media -----------------------------------------------------------------------------------------------


def media_get(media_id: str, *, with_content: bool = False) -> SimMedia | None:
    queryset = SimMedia.objects.all() if with_content else SimMedia.objects.defer("content")
    return queryset.filter(media_id=media_id).first()


# --- Conversations ---------------------------------------------------------------------------------------


def last_inbound_at(*, wa_id: str, phone_number_id: str) -> datetime | None:
    """The phone's own send time of its latest message to this number (reactions do not count)."""
    return (
        SimMessage.objects.filter(direction=SimMessage.Direction.INBOUND, wa_id=wa_id, phone_number_id=phone_number_id)
        .exclude(type="reaction")
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )


def window_open(*, wa_id: str, phone_number_id: str, now: datetime | None = None) -> bool:
    last = last_inbound_at(wa_id=wa_id, phone_number_id=phone_number_id)
    return last is not None and (now or timezone.now()) < last + WINDOW


def contacts() -> QuerySet[SimContact]:
    return SimContact.objects.order_by("-updated_at", "-id")


def contact_get(wa_id: str) -> SimContact | None:
    return SimContact.objects.filter(wa_id=wa_id).first()


def contact_name(wa_id: str) -> str:
    """The phone's profile name, or "" for a number the simulator has never seen write."""
    return SimContact.objects.filter(wa_id=wa_id).values_list("name", flat=True).first() or ""


def conversation(*, wa_id: str, phone_number_id: str, limit: int = 200) -> list[SimMessage]:
    """Both directions, oldest first (the latest `limit`)."""
    latest = SimMessage.objects.filter(wa_id=wa_id, phone_number_id=phone_number_id).order_by("-sent_at", "-id")[:limit]
    return list(reversed(latest))


def business_messages(*, wa_id: str, phone_number_id: str, limit: int = 50) -> list[SimMessage]:
    """What the business sent to this phone, newest first: the targets of a quote or a reaction."""
    return list(
        SimMessage.objects.filter(direction=SimMessage.Direction.OUTBOUND, wa_id=wa_id, phone_number_id=phone_number_id)
        .exclude(type="reaction")
        .only("wamid", "type", "text", "sent_at")
        .order_by("-sent_at", "-id")[:limit]
    )


def faults_pending() -> QuerySet[SimulatorFault]:
    return SimulatorFault.objects.filter(remaining__gt=0).order_by("id")
