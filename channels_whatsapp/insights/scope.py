"""What a metric counts: the period (in the viewer's time zone), the filters, and the tickets the viewer may see.

Parsed from query parameters once (`scope_from_params`); a bad parameter is a `ScopeError` carrying one reason per
parameter, which the API answers with 400 and the page shows beside its form.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels_whatsapp.models import WhatsAppAccount
from tickets.models import Group
from tickets.permissions import is_admin, restrict_tickets

PERIODS = {
    "today": (1, gettext_lazy("Today")),
    "7d": (7, gettext_lazy("Last 7 days")),
    "30d": (30, gettext_lazy("Last 30 days")),
    "90d": (90, gettext_lazy("Last 90 days")),
    "custom": (None, gettext_lazy("Custom")),
}
DEFAULT_PERIOD = "30d"
MAX_DAYS = 366


class ScopeError(Exception):
    def __init__(self, reasons: dict[str, list[str]]):
        super().__init__(reasons)
        self.reasons = reasons


@dataclass(frozen=True)
class Scope:
    user: object
    admin: bool
    period: str
    first_day: dt.date
    last_day: dt.date
    time_zone: zoneinfo.ZoneInfo
    group_id: int | None = None
    agent_id: int | None = None
    account_id: int | None = None
    now: dt.datetime = field(default_factory=timezone.now)

    @property
    def start(self) -> dt.datetime:
        """The first instant of the period: local midnight of its first day."""
        return dt.datetime.combine(self.first_day, dt.time.min, tzinfo=self.time_zone)

    @property
    def end(self) -> dt.datetime:
        """The first instant after the period: local midnight after its last day."""
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time.min, tzinfo=self.time_zone)

    def days(self) -> list[dt.date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + dt.timedelta(days=n) for n in range(count)]

    @property
    def narrowed(self) -> bool:
        """Whether anything is left out: an agent's view, or a filter."""
        return not self.admin or any(v is not None for v in (self.group_id, self.agent_id, self.account_id))

    def restrict(self, rows: QuerySet, *, account_field: str = "whatsapp__account_id") -> QuerySet:
        """Tickets, or the materialized facts (which carry the ticket's group and assignee under the same names, and
        its WhatsApp account as `account_id`), as this viewer may count them: tickets.permissions, then the filters."""
        rows = restrict_tickets(rows, self.user)
        if self.group_id is not None:
            rows = rows.filter(group_id=self.group_id)
        if self.agent_id is not None:
            rows = rows.filter(assignee_id=self.agent_id)
        if self.account_id is not None:
            rows = rows.filter(**{account_field: self.account_id})
        return rows

    def params(self) -> dict[str, str]:
        """The query parameters that reproduce this scope (for links to the API and the CSV)."""
        out = {"period": self.period}
        if self.period == "custom":
            out.update({"from": self.first_day.isoformat(), "to": self.last_day.isoformat()})
        for key in ("group", "agent", "account"):
            value = getattr(self, f"{key}_id")
            if value is not None:
                out[key] = str(value)
        return out

    def describe(self) -> dict:
        return {
            "key": self.period,
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "time_zone": str(self.time_zone.key),
        }

    def filters(self) -> dict:
        return {"group": self.group_id, "agent": self.agent_id, "account": self.account_id}


def _int(params, key: str, reasons: dict) -> int | None:
    raw = (params.get(key) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        reasons.setdefault(key, []).append(_("Give the id as a whole number."))
        return None
    return int(raw)


def _date(params, key: str, reasons: dict) -> dt.date | None:
    raw = (params.get(key) or "").strip()
    if not raw:
        reasons.setdefault(key, []).append(_("Give a date (YYYY-MM-DD) for a custom period."))
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        reasons.setdefault(key, []).append(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw[:40]})
        return None


def _period(params, today: dt.date, reasons: dict) -> tuple[str, dt.date, dt.date]:
    period = (params.get("period") or DEFAULT_PERIOD).strip()
    if period not in PERIODS:
        reasons["period"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(PERIODS)}]
        return DEFAULT_PERIOD, today, today
    days = PERIODS[period][0]
    if days is not None:
        return period, today - dt.timedelta(days=days - 1), today
    first, last = _date(params, "from", reasons), _date(params, "to", reasons)
    if first is None or last is None:
        return period, today, today
    if first > last:
        reasons["to"] = [_("The period must not end before it starts.")]
    elif (last - first).days + 1 > MAX_DAYS:
        reasons["to"] = [_("A period can cover at most %(days)s days.") % {"days": MAX_DAYS}]
    return period, first, last


def scope_from_params(params, user, *, now: dt.datetime | None = None) -> Scope:
    """The scope a request asks for, checked against what its user may see. Raises ScopeError."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    reasons: dict[str, list[str]] = {}
    period, first, last = _period(params, timezone.localtime(now, tz).date(), reasons)
    group_id, agent_id, account_id = (_int(params, key, reasons) for key in ("group", "agent", "account"))
    admin = is_admin(user)
    if group_id is not None:
        groups = Group.objects.filter(pk=group_id)
        if not admin:
            groups = groups.filter(members=user)
        if not groups.exists():
            reasons["group"] = [_("No such group among yours.") if not admin else _("No such group.")]
    if agent_id is not None and not get_user_model().objects.filter(pk=agent_id, is_active=True).exists():
        reasons["agent"] = [_("No such agent.")]
    if account_id is not None and not WhatsAppAccount.objects.filter(pk=account_id).exists():
        reasons["account"] = [_("No such WhatsApp account.")]
    if reasons:
        raise ScopeError(reasons)
    return Scope(
        user=user,
        admin=admin,
        period=period,
        first_day=first,
        last_day=last,
        time_zone=tz,
        group_id=group_id,
        agent_id=agent_id,
        account_id=account_id,
        now=now,
    )
