"""django-q2 task entry points: call a service, return a line for the task's result in admin."""

from automations import sweep
from automations.webhooks import delivery


def run_automations() -> str:
    """Hourly (schedule "automations-hourly", created by migration): one automation sweep."""
    return str(sweep.run_automations())


def send_webhook(invocation_id: int) -> str:
    """A rule's webhook call: sent with retries (`WEBHOOK_MAX_ATTEMPTS`, exponential backoff)."""
    return delivery.invocation_send(invocation_id=invocation_id)
