"""The pure rules of ticket field values: what each type accepts, its JSON, its stored columns and its tags."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.custom_field_values import (
    CustomFieldValueError,
    FieldInfo,
    as_json,
    clean_value,
    field_id_of,
    from_columns,
    tag_changes,
    to_columns,
)

PLAN = FieldInfo(id=3, type="tagger", title="Plan", options=(("plan_basic", "Basic"), ("plan_pro", "Pro")))
VIP = FieldInfo(id=4, type="checkbox", title="VIP", tag="vip")


def info(type_: str, **kwargs) -> FieldInfo:
    return FieldInfo(id=1, type=type_, title="F", **kwargs)


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        (info("integer"), "-12", -12),
        (info("integer"), 7, 7),
        (info("decimal"), "12.50", Decimal("12.5")),
        (info("decimal"), 3, Decimal(3)),
        (info("date"), "2026-02-28T10:00:00Z", date(2026, 2, 28)),
        (info("text"), "  hello  ", "hello"),
        (info("textarea"), " two\nlines ", " two\nlines "),
        (info("regexp", pattern=r"\A\d{3}\z"), "123", "123"),
        (PLAN, "plan_pro", "plan_pro"),
        (VIP, "true", True),
        (VIP, None, False),
        (info("integer"), "", None),
        (PLAN, None, None),
    ],
)
def test_accepted_values(field, raw, expected):
    assert clean_value(field, raw) == expected


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        (info("integer"), "1.5"),
        (info("integer"), True),
        (info("integer"), str(2**63)),
        (info("decimal"), "NaN"),
        (info("decimal"), "1e30"),
        (info("date"), "2026-02-30"),
        (info("date"), "28.02.2026"),
        (info("text"), "x" * 256),
        (info("text"), ["a"]),
        (info("regexp", pattern=r"\A\d{3}\z"), "1234"),
        (PLAN, "plan_gold"),
        (VIP, "maybe"),
    ],
)
def test_refused_values_name_the_field(field, raw):
    with pytest.raises(CustomFieldValueError) as error:
        clean_value(field, raw)
    assert str(error.value).startswith(f'field {field.id} ("{field.title}"): ')


@given(st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1))
def test_integers_round_trip_through_the_columns(number):
    field = info("integer")
    value = clean_value(field, str(number))
    columns = to_columns(field, value)
    assert from_columns(field, value=columns["value"], text="", number=columns["number"], date_value=None) == number
    assert as_json(field, value) == number


@given(st.decimals(min_value=-(10**19), max_value=10**19, places=4, allow_nan=False, allow_infinity=False))
def test_decimals_keep_their_value_in_json_and_columns(number):
    field = info("decimal")
    value = clean_value(field, str(number))
    assert Decimal(as_json(field, value)) == number
    columns = to_columns(field, value)
    assert from_columns(field, value=columns["value"], text="", number=columns["number"], date_value=None) == number


def test_tags_follow_the_drop_down_and_the_checkbox():
    assert tag_changes(PLAN, "plan_pro") == (["plan_pro"], ["plan_basic"])
    assert tag_changes(PLAN, None) == ([], ["plan_basic", "plan_pro"])
    assert tag_changes(VIP, True) == (["vip"], [])
    assert tag_changes(VIP, False) == ([], ["vip"])
    assert tag_changes(info("text"), "x") == ([], [])


@pytest.mark.parametrize(
    ("name", "expected"),
    [("custom_fields_12", 12), ("custom_fields_", None), ("custom_fields_1x", None), ("custom_fields_²", None)],
)
def test_condition_names(name, expected):
    assert field_id_of(name) == expected
