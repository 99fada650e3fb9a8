"""Values of admin-defined ticket fields, without the database: what each type accepts, its canonical form, its
JSON and its stored columns. Shared by the API, the ticket page, rule conditions and actions, so a value means the
same everywhere.

Canonical values: text, multi-line text and pattern fields a `str`; drop-downs the chosen option's `value` (a tag);
checkboxes `bool` (unchecked is `False`, and is not stored); numbers `int`; decimals `Decimal`; dates `date`.
`None` means no value.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from django.utils.translation import gettext as _

TEXT_MAX = 255
TEXTAREA_MAX = 65_535
INTEGER_LIMIT = 2**63 - 1
DECIMAL_DIGITS = 20  # before the point; 10 after it are kept
NUMERIC_TYPES = ("integer", "decimal", "date")
CONDITION_PREFIX = "custom_fields_"
PLACEHOLDER_RE = re.compile(r"ticket\.ticket_field_(?:option_title_)?(?P<id>\d+)")


class CustomFieldValueError(ValueError):
    """A value a field does not accept; the message names the field."""


@dataclass(frozen=True)
class FieldInfo:
    """A ticket field as plain data (from `CustomField`), for code that must not hold model rows."""

    id: int
    type: str
    title: str
    active: bool = True
    options: tuple[tuple[str, str], ...] = ()  # (value, name) in order
    pattern: str = ""
    tag: str = ""
    required_on_solve: bool = False

    @property
    def label(self) -> str:
        return f'{self.id} ("{self.title}")'

    def option_name(self, value: Any) -> str:
        return next((name for option_value, name in self.options if option_value == value), "")


def field_id_of(name: str) -> int | None:
    """The id in `custom_fields_<id>`, or None when the name is not one."""
    rest = name.removeprefix(CONDITION_PREFIX)
    if rest == name or not (rest.isascii() and rest.isdigit()) or len(rest) > 18:
        return None
    return int(rest)


def _refuse(info: FieldInfo, message: str) -> CustomFieldValueError:
    return CustomFieldValueError(_("field %(field)s: %(problem)s") % {"field": info.label, "problem": message})


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Zendesk's patterns are Ruby's: `\\z` ends the text (Python's `\\Z`). Raises `re.error`."""
    return re.compile(pattern.replace(r"\z", r"\Z"))


def _as_text(info: FieldInfo, raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise _refuse(info, _("%(value)s is not a text.") % {"value": repr(raw)})
    return str(raw)


def clean_value(info: FieldInfo, raw: Any) -> Any:
    """The canonical value of `raw` for this field, or `CustomFieldValueError` naming the field."""
    if info.type == "checkbox":
        return _checkbox(info, raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = info.type
    if kind in ("text", "regexp"):
        text = _as_text(info, raw).strip()
        if len(text) > TEXT_MAX:
            raise _refuse(info, _("at most %(max)s characters.") % {"max": TEXT_MAX})
        if kind == "regexp" and info.pattern and not compile_pattern(info.pattern).search(text):
            raise _refuse(
                info,
                _("%(value)s does not match the pattern %(pattern)s.") % {"value": repr(text), "pattern": info.pattern},
            )
        return text
    if kind == "textarea":
        text = _as_text(info, raw)
        if len(text) > TEXTAREA_MAX:
            raise _refuse(info, _("at most %(max)s characters.") % {"max": TEXTAREA_MAX})
        return text
    if kind == "tagger":
        text = _as_text(info, raw).strip()
        if text not in {value for value, _name in info.options}:
            allowed = ", ".join(value for value, _name in info.options) or "-"
            raise _refuse(
                info, _("%(value)s is not one of its options (%(allowed)s).") % {"value": repr(raw), "allowed": allowed}
            )
        return text
    if kind == "integer":
        return _integer(info, raw)
    if kind == "decimal":
        return _decimal(info, raw)
    if kind == "date":
        return _date(info, raw)
    raise _refuse(info, _("unknown field type %(type)s.") % {"type": kind})


def _checkbox(info: FieldInfo, raw: Any) -> bool:
    if raw is None or raw == "":
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        return raw.strip().lower() in ("true", "1", "yes", "on")
    raise _refuse(info, _("%(value)s is not true or false.") % {"value": repr(raw)})


def _integer(info: FieldInfo, raw: Any) -> int:
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and re.fullmatch(r"[+-]?[0-9]{1,19}", raw.strip()):
        value = int(raw.strip())
    if value is None or abs(value) > INTEGER_LIMIT:
        raise _refuse(info, _("%(value)s is not a whole number.") % {"value": repr(raw)})
    return value


def _decimal(info: FieldInfo, raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise _refuse(info, _("%(value)s is not a number.") % {"value": repr(raw)})
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or abs(value) >= Decimal(10) ** DECIMAL_DIGITS:
        raise _refuse(info, _("%(value)s is not a number.") % {"value": repr(raw)})
    if value == 0:
        return Decimal(0)
    with localcontext() as context:
        context.prec = 40  # 20 digits before the point and 10 after fit, whatever the default context says
        return value.quantize(Decimal("1e-10")).normalize()


def _date(info: FieldInfo, raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", raw.strip()):
        try:
            return date.fromisoformat(raw.strip()[:10])
        except ValueError:
            pass
    return _bad_date(info, raw)


def _bad_date(info: FieldInfo, raw: Any) -> date:
    raise _refuse(info, _("%(value)s is not a date (YYYY-MM-DD).") % {"value": repr(raw)})


# --- JSON, text and storage ---------------------------------------------------------------------------------


def as_json(info: FieldInfo, value: Any) -> Any:
    """Zendesk's JSON: checkboxes true/false, numbers as numbers, decimals as text, dates as YYYY-MM-DD."""
    if info.type == "checkbox":
        return bool(value)
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def as_text(info: FieldInfo, value: Any) -> str:
    """For placeholders and the event log: the option's value, "true"/"false", the number or date as written."""
    shown = as_json(info, value)
    if shown is None:
        return ""
    if isinstance(shown, bool):
        return "true" if shown else "false"
    return str(shown)


def to_columns(info: FieldInfo, value: Any) -> dict[str, Any]:
    """The stored row's columns for a value that is stored (not None, not an unchecked box)."""
    columns: dict[str, Any] = {"value": "", "text": "", "number": None, "date": None}
    if info.type == "textarea":
        columns["text"] = value
    else:
        columns["value"] = as_text(info, value)
    if info.type in ("integer", "decimal"):
        columns["number"] = Decimal(value)
    elif info.type == "date":
        columns["date"] = value
    return columns


def from_columns(info: FieldInfo, *, value: str, text: str, number: Any, date_value: Any) -> Any:
    if info.type == "textarea":
        return text
    if info.type == "checkbox":
        return value == "true"
    if info.type == "integer":
        return int(number) if number is not None else None
    if info.type == "decimal":
        return Decimal(value) if value else None
    if info.type == "date":
        return date_value
    return value


def is_stored(info: FieldInfo, value: Any) -> bool:
    return value is not None and not (info.type == "checkbox" and value is False) and value != ""


def tag_changes(info: FieldInfo, value: Any) -> tuple[list[str], list[str]]:
    """Zendesk's tags of a field: a drop-down sets its chosen option's tag and removes its other options' tags; a
    checkbox with a tag adds it while checked and removes it when cleared. Returns (add, remove)."""
    if info.type == "tagger":
        chosen = [value] if value else []
        return chosen, [option for option, _name in info.options if option != value]
    if info.type == "checkbox" and info.tag:
        return ([info.tag], []) if value else ([], [info.tag])
    return [], []
