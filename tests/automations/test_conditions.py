"""The pure conditions: every field and operator, on small `Facts`, without a database."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automations.conditions.evaluate import automation_problems, condition_holds, matches
from automations.conditions.model import ConditionError, ConditionsInvalid, Facts
from automations.conditions.parse import parse_condition, parse_conditions
from automations.conditions.time_fields import hours_match

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _no_rules():
    """Pure tests: no database."""


def facts(**kw):
    base = {"now": NOW, "status": "open", "via": "web"}
    base.update(kw)
    return Facts(**base)


def holds(field, operator, value=None, *, kind="trigger", **kw):
    condition = parse_condition({"field": field, "operator": operator, "value": value}, kind=kind)
    return condition_holds(condition, facts(**kw))


# --- Choices ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "status", "expected"),
    [
        ("is", "open", "open", True),
        ("is", "open", "pending", False),
        ("is_not", "open", "pending", True),
        ("is_not", "open", "open", False),
        ("less_than", "solved", "new", True),
        ("less_than", "solved", "hold", True),  # Zendesk's order: new < open < pending < hold < solved < closed
        ("less_than", "solved", "solved", False),
        ("less_than", "solved", "closed", False),
        ("greater_than", "pending", "hold", True),
        ("greater_than", "pending", "pending", False),
        ("greater_than", "pending", "open", False),
        ("is", "SOLVED", "solved", True),  # any case
    ],
)
def test_status(operator, value, status, expected):
    assert holds("status", operator, value, status=status) is expected


@pytest.mark.parametrize(
    ("operator", "value", "priority", "expected"),
    [
        ("is", "high", "high", True),
        ("is", "high", None, False),
        ("is", "", None, True),  # "" is no priority
        ("is_not", "", None, False),
        ("is_not", "", "low", True),
        ("is_not", "high", None, True),
        ("less_than", "high", "normal", True),
        ("less_than", "high", None, True),  # no priority is the lowest
        ("less_than", "high", "high", False),
        ("less_than", "low", None, True),
        ("greater_than", "normal", "urgent", True),
        ("greater_than", "normal", None, False),
        ("greater_than", "normal", "normal", False),
    ],
)
def test_priority(operator, value, priority, expected):
    assert holds("priority", operator, value, priority=priority) is expected


@pytest.mark.parametrize(
    ("operator", "value", "type_", "expected"),
    [("is", "incident", "incident", True), ("is", "incident", None, False), ("is_not", "incident", None, True),
     ("is", "", None, True), ("is_not", "", "task", True)],
)  # fmt: skip
def test_type(operator, value, type_, expected):
    assert holds("type", operator, value, type=type_) is expected


def test_via_by_name_and_by_zendesk_id():
    assert holds("via", "is", "whatsapp", via="whatsapp")
    assert not holds("via", "is", "whatsapp", via="email")
    assert holds("via", "is_not", "whatsapp", via="email")
    assert holds("via_id", "is", 74, via="whatsapp")
    assert holds("via_id", "is", "4", via="email")
    assert holds("via", "is", "web_service", via="api")
    parsed = parse_condition({"field": "via_id", "operator": "is", "value": "74"}, kind="trigger")
    assert parsed.as_json() == {"field": "via", "operator": "is", "value": "whatsapp"}


# --- Ids -------------------------------------------------------------------------------------------------------


def test_group_and_assignee_ids_and_none():
    assert holds("group_id", "is", "7", group_id=7)
    assert holds("group_id", "is", 7, group_id=7)
    assert not holds("group_id", "is", 7, group_id=8)
    assert holds("group_id", "is", "", group_id=None)
    assert holds("group_id", "is_not", "", group_id=3)
    assert holds("assignee_id", "is", "", assignee_id=None)
    assert holds("assignee_id", "is_not", 5, assignee_id=None)
    assert holds("requester_id", "is", 11, requester_id=11)


def test_assignee_current_user_is_the_updater():
    assert holds("assignee_id", "is", "current_user", assignee_id=5, current_user_id=5)
    assert not holds("assignee_id", "is", "current_user", assignee_id=5, current_user_id=6)
    assert not holds("assignee_id", "is", "current_user", assignee_id=None, current_user_id=None)
    assert holds("assignee_id", "is_not", "current_user", assignee_id=5, current_user_id=None)
    assert holds("assignee_id", "is_not", "current_user", assignee_id=5, current_user_id=6)


# --- Changed (triggers) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "changes", "expected"),
    [
        ("changed", None, {"status": ("new", "open")}, True),
        ("changed", None, {}, False),
        ("not_changed", None, {}, True),
        ("not_changed", None, {"status": ("new", "open")}, False),
        ("value", "open", {"status": ("new", "open")}, True),
        ("value", "solved", {"status": ("new", "open")}, False),
        ("value", "open", {}, False),
        ("value_previous", "new", {"status": ("new", "open")}, True),
        ("value_previous", "pending", {"status": ("new", "open")}, False),
        ("not_value", "solved", {"status": ("new", "open")}, True),
        ("not_value", "open", {"status": ("new", "open")}, False),
        ("not_value", "open", {}, True),
        ("not_value_previous", "new", {"status": ("new", "open")}, False),
        ("not_value_previous", "pending", {"status": ("new", "open")}, True),
        ("changed_to", "open", {"status": ("new", "open")}, True),  # friendly aliases
        ("changed_from", "new", {"status": ("new", "open")}, True),
        ("not_changed_to", "open", {"status": ("new", "open")}, False),
        ("not_changed_from", "open", {"status": ("new", "open")}, True),
    ],
)
def test_status_changed_operators(operator, value, changes, expected):
    assert holds("status", operator, value, changes=changes) is expected


def test_changed_operators_on_ids_and_priority():
    assert holds("assignee_id", "changed", changes={"assignee_id": (None, 4)})
    assert holds("assignee_id", "value", "current_user", changes={"assignee_id": (None, 4)}, current_user_id=4)
    assert holds("assignee_id", "value_previous", "", changes={"assignee_id": (None, 4)})
    assert holds("group_id", "value", 9, changes={"group_id": (3, 9)})
    assert holds("priority", "value", "urgent", changes={"priority": (None, "urgent")})
    assert holds("priority", "value_previous", "", changes={"priority": (None, "urgent")})
    assert holds("type", "changed", changes={"type": (None, "task")})
    assert not holds("assignee_id", "changed", changes={"assignee_id": (4, 4)})  # same value: no change


def test_changed_operators_are_for_triggers_only():
    with pytest.raises(ConditionError, match="unknown operator 'changed' for field 'status'"):
        parse_condition({"field": "status", "operator": "changed"}, kind="automation")


# --- Tags ------------------------------------------------------------------------------------------------------


def test_tags_includes_at_least_one_and_not_includes_none():
    assert holds("current_tags", "includes", "vip urgent", tags=frozenset({"vip"}))
    assert holds("current_tags", "includes", "vip urgent", tags=frozenset({"urgent", "x"}))
    assert not holds("current_tags", "includes", "vip urgent", tags=frozenset({"x"}))
    assert holds("current_tags", "not_includes", "vip urgent", tags=frozenset({"x"}))
    assert not holds("current_tags", "not_includes", "vip urgent", tags=frozenset({"urgent"}))
    assert holds("current_tags", "includes", "VIP", tags=frozenset({"vip"}))  # tags are lower case
    assert holds("current_tags", "includes", ["vip", "gold"], tags=frozenset({"gold"}))


# --- Words -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "body", "expected"),
    [
        ("includes", "refund chargeback", "I want a REFUND now", True),
        ("includes", "refund chargeback", "I want my money", False),
        ("includes", "refund", "refunds please", False),  # whole words
        ("includes", "e-mail", "send me an e-mail", True),
        ("not_includes", "refund chargeback", "I want my money", True),
        ("not_includes", "refund chargeback", "chargeback filed", False),
        ("is", "money back", "I want my Money  back!", True),  # a phrase
        ("is", "money back", "back my money", False),
        ("is_not", "money back", "back my money", True),
        ("includes", "não", "Eu NÃO recebi", True),  # unicode words
    ],
)
def test_comment_includes_word(operator, value, body, expected):
    assert holds("comment_includes_word", operator, value, comment_public=True, comment_body=body) is expected


def test_comment_words_without_a_comment():
    assert not holds("comment_includes_word", "includes", "refund", comment_public=None, comment_body="")
    assert holds("comment_includes_word", "not_includes", "refund", comment_public=None)


def test_subject_includes_word():
    assert holds("subject_includes_word", "includes", "invoice", subject="Question about my Invoice")
    assert not holds("subject_includes_word", "includes", "invoice", subject="Question about invoices")


# --- The update ------------------------------------------------------------------------------------------------


def test_update_type_with_and_without_operator():
    assert holds("update_type", "is", "Create", update_type="create")
    assert not holds("update_type", "is", "Create", update_type="change")
    assert holds("update_type", "is", "change", update_type="change")
    assert holds("update_type", "is_not", "Create", update_type="change")
    parsed = parse_condition({"field": "update_type", "value": "create"}, kind="trigger")  # Zendesk omits it
    assert parsed.as_json() == {"field": "update_type", "operator": "is", "value": "Create"}


@pytest.mark.parametrize(
    ("value", "public", "expected"),
    [
        ("true", True, True), (True, True, True), ("true", False, False), ("true", None, False),
        ("false", False, True), (False, True, False), ("false", None, False),
        ("not_relevant", True, True), ("not_relevant", False, True), ("not_relevant", None, False),
        ("requester_can_see_comment", True, True), ("requester_can_see_comment", False, False),
    ],
)  # fmt: skip
def test_comment_is_public(value, public, expected):
    assert holds("comment_is_public", "is", value, comment_public=public) is expected
    assert holds("comment_is_public", "is_not", value, comment_public=public) is (not expected)


def test_role_of_the_updater():
    assert holds("role", "is", "end_user", current_user_role="end_user")
    assert not holds("role", "is", "end_user", current_user_role="agent")
    assert holds("role", "is", "agent", current_user_role="admin")  # an admin is an agent too
    assert not holds("role", "is", "admin", current_user_role="agent")
    assert holds("role", "is_not", "agent", current_user_role=None)  # the product itself


def test_requester_is_always_an_end_user():
    assert holds("requester_role", "is", "end_user")
    assert not holds("requester_role", "is", "agent")
    assert holds("requester_is", "is_not", "agent")
    parsed = parse_condition({"field": "requester_is", "operator": "is", "value": "end-user"}, kind="automation")
    assert parsed.as_json() == {"field": "requester_role", "operator": "is", "value": "end_user"}


# --- WhatsApp --------------------------------------------------------------------------------------------------


def test_whatsapp_window():
    inside = {"via": "whatsapp", "last_customer_message_at": NOW - timedelta(hours=23, minutes=59)}
    outside = {"via": "whatsapp", "last_customer_message_at": NOW - timedelta(hours=24)}
    assert holds("whatsapp_window", "is", "open", **inside)
    assert not holds("whatsapp_window", "is", "open", **outside)  # closed at exactly 24 h
    assert holds("whatsapp_window", "is", "closed", **outside)
    assert holds("whatsapp_window", "is_not", "open", **outside)
    assert holds("whatsapp_window", "is", "closed", via="whatsapp", last_customer_message_at=None)
    assert holds("whatsapp_window", "is", "closed", via="email", last_customer_message_at=NOW)  # not WhatsApp


def test_customer_waiting():
    assert holds("customer_waiting", "is", "true", customer_waiting=True)
    assert holds("customer_waiting", "is", False, customer_waiting=False)
    assert holds("customer_waiting", "is_not", "true", customer_waiting=False)


# --- Time (automations) ----------------------------------------------------------------------------------------


def at(hours: float):
    return NOW - timedelta(hours=hours)


@pytest.mark.parametrize(
    ("operator", "hours", "elapsed", "expected"),
    [
        ("is", 24, 24, True),
        ("is", 24, 24.99, True),  # whole hours, rounded down
        ("is", 24, 25, False),
        ("is", 24, 23.99, False),
        ("less_than", 2, 1.99, True),
        ("less_than", 2, 2, False),
        ("greater_than", 96, 97, True),
        ("greater_than", 96, 96.99, False),  # 96 whole hours is not greater than 96
        ("greater_than", 0, 1, True),
        ("is", 0, 0.5, True),
    ],
)
def test_hours_since_created(operator, hours, elapsed, expected):
    assert holds("hours_since_created", operator, hours, kind="automation", created_at=at(elapsed)) is expected


def test_every_time_field_reads_its_timestamp():
    assert holds("hours_since_updated", "greater_than", 1, kind="automation", updated_at=at(3))
    assert holds("hours_since_last_customer_message", "is", 5, kind="automation", last_customer_message_at=at(5.5))
    assert not holds("hours_since_last_customer_message", "less_than", 5, kind="automation")  # never wrote
    assert holds("SOLVED", "greater_than", "96", kind="automation", status="solved", solved_at=at(100))
    assert holds("NEW", "is", 2, kind="automation", created_at=at(2.1))
    assert holds("updated_at", "less_than", 1, kind="automation", updated_at=at(0.2))
    assert holds("requester_updated_at", "greater_than", 3, kind="automation", last_customer_message_at=at(4))


@pytest.mark.parametrize("status", ["open", "pending", "hold"])
def test_hours_since_status_only_in_that_status(status):
    assert holds(f"hours_since_{status}", "greater_than", 2, kind="automation", status=status, status_changed_at=at(4))
    assert not holds(f"hours_since_{status}", "greater_than", 2, kind="automation", status="solved",
                     status_changed_at=at(4))  # fmt: skip


def test_hours_since_solved_only_while_solved():
    assert holds("hours_since_solved", "greater_than", 96, kind="automation", status="solved", solved_at=at(97))
    assert not holds("hours_since_solved", "greater_than", 96, kind="automation", status="open", solved_at=at(200))


@pytest.mark.parametrize(
    ("operator", "hours", "sent_hours_ago", "expected"),
    [
        ("less_than", 2, 22.5, True),  # 1.5 h left
        ("less_than", 2, 21.5, False),  # 2.5 h left
        ("less_than", 2, 24, False),  # closed: no window, no hours left
        ("is", 1, 22.5, True),  # 1 h 30 left -> 1 whole hour
        ("is", 0, 23.9, True),
        ("greater_than", 10, 12.5, True),  # 11 h 30 left
        ("greater_than", 10, 13.5, False),  # 10 h 30 left
    ],
)
def test_hours_until_window_closes(operator, hours, sent_hours_ago, expected):
    assert (
        holds(
            "hours_until_window_closes", operator, hours, kind="automation", via="whatsapp",
            last_customer_message_at=at(sent_hours_ago),
        )
        is expected
    )  # fmt: skip
    assert not holds(
        "hours_until_window_closes", operator, hours, kind="automation", via="email",
        last_customer_message_at=at(sent_hours_ago),
    )  # fmt: skip


@given(
    hours=st.integers(min_value=0, max_value=300),
    elapsed=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=400)),
)
def test_hour_operators_agree_with_rounding_down(hours, elapsed):
    whole = int(elapsed.total_seconds() // 3600)
    assert hours_match("is", hours, elapsed) is (whole == hours)
    assert hours_match("less_than", hours, elapsed) is (whole < hours)
    assert hours_match("greater_than", hours, elapsed) is (whole > hours)


# --- All and any ---------------------------------------------------------------------------------------------------


def test_all_and_any():
    conditions = parse_conditions(
        {
            "all": [{"field": "status", "operator": "less_than", "value": "solved"}],
            "any": [
                {"field": "priority", "operator": "is", "value": "urgent"},
                {"field": "current_tags", "operator": "includes", "value": "vip"},
            ],
        },
        kind="trigger",
    )
    assert matches(conditions, facts(priority="urgent"))
    assert matches(conditions, facts(tags=frozenset({"vip"})))
    assert not matches(conditions, facts())
    assert not matches(conditions, facts(status="solved", priority="urgent"))
    only_all = parse_conditions({"all": [{"field": "status", "operator": "is", "value": "open"}]}, kind="trigger")
    assert matches(only_all, facts())


# --- Parsing errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "message"),
    [
        ({"all": [{"field": "status", "operator": "greater", "value": "open"}]}, "trigger",
         "conditions.all[0]: unknown operator 'greater' for field 'status'"),
        ({"all": [{"field": "statuz", "operator": "is", "value": "open"}]}, "trigger",
         "conditions.all[0]: unknown field 'statuz'"),
        ({"any": [{}, {"field": "status", "operator": "is", "value": "done"}]}, "trigger",
         "conditions.any[1]: 'done' is not a valid status"),
        ({"all": [{"field": "hours_since_created", "operator": "is", "value": 2}]}, "trigger",
         "only automations have them"),
        ({"all": [{"field": "update_type", "operator": "is", "value": "Create"}]}, "automation",
         "only triggers have it"),
        ({"any": [{"field": "hours_since_created", "operator": "is", "value": 2}]}, "automation",
         "must be under all"),
        ({"all": [{"field": "hours_since_created", "operator": "greater_than_business_hours", "value": 2}]},
         "automation", "Business hours are not configured"),
        ({"all": [{"field": "organization_id", "operator": "is", "value": 2}]}, "trigger",
         "there are no organizations"),
        ({"all": [{"field": "via_id", "operator": "is", "value": 29}]}, "trigger", "via_id 29"),
        ({"all": [{"field": "assignee_id", "operator": "is", "value": "current_user"}]}, "automation",
         "automations run without one"),
        ({"all": [{"field": "status", "operator": "is", "value": "open", "extra": 1}]}, "trigger",
         "unexpected key(s) extra"),
        ({"all": [{"field": "hours_since_created", "operator": "is", "value": "two"}]}, "automation",
         "whole number of hours"),
        ({"all": [{"field": "current_tags", "operator": "includes", "value": "bad#tag"}]}, "trigger",
         "'bad#tag' is not a valid tag"),
        ({"all": "status"}, "trigger", "conditions.all: must be a list"),
        ({"every": []}, "trigger", "unexpected key(s) every"),
        ({"all": [{"field": "priority", "operator": "less_than", "value": ""}]}, "trigger", "need a priority"),
    ],
)  # fmt: skip
def test_parse_errors_name_the_condition(raw, kind, message):
    with pytest.raises(ConditionsInvalid) as error:
        parse_conditions(raw, kind=kind)
    assert any(message in m for m in error.value.messages), error.value.messages


def test_every_bad_condition_is_reported():
    with pytest.raises(ConditionsInvalid) as error:
        parse_conditions(
            {"all": [{"field": "x", "operator": "is"}, {"field": "status", "operator": "is", "value": "open"}],
             "any": [{"field": "priority", "operator": "is", "value": "meh"}]},
            kind="trigger",
        )  # fmt: skip
    assert [m.split(":")[0] for m in error.value.messages] == ["conditions.all[0]", "conditions.any[0]"]


# --- Zendesk's rule for automations ----------------------------------------------------------------------------


def _automation(all_, actions):
    return automation_problems(parse_conditions({"all": all_}, kind="automation"), actions)


SOLVED_96 = [
    {"field": "status", "operator": "is", "value": "solved"},
    {"field": "hours_since_solved", "operator": "greater_than", "value": 96},
]


def test_nullifying_status_action():
    assert _automation(SOLVED_96, [{"field": "status", "value": "closed"}]) == []
    problems = _automation(SOLVED_96, [{"field": "priority", "value": "high"}])
    assert len(problems) == 1 and "stop matching" in problems[0]


def test_nullifying_tag_action_and_condition():
    conditions = [
        {"field": "hours_since_created", "operator": "greater_than", "value": 1},
        {"field": "current_tags", "operator": "not_includes", "value": "reminded"},
    ]
    assert _automation(conditions, [{"field": "current_tags", "value": "reminded"}]) == []
    assert _automation(conditions, [{"field": "set_tags", "value": "reminded other"}]) == []
    assert _automation(conditions, [{"field": "current_tags", "value": "other"}]) != []
    includes = [conditions[0], {"field": "current_tags", "operator": "includes", "value": "a b"}]
    assert _automation(includes, [{"field": "remove_tags", "value": "a b"}]) == []
    assert _automation(includes, [{"field": "remove_tags", "value": "a"}]) != []  # b may still be there
    assert _automation(includes, [{"field": "set_tags", "value": "c"}]) == []


def test_nullifying_priority_less_than_and_assignee():
    base = {"field": "hours_since_created", "operator": "greater_than", "value": 1}
    assert _automation([base, {"field": "priority", "operator": "less_than", "value": "high"}],
                       [{"field": "priority", "value": "high"}]) == []  # fmt: skip
    assert _automation([base, {"field": "priority", "operator": "less_than", "value": "urgent"}],
                       [{"field": "priority", "value": "high"}]) != []  # fmt: skip
    assert _automation([base, {"field": "assignee_id", "operator": "is", "value": ""}],
                       [{"field": "assignee_id", "value": 5}]) == []  # fmt: skip


def test_a_time_condition_with_is_holds_only_once():
    conditions = [{"field": "hours_since_created", "operator": "is", "value": 24}]
    assert _automation(conditions, [{"field": "notification_user", "value": ["assignee_id", "s", "b"]}]) == []


def test_an_automation_needs_a_time_condition():
    problems = _automation([{"field": "status", "operator": "is", "value": "solved"}],
                           [{"field": "status", "value": "closed"}])  # fmt: skip
    assert problems == [problems[0]] and problems[0].startswith("conditions.all: an automation needs a time condition")
