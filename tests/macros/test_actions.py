"""The shared action implementation: validation of every field, planning, and one audited apply."""

import pytest

from macros import shorthand
from macros.actions import fields as catalogue
from macros.actions import plan as steps
from macros.actions.model import ActionPlan
from macros.actions.validate import validate_actions
from tests.factories import ContactFactory, GroupFactory, TicketFactory, UserFactory, group_with
from tickets.errors import DomainError
from tickets.models import Event, TicketTag
from tickets.services import NewComment

pytestmark = pytest.mark.django_db

FOLLOW_UP = (
    "&((template=[[ticket_followup]] language=[[en_US]] "
    "body_text=[[{{ticket.requester.first_name}}]] body_text=[[{{ticket.id}}]]))&"
)


def errors_of(action_list, **kwargs) -> list[str]:
    with pytest.raises(DomainError) as caught:
        validate_actions(action_list, **kwargs)
    return caught.value.errors["actions"]


def one(field, value):
    return [{"field": field, "value": value}]


# --- validate_actions: valid values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "normalised"),
    [
        ("status", "solved", "solved"),
        ("status", "Pending", "pending"),
        ("status", "hold", "hold"),
        ("status", "open", "open"),
        ("priority", "urgent", "urgent"),
        ("priority", "", None),
        ("priority", None, None),
        ("type", "incident", "incident"),
        ("type", "", None),  # Zendesk: an empty type clears it
        ("assignee_id", "current_user", "current_user"),
        ("assignee_id", "", None),
        ("assignee_id", None, None),
        ("group_id", "", None),
        ("set_tags", "a b", "a b"),
        ("set_tags", ["VIP", "b c"], "vip b c"),
        ("set_tags", "", ""),  # replace with nothing: clears the tags
        ("current_tags", "refund  refund", "refund"),
        ("remove_tags", ["spam"], "spam"),
        ("subject", "  Re: {{ticket.title}} ", "Re: {{ticket.title}}"),
        ("comment_value", "Thanks", "Thanks"),
        ("comment_value", ["channel:all", "Thanks"], ["channel:all", "Thanks"]),
        ("comment_value_html", "<p>Hi <b>there</b></p>", "<p>Hi <b>there</b></p>"),
        ("comment_mode_is_public", True, True),
        ("comment_mode_is_public", "false", False),
    ],
)
def test_valid_values_are_normalised(field, value, normalised):
    assert validate_actions(one(field, value)) == [{"field": field, "value": normalised}]


def test_zendesk_json_examples_paste_as_they_are(agent):
    pasted = [
        {"field": "status", "value": "solved"},
        {"field": "comment_value", "value": ["channel:all", "Thanks"]},
        {"field": "set_tags", "value": "a b"},
        {"field": "assignee_id", "value": "current_user"},
        {"field": "comment_mode_is_public", "value": "true"},
    ]
    assert validate_actions(pasted, kind="macro") == [
        {"field": "status", "value": "solved"},
        {"field": "comment_value", "value": ["channel:all", "Thanks"]},
        {"field": "set_tags", "value": "a b"},
        {"field": "assignee_id", "value": "current_user"},
        {"field": "comment_mode_is_public", "value": True},
    ]


def test_ids_are_checked_against_the_database():
    agent, group = UserFactory(), GroupFactory()
    assert validate_actions(
        [{"field": "assignee_id", "value": str(agent.pk)}, {"field": "group_id", "value": group.pk}]
    ) == [
        {"field": "assignee_id", "value": agent.pk},
        {"field": "group_id", "value": group.pk},
    ]
    inactive = UserFactory(is_active=False)
    assert errors_of(one("assignee_id", inactive.pk)) == [
        f"Action 1 (assignee_id): user {inactive.pk} is not an active agent."
    ]
    assert errors_of(one("group_id", 999999)) == ["Action 1 (group_id): group 999999 does not exist."]
    assert errors_of(one("assignee_id", 999999)) == ["Action 1 (assignee_id): user 999999 does not exist."]
    assert validate_actions(one("group_id", 999999), check_ids=False) == one("group_id", 999999)


# --- validate_actions: invalid values ----------------------------------------------------------------------


def test_unknown_field_names_the_action():
    assert errors_of([{"field": "status", "value": "open"}, {"field": "statuz", "value": "open"}]) == [
        "Action 2: unknown field 'statuz'."
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status", "solvd", "'solvd' is not a valid status (open, pending, hold, solved)."),
        ("status", "new", "'new' is not a valid status"),
        ("status", "", "'' is not a valid status"),
        ("status", 3, "3 is not a valid status"),
        (
            "priority",
            "critical",
            "'critical' is not a valid priority (low, normal, high, urgent, or empty to clear it).",
        ),
        ("type", "bug", "'bug' is not a valid type"),
        ("assignee_id", "someone", "'someone' is not a user id, \"current_user\", or empty to unassign."),
        ("assignee_id", -1, "-1 is not a user id"),
        ("assignee_id", True, "True is not a user id"),
        ("group_id", "billing", "'billing' is not a group id, \"current_groups\", or empty to remove the group."),
        ("group_id", 2**64, "is not a group id"),
        ("assignee_id", str(2**64), "is not a user id"),
        ("assignee_id", "²", "is not a user id"),
        ("set_tags", 5, "5 is not a list of tags"),
        ("set_tags", "ok bad!tag", "'bad!tag' is not a valid tag"),
        ("current_tags", "", "give at least one tag."),
        ("remove_tags", [], "give at least one tag."),
        ("subject", "   ", "the subject is empty."),
        ("subject", "x" * 256, "longer than 255"),
        ("subject", ["a"], "['a'] is not a text."),
        ("comment_value", "  ", "the comment text is empty."),
        ("comment_value", ["all", "Thanks"], 'is neither a text nor ["channel:all", "text"].'),
        ("comment_value", ["channel:all"], "is neither a text nor"),
        ("comment_value", {"body": "x"}, "is not a text or"),
        ("comment_value_html", "<p> </p>", "the comment text is empty."),
        ("comment_mode_is_public", "yes", "'yes' is not true or false."),
        ("comment_mode_is_public", 1, "1 is not true or false."),
    ],
)
def test_invalid_values_name_index_field_and_value(field, value, message):
    (error,) = errors_of([{"field": "status", "value": "open"}, {"field": field, "value": value}], kind="macro")
    assert error.startswith(f"Action 2 ({field}): ")
    assert message in error


def test_closed_is_for_rules_and_new_for_triggers():
    """Zendesk: triggers and automations may close a ticket, a macro may not; only a trigger may say "new"."""
    assert "not a valid status" in errors_of(one("status", "closed"), kind="macro")[0]
    assert validate_actions(one("status", "closed"), kind="trigger") == one("status", "closed")
    assert validate_actions(one("status", "closed"), kind="automation") == one("status", "closed")
    assert validate_actions(one("status", "new"), kind="trigger") == one("status", "new")
    assert "not a valid status" in errors_of(one("status", "new"), kind="macro")[0]
    assert "not a valid status" in errors_of(one("status", "new"), kind="automation")[0]


@pytest.mark.parametrize(
    ("actions_value", "message"),
    [
        ("status", "Actions must be a list"),
        ({"field": "status"}, "Actions must be a list"),
    ],
)
def test_actions_must_be_a_list(actions_value, message):
    with pytest.raises(DomainError) as caught:
        validate_actions(actions_value)
    assert message in caught.value.errors["actions"][0]


def test_shape_errors_are_all_reported_at_once():
    assert errors_of(["status", {"value": "x"}, {"field": "status"}, {"field": "status", "value": "open", "x": 1}]) == [
        'Action 1: \'status\' is not an object {"field": ..., "value": ...}.',
        'Action 2: "field" is missing.',
        'Action 3 (status): "value" is missing.',
        "Action 4 (status): unexpected key(s) x.",
    ]


# --- notification_user -------------------------------------------------------------------------------------


def test_notification_user_shape_for_rules():
    agent = UserFactory()
    assert validate_actions(
        [
            {
                "field": "notification_user",
                "value": ["requester_id", "Re: {{ticket.title}}", "Hi {{ticket.requester.name}}"],
            },
            {"field": "notification_user", "value": [agent.pk, "s", "b"]},
            {"field": "notification_user", "value": ["current_user", "", "b"]},
        ],
        kind="trigger",
    ) == [
        {
            "field": "notification_user",
            "value": ["requester_id", "Re: {{ticket.title}}", "Hi {{ticket.requester.name}}"],
        },
        {"field": "notification_user", "value": [str(agent.pk), "s", "b"]},
        {"field": "notification_user", "value": ["current_user", "", "b"]},
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("requester_id", "is not [recipient, subject, body]."),
        (["requester_id", "only two"], "is not [recipient, subject, body]."),
        (
            ["everyone", "s", "b"],
            "the recipient 'everyone' is not requester_id, requester_and_ccs, assignee_id, current_user, all_agents "
            "or a user id.",
        ),
        (["requester_id", "s", 3], "the subject and the body must be texts."),
        (["requester_id", "s", " "], "the notification's body is empty."),
        ([999999, "s", "b"], "user 999999 does not exist."),
    ],
)
def test_notification_user_bad_shapes(value, message):
    (error,) = errors_of(one("notification_user", value), kind="automation")
    assert error.startswith("Action 1 (notification_user): ") and error.endswith(message)


def test_macros_refuse_notification_user():
    assert errors_of(one("notification_user", ["requester_id", "s", "b"]), kind="macro") == [
        "Action 1 (notification_user): notification_user is for triggers and automations; "
        "a macro can reply with comment_value."
    ]
    assert "notification_user" not in catalogue.action_fields("macro")
    assert "notification_user" in catalogue.action_fields("trigger")


# --- Placeholders and shorthand ----------------------------------------------------------------------------


def test_unknown_placeholders_are_named_in_every_text():
    assert errors_of(
        [
            {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}} {{ticket.titel}}"},
            {"field": "subject", "value": "{{ticket.foo}}"},
            {"field": "notification_user", "value": ["requester_id", "{{ticket.bar}}", "{{ticket.baz}}"]},
            {"field": "comment_value_html", "value": "<p>{{ current_user.nickname }}</p>"},
        ],
        kind="trigger",
    ) == [
        "Action 1 (comment_value): unknown placeholder {{ticket.titel}}.",
        "Action 2 (subject): unknown placeholder {{ticket.foo}}.",
        "Action 3 (notification_user): unknown placeholder {{ticket.bar}}.",
        "Action 3 (notification_user): unknown placeholder {{ticket.baz}}.",
        "Action 4 (comment_value_html): unknown placeholder {{current_user.nickname}}.",
    ]


def test_shorthand_is_parsed_for_macros_and_refused_for_rules():
    assert validate_actions(one("comment_value", FOLLOW_UP), kind="macro") == one("comment_value", FOLLOW_UP)
    (error,) = errors_of(one("comment_value", "&((template_name=[[x]] language=[[en]]))&"), kind="macro")
    assert error.startswith("Action 1 (comment_value): malformed template shorthand: Unknown shorthand key")
    for kind in ("trigger", "automation", None):
        (error,) = errors_of(one("comment_value", FOLLOW_UP), kind=kind)
        assert "may not send WhatsApp template messages" in error
    (error,) = errors_of(one("notification_user", ["requester_id", "s", FOLLOW_UP]), kind="trigger")
    assert "may not send WhatsApp template messages" in error


# --- plan -----------------------------------------------------------------------------------------------------


@pytest.fixture
def ticket(agent):
    ticket = TicketFactory(subject="Parcel late", requester=ContactFactory(name="Carla Souza"), assignee=agent)
    TicketTag.objects.bulk_create([TicketTag(ticket=ticket, name=n) for n in ("old", "vip")])
    return ticket


def test_plan_fields_ids_and_current_user(ticket, agent, other_agent):
    group = group_with(agent, other_agent)
    plan = steps.plan(
        [
            {"field": "status", "value": "solved"},
            {"field": "priority", "value": "high"},
            {"field": "type", "value": ""},
            {"field": "group_id", "value": group.pk},
            {"field": "assignee_id", "value": "current_user"},
            {"field": "subject", "value": "Re: {{ticket.title}} for {{ticket.requester.first_name}}"},
        ],
        ticket=ticket,
        current_user=other_agent,
    )
    assert plan.changes == {
        "status": "solved",
        "priority": "high",
        "type": None,
        "group": group,
        "assignee": other_agent,
        "subject": "Re: Parcel late for Carla",
    }
    assert plan.comment is None and plan.notifications == ()


def test_plan_unassign_and_remove_group(ticket, agent):
    plan = steps.plan(
        [{"field": "assignee_id", "value": ""}, {"field": "group_id", "value": None}], ticket=ticket, current_user=agent
    )
    assert plan.changes == {"assignee": None, "group": None}


def test_plan_current_user_without_one_is_skipped(ticket):
    assert steps.plan(one("assignee_id", "current_user"), ticket=ticket, current_user=None).changes == {}


def test_plan_names_an_id_gone_since_the_save(ticket, agent):
    group = GroupFactory()
    group_id = group.pk
    stored = validate_actions(one("group_id", group_id))
    group.delete()
    with pytest.raises(DomainError) as caught:
        steps.plan(stored, ticket=ticket, current_user=agent)
    assert caught.value.errors == {"actions": [f"Action 1 (group_id): group {group_id} does not exist."]}


@pytest.mark.parametrize(
    ("action_list", "changes"),
    [
        ([{"field": "set_tags", "value": "a b"}], {"tags": ["a", "b"]}),
        (
            [{"field": "current_tags", "value": "x"}, {"field": "remove_tags", "value": "old"}],
            {"add_tags": ["x"], "remove_tags": ["old"]},
        ),
        # set_tags replaces what came before it; later adds and removes apply to the new set
        (
            [
                {"field": "current_tags", "value": "lost"},
                {"field": "set_tags", "value": ["a", "b"]},
                {"field": "current_tags", "value": "c"},
                {"field": "remove_tags", "value": "a"},
            ],
            {"tags": ["b", "c"]},
        ),
        # a tag removed, then added again, stays added
        ([{"field": "remove_tags", "value": "x"}, {"field": "current_tags", "value": "x"}], {"add_tags": ["x"]}),
        ([{"field": "current_tags", "value": "x"}, {"field": "remove_tags", "value": "x"}], {"remove_tags": ["x"]}),
    ],
)
def test_plan_tags_in_order(ticket, agent, action_list, changes):
    assert steps.plan(action_list, ticket=ticket, current_user=agent).changes == changes


def test_plan_comment_forms_and_placeholders(ticket, agent):
    plan = steps.plan(
        [
            {
                "field": "comment_value",
                "value": ["channel:all", "Hi {{ticket.requester.first_name}}, ticket #{{ticket.id}}."],
            }
        ],
        ticket=ticket,
        current_user=agent,
    )
    assert plan.comment == NewComment(body=f"Hi Carla, ticket #{ticket.pk}.", public=True)
    note = steps.plan(
        [
            {"field": "comment_mode_is_public", "value": False},
            {"field": "comment_value", "value": "Checked by {{current_user.first_name}}. {{unknown.thing}}"},
        ],
        ticket=ticket,
        current_user=agent,
    )
    # Unknown placeholders in stored texts stay as written (explicit substitution, no template engine).
    assert note.comment == NewComment(body="Checked by Alice. {{unknown.thing}}", public=False)


def test_plan_never_runs_the_template_engine(ticket, agent):
    ticket.requester.name = "{% if 1 %}Evil{% endif %} {{current_user.email}}"
    plan = steps.plan(
        one("comment_value", "Hi {{ticket.requester.name}} {% now 'Y' %}"), ticket=ticket, current_user=agent
    )
    assert plan.comment.body == "Hi {% if 1 %}Evil{% endif %} {{current_user.email}} {% now 'Y' %}"


def test_plan_html_comment_is_text(ticket, agent):
    plan = steps.plan(
        one("comment_value_html", "<p>Hi&nbsp;{{ticket.requester.first_name}},</p><p>thanks &amp; bye<br>Team</p>"),
        ticket=ticket,
        current_user=agent,
    )
    assert plan.comment.body == "Hi\xa0Carla,\n\nthanks & bye\nTeam"


def test_plan_mode_alone_makes_no_comment(ticket, agent):
    plan = steps.plan(one("comment_mode_is_public", "false"), ticket=ticket, current_user=agent)
    assert plan.comment is None and plan.comment_public is False and plan.is_empty


def test_plan_shorthand_values_are_filled_and_escaped(ticket, agent):
    ticket.requester.name = "]]template=[[evil Ana"  # a customer names themself; the first word is theirs
    plan = steps.plan(one("comment_value", FOLLOW_UP), ticket=ticket, current_user=agent, kind="macro")
    parsed = shorthand.parse(plan.comment.body)
    assert parsed.template == "ticket_followup"
    assert parsed.body_text == ("] ]template=[ [evil", str(ticket.pk))


def test_plan_notifications_resolve_recipients(ticket, agent, other_agent):
    plan = steps.plan(
        [
            {"field": "assignee_id", "value": other_agent.pk},
            {"field": "notification_user", "value": ["assignee_id", "New: {{ticket.title}}", "Yours now"]},
            {"field": "notification_user", "value": ["requester_id", "s", "Hi {{ticket.requester.first_name}}"]},
            {"field": "notification_user", "value": ["current_user", "s", "b"]},
            {"field": "notification_user", "value": [str(agent.pk), "s", "b"]},
        ],
        ticket=ticket,
        current_user=None,
        kind="trigger",
    )
    assert [(n.recipient, n.user, n.contact, n.subject, n.body) for n in plan.notifications] == [
        ("assignee_id", other_agent, None, "New: Parcel late", "Yours now"),
        ("requester_id", None, ticket.requester, "s", "Hi Carla"),
        (str(agent.pk), agent, None, "s", "b"),  # current_user is nobody here: skipped
    ]


def test_plan_refuses_what_the_kind_may_not_do(ticket, agent):
    with pytest.raises(DomainError) as caught:
        steps.plan(
            one("notification_user", ["requester_id", "s", "b"]), ticket=ticket, current_user=agent, kind="macro"
        )
    assert "notification_user is for triggers and automations" in caught.value.errors["actions"][0]


def test_plan_writes_nothing(ticket, agent, django_assert_num_queries):
    with django_assert_num_queries(0):
        steps.plan(
            [
                {"field": "status", "value": "pending"},
                {"field": "set_tags", "value": "x"},
                {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}}"},
            ],
            ticket=ticket,
            current_user=agent,
        )


# --- apply ----------------------------------------------------------------------------------------------------


def test_apply_is_one_audited_ticket_update(ticket, agent, django_capture_on_commit_callbacks):
    plan = steps.plan(
        [
            {"field": "status", "value": "pending"},
            {"field": "current_tags", "value": "waiting"},
            {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}}"},
        ],
        ticket=ticket,
        current_user=agent,
    )
    with django_capture_on_commit_callbacks(execute=True):
        updated = steps.apply(plan, ticket=ticket, actor=agent, source="api")
    assert updated.status == "pending"
    assert sorted(updated.tag_rows.values_list("name", flat=True)) == ["old", "vip", "waiting"]
    comment = updated.comments.get()
    assert (comment.body, comment.public, comment.author_user, comment.via) == ("Hi Carla", True, agent, "api")
    types = list(Event.objects.filter(ticket=ticket).values_list("type", "data__field"))
    assert types == [("field.changed", "status"), ("field.changed", "tags"), ("comment.added", None)]


def test_apply_an_empty_plan_changes_nothing(ticket, agent):
    steps.apply(ActionPlan(), ticket=ticket, actor=agent, source="trigger", run_listeners=False)
    assert not Event.objects.filter(ticket=ticket).exists()
