"""Every frame the services send, exactly, with its groups: the live page and the contract rely on these shapes.

The list pages' `ticket.changed` frames that the same writes send are pinned in test_list_frames.py."""

from datetime import UTC, datetime

import pytest

from tests.conftest import SentFrame
from tests.factories import CommentFactory, ContactFactory, TicketFactory, UserFactory
from tickets import delivery, realtime, services
from tickets.models import Event

pytestmark = pytest.mark.django_db


def url(ticket_id: int) -> str:
    return realtime.ticket_url(ticket_id)


def ticket_page_frames(sent: list[SentFrame]) -> list[SentFrame]:
    return [s for s in sent if s.frame["type"] != "ticket.changed"]


COMMENT_WRITERS = {
    "agent comment": lambda ticket, agent: services.comment_add(
        ticket=ticket, author=agent, body="On it", public=False
    ),
    "customer message": lambda ticket, agent: services.end_user_message_add(
        conversation_ticket=ticket, requester=ticket.requester, via=ticket.via, body="Hello?"
    ),
    "system note": lambda ticket, agent: services.system_note_add(ticket=ticket, body="The media could not be read."),
}


@pytest.mark.parametrize("writer", COMMENT_WRITERS.values(), ids=COMMENT_WRITERS.keys())
def test_every_new_comment_sends_comment_added_to_the_ticket_group(agent, capture_frames, writer):
    ticket = TicketFactory(requester=ContactFactory(email=""))
    with capture_frames() as captured:
        comment = writer(ticket, agent)
    sent = ticket_page_frames(captured)
    assert sent == [
        SentFrame(
            groups=[f"ticket.{ticket.pk}"],
            frame={"type": "comment.added", "ticket_id": ticket.pk, "comment_id": comment.pk},
        )
    ]


def test_a_property_change_alone_sends_no_ticket_page_frame(agent, capture_frames):
    ticket = TicketFactory()
    with capture_frames() as captured:
        services.ticket_update(ticket=ticket, actor=agent, changes={"priority": "high"})
    sent = ticket_page_frames(captured)
    assert sent == []


def test_a_delivery_tick_sends_delivery_status_to_the_ticket_group(agent, capture_frames):
    comment = CommentFactory(author_user=agent, delivery_status="queued")
    with capture_frames() as captured:
        assert delivery.delivery_advance(comment=comment, status="delivered")
    sent = ticket_page_frames(captured)
    assert sent == [
        SentFrame(
            groups=[f"ticket.{comment.ticket_id}"],
            frame={
                "type": "delivery.status",
                "ticket_id": comment.ticket_id,
                "comment_id": comment.pk,
                "status": "delivered",
            },
        )
    ]


def test_a_tick_that_would_go_backwards_sends_nothing(agent, capture_frames):
    comment = CommentFactory(author_user=agent, delivery_status="read")
    with capture_frames() as captured:
        assert not delivery.delivery_advance(comment=comment, status="sent")
    sent = ticket_page_frames(captured)
    assert sent == []


def test_a_failure_sends_the_contract_frame_to_the_author_and_the_ticket_group(agent, capture_frames):
    comment = CommentFactory(author_user=agent, delivery_status="sent")
    with capture_frames() as captured:
        assert delivery.delivery_fail(comment=comment, code="131047", title="Re-engagement message", detail="24 h")
    sent = ticket_page_frames(captured)
    occurred_at = Event.objects.get(ticket_id=comment.ticket_id, type="delivery.failed").created_at
    assert sent == [
        SentFrame(
            groups=[f"agent.{agent.pk}", f"ticket.{comment.ticket_id}"],
            frame={
                "type": "delivery.failed",
                "ticket_id": comment.ticket_id,
                "comment_id": comment.pk,
                "error": {"code": "131047", "title": "Re-engagement message", "detail": "24 h"},
                "occurred_at": occurred_at.isoformat(),
                "ticket_url": url(comment.ticket_id),
            },
        )
    ]


def test_a_rule_message_failure_goes_to_the_assignee(capture_frames):
    assignee = UserFactory()
    comment = CommentFactory(
        ticket=TicketFactory(assignee=assignee), author_role="system", author_user=None, delivery_status="sent"
    )
    with capture_frames() as captured:
        delivery.delivery_fail(comment=comment, code="131026", title="Message undeliverable")
    sent = ticket_page_frames(captured)
    assert [s.groups for s in sent] == [[f"agent.{assignee.pk}", f"ticket.{comment.ticket_id}"]]
    assert sent[0].frame["error"] == {"code": "131026", "title": "Message undeliverable", "detail": ""}


def test_a_failure_without_anyone_to_tell_goes_to_the_ticket_group_only(capture_frames):
    comment = CommentFactory(author_role="system", author_user=None, delivery_status="sent")
    with capture_frames() as captured:
        delivery.delivery_fail(comment=comment, code="131026", title="Message undeliverable")
    sent = ticket_page_frames(captured)
    assert [s.groups for s in sent] == [[f"ticket.{comment.ticket_id}"]]


def test_a_second_failure_of_the_same_message_sends_nothing(agent, capture_frames):
    comment = CommentFactory(author_user=agent, delivery_status="failed")
    with capture_frames() as captured:
        assert not delivery.delivery_fail(comment=comment, code="131047", title="Again")
    sent = ticket_page_frames(captured)
    assert sent == []


def test_dismissing_a_notification_sends_no_frame(agent, capture_frames):
    comment = CommentFactory(author_user=agent, delivery_status="sent")
    delivery.delivery_fail(comment=comment, code="131047", title="Re-engagement message")
    with capture_frames() as captured:
        assert delivery.notification_dismiss(user=agent, comment_id=comment.pk) == 1
    sent = ticket_page_frames(captured)
    assert sent == []


def test_the_frame_builders_spell_the_contract(settings):
    settings.SITE_URL = "https://desk.example"
    occurred_at = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    frame = realtime.delivery_failed_frame(
        ticket_id=7, comment_id=9, code="131047", title="T", detail="D", occurred_at=occurred_at
    )
    assert frame == {
        "type": "delivery.failed",
        "ticket_id": 7,
        "comment_id": 9,
        "error": {"code": "131047", "title": "T", "detail": "D"},
        "occurred_at": "2026-12-03T10:00:00+00:00",
        "ticket_url": "https://desk.example/tickets/7/",
    }
