"""Sending by the worker: retries with backoff on 5xx, timeouts and connection errors, none on 4xx or a redirect
(never followed), at most WEBHOOK_MAX_ATTEMPTS requests, each logged with status, latency and a response excerpt."""

import socket

import pytest

from automations.webhooks import delivery
from automations.webhooks.models import InvocationState, WebhookInvocation

pytestmark = pytest.mark.django_db


def queue(webhook, body='{"n": 1}') -> WebhookInvocation:
    return WebhookInvocation.objects.create(webhook=webhook, source="trigger", body=body)


def test_a_500_is_retried_and_the_200_that_follows_ends_it(receiver, make_webhook, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    receiver.script = [500, 200]
    invocation = queue(make_webhook(f"{receiver.url}/hook"))
    assert delivery.invocation_send(invocation_id=invocation.pk) == InvocationState.SUCCEEDED
    assert len(receiver.requests) == 2
    assert [r.body for r in receiver.requests] == [b'{"n": 1}', b'{"n": 1}']
    first, second = invocation.attempts.order_by("number")
    assert (first.number, first.status_code, second.number, second.status_code) == (1, 500, 2, 200)
    assert second.response_excerpt == '{"answer": 200}'
    assert first.latency_ms >= 0 and first.error == ""
    invocation.refresh_from_db()
    assert invocation.state == InvocationState.SUCCEEDED and invocation.finished_at is not None


def test_5xx_stops_after_the_maximum_number_of_attempts(receiver, make_webhook, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.script = [503, 502, 500, 200]
    invocation = queue(make_webhook(f"{receiver.url}/hook"))
    assert delivery.invocation_send(invocation_id=invocation.pk) == InvocationState.FAILED
    assert len(receiver.requests) == 3
    assert list(invocation.attempts.values_list("status_code", flat=True)) == [503, 502, 500]


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_a_4xx_is_not_retried(receiver, make_webhook, status):
    receiver.script = [status]
    invocation = queue(make_webhook(f"{receiver.url}/hook"))
    assert delivery.invocation_send(invocation_id=invocation.pk) == InvocationState.FAILED
    assert len(receiver.requests) == 1
    assert invocation.attempts.get().status_code == status


def test_a_redirect_is_not_followed(receiver, make_webhook):
    receiver.script = [("redirect", "http://169.254.169.254/latest/meta-data/")]
    invocation = queue(make_webhook(f"{receiver.url}/hook"))
    assert delivery.invocation_send(invocation_id=invocation.pk) == InvocationState.FAILED
    assert len(receiver.requests) == 1
    assert invocation.attempts.get().status_code == 302


def test_a_timeout_is_retried(receiver, make_webhook, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.script = [("sleep", 1.0), 200]
    invocation = queue(make_webhook(f"{receiver.url}/hook"))
    assert delivery.invocation_send(invocation_id=invocation.pk) == InvocationState.SUCCEEDED
    first, second = invocation.attempts.order_by("number")
    assert first.status_code is None and first.error == "timeout"
    assert second.status_code == 200


def test_connection_errors_are_retried_then_fail(make_webhook, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    invocation = queue(make_webhook(f"http://127.0.0.1:{port}/hook"))
    assert delivery.invocation_send(invocation_id=invocation.pk) == InvocationState.FAILED
    errors = list(invocation.attempts.values_list("error", flat=True))
    assert len(errors) == 2 and all(error.startswith("connection error") for error in errors)


def test_the_pause_doubles_with_each_attempt(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1.5
    assert [delivery.retry_delay(n) for n in (1, 2, 3)] == [1.5, 3.0, 6.0]


def test_an_invocation_is_sent_once_even_if_the_task_comes_twice(receiver, make_webhook):
    invocation = queue(make_webhook(f"{receiver.url}/hook"))
    assert delivery.invocation_send(invocation_id=invocation.pk) == InvocationState.SUCCEEDED
    assert delivery.invocation_send(invocation_id=invocation.pk) == "not queued"
    assert len(receiver.requests) == 1


def test_the_response_excerpt_is_at_most_one_kilobyte():
    import httpx

    from automations.webhooks import sending

    response = httpx.Response(200, content=b"x" * 5000)
    assert sending._excerpt(response) == "x" * 1024


def test_authentication_headers_are_sent(receiver, make_webhook):
    bearer = make_webhook(f"{receiver.url}/a", auth_type="bearer_token", auth_secret="tok-123")
    basic = make_webhook(f"{receiver.url}/b", auth_type="basic_auth", auth_name="ann", auth_secret="pw")
    key = make_webhook(f"{receiver.url}/c", auth_type="api_key", auth_name="X-Api-Key", auth_secret="k-9")
    for webhook in (bearer, basic, key):
        delivery.test_send(webhook=webhook, body="{}")
    a, b, c = receiver.requests
    assert a.headers["Authorization"] == "Bearer tok-123"
    assert b.headers["Authorization"] == "Basic YW5uOnB3"
    assert c.headers["X-Api-Key"] == "k-9"


def test_form_encoded_post_sends_the_pairs_as_a_form(receiver, make_webhook):
    webhook = make_webhook(f"{receiver.url}/form", request_format="form_encoded")
    delivery.test_send(webhook=webhook, body='[["status", "open"], ["note", "a b&c"]]')
    (request,) = receiver.requests
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.body == b"status=open&note=a+b%26c"


def test_secrets_never_reach_the_log_or_the_delivery_log(receiver, make_webhook, settings, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.script = [500, 500]
    webhook = make_webhook(f"{receiver.url}/s", auth_type="bearer_token", auth_secret="tok-never-logged")
    invocation = queue(webhook)
    delivery.invocation_send(invocation_id=invocation.pk)
    assert receiver.requests[0].headers["Authorization"] == "Bearer tok-never-logged"
    assert "tok-never-logged" not in caplog.text and webhook.signing_secret not in caplog.text
    for attempt in invocation.attempts.all():
        assert "tok-never-logged" not in attempt.error + attempt.response_excerpt


def test_lost_calls_are_requeued_and_calls_left_sending_are_failed(receiver, make_webhook):
    from datetime import timedelta

    from django.utils import timezone

    webhook = make_webhook(f"{receiver.url}/r")
    lost, stuck, fresh = (queue(webhook) for _ in range(3))
    WebhookInvocation.objects.filter(pk=stuck.pk).update(state=InvocationState.SENDING)
    old = timezone.now() - timedelta(hours=2)
    WebhookInvocation.objects.filter(pk__in=[lost.pk, stuck.pk]).update(created_at=old)
    assert delivery.invocations_recover() == (1, 1)
    states = dict(WebhookInvocation.objects.values_list("pk", "state"))
    assert states == {lost.pk: "succeeded", stuck.pk: "failed", fresh.pk: "queued"}
    assert len(receiver.requests) == 1  # the stuck call may have reached the endpoint: never sent again
