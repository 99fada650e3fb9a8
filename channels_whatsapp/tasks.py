"""django-q2 task entry points: take ids, call a service."""

from channels_whatsapp import client, services


def process_webhook(delivery_id: int) -> None:
    services.webhook_process(delivery_id=delivery_id)


def send_comment(comment_id: int) -> str:
    return services.comment_send(comment_id=comment_id)


def download_media(attachment_id: int) -> bool:
    """Up to three attempts with a short pause; then a note on the ticket."""
    import time

    for attempt in range(1, 4):
        try:
            return services.media_download(attachment_id=attachment_id, attempt=attempt)
        except client.GraphError:
            time.sleep(services._backoff(attempt))
    return False


def sweep() -> str:
    """Every minute: re-enqueue lost work, fail sends left unconfirmed by a dead worker."""
    requeued = services.pending_work_requeue()
    unconfirmed = services.unconfirmed_sends_fail()
    return f"requeued {requeued}, unconfirmed {unconfirmed}"
