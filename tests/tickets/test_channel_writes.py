"""The core writes a channel asks for: rows, audit events, and the frame each sends after commit."""

from contextlib import contextmanager

import pytest
from django.db import transaction

from tests.factories import CommentFactory, TicketFactory, WhatsAppContactFactory
from tickets import channel_writes, events, realtime
from tickets import services as ticket_services
from tickets.models import Attachment, Contact, Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def capture_frames(monkeypatch, django_capture_on_commit_callbacks):
    """`with capture_frames() as frames:` -> every (groups, frame) sent once the block's on-commit callbacks ran."""
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(realtime, "send_to_groups", lambda groups, frame: sent.append((list(groups), frame)))

    @contextmanager
    def capturing():
        with django_capture_on_commit_callbacks(execute=True):
            yield sent

    return capturing


@pytest.fixture
def comment():
    ticket = TicketFactory(via="whatsapp", requester=WhatsAppContactFactory())
    return CommentFactory(ticket=ticket, author_role="end_user", author_user=None, body="Hello", channel_data={})


def updated(comment, change):
    group = realtime.ticket_group(comment.ticket_id)
    frame = {"type": "comment.updated", "ticket_id": comment.ticket_id, "comment_id": comment.pk, "change": change}
    return ([group], frame)


def test_an_edit_keeps_the_original_and_its_frame_waits_for_commit(comment, capture_frames):
    with capture_frames() as frames:
        channel_writes.comment_edit(comment=comment, body="Hello again")
        assert frames == []  # nothing leaves before commit
    assert frames == [updated(comment, "edited")]
    comment.refresh_from_db()
    assert comment.body == "Hello again"
    assert comment.channel_data == {"edited": True, "original_body": "Hello"}
    assert Event.objects.get(type=events.MESSAGE_EDITED).data == {"comment_id": comment.pk}


def test_edit_reaction_and_revoke_each_send_a_comment_updated_frame(comment, capture_frames):
    with capture_frames() as frames:
        channel_writes.comment_edit(comment=comment, body="Hello again")
        channel_writes.comment_reaction_set(comment=comment, emoji="👍")
        channel_writes.comment_reaction_set(comment=comment, emoji="")
        channel_writes.comment_revoke(comment=comment)
    assert frames == [
        updated(comment, "edited"),
        updated(comment, "reaction"),
        updated(comment, "reaction"),
        updated(comment, "revoked"),
    ]
    assert [e.data for e in Event.objects.filter(type=events.MESSAGE_REACTION).order_by("pk")] == [
        {"comment_id": comment.pk, "emoji": "👍", "removed": False},
        {"comment_id": comment.pk, "emoji": "", "removed": True},
    ]
    comment.refresh_from_db()
    assert comment.channel_data["reactions"] == {}
    assert comment.channel_data["revoked"] is True


def test_a_stored_download_sends_a_frame_once(comment, capture_frames):
    attachment = channel_writes.channel_attachment_add(
        comment=comment, filename="photo.jpg", content_type="image/jpeg", sha256="", channel_media_id="m-1"
    )
    with capture_frames() as frames:
        channel_writes.attachment_content_store(attachment_id=attachment.pk, content=b"jpeg", content_type="image/jpeg")
        channel_writes.attachment_content_store(attachment_id=attachment.pk, content=b"again")  # already stored
    attachment = Attachment.objects.get()
    assert (attachment.size, attachment.content_type, attachment.file.read()) == (4, "image/jpeg", b"jpeg")
    assert frames == [updated(comment, "attachment")]


def test_a_failed_download_note_is_announced_as_a_new_comment(comment, capture_frames):
    with capture_frames() as frames:
        note = ticket_services.system_note_add(ticket=comment.ticket, body="The file photo.jpg was not stored.")
    assert frames == [
        (
            [realtime.ticket_group(comment.ticket_id)],
            {"type": "comment.added", "ticket_id": comment.ticket_id, "comment_id": note.pk},
        )
    ]


def test_contact_ensure_finds_by_either_id_and_fills_what_is_missing():
    with transaction.atomic():
        made = channel_writes.contact_ensure(wa_id="5511900000001", user_id="", name="5511900000001")
        found = channel_writes.contact_ensure(
            wa_id="5511900000001", user_id="BR.1", name="Ana", profile_name="Ana Souza"
        )
        by_user_id = channel_writes.contact_ensure(wa_id="", user_id="BR.1", name="Ana")
    assert made.pk == found.pk == by_user_id.pk
    contact = Contact.objects.get()
    assert (contact.name, contact.wa_id, contact.whatsapp_user_id, contact.phone) == (
        "Ana Souza",
        "5511900000001",
        "BR.1",
        "+5511900000001",
    )


def test_contact_number_change_never_takes_another_contacts_number():
    ana, bia = WhatsAppContactFactory(wa_id="5511900000001"), WhatsAppContactFactory(wa_id="5511900000002")
    assert channel_writes.contact_number_change(contact=ana, wa_id="5511900000002") is False
    assert channel_writes.contact_number_change(contact=ana, wa_id="5511900000003") is True
    ana.refresh_from_db()
    bia.refresh_from_db()
    assert (ana.wa_id, ana.phone, bia.wa_id) == ("5511900000003", "+5511900000003", "5511900000002")


def test_redaction_on_a_closed_ticket_is_audited_without_a_tag(comment):
    comment.ticket.status = "closed"
    comment.ticket.save()
    ticket_services.redaction_recorded(comment=comment, count=2)
    assert Event.objects.get(type=events.REDACTION_APPLIED).data == {
        "comment_id": comment.pk,
        "where": "comment",
        "count": 2,
    }
    assert not comment.ticket.tag_rows.exists()
