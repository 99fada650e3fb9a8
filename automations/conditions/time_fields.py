"""Time conditions (automations only): Zendesk's hour arithmetic and the moments each field counts from."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automations.conditions.model import (
    AUTOMATION,
    HOUR,
    MAX_HOURS,
    TIME_OPERATORS,
    ConditionError,
    Facts,
    FieldSpec,
    Kind,
    digits,
)
from channels_whatsapp.window import window_at


def _hours_value(value: Any) -> int:
    if isinstance(value, bool):
        raise ConditionError(_("%(value)s is not a number of hours.") % {"value": repr(value)})
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and digits(value.strip()):
        number = int(value.strip())
    else:
        raise ConditionError(_('%(value)s is not a whole number of hours (e.g. 24 or "24").') % {"value": repr(value)})
    if not 0 <= number <= MAX_HOURS:
        raise ConditionError(_("%(hours)s hours is out of range (0 to %(max)s).") % {"hours": number, "max": MAX_HOURS})
    return number


def hours_match(operator: str, hours: int, elapsed: timedelta | None) -> bool:
    """Zendesk's hour arithmetic: whole hours, rounded down. `elapsed` None means the condition does not apply."""
    if elapsed is None:
        return False  # a moment in the future (never in practice) is less than any hours, and "is" no hour
    if operator == "is":
        return hours * HOUR <= elapsed < (hours + 1) * HOUR
    if operator == "less_than":
        return elapsed < hours * HOUR
    if operator == "greater_than":
        return elapsed >= (hours + 1) * HOUR
    raise AssertionError(operator)


def _since(moment: datetime | None, now: datetime) -> timedelta | None:
    return None if moment is None else now - moment


def _in_status(status: str, moment: Callable[[Facts], datetime | None]) -> Callable[[Facts], timedelta | None]:
    def elapsed(facts: Facts) -> timedelta | None:
        return _since(moment(facts), facts.now) if facts.status == status else None

    return elapsed


def until_window_closes(facts: Facts) -> timedelta | None:
    """Time left in an open WhatsApp window; None when there is no open window."""
    if facts.via != "whatsapp":
        return None
    window = window_at(facts.last_customer_message_at, facts.now)
    return window.expires_at - facts.now if window.open and window.expires_at else None


TIME_FIELDS: dict[str, Callable[[Facts], timedelta | None]] = {
    "hours_since_created": lambda f: _since(f.created_at, f.now),
    "hours_since_updated": lambda f: _since(f.updated_at, f.now),
    "hours_since_last_customer_message": lambda f: _since(f.last_customer_message_at, f.now),
    "hours_until_window_closes": until_window_closes,
    "hours_since_open": _in_status("open", lambda f: f.status_changed_at),
    "hours_since_pending": _in_status("pending", lambda f: f.status_changed_at),
    "hours_since_hold": _in_status("hold", lambda f: f.status_changed_at),
    "hours_since_solved": _in_status("solved", lambda f: f.solved_at),
}


def _time_parser(operator: str, value: Any, kind: Kind) -> int:
    return _hours_value(value)


TIME_SPECS = tuple(
    FieldSpec(
        name,
        TIME_OPERATORS,
        _time_parser,
        (lambda elapsed: lambda c, f: hours_match(c.operator, c.value, elapsed(f)))(elapsed),
        kinds=(AUTOMATION,),
        time=True,
        values=gettext_lazy("a whole number of hours"),
    )
    for name, elapsed in TIME_FIELDS.items()
)
