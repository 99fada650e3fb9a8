"""Zendesk's webhook signature: `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(secret, timestamp + body)), the
timestamp sent beside it in `X-Zendesk-Webhook-Signature-Timestamp` (ISO 8601, UTC, seconds). Pure."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
ALGORITHM = "SHA256"


def timestamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")
