"""Inbound WhatsApp media: a real HTTP server plays the Graph API."""

import base64
import copy
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from channels_whatsapp import downloads, tasks
from tests.channels_whatsapp.conftest import payload
from tests.channels_whatsapp.inbound_helpers import MEDIA_ID, first_message
from tickets.models import AuthorRole, Comment, Ticket

pytestmark = pytest.mark.usefixtures("media_enqueued")


TOKEN = "EAAG-secret-token"


REAL_ENQUEUE_MEDIA_DOWNLOAD = downloads.enqueue_media_download


def b64sha(content: bytes) -> str:
    return base64.b64encode(hashlib.sha256(content).digest()).decode()


# --- inbound media: a real HTTP server plays the Graph API ----------------------------------------------------------

IMAGE = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + b"\xff\xd9"
IMAGE_MEDIA_ID = MEDIA_ID["image"]


class GraphStub:
    """What the fake Graph API serves and what it was asked."""

    def __init__(self):
        self.base_url = ""
        self.media: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.fail_info: list[int] = []  # statuses to answer GET /{media_id} with before succeeding
        self.fail_download: list[int] = []
        self.lock = threading.Lock()

    def add(self, media_id: str, content: bytes, *, mime_type="image/jpeg", sha256=None, file_size=None):
        self.media[media_id] = {
            "content": content,
            "mime_type": mime_type,
            "sha256": b64sha(content) if sha256 is None else sha256,
            "file_size": len(content) if file_size is None else file_size,
        }

    def paths(self, prefix: str = "/") -> list[str]:
        return [r["path"] for r in self.requests if r["path"].startswith(prefix)]


@pytest.fixture
def graph(settings):
    stub = GraphStub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _json(self, status: int, data: dict) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):
            url = urlsplit(self.path)
            with stub.lock:
                stub.requests.append(
                    {"path": url.path, "query": url.query, "authorization": self.headers.get("Authorization")}
                )
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._json(401, {"error": {"message": "Invalid OAuth access token", "code": 190}})
            if url.path.startswith("/download/"):
                media_id = url.path.split("/")[2]
                if stub.fail_download:
                    return self._json(stub.fail_download.pop(0), {"error": {"message": "boom", "code": 1}})
                item = stub.media.get(media_id)
                if item is None:
                    return self._json(404, {"error": {"message": "not found", "code": 100}})
                self.send_response(200)
                self.send_header("Content-Type", item["mime_type"])
                self.send_header("Content-Length", str(len(item["content"])))
                self.end_headers()
                self.wfile.write(item["content"])
                return None
            media_id = url.path.strip("/")
            if stub.fail_info:
                return self._json(stub.fail_info.pop(0), {"error": {"message": "Service unavailable", "code": 2}})
            item = stub.media.get(media_id)
            if item is None:
                return self._json(404, {"error": {"message": "Unsupported get request", "code": 100}})
            return self._json(
                200,
                {
                    "messaging_product": "whatsapp",
                    "url": f"{stub.base_url}/download/{media_id}?ext=1",
                    "mime_type": item["mime_type"],
                    "sha256": item["sha256"],
                    "file_size": str(item["file_size"]),
                    "id": media_id,
                },
            )

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # the client hanging up on an over-size download is expected

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.WHATSAPP_GRAPH_URL = stub.base_url
    settings.WHATSAPP_RETRY_BASE_SECONDS = 0
    yield stub
    server.shutdown()
    server.server_close()
    thread.join(5)


def image_payload(content: bytes = IMAGE) -> dict:
    body = payload("image")
    first_message(body)["image"]["sha256"] = b64sha(content)
    return body


def image_attachment(deliver, content: bytes = IMAGE):
    deliver(image_payload(content))
    comment = Comment.objects.get(author_role=AuthorRole.END_USER)
    return comment, comment.attachments.get()


def system_notes(ticket: Ticket) -> list[str]:
    return list(ticket.comments.filter(author_role=AuthorRole.SYSTEM, public=False).values_list("body", flat=True))


def test_image_creates_a_placeholder_and_the_text_comment_at_once(deliver, media_enqueued, account):
    comment, attachment = image_attachment(deliver)
    assert comment.body == "Photo of the broken screen"
    assert attachment.channel_media_id == IMAGE_MEDIA_ID
    assert attachment.sha256 == b64sha(IMAGE)
    assert attachment.size == 0
    assert not attachment.file
    assert media_enqueued == [attachment.pk]  # the download is its own task


def test_download_task_stores_the_file_end_to_end(graph, deliver, monkeypatch):
    monkeypatch.setattr(downloads, "enqueue_media_download", REAL_ENQUEUE_MEDIA_DOWNLOAD)
    graph.add(IMAGE_MEDIA_ID, IMAGE)
    comment, attachment = image_attachment(deliver)  # webhook -> worker -> commit -> download task
    assert attachment.file
    with attachment.file.open("rb") as fh:
        assert fh.read() == IMAGE
    assert attachment.size == len(IMAGE)
    assert attachment.content_type == "image/jpeg"
    assert graph.paths() == [f"/{IMAGE_MEDIA_ID}", f"/download/{IMAGE_MEDIA_ID}"]
    assert {r["authorization"] for r in graph.requests} == {f"Bearer {TOKEN}"}
    assert "phone_number_id=106540352242922" in graph.requests[0]["query"]
    assert system_notes(comment.ticket) == []


def test_download_stores_the_file(graph, deliver):
    graph.add(IMAGE_MEDIA_ID, IMAGE)
    _, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is True
    attachment.refresh_from_db()
    with attachment.file.open("rb") as fh:
        assert fh.read() == IMAGE
    assert attachment.size == len(IMAGE)
    assert all(r["authorization"] == f"Bearer {TOKEN}" for r in graph.requests)
    assert tasks.download_media(attachment.pk) is True  # already stored: nothing fetched again
    assert len(graph.requests) == 2


def test_sha256_mismatch_is_not_stored_and_noted(graph, deliver):
    graph.add(IMAGE_MEDIA_ID, IMAGE[:-1] + b"\x00", sha256=b64sha(IMAGE))  # bytes altered on the way
    comment, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is False
    attachment.refresh_from_db()
    assert not attachment.file
    assert attachment.size == 0
    (note,) = system_notes(comment.ticket)
    assert "checksum" in note
    assert attachment.filename in note


def test_announced_size_over_the_image_limit_is_refused_without_downloading(graph, deliver):
    graph.add(IMAGE_MEDIA_ID, IMAGE, file_size=5 * 1024 * 1024 + 1)
    comment, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is False
    attachment.refresh_from_db()
    assert not attachment.file
    assert graph.paths("/download/") == []
    (note,) = system_notes(comment.ticket)
    assert str(5 * 1024 * 1024 + 1) in note


def test_bytes_over_the_image_limit_are_refused(graph, deliver):
    big = b"\xff" * (5 * 1024 * 1024 + 1)
    graph.add(IMAGE_MEDIA_ID, big, file_size=1000)  # the announced size lies
    comment, attachment = image_attachment(deliver, big)
    assert tasks.download_media(attachment.pk) is False
    attachment.refresh_from_db()
    assert not attachment.file
    assert len(graph.paths("/download/")) == 1  # too large is not worth retrying
    (note,) = system_notes(comment.ticket)
    assert attachment.filename in note


def test_server_errors_are_retried(graph, deliver):
    graph.add(IMAGE_MEDIA_ID, IMAGE)
    graph.fail_info = [500, 500]
    comment, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is True
    attachment.refresh_from_db()
    with attachment.file.open("rb") as fh:
        assert fh.read() == IMAGE
    assert graph.paths(f"/{IMAGE_MEDIA_ID}") == [f"/{IMAGE_MEDIA_ID}"] * 3
    assert system_notes(comment.ticket) == []


def test_download_errors_are_retried(graph, deliver):
    graph.add(IMAGE_MEDIA_ID, IMAGE)
    graph.fail_download = [503]
    _, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is True
    attachment.refresh_from_db()
    assert attachment.size == len(IMAGE)


def test_persistent_server_errors_end_in_a_note_after_three_attempts(graph, deliver):
    graph.add(IMAGE_MEDIA_ID, IMAGE)
    graph.fail_info = [500] * 10
    comment, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is False
    attachment.refresh_from_db()
    assert not attachment.file
    assert len(graph.paths(f"/{IMAGE_MEDIA_ID}")) == 3
    (note,) = system_notes(comment.ticket)
    assert "could not be downloaded" in note


def test_wrong_token_is_refused_by_the_server_and_noted(graph, deliver, account):
    account.access_token = "EAAG-expired"
    account.save()
    graph.add(IMAGE_MEDIA_ID, IMAGE)
    comment, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is False
    assert len(graph.requests) == 1  # 401 is not retried
    assert graph.requests[0]["authorization"] == "Bearer EAAG-expired"
    (note,) = system_notes(comment.ticket)
    assert "190" in note or "OAuth" in note


def test_unknown_media_id_is_noted(graph, deliver):
    comment, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is False
    assert len(system_notes(comment.ticket)) == 1


def test_document_keeps_its_filename_and_may_be_larger_than_an_image(graph, deliver):
    content = b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024)
    body = payload("document")
    first_message(body)["document"]["sha256"] = b64sha(content)
    graph.add(MEDIA_ID["document"], content, mime_type="application/pdf")
    deliver(body)
    attachment = Comment.objects.get().attachments.get()
    assert tasks.download_media(attachment.pk) is True
    attachment.refresh_from_db()
    assert attachment.filename == "invoice-2025-10.pdf"
    assert attachment.size == len(content)
    assert attachment.content_type == "application/pdf"


def test_voice_note_mime_parameters_are_dropped(graph, deliver):
    content = b"OggS" + b"\x00" * 100
    body = payload("audio_voice")
    first_message(body)["audio"]["sha256"] = b64sha(content)
    graph.add(MEDIA_ID["audio_voice"], content, mime_type="audio/ogg; codecs=opus")
    deliver(body)
    attachment = Comment.objects.get().attachments.get()
    assert tasks.download_media(attachment.pk) is True
    attachment.refresh_from_db()
    assert attachment.content_type == "audio/ogg"
    assert attachment.size == len(content)


def test_redelivered_image_makes_one_attachment(deliver, media_enqueued):
    body = image_payload()
    deliver(copy.deepcopy(body))
    deliver(copy.deepcopy(body))
    assert Comment.objects.count() == 1
    assert len(media_enqueued) == 1


@pytest.mark.parametrize(
    ("sent_name", "stored_name"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("a/b/c.pdf", "c.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("/abs/path.pdf", "path.pdf"),
        ("..", "document.pdf"),
        (".", "document.pdf"),
        ("Relatório março.pdf", "Relatório março.pdf"),
    ],
)
def test_document_filename_from_the_customer_is_never_a_path(graph, deliver, sent_name, stored_name):
    content = b"%PDF-1.4 hello"
    body = payload("document")
    first_message(body)["document"].update(sha256=b64sha(content), filename=sent_name)
    graph.add(MEDIA_ID["document"], content, mime_type="application/pdf")
    deliver(body)
    attachment = Comment.objects.get().attachments.get()
    assert attachment.filename == stored_name
    assert tasks.download_media(attachment.pk) is True
    attachment.refresh_from_db()
    assert attachment.file.name.startswith(f"attachments/{attachment.ticket_id}/")
    assert "/" not in attachment.file.name.removeprefix(f"attachments/{attachment.ticket_id}/")
    assert ".." not in attachment.file.name
    assert system_notes(attachment.ticket) == []


def test_generated_filename_has_no_path_even_when_the_wamid_has_a_slash(deliver):
    body = payload("image")
    first_message(body)["id"] = "wamid.HBgNNTUxMTk5OTk5MDAwMBUCABIYFj+/ab/cdEFGH=="
    deliver(body)
    assert "/" not in Comment.objects.get().attachments.get().filename
