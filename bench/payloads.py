"""Signed WhatsApp webhook payloads, shaped as the Cloud API sends them, for the load generator."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from bench.environment import APP_SECRET, PHONE_NUMBER_ID, WABA_ID
from bench.loadgen import http_request

# --- WhatsApp payloads -----------------------------------------------------------------------------------------


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def envelope(value: dict) -> dict:
    """The Cloud API's webhook body around one change `value` of the bench's number."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID},
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def inbound_text(*, wamid: str, wa_id: str, text: str, name: str = "Bench Customer") -> dict:
    message = {"from": wa_id, "id": wamid, "timestamp": str(int(time.time())), "type": "text", "text": {"body": text}}
    return envelope({"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [message]})


def status_failed(*, wamid: str, recipient: str, code: int = 131026) -> dict:
    error = {
        "code": code,
        "title": "Message undeliverable",
        "message": "Message undeliverable",
        "error_data": {"details": "Message Undeliverable."},
    }
    status = {
        "id": wamid,
        "status": "failed",
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
        "errors": [error],
    }
    return envelope({"statuses": [status]})


def signed_post(path: str, payload: dict) -> bytes:
    body = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()
    return http_request("POST", path, body, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)})


def inbound_requests(path: str, count: int, *, run: str, contacts: int = 300) -> list[bytes]:
    """`count` signed text messages with unique wamids from `contacts` customers (a realistic spread of tickets)."""
    return [
        signed_post(
            path,
            inbound_text(
                wamid=f"wamid.bench.{run}.{i}",
                wa_id=f"55119{i % contacts:08d}",
                text=f"Hello, this is message {i} of the benchmark. My order #{1000 + i} has not arrived yet.",
                name=f"Customer {i % contacts}",
            ),
        )
        for i in range(count)
    ]
