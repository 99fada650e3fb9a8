"""Macro services and selectors: who may manage which macro, availability, preview and the atomic apply."""

import random
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from macros import demo, selectors, services
from macros.models import Macro, MacroAvailability
from tests.factories import AdminFactory, ContactFactory, TicketFactory, WhatsAppContactFactory, group_with
from tests.macros.macro_factories import MacroFactory
from tickets import hooks
from tickets import seeding as core_demo
from tickets.errors import DomainError
from tickets.models import Comment, Event, Ticket, TicketStatus, TicketTag

pytestmark = pytest.mark.django_db

CLOSE_AND_THANK = [
    {"field": "status", "value": "solved"},
    {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}}, thanks! {{current_user.first_name}}"},
]


# --- The model ------------------------------------------------------------------------------------------------


def test_category_path_splits_zendesk_titles():
    macro = Macro(title="Billing:: Refunds ::Issued")
    assert macro.category_path == ["Billing", "Refunds", "Issued"]
    assert (macro.category, macro.name) == ("Billing::Refunds", "Issued")
    plain = Macro(title="Close and thank")
    assert (plain.category_path, plain.category, plain.name) == (["Close and thank"], "", "Close and thank")


def test_a_personal_macro_needs_an_owner_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Macro.objects.create(title="Mine", availability=MacroAvailability.PERSONAL, owner=None)


# --- Creating and changing ----------------------------------------------------------------------------------


def test_admin_creates_a_shared_macro(admin_user):
    macro = services.macro_create(actor=admin_user, title="  Close   and thank ", actions=CLOSE_AND_THANK)
    assert (macro.title, macro.availability, macro.owner, macro.created_by) == (
        "Close and thank",
        "everyone",
        None,
        admin_user,
    )
    assert macro.actions == CLOSE_AND_THANK


def test_agent_creates_personal_macros_only_for_themselves(agent, other_agent):
    macro = services.macro_create(actor=agent, title="Mine", actions=CLOSE_AND_THANK)
    assert (macro.availability, macro.owner) == ("personal", agent)
    for availability in ("everyone", "groups"):
        with pytest.raises(PermissionDenied):
            services.macro_create(actor=agent, title="Shared", actions=CLOSE_AND_THANK, availability=availability)
    with pytest.raises(PermissionDenied):
        services.macro_create(
            actor=agent, title="Theirs", actions=CLOSE_AND_THANK, availability="personal", owner=other_agent
        )
    assert Macro.objects.count() == 1


def test_admin_may_create_a_personal_macro_for_an_agent(admin_user, agent):
    macro = services.macro_create(
        actor=admin_user, title="For Alice", actions=CLOSE_AND_THANK, availability="personal", owner=agent
    )
    assert macro.owner == agent


def test_group_macros_need_groups_and_only_they_have_groups(admin_user, agent):
    group = group_with(agent)
    with pytest.raises(DomainError) as caught:
        services.macro_create(actor=admin_user, title="G", actions=CLOSE_AND_THANK, availability="groups")
    assert caught.value.errors == {"group_ids": ["Choose at least one group for a macro limited to groups."]}
    with pytest.raises(DomainError) as caught:
        services.macro_create(actor=admin_user, title="E", actions=CLOSE_AND_THANK, groups=[group])
    assert "group_ids" in caught.value.errors
    with pytest.raises(DomainError) as caught:
        services.macro_create(actor=admin_user, title="E", actions=CLOSE_AND_THANK, owner=agent)
    assert caught.value.errors == {"owner_id": ["Only personal macros have an owner."]}
    macro = services.macro_create(
        actor=admin_user, title="G", actions=CLOSE_AND_THANK, availability="groups", groups=[group]
    )
    assert list(macro.groups.all()) == [group]


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"title": " ", "actions": CLOSE_AND_THANK}, "title"),
        ({"title": "x" * 256, "actions": CLOSE_AND_THANK}, "title"),
        ({"title": "No actions", "actions": []}, "actions"),
        ({"title": "Bad", "actions": [{"field": "statuz", "value": "open"}]}, "actions"),
        (
            {"title": "Typo", "actions": [{"field": "comment_value", "value": "Hi {{ticket.requester.frist_name}}"}]},
            "actions",
        ),
        (
            {"title": "Notify", "actions": [{"field": "notification_user", "value": ["requester_id", "s", "b"]}]},
            "actions",
        ),
    ],
)
def test_bad_macros_are_refused_and_not_saved(admin_user, fields, key):
    with pytest.raises(DomainError) as caught:
        services.macro_create(actor=admin_user, **fields)
    assert key in caught.value.errors
    assert not Macro.objects.exists()


def test_unknown_placeholder_is_named(admin_user):
    with pytest.raises(DomainError) as caught:
        services.macro_create(
            actor=admin_user,
            title="Typo",
            actions=[{"field": "comment_value", "value": "Hi {{ticket.requester.frist_name}}"}],
        )
    assert caught.value.errors == {
        "actions": ["Action 1 (comment_value): unknown placeholder {{ticket.requester.frist_name}}."]
    }


def test_agents_change_and_delete_only_their_own_personal_macros(agent, other_agent, admin_user):
    mine = MacroFactory(availability="personal", owner=agent, title="Mine")
    theirs = MacroFactory(availability="personal", owner=other_agent, title="Theirs")
    shared = MacroFactory(title="Shared")
    services.macro_update(macro=mine, actor=agent, title="Mine, renamed", active=False)
    mine.refresh_from_db()
    assert (mine.title, mine.active) == ("Mine, renamed", False)
    for macro in (theirs, shared):
        with pytest.raises(PermissionDenied):
            services.macro_update(macro=macro, actor=agent, title="Hijacked")
        with pytest.raises(PermissionDenied):
            services.macro_delete(macro=macro, actor=agent)
    with pytest.raises(PermissionDenied):  # an agent cannot share their own macro either
        services.macro_update(macro=mine, actor=agent, availability="everyone")
    services.macro_delete(macro=mine, actor=agent)
    assert set(Macro.objects.values_list("title", flat=True)) == {"Theirs", "Shared"}
    services.macro_update(macro=theirs, actor=admin_user, availability="everyone")
    theirs.refresh_from_db()
    assert (theirs.availability, theirs.owner) == ("everyone", None)


def test_update_keeps_and_clears_groups_with_availability(admin_user, agent):
    group = group_with(agent)
    macro = MacroFactory(availability="groups", groups=[group])
    services.macro_update(macro=macro, actor=admin_user, title="Renamed")
    assert list(macro.groups.all()) == [group]
    services.macro_update(macro=macro, actor=admin_user, availability="personal")
    macro.refresh_from_db()
    assert (macro.availability, macro.owner, list(macro.groups.all())) == ("personal", admin_user, [])


# --- Availability -------------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(agent, other_agent):
    support = group_with(agent, name="Support")
    sales = group_with(other_agent, name="Sales")
    return {
        "shared": MacroFactory(title="Shared", usage_count=5),
        "inactive": MacroFactory(title="Inactive", active=False),
        "mine": MacroFactory(title="Mine", availability="personal", owner=agent, usage_count=9),
        "theirs": MacroFactory(title="Theirs", availability="personal", owner=other_agent),
        "support": MacroFactory(title="Billing::Support only", availability="groups", groups=[support]),
        "sales": MacroFactory(title="Sales only", availability="groups", groups=[sales]),
        "both": MacroFactory(title="Both groups", availability="groups", groups=[support, sales]),
    }


def titles(qs) -> list[str]:
    return [m.title for m in qs]


def test_available_macros_follow_availability(catalogue, agent, other_agent):
    assert titles(selectors.macros_available_to(agent)) == ["Billing::Support only", "Both groups", "Mine", "Shared"]
    assert titles(selectors.macros_available_to(other_agent)) == ["Both groups", "Sales only", "Shared", "Theirs"]
    assert titles(selectors.macros_available_to(agent, order="usage")) == [
        "Mine",
        "Shared",
        "Billing::Support only",
        "Both groups",
    ]
    assert titles(selectors.macros_available_to(agent, search="billing")) == ["Billing::Support only"]
    for key in ("shared", "mine", "support", "both"):
        assert selectors.macro_is_available(macro=catalogue[key], user=agent)
    for key in ("inactive", "theirs", "sales"):
        assert not selectors.macro_is_available(macro=catalogue[key], user=agent)


def test_admins_see_every_macro_but_use_only_theirs(catalogue, admin_user, agent):
    assert len(selectors.macros_visible_to(admin_user)) == 7
    assert titles(selectors.macros_available_to(admin_user)) == ["Shared"]
    assert titles(selectors.macros_visible_to(agent, order="title")) == [
        "Billing::Support only",
        "Both groups",
        "Inactive",
        "Mine",
        "Shared",
    ]


def test_available_by_ids_keeps_order_and_drops_the_rest(catalogue, agent):
    ids = [catalogue[k].pk for k in ("mine", "theirs", "shared", "mine")]
    assert titles(selectors.macros_available_by_ids(user=agent, macro_ids=ids)) == ["Mine", "Shared"]


# --- Preview --------------------------------------------------------------------------------------------------


@pytest.fixture
def ticket(agent):
    ticket = TicketFactory(subject="Parcel late", requester=ContactFactory(name="Carla Souza", email=""), status="open")
    TicketTag.objects.bulk_create([TicketTag(ticket=ticket, name=n) for n in ("late", "vip")])
    return ticket


def test_preview_shows_what_the_macro_would_set_and_changes_nothing(ticket, agent, other_agent):
    group = group_with(agent, other_agent)
    macro = MacroFactory(
        title="Billing::Refund issued",
        actions=[
            {"field": "status", "value": "solved"},
            {"field": "type", "value": ""},
            {"field": "group_id", "value": group.pk},
            {"field": "assignee_id", "value": "current_user"},
            {"field": "current_tags", "value": "refund"},
            {"field": "remove_tags", "value": "late"},
            {"field": "subject", "value": "Refund for {{ticket.requester.first_name}}"},
            {"field": "comment_value", "value": ["channel:all", "Hi {{ticket.requester.first_name}}, done."]},
        ],
    )
    before = (Event.objects.count(), Comment.objects.count(), Ticket.objects.values().get(pk=ticket.pk))
    preview = services.macro_preview(macro=macro, ticket=ticket, user=agent)
    assert preview == {
        "macro": {"id": macro.pk, "title": "Billing::Refund issued"},
        "ticket_id": ticket.pk,
        "fields": {
            "status": "solved",
            "type": None,
            "subject": "Refund for Carla",
            "group_id": group.pk,
            "assignee_id": agent.pk,
        },
        "tags": {"set": None, "add": ["refund"], "remove": ["late"]},
        "tags_after": ["refund", "vip"],
        "comment": {"body": "Hi Carla, done.", "public": True},
    }
    assert (Event.objects.count(), Comment.objects.count(), Ticket.objects.values().get(pk=ticket.pk)) == before
    assert Macro.objects.get(pk=macro.pk).usage_count == 0


def test_preview_of_an_internal_note_and_of_an_unavailable_macro(ticket, agent, other_agent):
    note = MacroFactory(actions=[{"field": "comment_mode_is_public", "value": False}])
    assert services.macro_preview(macro=note, ticket=ticket, user=agent)["comment"] == {"body": "", "public": False}
    theirs = MacroFactory(availability="personal", owner=other_agent)
    with pytest.raises(DomainError):
        services.macro_preview(macro=theirs, ticket=ticket, user=agent)


# --- Apply ----------------------------------------------------------------------------------------------------


def test_apply_changes_comments_audits_and_counts(ticket, agent, django_capture_on_commit_callbacks):
    macro = MacroFactory(title="Close and thank", actions=[*CLOSE_AND_THANK, {"field": "set_tags", "value": "thanked"}])
    with django_capture_on_commit_callbacks(execute=True):
        applied = services.macro_apply(macro=macro, ticket=ticket, user=agent)
    assert applied.status == TicketStatus.SOLVED
    comment = applied.applied_comment
    assert (comment.body, comment.public, comment.author_user, comment.author_role) == (
        "Hi Carla, thanks! Alice",
        True,
        agent,
        "agent",
    )
    event = Event.objects.get(ticket=ticket, type="macro.applied")
    assert event.actor == agent
    assert event.data == {
        "macro_id": macro.pk,
        "title": "Close and thank",
        "changes": {"status": ["open", "solved"], "tags": [["late", "vip"], ["thanked"]]},
        "comment_id": comment.pk,
        "source": "api",
    }
    macro.refresh_from_db()
    assert macro.usage_count == 1 and macro.last_used_at is not None
    services.macro_apply(macro=macro, ticket=TicketFactory(), user=agent)
    macro.refresh_from_db()
    assert macro.usage_count == 2


def test_a_failing_action_leaves_nothing_half_written(ticket, agent, other_agent):
    # The status change is written first; the assignee outside the ticket's group fails after it.
    ticket.group = group_with(agent)
    ticket.save()
    macro = MacroFactory(
        actions=[
            {"field": "status", "value": "solved"},
            {"field": "current_tags", "value": "never"},
            {"field": "assignee_id", "value": other_agent.pk},
            {"field": "comment_value", "value": "Never sent"},
        ]
    )
    with pytest.raises(DomainError):
        services.macro_apply(macro=macro, ticket=ticket, user=agent)
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.assignee is None
    assert sorted(ticket.tag_rows.values_list("name", flat=True)) == ["late", "vip"]
    assert not Event.objects.filter(ticket=ticket).exists()
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert Macro.objects.get(pk=macro.pk).usage_count == 0


def test_apply_refuses_an_unavailable_macro_and_a_closed_ticket(ticket, agent, other_agent):
    theirs = MacroFactory(availability="personal", owner=other_agent)
    with pytest.raises(DomainError):
        services.macro_apply(macro=theirs, ticket=ticket, user=agent)
    inactive = MacroFactory(active=False)
    with pytest.raises(DomainError):
        services.macro_apply(macro=inactive, ticket=ticket, user=agent)
    closed = TicketFactory(status="closed")
    with pytest.raises(DomainError):
        services.macro_apply(macro=MacroFactory(), ticket=closed, user=agent)
    assert not Event.objects.filter(type="macro.applied").exists()


def test_a_macro_reply_outside_the_whatsapp_window_is_kept_and_fails(agent, django_capture_on_commit_callbacks):
    account = WhatsAppAccount.objects.create(
        name="Support line",
        phone_number_id="106540352242922",
        waba_id="102290129340398",
        display_phone_number="15550001111",
        access_token="EAAG-secret-token",
    )
    contact = WhatsAppContactFactory(name="Carla Souza", wa_id="5511999990000")
    ticket = TicketFactory(
        requester=contact, via="whatsapp", status="open", last_customer_message_at=timezone.now() - timedelta(hours=30)
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    macro = MacroFactory(actions=CLOSE_AND_THANK)
    with django_capture_on_commit_callbacks(execute=True):
        applied = services.macro_apply(macro=macro, ticket=ticket, user=agent)
    comment = Comment.objects.get(pk=applied.applied_comment.pk)
    assert (comment.body, comment.public, comment.author_user) == ("Hi Carla, thanks! Alice", True, agent)
    assert comment.delivery_status == "failed"
    assert comment.delivery_error_code == "window_closed"
    assert applied.status == "solved"
    assert Event.objects.filter(ticket=ticket, type="macro.applied").exists()
    assert Event.objects.filter(ticket=ticket, type="delivery.failed", data__code="window_closed").exists()


# --- Demo data ------------------------------------------------------------------------------------------------


def test_demo_seeder_creates_shared_macros_once():
    users = core_demo.ensure_users()
    groups = core_demo.ensure_groups(users)
    core = core_demo.CoreDemo(users=users, groups=groups, contacts=[])
    assert ("macros", demo.seed) in hooks.registered_seeders()
    assert demo.seed(core, random.Random(1)) == "Macros: 6 shared macro(s) created"
    assert demo.seed(core, random.Random(1)) == "Macros: 0 shared macro(s) created"
    titles_ = set(Macro.objects.values_list("title", flat=True))
    assert {
        "Close and thank",
        "Billing::Refund issued",
        "Ask for order number",
        "WhatsApp::Follow-up template",
    } <= titles_
    template = Macro.objects.get(title="WhatsApp::Follow-up template")
    assert template.actions[-1]["value"] == demo.WHATSAPP_FOLLOW_UP
    agent = AdminFactory()  # any admin may use shared macros; the seeder's were validated like any other
    ticket = TicketFactory(requester=ContactFactory(name="Ana Lima", email=""))
    preview = services.macro_preview(macro=template, ticket=ticket, user=agent)
    assert preview["comment"]["body"] == (
        f"&((template=[[ticket_followup]] language=[[en_US]] body_text=[[Ana]] body_text=[[{ticket.pk}]]))&"
    )


def test_a_template_macro_is_handed_to_the_channel_as_an_ordinary_reply(agent, monkeypatch):
    """The macro only renders the shorthand; the ticket's channel decides what a reply becomes (here: a stand-in)."""
    from tickets import hooks

    seen = []

    def preparer(ticket, body):
        seen.append(body)
        return hooks.PreparedReply(body="Template ticket_followup", template={"name": "ticket_followup"})

    monkeypatch.setitem(hooks._reply_preparers, "email", preparer)
    ticket = TicketFactory(via="email", requester=ContactFactory(name="Ana Lima", email=""), status="open")
    macro = MacroFactory(
        actions=[{"field": "status", "value": "pending"}, {"field": "comment_value", "value": demo.WHATSAPP_FOLLOW_UP}]
    )
    applied = services.macro_apply(macro=macro, ticket=ticket, user=agent)
    assert seen == [
        f"&((template=[[ticket_followup]] language=[[en_US]] body_text=[[Ana]] body_text=[[{ticket.pk}]]))&"
    ]
    comment = Comment.objects.get(pk=applied.applied_comment.pk)
    assert (comment.body, comment.template, comment.author_user) == (
        "Template ticket_followup",
        {"name": "ticket_followup"},
        agent,
    )
