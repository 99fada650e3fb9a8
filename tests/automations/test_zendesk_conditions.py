"""The conditions added for Zendesk's rules, pure (`matches` on facts) and, for automations, as database queries."""

from datetime import UTC, datetime

import pytest

from automations.conditions.evaluate import matches
from automations.conditions.model import ConditionsInvalid, Facts
from automations.conditions.parse import parse_conditions

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def holds(condition: dict, kind: str = "trigger", **facts) -> bool:
    parsed = parse_conditions({"all": [condition]}, kind=kind)
    return matches(parsed, Facts(now=NOW, status="open", via=facts.pop("via", "web"), **facts))


def refusal(condition: dict, kind: str = "trigger") -> str:
    with pytest.raises(ConditionsInvalid) as error:
        parse_conditions({"all": [condition]}, kind=kind)
    return " ".join(error.value.messages)


@pytest.mark.parametrize("value", ["public", True, "true"])
def test_ticket_is_public_holds_when_the_ticket_has_a_public_comment(value):
    condition = {"field": "ticket_is_public", "operator": "is", "value": value}
    assert holds(condition, has_public_comment=True)
    assert not holds(condition, has_public_comment=False)
    assert holds({**condition, "value": "private"}, has_public_comment=False)
    assert not holds({**condition, "operator": "is_not"}, has_public_comment=True)


def test_ticket_is_public_refuses_other_values():
    assert "is not public or private" in refusal({"field": "ticket_is_public", "operator": "is", "value": "maybe"})


def test_current_via_id_is_the_channel_of_the_update():
    by_email = {"field": "current_via_id", "operator": "is", "value": "4"}
    assert holds(by_email, current_via="email")
    assert not holds(by_email, current_via="web")
    some = {"field": "current_via_id", "operator": "includes", "value": [0, 74]}
    assert holds(some, current_via="whatsapp") and holds(some, current_via="web")
    assert not holds(some, current_via="api")
    assert holds({**some, "operator": "not_includes"}, current_via="api")
    assert "only triggers" in refusal(by_email, kind="automation")


def test_via_id_with_includes():
    condition = {"field": "via_id", "operator": "includes", "value": ["4", "74"]}
    assert holds(condition, via="email") and holds(condition, via="whatsapp")
    assert not holds(condition, via="web")
    assert "via_id 29" in refusal({**condition, "value": [29]})


def test_requester_is_current_user_when_the_requester_wrote():
    condition = {"field": "requester_id", "operator": "is", "value": "current_user"}
    assert holds(condition, requester_id=7, current_contact_id=7)
    assert not holds(condition, requester_id=7, current_contact_id=8)
    assert not holds(condition, requester_id=7, current_user_id=7)  # user 7 is an agent, not contact 7
    assert holds({**condition, "operator": "is_not"}, requester_id=7, current_user_id=3)


def test_assignee_compared_with_current_user_and_requester():
    mine = {"field": "assignee_id", "operator": "is", "value": "current_user"}
    assert holds(mine, assignee_id=3, current_user_id=3)
    assert not holds(mine, assignee_id=3, current_user_id=4)
    assert not holds(mine, assignee_id=None)  # nobody updating: never the assignee
    requester = {"field": "assignee_id", "operator": "is", "value": "requester_id"}
    assert not holds(requester, assignee_id=5, requester_id=5)  # a user and a contact: never the same person
    assert holds({**requester, "operator": "is_not"}, assignee_id=5, requester_id=5)
    changed_to_me = {"field": "assignee_id", "operator": "value", "value": "current_user"}
    assert holds(changed_to_me, assignee_id=3, current_user_id=3, changes={"assignee_id": (None, 3)})
    assert not holds(changed_to_me, assignee_id=3, current_user_id=3)


def test_current_user_is_refused_in_automations():
    condition = {"field": "requester_id", "operator": "is", "value": "current_user"}
    assert "automations run without one" in refusal(condition, kind="automation")


@pytest.mark.parametrize(
    ("field", "feature"),
    [
        ("ticket_form_id", "ticket forms"),
        ("brand_id", "brands"),
        ("organization_id", "organizations"),
        ("satisfaction_score", "satisfaction"),
    ],
)
def test_features_supportdesk_lacks_are_refused_by_name(field, feature):
    message = refusal({"field": field, "operator": "is", "value": "1"})
    assert field in message and feature in message


@pytest.mark.django_db
def test_automation_queries_agree_on_the_new_conditions(agent):
    from automations import queries, selectors
    from tests.factories import CommentFactory, TicketFactory
    from tickets.models import Ticket

    public = TicketFactory(via="email")
    CommentFactory(ticket=public, public=True)
    private = TicketFactory(via="whatsapp")
    CommentFactory(ticket=private, public=False)
    for raw in (
        {"field": "ticket_is_public", "operator": "is", "value": "public"},
        {"field": "ticket_is_public", "operator": "is", "value": "private"},
        {"field": "via_id", "operator": "includes", "value": [4]},
        {"field": "via_id", "operator": "not_includes", "value": [4]},
        {"field": "assignee_id", "operator": "is", "value": "requester_id"},
        {"field": "assignee_id", "operator": "is_not", "value": "requester_id"},
    ):
        parsed = parse_conditions({"all": [raw, {"field": "hours_since_created", "operator": "less_than", "value": 1}]},
                                  kind="automation")  # fmt: skip
        by_query = set(Ticket.objects.filter(queries.ticket_q(parsed, NOW.now(UTC))).values_list("pk", flat=True))
        pure = {t.pk for t, facts in selectors.tickets_with_facts(Ticket.objects.all(), now=NOW.now(UTC))
                if matches(parsed, facts)}  # fmt: skip
        assert by_query == pure, raw
    public_only = parse_conditions(
        {"all": [{"field": "ticket_is_public", "operator": "is", "value": "public"}]}, kind="automation"
    )
    assert set(Ticket.objects.filter(queries.ticket_q(public_only, NOW)).values_list("pk", flat=True)) == {public.pk}
