"""The 24-hour customer-service window, as a pure function of timestamps.

A free-form message reaches the customer only within 24 hours of the customer's own last WhatsApp message,
measured from the message's WhatsApp send `timestamp`. Nothing here touches the database.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Window:
    open: bool
    expires_at: datetime | None

    def remaining(self, now: datetime) -> timedelta:
        if not self.open or self.expires_at is None:
            return timedelta(0)
        return max(self.expires_at - now, timedelta(0))

    def as_dict(self) -> dict:
        return {"open": self.open, "expires_at": self.expires_at}


def effective_send_time(sent_at: datetime, received_at: datetime) -> datetime:
    """A send time in the future (a skewed phone clock) is clamped to when we received the message."""
    return min(sent_at, received_at)


def latest(current: datetime | None, candidate: datetime) -> datetime:
    """An older message arriving late never moves the window back."""
    return candidate if current is None or candidate > current else current


def window_at(last_customer_message_at: datetime | None, now: datetime) -> Window:
    """The window is open while now < last message + 24 h (closed at exactly 24 h)."""
    if last_customer_message_at is None:
        return Window(open=False, expires_at=None)
    expires_at = last_customer_message_at + WINDOW
    return Window(open=now < expires_at, expires_at=expires_at)
