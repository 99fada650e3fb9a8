"""Failure notifications: resolved when a later message to the customer is delivered, and "Dismiss all"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import SentFrame
from tests.factories import CommentFactory, TicketFactory, UserFactory
from tickets import delivery, selectors
from tickets.models import Notification

pytestmark = pytest.mark.django_db


def failed(ticket, agent, *, minutes_ago: int):
    comment = CommentFactory(ticket=ticket, author_user=agent, delivery_status="sent")
    comment.created_at = timezone.now() - timedelta(minutes=minutes_ago)
    comment.save(update_fields=["created_at"])
    delivery.delivery_fail(comment=comment, code="131047", title="Re-engagement message")
    return comment


def test_a_later_delivered_message_resolves_the_tickets_open_failures(agent, capture_frames):
    ticket, other_ticket = TicketFactory(), TicketFactory()
    first, second = failed(ticket, agent, minutes_ago=10), failed(ticket, agent, minutes_ago=5)
    elsewhere = failed(other_ticket, agent, minutes_ago=5)
    later = CommentFactory(ticket=ticket, author_user=agent, delivery_status="sent")
    with capture_frames() as sent:
        assert delivery.delivery_advance(comment=later, status="delivered")
    resolved = Notification.objects.filter(resolved_at__isnull=False)
    assert sorted(resolved.values_list("comment_id", flat=True)) == sorted([first.pk, second.pk])
    assert Notification.objects.get(comment=elsewhere).resolved_at is None
    assert (
        SentFrame(
            groups=[f"agent.{agent.pk}", f"ticket.{ticket.pk}"],
            frame={
                "type": "notification.resolved",
                "ticket_id": ticket.pk,
                "comment_ids": sorted([first.pk, second.pk]),
                "resolved_by": later.pk,
            },
        )
        in sent
    )
    # A resolved failure is not sent again on the next connect.
    assert [f["comment_id"] for f in selectors.open_notification_frames(user=agent)] == [elsewhere.pk]


def test_a_message_only_sent_or_older_than_the_failure_resolves_nothing(agent):
    ticket = TicketFactory()
    older = CommentFactory(ticket=ticket, author_user=agent, delivery_status="sent")
    older.created_at = timezone.now() - timedelta(hours=1)
    older.save(update_fields=["created_at"])
    failure = failed(ticket, agent, minutes_ago=5)
    newer = CommentFactory(ticket=ticket, author_user=agent, delivery_status="queued")
    assert delivery.delivery_advance(comment=newer, status="sent")
    assert delivery.delivery_advance(comment=older, status="read")
    assert Notification.objects.get(comment=failure).resolved_at is None


def test_a_message_that_fails_again_opens_its_resolved_notification_again(agent):
    ticket = TicketFactory()
    failure = failed(ticket, agent, minutes_ago=5)
    delivery.delivery_advance(comment=CommentFactory(ticket=ticket, author_user=agent), status="delivered")
    assert Notification.objects.get(comment=failure).resolved_at is not None
    delivery.delivery_revive(comment=failure, status="sent")
    delivery.delivery_fail(comment=failure, code="131026", title="Undeliverable")
    assert Notification.objects.get(comment=failure).resolved_at is None


def test_dismiss_all_dismisses_only_the_users_open_notifications(agent, capture_frames):
    other = UserFactory()
    ticket = TicketFactory()
    for minutes in (3, 2, 1):
        failed(ticket, agent, minutes_ago=minutes)
    theirs = failed(TicketFactory(), other, minutes_ago=1)
    with capture_frames() as sent:
        assert delivery.notification_dismiss_all(user=agent) == 3
    assert not Notification.objects.filter(user=agent, dismissed_at__isnull=True).exists()
    assert Notification.objects.get(comment=theirs).dismissed_at is None
    assert sent == [
        SentFrame(groups=[f"agent.{agent.pk}"], frame={"type": "notification.dismissed", "comment_ids": None})
    ]
    with capture_frames() as sent:
        assert delivery.notification_dismiss_all(user=agent) == 0
    assert sent == []
