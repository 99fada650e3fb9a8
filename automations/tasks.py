"""django-q2 task entry points: call a service, return a line for the task's result in admin."""

from automations import sweep
from automations.webhooks import delivery


def run_automations() -> str:
    """Hourly (schedule "automations-hourly", created by migration): one automation sweep, then lost webhook calls
    are recovered."""
    summary = str(sweep.run_automations())
    requeued, failed = delivery.invocations_recover()
    return f"{summary}; webhook calls requeued {requeued}, failed as unconfirmed {failed}"


def send_webhook(invocation_id: int) -> str:
    """A rule's webhook call: sent with retries (`WEBHOOK_MAX_ATTEMPTS`, exponential backoff)."""
    return delivery.invocation_send(invocation_id=invocation_id)
