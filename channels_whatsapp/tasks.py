"""django-q2 task entry points: take ids, call a service."""

from channels_whatsapp import client, downloads, intake, outbound


def process_webhook(delivery_id: int) -> None:
    intake.webhook_process(delivery_id=delivery_id)


def send_comment(comment_id: int) -> str:
    return outbound.comment_send(comment_id=comment_id)


def download_media(attachment_id: int) -> bool:
    """Up to three attempts with a short pause; then a note on the ticket."""
    import time

    for attempt in range(1, 4):
        try:
            return downloads.media_download(attachment_id=attachment_id, attempt=attempt)
        except client.GraphError:
            time.sleep(outbound.retry_delay(attempt))
    return False


def sweep() -> str:
    """Every minute: re-enqueue lost work, fail sends left unconfirmed by a dead worker."""
    requeued = intake.pending_work_requeue()
    unconfirmed = outbound.unconfirmed_sends_fail()
    return f"requeued {requeued}, unconfirmed {unconfirmed}"


def sync_templates() -> str:
    """Daily (schedule "whatsapp-template-sync"): refresh every active account's templates from the Cloud API.

    One account's failure does not stop the others; any failure then fails the task, so it shows in the admin.
    """
    from channels_whatsapp import template_sync

    outcomes = template_sync.templates_sync_accounts()
    summary = "; ".join(str(outcome) for outcome in outcomes) or "no active account"
    if any(outcome.error is not None for outcome in outcomes):
        raise RuntimeError(summary)
    return summary


def expire_pending_updates() -> str:
    """Hourly (schedule "whatsapp-pending-updates-expiry"): reactions, edits and revokes whose message never came
    within 7 days become refused events (`target_never_arrived`)."""
    from channels_whatsapp import pending_updates

    return f"expired {pending_updates.pending_updates_expire()}"


def refresh_insights() -> str:
    """Every minute (schedule "insights-refresh"): the insights' message facts catch up with new comments and
    delivery outcomes."""
    from channels_whatsapp.insights import materialize

    return "complete" if materialize.refresh() else "continues"
