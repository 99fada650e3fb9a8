"""Outbound replies and statuses, against a real HTTP stand-in for the Cloud API."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from channels_whatsapp import client, outbound, parsing, statuses
from channels_whatsapp.models import OutboundSend, WhatsAppAccount, WhatsAppConversation
from tests.channels_whatsapp import graph_server
from tests.factories import TicketFactory, WhatsAppContactFactory
from tickets import services as ticket_services
from tickets.models import Comment, Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def graph(settings):
    state = graph_server.GraphStandIn()
    server = graph_server.start(state)
    settings.WHATSAPP_GRAPH_URL = state.url
    settings.WHATSAPP_RETRY_BASE_SECONDS = 0
    yield state
    server.shutdown()


@pytest.fixture
def wa_ticket(account):
    contact = WhatsAppContactFactory(wa_id="5511999990000", email="customer@example.com")
    ticket = TicketFactory(
        requester=contact, via="whatsapp", status="open", last_customer_message_at=timezone.now() - timedelta(hours=2)
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    return ticket


def reply(ticket, agent, body="Hello from support", public=True, **kwargs):
    return ticket_services.comment_add(ticket=ticket, author=agent, body=body, public=public, **kwargs)


def test_reply_inside_window_is_posted_with_exact_body_and_bearer(
    graph, wa_ticket, agent, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        comment = reply(wa_ticket, agent)
    (request,) = graph.posts("/messages")
    assert request.path == f"/v23.0/{account.phone_number_id}/messages"
    assert Comment.objects.get(pk=comment.pk).channel_sent_at is not None  # our send time: when Graph accepted it
    assert request.headers["Authorization"] == "Bearer EAAG-secret-token"
    assert request.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+5511999990000",
        "biz_opaque_callback_data": f"comment:{comment.pk}",
        "type": "text",
        "text": {"body": "Hello from support", "preview_url": False},
    }
    comment.refresh_from_db()
    assert comment.channel_message_id == "wamid.OUT1"
    assert comment.delivery_status == "sent"
    assert mail.outbox == []


def test_reply_outside_window_is_kept_not_sent_not_emailed_and_failed(
    graph, wa_ticket, agent, django_capture_on_commit_callbacks
):
    wa_ticket.last_customer_message_at = timezone.now() - timedelta(hours=24, seconds=1)
    wa_ticket.save()
    with django_capture_on_commit_callbacks(execute=True):
        comment = reply(wa_ticket, agent, body="Sorry for the delay")
    comment.refresh_from_db()
    assert comment.body == "Sorry for the delay" and comment.public
    assert comment.delivery_status == "failed"
    assert comment.delivery_error_code == "window_closed"
    assert graph.requests == []
    assert mail.outbox == []
    failed = Event.objects.get(ticket=wa_ticket, type="delivery.failed")
    assert failed.data["code"] == "window_closed" and failed.data["comment_id"] == comment.pk
    assert not OutboundSend.objects.exists()


def test_internal_note_is_never_sent(graph, wa_ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = reply(wa_ticket, agent, body="internal", public=False)
    assert graph.requests == []
    note.refresh_from_db()
    assert note.delivery_status is None


@pytest.mark.parametrize(
    "transient",
    [
        (500, {"error": {"message": "Service unavailable", "code": 2}}),
        graph_server.meta_error(130429, "Rate limit hit", status=400),
        graph_server.meta_error(131056, "Pair rate limit", status=400),
        graph_server.meta_error(131000, "Something went wrong", status=500),
    ],
)
def test_transient_errors_are_retried_then_sent_once(
    graph, wa_ticket, agent, transient, django_capture_on_commit_callbacks
):
    graph.script = [transient, transient]
    with django_capture_on_commit_callbacks(execute=True):
        comment = reply(wa_ticket, agent)
    assert len(graph.posts("/messages")) == 3
    comment.refresh_from_db()
    assert comment.delivery_status == "sent"
    assert OutboundSend.objects.get(comment=comment).attempts == 3


@pytest.mark.parametrize(
    "code, message",
    [
        (131026, "Message undeliverable"),
        (131051, "Unsupported message type"),
        (132001, "Template name does not exist in the translation"),
        (100, "Invalid parameter"),
        (190, "Access token has expired"),
        (368, "Temporarily blocked for policies violations"),
        (131031, "Account has been locked"),
    ],
)
def test_permanent_errors_fail_at_once_with_code_title_detail(
    graph, wa_ticket, agent, code, message, django_capture_on_commit_callbacks
):
    graph.script = [graph_server.meta_error(code, message, details="details from Meta")]
    with django_capture_on_commit_callbacks(execute=True):
        comment = reply(wa_ticket, agent)
    assert len(graph.posts("/messages")) == 1
    comment.refresh_from_db()
    assert comment.delivery_status == "failed"
    assert comment.delivery_error_code == str(code)
    assert message in comment.delivery_error_title
    assert comment.delivery_error_detail == "details from Meta"
    assert Event.objects.filter(ticket=wa_ticket, type="delivery.failed", data__code=str(code)).count() == 1


def test_retries_are_bounded_and_exhaustion_is_a_visible_failure(
    graph, wa_ticket, agent, django_capture_on_commit_callbacks
):
    graph.script = [(503, {"error": {"message": "down", "code": 2}})] * 10
    with django_capture_on_commit_callbacks(execute=True):
        comment = reply(wa_ticket, agent)
    assert len(graph.posts("/messages")) == outbound.MAX_SEND_ATTEMPTS
    comment.refresh_from_db()
    assert comment.delivery_status == "failed"
    assert "gave up after 5 attempts" in comment.delivery_error_detail


def test_read_timeout_is_not_resent_and_a_later_status_revives_it(
    graph, wa_ticket, agent, account, monkeypatch, django_capture_on_commit_callbacks
):
    import httpx

    monkeypatch.setattr(client, "TIMEOUT", httpx.Timeout(0.3, connect=1.0))
    graph.script = [("sleep", 1.0)]
    with django_capture_on_commit_callbacks(execute=True):
        comment = reply(wa_ticket, agent)
    assert len(graph.posts("/messages")) == 1
    comment.refresh_from_db()
    assert comment.delivery_status == "failed" and comment.delivery_error_code == "timeout"

    statuses.status_handle(
        account=account,
        status=parsing.StatusUpdate(
            wamid="wamid.late",
            status="delivered",
            sent_at=None,
            recipient_id="5511999990000",
            callback_data=f"comment:{comment.pk}",
        ),
    )
    comment.refresh_from_db()
    assert comment.delivery_status == "delivered"
    assert comment.delivery_error_code == ""
    assert comment.channel_message_id == "wamid.late"


def test_a_send_is_never_posted_twice(graph, wa_ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comment = reply(wa_ticket, agent)
    assert outbound.comment_send(comment_id=comment.pk) == "not queued"
    assert len(graph.posts("/messages")) == 1


def test_window_closing_while_queued_fails_at_send_time(graph, wa_ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        comment = reply(wa_ticket, agent)
    wa_ticket.last_customer_message_at = timezone.now() - timedelta(hours=25)
    wa_ticket.save()
    for callback in callbacks:
        callback()
    comment.refresh_from_db()
    assert comment.delivery_error_code == "window_closed"
    assert graph.requests == []


def test_attachments_are_uploaded_and_sent_as_image_and_document(
    graph, wa_ticket, agent, account, django_capture_on_commit_callbacks
):
    image = SimpleUploadedFile("photo.png", b"\x89PNG fake", content_type="image/png")
    pdf = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 fake", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        comment = reply(wa_ticket, agent, body="Here you go", attachments=[image, pdf])
    uploads = graph.posts("/media")
    assert len(uploads) == 2
    assert uploads[0].path == f"/v23.0/{account.phone_number_id}/media"
    assert b'name="messaging_product"' in uploads[0].body and b"whatsapp" in uploads[0].body
    assert b"\x89PNG fake" in uploads[0].body
    sent = [r.json() for r in graph.posts("/messages")]
    assert [m["type"] for m in sent] == ["image", "document"]
    assert sent[0]["image"] == {"id": "media-1", "caption": "Here you go"}
    assert sent[1]["document"] == {"id": "media-2", "filename": "invoice.pdf"}
    comment.refresh_from_db()
    assert comment.delivery_status == "sent"


def test_unsendable_attachment_fails_with_media_code(graph, wa_ticket, agent, django_capture_on_commit_callbacks):
    exe = SimpleUploadedFile("tool.exe", b"MZ...", content_type="application/x-msdownload")
    with django_capture_on_commit_callbacks(execute=True):
        comment = reply(wa_ticket, agent, body="", attachments=[exe])
    comment.refresh_from_db()
    assert comment.delivery_status == "failed" and comment.delivery_error_code == "131053"
    assert graph.posts("/messages") == []


# --- statuses ---------------------------------------------------------------------------------------------------


def status(comment, value, *, wamid="wamid.S1", errors=()):
    return parsing.StatusUpdate(
        wamid=wamid,
        status=value,
        sent_at=None,
        recipient_id="5511999990000",
        callback_data=f"comment:{comment.pk}",
        errors=tuple(errors),
    )


def apply_status(update):
    """As the webhook does: for the number the status arrived on (here the only connected one)."""
    return statuses.status_handle(account=WhatsAppAccount.objects.get(), status=update)


@pytest.fixture
def sent_comment(graph, wa_ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comment = reply(wa_ticket, agent)
    comment.refresh_from_db()
    return comment


def delivery_of(comment):
    comment.refresh_from_db()
    return comment.delivery_status


def test_statuses_move_forward_only(sent_comment):
    apply_status(status(sent_comment, "read", wamid=sent_comment.channel_message_id))
    assert delivery_of(sent_comment) == "read"
    apply_status(status(sent_comment, "delivered", wamid=sent_comment.channel_message_id))
    assert delivery_of(sent_comment) == "read"
    kinds = list(Event.objects.filter(type="delivery.status").values_list("data__status", flat=True))
    assert kinds == ["sent", "read"]


def test_status_duplicates_and_unknown_statuses_are_ignored(sent_comment):
    apply_status(status(sent_comment, "delivered", wamid=sent_comment.channel_message_id))
    apply_status(status(sent_comment, "delivered", wamid=sent_comment.channel_message_id))
    apply_status(status(sent_comment, "deleted", wamid=sent_comment.channel_message_id))
    assert delivery_of(sent_comment) == "delivered"
    assert Event.objects.filter(type="delivery.status", data__status="delivered").count() == 1


def test_played_counts_as_read(sent_comment):
    apply_status(status(sent_comment, "played", wamid=sent_comment.channel_message_id))
    assert delivery_of(sent_comment) == "read"


def test_failed_status_records_the_error_and_is_terminal(sent_comment):
    error = parsing.GraphErrorInfo(
        "131047", "Re-engagement message", "More than 24 hours have passed since the recipient last replied."
    )
    apply_status(status(sent_comment, "failed", wamid=sent_comment.channel_message_id, errors=[error]))
    sent_comment.refresh_from_db()
    assert sent_comment.delivery_status == "failed"
    assert (sent_comment.delivery_error_code, sent_comment.delivery_error_title) == ("131047", "Re-engagement message")
    assert "24 hours" in sent_comment.delivery_error_detail
    apply_status(status(sent_comment, "read", wamid=sent_comment.channel_message_id))
    assert delivery_of(sent_comment) == "failed"
    assert Event.objects.filter(type="delivery.failed", data__code="131047").count() == 1


def test_status_for_unknown_message_is_reported_not_raised(account):
    note = statuses.status_handle(
        account=account,
        status=parsing.StatusUpdate(
            wamid="wamid.nope", status="sent", sent_at=None, recipient_id="1", callback_data=""
        ),
    )
    assert "unknown message" in note


def test_ticket_api_shows_the_window(agent_api, wa_ticket):
    data = agent_api.get(f"/api/tickets/{wa_ticket.pk}/").json()
    assert data["whatsapp"]["account_id"] == wa_ticket.whatsapp.account_id
    assert data["whatsapp"]["window"]["open"] is True
    expires = wa_ticket.last_customer_message_at + timedelta(hours=24)
    assert data["whatsapp"]["window"]["expires_at"].startswith(expires.isoformat()[:19])
