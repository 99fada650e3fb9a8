"""Inbound media digests are compared as 32-byte digests, whatever their encoding (base64 from webhooks, possibly
hex from the Graph media-info answer). A real HTTP server plays the Graph API, answering GET /{media-id} from the
recorded sample tests/payloads/graph/media_info_hex_sha256.json."""

import base64
import hashlib
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels_whatsapp import downloads, media, tasks
from channels_whatsapp.models import WebhookDelivery
from tests.channels_whatsapp.conftest import load_payload
from tickets.models import AuthorRole, Comment

IMAGE = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + b"\xff\xd9"
DIGEST = hashlib.sha256(IMAGE).digest()
MEDIA_ID = "1479537139650973"  # the id in tests/payloads/image.json


def media_info_sample(**changes) -> dict:
    return {**load_payload("graph/media_info_hex_sha256.json"), **changes}


@pytest.fixture(autouse=True)
def media_enqueued(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(downloads, "enqueue_media_download", calls.append)
    return calls


@pytest.fixture
def graph(settings):
    """Serves one media-info answer (editable in `state["info"]`) and the file bytes."""
    state: dict = {"info": media_info_sample(), "content": IMAGE, "paths": []}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            path = urlsplit(self.path).path
            state["paths"].append(path)
            if path.startswith("/download/"):
                raw, content_type = state["content"], "image/jpeg"
            else:
                raw, content_type = (
                    json.dumps({**state["info"], "url": f"{base}/download/{MEDIA_ID}"}).encode(),
                    ("application/json"),
                )
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WHATSAPP_GRAPH_URL = base
    settings.WHATSAPP_RETRY_BASE_SECONDS = 0
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def image_attachment(post_webhook, django_capture_on_commit_callbacks, account):
    """Post the recorded image message through the signed webhook with the given webhook `sha256` (None: absent)."""

    def run(webhook_sha256: str | None):
        body = load_payload("image.json")
        image = body["entry"][0]["changes"][0]["value"]["messages"][0]["image"]
        if webhook_sha256 is None:
            del image["sha256"]
        else:
            image["sha256"] = webhook_sha256
        with django_capture_on_commit_callbacks(execute=True):
            assert post_webhook(body).status_code == 200
        assert WebhookDelivery.objects.get().state == WebhookDelivery.State.PROCESSED
        return Comment.objects.get(author_role=AuthorRole.END_USER).attachments.get()

    return run


def notes(attachment) -> list[str]:
    return list(attachment.ticket.comments.filter(author_role=AuthorRole.SYSTEM).values_list("body", flat=True))


def stored(attachment) -> bool:
    attachment.refresh_from_db()
    return bool(attachment.file)


def test_the_recorded_media_info_answers_in_hex():
    sha = media_info_sample()["sha256"]
    assert len(sha) == 64 and int(sha, 16) >= 0
    assert bytes.fromhex(sha) == DIGEST


def test_no_webhook_hash_and_a_hex_media_info_hash_is_stored(graph, image_attachment):
    attachment = image_attachment(None)
    assert attachment.sha256 == ""
    assert tasks.download_media(attachment.pk) is True
    assert stored(attachment)
    with attachment.file.open("rb") as fh:
        assert fh.read() == IMAGE
    assert notes(attachment) == []


def test_base64_webhook_hash_and_hex_media_info_hash_of_the_same_file_agree(graph, image_attachment):
    attachment = image_attachment(base64.b64encode(DIGEST).decode())
    assert tasks.download_media(attachment.pk) is True
    assert stored(attachment)


@pytest.mark.parametrize(
    "webhook_sha256",
    [
        base64.urlsafe_b64encode(DIGEST).decode(),
        base64.urlsafe_b64encode(DIGEST).decode().rstrip("="),
        base64.b64encode(DIGEST).decode().rstrip("="),
        DIGEST.hex(),
        DIGEST.hex().upper(),
    ],
)
def test_any_encoding_of_the_right_digest_is_accepted(graph, image_attachment, webhook_sha256):
    graph["info"] = media_info_sample(sha256="")
    attachment = image_attachment(webhook_sha256)
    assert tasks.download_media(attachment.pk) is True
    assert stored(attachment)


def test_a_hex_digest_that_differs_is_refused(graph, image_attachment):
    graph["content"] = IMAGE[:-1] + b"\x00"  # bytes altered on the way
    attachment = image_attachment(None)
    assert tasks.download_media(attachment.pk) is False
    assert not stored(attachment)
    (note,) = notes(attachment)
    assert "checksum" in note


def test_a_webhook_digest_that_differs_is_refused_even_if_media_info_has_none(graph, image_attachment):
    graph["info"] = media_info_sample(sha256="")
    attachment = image_attachment(base64.b64encode(hashlib.sha256(b"another file").digest()).decode())
    assert tasks.download_media(attachment.pk) is False
    assert not stored(attachment)


def test_no_hash_anywhere_still_downloads_with_the_size_check(graph, image_attachment):
    graph["info"] = media_info_sample(sha256="")
    attachment = image_attachment(None)
    assert tasks.download_media(attachment.pk) is True
    assert stored(attachment)

    graph["info"] = media_info_sample(sha256="", file_size=str(5 * 1024 * 1024 + 1))
    second = Comment.objects.get(author_role=AuthorRole.END_USER).attachments.create(
        ticket=attachment.ticket, filename="again.jpg", content_type="image/jpeg", size=0, channel_media_id=MEDIA_ID
    )
    assert tasks.download_media(second.pk) is False  # the size limit still applies without a hash
    assert any(str(5 * 1024 * 1024 + 1) in n for n in notes(attachment))


@pytest.mark.parametrize(
    "malformed", ["not-a-digest", "Z" * 64, "=" * 44, "deadbeef", base64.b64encode(b"x" * 31).decode()]
)
def test_a_malformed_hash_is_treated_as_absent_and_logged(graph, image_attachment, caplog, malformed):
    graph["info"] = media_info_sample(sha256=malformed)
    attachment = image_attachment(malformed)
    with caplog.at_level(logging.WARNING, logger="channels_whatsapp.downloads"):
        assert tasks.download_media(attachment.pk) is True
    assert stored(attachment)
    warnings = [r.getMessage() for r in caplog.records if r.name == "channels_whatsapp.downloads"]
    assert len(warnings) == 2  # webhook and media info, each named
    assert "webhook" in warnings[0] and "media info" in warnings[1]
    assert all(malformed not in w for w in warnings)


def test_a_malformed_webhook_hash_does_not_hide_a_differing_media_info_digest(graph, image_attachment):
    graph["content"] = IMAGE[:-1] + b"\x00"
    attachment = image_attachment("not-a-digest")
    assert tasks.download_media(attachment.pk) is False  # the hex digest from media info still decides


# --- the decoder itself -------------------------------------------------------------------------------------------


@given(st.binary(min_size=32, max_size=32))
def test_every_encoding_of_a_digest_decodes_to_its_32_bytes(digest):
    for text in (
        base64.b64encode(digest).decode(),
        base64.b64encode(digest).decode().rstrip("="),
        base64.urlsafe_b64encode(digest).decode(),
        base64.urlsafe_b64encode(digest).decode().rstrip("="),
        digest.hex(),
        digest.hex().upper(),
        f"  {digest.hex()} ",
    ):
        assert media.sha256_digest(text) == digest, text


@given(st.text(max_size=80))
def test_anything_else_is_no_digest_or_32_bytes(text):
    digest = media.sha256_digest(text)
    assert digest is None or len(digest) == 32


@pytest.mark.parametrize("text", ["", "   ", "g" * 64, "A" * 42, "A" * 45, "A" * 43 + "==", "#" * 43 + "="])
def test_not_a_digest(text):
    assert media.sha256_digest(text) is None
