"""The materialized facts: the pure definition, and a refresh that catches every change, once, in any batch size."""

import datetime as dt

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from channels_whatsapp.insights import materialize
from channels_whatsapp.insights.materialize import Message, ticket_facts
from channels_whatsapp.models import InsightsMessage, InsightsRefresh, InsightsTicket
from tests.factories import TicketFactory, UserFactory
from tickets import delivery
from tickets.models import Comment, DeliveryStatus

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def msg(id, role, minutes, *, sent_minutes=None, public=True, status=None, via="whatsapp"):
    sent = None if sent_minutes is None else T0 + dt.timedelta(minutes=sent_minutes)
    return Message(id, 1, role, public, via, status, T0 + dt.timedelta(minutes=minutes), sent)


def test_each_customer_message_gets_the_first_reply_after_it_reached_us():
    facts, ticket = ticket_facts(
        [
            msg(1, "end_user", 0, sent_minutes=0),
            msg(2, "agent", 5, public=False),  # an internal note is not a reply
            msg(3, "agent", 10, status=DeliveryStatus.FAILED),  # nor is a failed message
            msg(4, "end_user", 12, sent_minutes=11),
            msg(5, "system", 20, status="delivered"),  # a trigger's auto-response is a reply
            msg(6, "agent", 30, status="read"),
            msg(7, "end_user", 40, sent_minutes=-600),  # sent long before, reached us late
        ]
    )
    answered = {fact.comment_id: fact.answered_at for fact in facts}
    assert answered == {1: T0 + dt.timedelta(minutes=20), 4: T0 + dt.timedelta(minutes=20), 7: None}
    # The first customer message by send time is the late one; no agent reply came after it reached us.
    assert (ticket.first_sent_at, ticket.first_reply_at) == (T0 - dt.timedelta(minutes=600), None)


def test_the_first_reply_counts_only_agents_and_only_after_the_first_message_arrived():
    _, ticket = ticket_facts(
        [
            msg(1, "agent", 0, status="delivered"),  # a proactive template before the customer wrote
            msg(2, "end_user", 10, sent_minutes=9),
            msg(3, "system", 11, status="delivered"),
            msg(4, "agent", 25, status="sent"),
        ]
    )
    assert (ticket.first_sent_at, ticket.first_reply_at) == (
        T0 + dt.timedelta(minutes=9),
        T0 + dt.timedelta(minutes=25),
    )


def test_a_ticket_without_customer_messages_has_no_facts():
    assert ticket_facts([msg(1, "agent", 0)]) == ([], None)


def test_a_web_message_is_sent_when_it_was_made():
    facts, _ = ticket_facts([msg(1, "end_user", 3, via="web")])
    assert (facts[0].whatsapp, facts[0].sent_at) == (False, T0 + dt.timedelta(minutes=3))


@pytest.mark.django_db
def test_a_refresh_follows_new_replies_and_a_delivery_that_fails_later():
    ticket = TicketFactory()
    question = Comment.objects.create(ticket=ticket, author_role="end_user", author_contact=ticket.requester, body="?")
    materialize.refresh()
    assert InsightsMessage.objects.get(pk=question.pk).answered_at is None
    agent = UserFactory()
    reply = Comment.objects.create(
        ticket=ticket, author_role="agent", author_user=agent, body="!", delivery_status="sent"
    )
    materialize.refresh()
    assert InsightsMessage.objects.get(pk=question.pk).answered_at == reply.created_at
    assert InsightsTicket.objects.get(pk=ticket.pk).first_reply_at == reply.created_at
    delivery.delivery_fail(comment=reply, code="131026", title="Undeliverable", detail="")  # writes an event
    materialize.refresh()
    assert InsightsMessage.objects.get(pk=question.pk).answered_at is None
    assert InsightsTicket.objects.get(pk=ticket.pk).first_reply_at is None
    assert materialize.refresh() is True  # nothing new: nothing rebuilt, and still complete


@pytest.mark.django_db
def test_a_comment_committed_late_with_a_lower_id_is_still_counted():
    ticket = TicketFactory()
    first = Comment.objects.create(ticket=ticket, author_role="end_user", author_contact=ticket.requester, body="a")
    gap = first.pk + 50
    later = Comment.objects.create(id=gap + 1, ticket=TicketFactory(), author_role="agent", body="b", public=False)
    materialize.refresh()
    # A transaction that took id `gap` before the refresh read the highest id, but committed after it.
    other = TicketFactory()
    Comment.objects.create(id=gap, ticket=other, author_role="end_user", author_contact=other.requester, body="c")
    materialize.refresh()
    assert InsightsMessage.objects.filter(ticket=other).count() == 1
    assert later.pk > gap


@pytest.mark.django_db
def test_a_pass_over_its_budget_goes_on_where_it_stopped_and_ends_with_the_same_facts(monkeypatch):
    monkeypatch.setattr(materialize, "BATCH", 2)
    tickets = [TicketFactory() for _ in range(7)]
    for ticket in tickets:
        Comment.objects.create(ticket=ticket, author_role="end_user", author_contact=ticket.requester, body="hi")
    calls = 1
    while not materialize.refresh(budget_seconds=0):
        calls += 1
        assert InsightsRefresh.objects.get().refreshed_at is None
    assert calls == 4  # 7 tickets in batches of 2
    assert InsightsMessage.objects.count() == 7
    incremental = sorted(InsightsMessage.objects.values_list("comment_id", "answered_at"))
    call_command("refresh_insights", "--all", stdout=None)
    assert sorted(InsightsMessage.objects.values_list("comment_id", "answered_at")) == incremental


@pytest.mark.django_db
def test_the_refresh_runs_every_minute():
    schedule = Schedule.objects.get(name="insights-refresh")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "channels_whatsapp.tasks.refresh_insights",
        Schedule.MINUTES,
        1,
    )
    from channels_whatsapp import tasks

    assert tasks.refresh_insights() == "complete"


@pytest.mark.django_db
def test_a_ticket_moved_to_another_group_is_counted_there_after_the_next_refresh():
    from tests.factories import GroupFactory
    from tickets import services

    billing, sales = GroupFactory(name="Billing"), GroupFactory(name="Sales")
    ticket = TicketFactory(group=billing)
    Comment.objects.create(ticket=ticket, author_role="end_user", author_contact=ticket.requester, body="?")
    materialize.refresh()
    assert InsightsMessage.objects.get(ticket=ticket).group_id == billing.pk
    services.ticket_update(ticket=ticket, actor=UserFactory(), changes={"group": sales})  # writes an event
    materialize.refresh()
    assert InsightsMessage.objects.get(ticket=ticket).group_id == sales.pk
    assert InsightsTicket.objects.get(ticket=ticket).group_id == sales.pk
