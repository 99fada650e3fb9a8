"""Status webhooks for accepted sends: sent, delivered, read (or failed), posted from a daemon thread after commit.

`STATUS_DELAY_SECONDS` spaces them (tests set it to 0); `status_threads_join()` waits for them.
"""

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import OperationalError, connections

from channels_whatsapp.simulator import phone_messages, protocol
from channels_whatsapp.simulator.models import (
    SimMessage,
)

logger = logging.getLogger(__name__)


STATUS_DELAY_SECONDS = 0.2  # before each status webhook; tests set 0


@dataclass
class StatusJob:
    wamid: str
    recipient_id: str
    callback_data: str
    category: str
    waba_id: str
    phone_number_id: str
    display_phone_number: str
    plan: list[tuple[str, dict | None]]
    profile_name: str = ""
    conversation_id: str = field(default_factory=lambda: secrets.token_hex(16))


_threads: list[threading.Thread] = []
_threads_lock = threading.Lock()


def start_status_thread(job: StatusJob) -> None:
    thread = threading.Thread(target=_run_status_job, args=(job,), name=f"sim-status-{job.wamid[-8:]}", daemon=True)
    with _threads_lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)
    thread.start()


def status_threads_join(timeout: float = 10.0) -> bool:
    """Wait (bounded) until every status thread has finished; True when none is left running."""
    deadline = time.monotonic() + timeout
    with _threads_lock:
        threads = list(_threads)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in threads)


def status_payload(job: StatusJob, status: str, error: dict | None, *, timestamp: int) -> dict:
    obj = protocol.status_json(
        wamid=job.wamid,
        status=status,
        timestamp=timestamp,
        recipient_id=job.recipient_id,
        callback_data=job.callback_data,
        conversation_id=job.conversation_id,
        category=job.category,
        pricing=status in ("sent", "delivered"),  # on `sent` and on one of delivered/read, never both
        expiration_timestamp=timestamp + 24 * 3600 if status == "sent" else None,
        errors=[error] if error else None,
    )
    return protocol.envelope(
        waba_id=job.waba_id,
        phone_number_id=job.phone_number_id,
        display_phone_number=job.display_phone_number,
        value=protocol.status_value(status=obj, recipient_id=job.recipient_id, profile_name=job.profile_name),
    )


def _run_status_job(job: StatusJob) -> None:
    try:
        for status, error in job.plan:
            time.sleep(STATUS_DELAY_SECONDS)
            phone_messages.post_webhook(status_payload(job, status, error, timestamp=int(time.time())))
            code = str(error["code"]) if error else ""
            _retry_db(
                lambda s=status, c=code: SimMessage.objects.filter(wamid=job.wamid).update(status=s, error_code=c)
            )
    except Exception:  # a daemon thread has nobody to report to but the log
        logger.exception("simulator: status webhooks for %s failed", job.wamid)
    finally:
        connections.close_all()  # this thread's connections only


def _retry_db(write: Callable[[], object], attempts: int = 6) -> None:
    """SQLite may be busy with the request thread for a moment; the status write is worth a short retry."""
    for attempt in range(attempts):
        try:
            write()
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * 2**attempt)
