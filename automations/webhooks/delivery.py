"""Calling webhooks: queue an invocation when a rule fires (sent by the worker after commit), send it with retries,
and send a test at once. Every request is logged as a `WebhookAttempt` of its `WebhookInvocation`.

Retries: 5xx, timeouts and connection errors are tried again after `WEBHOOK_RETRY_BASE_SECONDS`, doubling each
time, up to `WEBHOOK_MAX_ATTEMPTS` requests; any other answer ends the invocation (2xx succeeded, else failed).
An invocation is claimed (queued -> sending) before its first request, so a redelivered task never sends twice.
`invocations_recover` (hourly, with the automation sweep) hands lost queued calls to the worker again and fails
calls a dead worker left `sending` (they may have reached the endpoint: never sent again).
"""

import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from automations.webhooks import sending
from automations.webhooks.models import (
    InvocationSource,
    InvocationState,
    Webhook,
    WebhookAttempt,
    WebhookInvocation,
)

logger = logging.getLogger(__name__)


def target_of(webhook: Webhook) -> sending.Target:
    return sending.Target(
        id=webhook.pk,
        endpoint=webhook.endpoint,
        http_method=webhook.http_method,
        request_format=webhook.request_format,
        sends_parameters=webhook.sends_parameters,
        auth_type=webhook.auth_type,
        auth_name=webhook.auth_name,
        auth_secret=webhook.auth_secret,
        signing_secret=webhook.signing_secret,
    )


def retry_delay(attempt: int) -> float:
    return settings.WEBHOOK_RETRY_BASE_SECONDS * (2 ** (attempt - 1))


def enqueue(invocation_id: int) -> None:
    from django_q.tasks import async_task

    try:
        async_task("automations.tasks.send_webhook", invocation_id, task_name=f"webhook-call-{invocation_id}")
    except Exception:  # the row stays queued and shows so in the admin
        logger.exception("Could not enqueue webhook invocation %s", invocation_id)


def invocations_queue(
    *, calls: Iterable[tuple[int, str]], ticket, source: str, rule_id: int | None, rule_title: str
) -> list[WebhookInvocation]:
    """One queued invocation per (webhook id, rendered body); each is handed to the worker after commit."""
    created = []
    for webhook_id, body in calls:
        invocation = WebhookInvocation.objects.create(
            webhook_id=webhook_id, ticket=ticket, source=source, rule_id=rule_id, rule_title=rule_title, body=body
        )
        transaction.on_commit(partial(enqueue, invocation.pk))
        created.append(invocation)
    return created


def _attempt(invocation: WebhookInvocation, webhook: Webhook, number: int) -> sending.Outcome:
    outcome = sending.send(target_of(webhook), invocation.body, invocation_id=invocation.pk, now=timezone.now())
    WebhookAttempt.objects.create(
        invocation=invocation,
        number=number,
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        response_excerpt=outcome.response_excerpt,
        error=outcome.error,
    )
    return outcome


def _finish(invocation: WebhookInvocation, state: str) -> None:
    invocation.state = state
    invocation.finished_at = timezone.now()
    invocation.save(update_fields=["state", "finished_at"])


def invocation_send(*, invocation_id: int) -> str:
    """Send a queued invocation, retrying what may pass later. Returns its final state."""
    claimed = WebhookInvocation.objects.filter(pk=invocation_id, state=InvocationState.QUEUED).update(
        state=InvocationState.SENDING
    )
    if not claimed:
        return "not queued"
    invocation = WebhookInvocation.objects.select_related("webhook").get(pk=invocation_id)
    webhook = invocation.webhook
    if not webhook.is_active:
        WebhookAttempt.objects.create(invocation=invocation, number=1, error="the webhook is inactive")
        _finish(invocation, InvocationState.FAILED)
        return InvocationState.FAILED
    attempts = max(1, settings.WEBHOOK_MAX_ATTEMPTS)
    for number in range(1, attempts + 1):
        outcome = _attempt(invocation, webhook, number)
        if outcome.ok:
            _finish(invocation, InvocationState.SUCCEEDED)
            return InvocationState.SUCCEEDED
        if not outcome.retryable or number == attempts:
            break
        time.sleep(retry_delay(number))
    logger.warning("Webhook %s invocation %s failed after %s attempt(s)", webhook.pk, invocation.pk, number)
    _finish(invocation, InvocationState.FAILED)
    return InvocationState.FAILED


def test_send(*, webhook: Webhook, body: str) -> tuple[WebhookInvocation, sending.Outcome]:
    """Zendesk's "Test webhook": one request now, whatever the webhook's status, logged like any other."""
    invocation = WebhookInvocation.objects.create(
        webhook=webhook, source=InvocationSource.TEST, body=body, state=InvocationState.SENDING
    )
    outcome = _attempt(invocation, webhook, 1)
    _finish(invocation, InvocationState.SUCCEEDED if outcome.ok else InvocationState.FAILED)
    return invocation, outcome


def invocations_recover(*, queued_for: timedelta = timedelta(minutes=10), sending_for: timedelta = timedelta(hours=1)):
    """Queued calls whose task was lost (a broker outage) are enqueued again; calls left `sending` by a worker that
    died are failed. Returns (requeued, failed)."""
    now = timezone.now()
    lost = list(
        WebhookInvocation.objects.filter(state=InvocationState.QUEUED, created_at__lt=now - queued_for)
        .order_by("id")
        .values_list("pk", flat=True)[:1000]
    )
    for invocation_id in lost:
        enqueue(invocation_id)
    stuck = WebhookInvocation.objects.filter(state=InvocationState.SENDING, created_at__lt=now - sending_for)
    failed = stuck.update(state=InvocationState.FAILED, finished_at=now)
    return len(lost), failed
