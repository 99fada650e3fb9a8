import hashlib
import hmac
import json

import pytest
from django.conf import settings

from channels_whatsapp import downloads
from channels_whatsapp.models import WebhookDelivery, WhatsAppAccount
from tests.channels_whatsapp.graph_server import GraphStandIn, start

PAYLOADS = __import__("pathlib").Path(__file__).resolve().parent.parent / "payloads"


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(settings.WHATSAPP_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def meta_json(payload: dict) -> bytes:
    """Serialize like Meta: non-ASCII escaped as \\uXXXX."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()


@pytest.fixture
def account(db):
    return WhatsAppAccount.objects.create(
        name="Support line",
        phone_number_id="106540352242922",
        waba_id="102290129340398",
        display_phone_number="15550001111",
        access_token="EAAG-secret-token",
    )


@pytest.fixture
def post_webhook(client):
    def post(payload: dict | bytes, *, signature: str | None = None):
        body = payload if isinstance(payload, bytes) else meta_json(payload)
        return client.post(
            "/whatsapp/webhook/",
            data=body,
            content_type="application/json",
            headers={"X-Hub-Signature-256": signature if signature is not None else sign(body)},
        )

    return post


def load_payload(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


def payload(name: str) -> dict:
    return load_payload(f"{name}.json")


@pytest.fixture
def media_enqueued(monkeypatch):
    """Downloads are their own task: recorded here; the media tests below run them against a real HTTP server."""
    calls: list[int] = []
    monkeypatch.setattr(downloads, "enqueue_media_download", calls.append)
    return calls


@pytest.fixture
def deliver(post_webhook, django_capture_on_commit_callbacks, account):
    """POST a signed webhook and run what its commit hands to the (sync) worker."""

    def run(body: dict | str):
        body = payload(body) if isinstance(body, str) else body
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(body)
        assert response.status_code == 200, response.content
        stored = WebhookDelivery.objects.order_by("-id").first()
        assert stored.state == WebhookDelivery.State.PROCESSED
        return stored

    return run


@pytest.fixture
def graph(settings):
    state = GraphStandIn()
    server = start(state)
    settings.WHATSAPP_GRAPH_URL = state.url
    yield state
    server.shutdown()
    server.server_close()
