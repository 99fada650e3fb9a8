import random
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tickets import events, hooks
from tickets import seeding as demo
from tickets.models import AuthorRole, Comment, Contact, Event, Group, Ticket, Via

pytestmark = pytest.mark.django_db
User = get_user_model()


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_seed_demo_creates_the_demo_logins():
    output = seed(tickets=30)

    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password("admin")
    agent = User.objects.get(username="agent")
    assert agent.check_password("agent")
    assert (agent.first_name, agent.last_name, agent.is_staff) == ("Alex", "Agent", False)
    others = User.objects.exclude(username__in=["admin", "agent"])
    assert others.count() >= 4
    assert all(user.check_password(user.username) for user in others)
    assert "admin / admin" in output
    assert "agent / agent" in output


def test_seed_demo_creates_groups_with_members():
    seed(tickets=0)

    groups = {g.name: g for g in Group.objects.annotate(n=Count("members"))}
    assert set(groups) == {"Support", "Billing", "Sales"}
    assert all(g.n >= 2 for g in groups.values())
    assert groups["Support"].members.filter(username="agent").exists()


def test_seed_demo_creates_tickets_with_conversations_and_audit_events():
    output = seed(tickets=30)

    tickets = Ticket.objects.all()
    assert tickets.count() == 30
    assert "Seeded 30 tickets" in output
    assert not tickets.filter(comments__isnull=True).exists()
    assert tickets.annotate(n=Count("comments")).filter(n__gt=4).count() == 0
    created = Event.objects.filter(type=events.TICKET_CREATED)
    assert set(created.values_list("ticket_id", flat=True)) == set(tickets.values_list("pk", flat=True))
    # Every comment has its comment.added event, pointing at it.
    comment_ids = set(Comment.objects.values_list("pk", flat=True))
    added = Event.objects.filter(type=events.COMMENT_ADDED)
    assert {e.data["comment_id"] for e in added} == comment_ids
    assert set(Comment.objects.values_list("author_role", "public")) >= {
        (AuthorRole.END_USER, True),
        (AuthorRole.AGENT, True),
    }


def test_seeded_whatsapp_tickets_have_a_last_customer_message():
    seed(tickets=30)

    whatsapp = Ticket.objects.filter(via=Via.WHATSAPP)
    assert whatsapp.exists()
    assert not whatsapp.filter(last_customer_message_at__isnull=True).exists()
    for ticket in whatsapp:
        last = ticket.comments.filter(author_role=AuthorRole.END_USER).order_by("-created_at").first()
        assert ticket.last_customer_message_at == last.created_at


def test_seeded_data_is_spread_over_the_last_30_days():
    now = timezone.now()
    seed(tickets=200)

    tickets = Ticket.objects.all()
    assert not tickets.filter(created_at__lt=now - timedelta(days=30)).exists()
    assert not tickets.filter(updated_at__gt=timezone.now()).exists()
    assert not tickets.filter(updated_at__lt=F("created_at")).exists()
    assert not Comment.objects.filter(created_at__lt=F("ticket__created_at")).exists()
    assert tickets.filter(created_at__lt=now - timedelta(days=7)).exists()
    whatsapp = tickets.filter(via=Via.WHATSAPP)
    assert whatsapp.filter(last_customer_message_at__gte=now - timedelta(hours=24)).exists()  # window open
    assert whatsapp.filter(last_customer_message_at__lt=now - timedelta(hours=24)).exists()  # window closed
    assert len(set(tickets.values_list("status", flat=True))) == 6
    assert len(set(tickets.values_list("via", flat=True))) >= 3
    # Assignees are members of the ticket's group, as services require.
    assert not tickets.filter(assignee__isnull=False).exclude(group__members=F("assignee")).exists()
    contacts = Contact.objects.all()
    assert contacts.filter(wa_id__isnull=False, whatsapp_opt_in=True).exists()
    assert contacts.filter(wa_id__isnull=False, whatsapp_opt_in=False).exists()
    assert contacts.exclude(email="").exists()
    assert contacts.filter(wa_id="5511987650001").exists()


def test_a_second_run_adds_tickets_and_reuses_users_and_groups():
    seed(tickets=10)
    users, groups = User.objects.count(), Group.objects.count()

    seed(tickets=15)

    assert Ticket.objects.count() == 25
    assert (User.objects.count(), Group.objects.count()) == (users, groups)
    wa_ids = list(Contact.objects.exclude(wa_id=None).values_list("wa_id", flat=True))
    assert len(wa_ids) == len(set(wa_ids))


def test_if_empty_does_nothing_when_tickets_exist():
    seed(tickets=5)
    counts = (Ticket.objects.count(), Comment.objects.count(), Contact.objects.count(), Event.objects.count())

    output = seed(tickets=50, if_empty=True)

    assert "nothing seeded" in output
    assert (Ticket.objects.count(), Comment.objects.count(), Contact.objects.count(), Event.objects.count()) == counts


def test_if_empty_seeds_an_empty_database():
    seed(tickets=5, if_empty=True)

    assert Ticket.objects.count() == 5


@pytest.mark.parametrize("options", [{"tickets": -1}, {"batch_size": 0}])
def test_bad_arguments_are_refused(options):
    with pytest.raises(CommandError, match="must be"):
        seed(**options)
    assert not Ticket.objects.exists()


def test_the_same_seed_gives_the_same_tickets():
    def snapshot() -> list[tuple]:
        return list(
            Ticket.objects.order_by("pk").values_list("subject", "status", "priority", "via", "requester__name")
        )

    seed(tickets=20, seed=7)
    first = snapshot()
    Ticket.objects.all().delete()
    Contact.objects.all().delete()

    seed(tickets=20, seed=7)

    assert snapshot() == first


def test_a_progress_bar_is_shown_for_more_than_one_batch():
    output = seed(tickets=5, batch_size=2)

    assert "[##############################] 5/5" in output
    assert Ticket.objects.count() == 5


def test_seed_core_reports_progress_per_batch_and_returns_what_it_made():
    calls = []

    core = demo.seed_core(
        tickets=5, rng=random.Random(1), batch_size=2, progress=lambda done, total: calls.append(done)
    )

    assert calls == [2, 4, 5]
    assert core.tickets == 5
    assert set(core.users) >= {"admin", "agent"}
    assert core.contacts and all(c.pk for c in core.contacts)
    assert sorted(core.ticket_ids) == sorted(Ticket.objects.values_list("pk", flat=True))


def test_other_apps_can_register_their_own_demo_data(monkeypatch):
    monkeypatch.setattr(hooks, "_seeders", [])
    seen = []
    hooks.register_seeder("extra", lambda core, rng: seen.append(core.tickets) or "Seeded 3 macros.")

    output = seed(tickets=4)

    assert seen == [4]
    assert "Seeded 3 macros." in output


def test_seeding_uses_bulk_inserts():
    """Measured, not timed: 2000 tickets (with ~5000 comments and ~11000 events) cost a few hundred queries."""
    with CaptureQueriesContext(connection) as queries:
        seed(tickets=2000)

    assert Ticket.objects.count() == 2000
    # SQLite caps a statement at 999 parameters, so it needs the most statements (about 440 with the simulator
    # phone's history); PostgreSQL about 170. Row-by-row inserts would be well over 18,000.
    limit = 600 if connection.vendor == "sqlite" else 250
    assert len(queries) < limit, len(queries)
