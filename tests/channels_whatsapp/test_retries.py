"""The failed bubble's "Retry": the same comment queued again for a transient failure while it can still go out;
refused (400 with the reason) otherwise; once under a double click; audited; its banner resolved when delivered."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from channels_whatsapp import client, failure_reasons, retries
from channels_whatsapp.models import OutboundSend, WhatsAppConversation
from tests.channels_whatsapp import graph_server
from tests.factories import GroupFactory, TicketFactory, UserFactory, WhatsAppContactFactory
from tickets import delivery
from tickets import services as ticket_services
from tickets.models import Comment, DeliveryStatus, Event, Notification, TicketStatus
from tickets.templatetags.ticket_tags import describe_event

pytestmark = pytest.mark.django_db

DOWN = (503, {"error": {"message": "Service temporarily unavailable", "code": 2}})


@pytest.fixture
def graph(settings):
    state = graph_server.GraphStandIn()
    server = graph_server.start(state)
    settings.WHATSAPP_GRAPH_URL = state.url
    settings.WHATSAPP_RETRY_BASE_SECONDS = 0
    yield state
    server.shutdown()


@pytest.fixture
def wa_ticket(account, agent):
    contact = WhatsAppContactFactory(wa_id="5511999990000")
    ticket = TicketFactory(
        requester=contact,
        via="whatsapp",
        status="open",
        assignee=agent,
        last_customer_message_at=timezone.now() - timedelta(hours=2),
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    return ticket


@pytest.fixture
def failed(graph, wa_ticket, agent, django_capture_on_commit_callbacks) -> Comment:
    """A reply whose five sends all met a 503: failed with the Cloud API's transient code 2."""
    graph.script = [DOWN] * 5
    with django_capture_on_commit_callbacks(execute=True):
        comment = ticket_services.comment_add(ticket=wa_ticket, author=agent, body="It ships today.", public=True)
    comment.refresh_from_db()
    assert (comment.delivery_status, comment.delivery_error_code) == ("failed", "2")
    return comment


def retry_url(comment: Comment) -> str:
    return f"/whatsapp/tickets/{comment.ticket_id}/comments/{comment.pk}/retry/"


def test_retry_sends_the_same_comment_again_and_audits_it(
    agent_client, agent, graph, failed, django_capture_on_commit_callbacks
):
    comments_before = Comment.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(retry_url(failed))
    assert response.status_code == 200, response.content
    assert response.json() == {"comment_id": failed.pk, "status": "queued"}
    failed.refresh_from_db()
    assert failed.delivery_status == DeliveryStatus.SENT
    assert failed.delivery_error_code == ""
    assert Comment.objects.count() == comments_before  # no copy
    assert len(graph.posts("/messages")) == 6  # five failed attempts, then the retry's one
    assert OutboundSend.objects.get(comment=failed).attempts == 1  # counted afresh for the retry
    (retried,) = Event.objects.filter(ticket=failed.ticket, type="delivery.retried")
    assert retried.actor == agent
    assert retried.data == {"comment_id": failed.pk, "code": "2"}
    assert describe_event(retried) == "Failed message sent again (it had failed with 2)"


def test_a_double_click_queues_once(agent_client, failed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = agent_client.post(retry_url(failed))
        second = agent_client.post(retry_url(failed))
    assert first.status_code == 200
    assert second.status_code == 400
    assert "has not failed" in second.json()["error"]
    assert len(callbacks) == 2  # the first request's enqueue and its frame; the second added nothing
    assert Event.objects.filter(type="delivery.retried").count() == 1
    assert OutboundSend.objects.get(comment=failed).state == OutboundSend.State.QUEUED


def test_the_send_row_is_the_guard(agent, failed):
    """A send already claimed back (another request won): the comment is not requeued a second time."""
    OutboundSend.objects.filter(comment=failed).update(state=OutboundSend.State.QUEUED)
    with pytest.raises(Exception, match="already being sent again"):
        retries.comment_retry(ticket=failed.ticket, comment=failed, actor=agent)
    failed.refresh_from_db()
    assert failed.delivery_status == DeliveryStatus.FAILED
    assert not Event.objects.filter(type="delivery.retried").exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"delivery_error_code": "131026"}, "not temporary"),
        ({"delivery_error_code": "window_closed"}, "not temporary"),
        ({"delivery_status": "sent"}, "has not failed (it is Sent)"),
        ({"delivery_status": "delivered"}, "has not failed"),
        ({"channel_message_id": "wamid.ACCEPTED"}, "accepted this message and reported the failure later"),
    ],
)
def test_refusals_are_400_with_the_reason_and_change_nothing(agent_client, failed, change, reason):
    Comment.objects.filter(pk=failed.pk).update(**change)
    response = agent_client.post(retry_url(failed))
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert not Event.objects.filter(type="delivery.retried").exists()
    assert OutboundSend.objects.get(comment=failed).state == OutboundSend.State.FAILED


def test_a_free_form_reply_is_not_retried_into_a_closed_window(agent_client, failed):
    type(failed.ticket).objects.filter(pk=failed.ticket_id).update(
        last_customer_message_at=timezone.now() - timedelta(hours=25)
    )
    response = agent_client.post(retry_url(failed))
    assert response.status_code == 400
    assert "24-hour window is closed" in response.json()["error"]


def test_a_template_reply_may_be_retried_with_the_window_closed(agent, failed):
    type(failed.ticket).objects.filter(pk=failed.ticket_id).update(
        last_customer_message_at=timezone.now() - timedelta(hours=25)
    )
    Comment.objects.filter(pk=failed.pk).update(template={"name": "hello_world", "language": "en_US"})
    failed.refresh_from_db()
    failed.ticket.refresh_from_db()
    retries.comment_retry(ticket=failed.ticket, comment=failed, actor=agent)
    assert Comment.objects.get(pk=failed.pk).delivery_status == DeliveryStatus.QUEUED


def test_a_closed_ticket_is_not_retried(agent_client, failed):
    type(failed.ticket).objects.filter(pk=failed.ticket_id).update(status=TicketStatus.CLOSED)
    response = agent_client.post(retry_url(failed))
    assert response.status_code == 400
    assert "closed" in response.json()["error"]


def test_unknown_or_foreign_comments_and_gets(agent_client, failed, wa_ticket):
    other = TicketFactory(assignee=failed.ticket.assignee)
    assert agent_client.post(f"/whatsapp/tickets/{other.pk}/comments/{failed.pk}/retry/").status_code == 404
    assert agent_client.post(f"/whatsapp/tickets/{wa_ticket.pk}/comments/999999/retry/").status_code == 404
    assert agent_client.get(retry_url(failed)).status_code == 405


def test_the_post_needs_the_csrf_token(agent, failed):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    assert browser.post(retry_url(failed)).status_code == 403
    assert Comment.objects.get(pk=failed.pk).delivery_status == DeliveryStatus.FAILED


def test_an_agent_who_cannot_see_the_ticket_gets_404(client, failed):
    # The ticket moves to a group the outsider is not in.
    type(failed.ticket).objects.filter(pk=failed.ticket_id).update(group=GroupFactory(), assignee=None)
    client.force_login(UserFactory())
    assert client.post(retry_url(failed)).status_code == 404
    assert Comment.objects.get(pk=failed.pk).delivery_status == DeliveryStatus.FAILED


def test_a_retried_message_that_is_delivered_resolves_its_own_banner(
    agent_client, agent, failed, capture_frames, django_capture_on_commit_callbacks
):
    notification = Notification.objects.get(comment=failed)
    assert notification.user == agent and notification.resolved_at is None
    with django_capture_on_commit_callbacks(execute=True):
        assert agent_client.post(retry_url(failed)).status_code == 200
    assert Notification.objects.get(pk=notification.pk).resolved_at is None  # sent, not yet delivered
    with capture_frames() as sent:
        delivery.delivery_advance(comment=Comment.objects.get(pk=failed.pk), status=DeliveryStatus.DELIVERED)
    assert Notification.objects.get(pk=notification.pk).resolved_at is not None
    resolved = [f.frame for f in sent if f.frame["type"] == "notification.resolved"]
    assert resolved and resolved[0]["comment_ids"] == [failed.pk]


def test_the_retry_frame_takes_the_bubble_back_to_queued(agent, failed, capture_frames):
    with capture_frames() as sent:
        OutboundSend.objects.filter(comment=failed).update(state=OutboundSend.State.FAILED)
        delivery.delivery_requeue(comment=failed, actor=agent)
    assert [f.frame for f in sent] == [
        {"type": "delivery.status", "ticket_id": failed.ticket_id, "comment_id": failed.pk, "status": "queued"}
    ]


# --- The one definition of a transient failure -------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["connect_error", "network_error", "timeout", "429", "500", "503", "2", "130429", "131000", "131056"]
)
def test_transient_failures(code):
    assert client.is_transient_failure(code)


@pytest.mark.parametrize(
    "code",
    ["window_closed", "not_opted_in", "templates_not_enabled", "131026", "131047", "132001", "100", "190", "400", ""],
)
def test_permanent_failures(code):
    assert not client.is_transient_failure(code)


def test_every_code_the_client_calls_transient_is_retryable():
    assert all(client.is_transient_failure(code) for code in client.TRANSIENT_CODES)


# --- The plain words (one table for bubble and banner) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "title", "detail", "words"),
    [
        ("window_closed", "", "", "The reply was kept on the ticket but not sent. More than 24 hours"),
        ("131047", "Re-engagement message", "", "only a template can reach them now."),
        ("132999", "Odd template", "", "WhatsApp refused the template (Odd template). Check it in WhatsApp Manager."),
        ("132999", "", "", "WhatsApp refused the template (132999)."),
        ("503", "HTTP 503", "down", "HTTP 503: down"),
        ("777", "", "", "WhatsApp reported an error (777)."),
        ("", "", "", "WhatsApp reported an error."),
    ],
)
def test_reason_for(code, title, detail, words):
    assert words in failure_reasons.reason_for(code, title, detail)


def test_the_browser_gets_the_same_table():
    table = failure_reasons.for_browser()
    assert table["reasons"] == {code: str(text) for code, text in failure_reasons.REASONS.items()}
    assert table["template_refused"].replace("{title}", "X") == failure_reasons.reason_for("132999", "X")
    assert table["unknown_with_code"].replace("{code}", "777") == failure_reasons.reason_for("777")
