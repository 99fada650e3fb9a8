"""Whatever a definition holds, checking it ends in a clean definition or a DomainError (a 400), never a crash; and
what passes can be evaluated, queried and described."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from automations import queries, rules, sentences
from automations.conditions.evaluate import matches
from automations.conditions.fields import FIELD_ALIASES, FIELDS, UNSUPPORTED
from automations.conditions.model import OPERATOR_ALIASES, Facts
from automations.conditions.parse import load
from tickets.errors import DomainError

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)

FIELD_NAMES = [*FIELDS, *FIELD_ALIASES, *list(UNSUPPORTED)[:3], "statuz", "", "custom_fields_1"]
OPERATORS = sorted({op for spec in FIELDS.values() for op in (*spec.operators, *spec.trigger_operators)}
                   | set(OPERATOR_ALIASES) | {"greater", "", "is_business_hours"})  # fmt: skip
ACTION_FIELDS = ["status", "priority", "type", "group_id", "assignee_id", "set_tags", "current_tags", "remove_tags",
                 "comment_value", "comment_mode_is_public", "notification_user", "notification_group", "subject", "x"]  # fmt: skip
TEXTS = st.sampled_from(
    ["", "open", "solved", "Create", "whatsapp", "current_user", "requester_id", "group_id", "vip gold", "96", "²",
     "١٢", "\x00", "\ud800", "&((template=[[x]]))&", "{{ticket.id}}", "{{nope}}", "-", "true", "not_relevant", "end-user",
     "99999999999999999999999", "74", "closed"]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True), TEXTS,
    st.text(max_size=12),
)  # fmt: skip
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                    max_leaves=10)  # fmt: skip
CONDITION = st.fixed_dictionaries(
    {"field": st.sampled_from(FIELD_NAMES)},
    optional={
        "operator": st.sampled_from(OPERATORS) | SCALARS,
        "value": st.one_of(SCALARS, st.lists(TEXTS, max_size=3)),
    },
)
ACTION = st.fixed_dictionaries(
    {"field": st.sampled_from(ACTION_FIELDS)},
    optional={"value": st.one_of(SCALARS, st.lists(st.one_of(TEXTS, st.integers(0, 5)), min_size=0, max_size=4))},
)
# Valid pieces, so that many examples pass and what passes is exercised too.
GOOD_CONDITIONS = st.sampled_from(
    [
        {"field": "status", "operator": "is", "value": "solved"},
        {"field": "status", "operator": "less_than", "value": "SOLVED"},
        {"field": "priority", "operator": "greater_than", "value": "low"},
        {"field": "priority", "operator": "is", "value": ""},
        {"field": "type", "operator": "is_not", "value": None},
        {"field": "via_id", "operator": "is", "value": "74"},
        {"field": "group_id", "operator": "is", "value": ""},
        {"field": "assignee_id", "operator": "is_not", "value": "-"},
        {"field": "current_tags", "operator": "not_includes", "value": "done"},
        {"field": "current_tags", "operator": "includes", "value": ["vip", "gold"]},
        {"field": "requester_is", "operator": "is", "value": "end-user"},
        {"field": "whatsapp_window", "operator": "is", "value": "open"},
        {"field": "customer_waiting", "operator": "is_not", "value": False},
        {"field": "hours_since_created", "operator": "greater_than", "value": "24"},
        {"field": "SOLVED", "operator": "is", "value": 96},
        {"field": "hours_until_window_closes", "operator": "less_than", "value": 2},
        {"field": "update_type", "value": "create"},
        {"field": "comment_is_public", "value": True},
        {"field": "comment_includes_word", "operator": "includes", "value": "refund money"},
        {"field": "status", "operator": "changed_to", "value": "open"},
        {"field": "assignee_id", "operator": "changed"},
        {"field": "role", "operator": "is", "value": "agent"},
    ]
)
GOOD_ACTIONS = st.sampled_from(
    [
        {"field": "status", "value": "closed"},
        {"field": "status", "value": "open"},
        {"field": "priority", "value": "high"},
        {"field": "type", "value": ""},
        {"field": "current_tags", "value": "done"},
        {"field": "remove_tags", "value": "vip gold"},
        {"field": "set_tags", "value": ""},
        {"field": "assignee_id", "value": ""},
        {"field": "notification_user", "value": ["requester_id", "Hi", "Ticket {{ticket.id}}"]},
        {"field": "notification_user", "value": ["current_user", "Hi", "Body"]},
        {"field": "notification_group", "value": ["group_id", "Hi", "Body"]},
        {"field": "comment_value", "value": ["channel:all", "Hello {{ticket.requester.first_name}}"]},
    ]
)
CONDITION_ITEM = st.one_of(GOOD_CONDITIONS, GOOD_CONDITIONS, GOOD_CONDITIONS, CONDITION)
CONDITIONS = st.one_of(
    st.fixed_dictionaries(
        {"all": st.lists(CONDITION_ITEM, min_size=1, max_size=4)},
        optional={"any": st.lists(st.one_of(GOOD_CONDITIONS, CONDITION), max_size=2)},
    ),
    st.fixed_dictionaries(
        {}, optional={"all": st.lists(CONDITION, max_size=4), "any": st.lists(CONDITION, max_size=3)}
    ),
    JSON,
)
ACTIONS = st.one_of(
    st.lists(st.one_of(GOOD_ACTIONS, GOOD_ACTIONS, GOOD_ACTIONS, ACTION), min_size=1, max_size=4),
    st.lists(ACTION, max_size=4),
    JSON,
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def _use(kind: str, clean: dict) -> None:
    parsed = load(clean["conditions"], kind=kind)
    matches(parsed, Facts(now=NOW, status="open", via="whatsapp", last_customer_message_at=NOW))
    if kind == "automation":
        str(queries.ticket_q(parsed, NOW))
    rule = SimpleNamespace(conditions=clean["conditions"], actions=clean["actions"])
    sentences.rule_sentences(rule, kind=kind, names={})
    again = rules.definition_clean(kind=kind, title=clean["title"], conditions=clean["conditions"],
                                      actions=clean["actions"])  # fmt: skip
    assert again["conditions"] == clean["conditions"] and again["actions"] == clean["actions"]


@pytest.mark.parametrize("kind", ["trigger", "automation"])
@SETTINGS
@given(title=st.one_of(st.just("A rule"), TEXTS, SCALARS), conditions=CONDITIONS, actions=ACTIONS)
def test_definitions_are_cleaned_or_refused(kind, title, conditions, actions):
    try:
        clean = rules.definition_clean(kind=kind, title=title, conditions=conditions, actions=actions)
    except DomainError as error:
        assert error.errors and all(isinstance(m, str) for ms in error.errors.values() for m in ms)
        event("refused")
        return
    event("accepted")
    _use(kind, clean)


AUTOMATION_SAFE = GOOD_CONDITIONS.filter(
    lambda cond: FIELDS[FIELD_ALIASES.get(cond["field"], cond["field"])].kinds != ("trigger",)
    and cond.get("operator") not in ("changed", "changed_to")
)


@SETTINGS
@given(
    trigger_all=st.lists(GOOD_CONDITIONS.filter(lambda cond: "hours" not in cond["field"] and cond["field"] != "SOLVED"),
                         min_size=1, max_size=4),
    automation_all=st.lists(AUTOMATION_SAFE, min_size=1, max_size=4),
    actions=st.lists(GOOD_ACTIONS, min_size=1, max_size=4),
)  # fmt: skip
def test_valid_pieces_combine(trigger_all, automation_all, actions):
    """Combinations of valid conditions and actions: accepted (or refused for a stated reason), then usable."""
    for kind, conditions in (("trigger", trigger_all), ("automation", automation_all)):
        try:
            clean = rules.definition_clean(kind=kind, title="A rule", conditions={"all": conditions}, actions=actions)
        except DomainError as error:
            reasons = " ".join(m for ms in error.errors.values() for m in ms)
            expected = ("time condition", "stop matching", "closed", "without one")
            assert any(word in reasons for word in expected), reasons
            event(f"{kind} refused")
            continue
        event(f"{kind} accepted")
        _use(kind, clean)
