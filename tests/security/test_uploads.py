"""Uploads: size-checked before anything is kept, and never shown inline unless they are plain raster images.

Files come from agents (pages, API) and customers (WhatsApp media, whose type and name the sender chose). Whatever
they claim to be, the authorised download view sends them with `nosniff` and a sandboxing CSP, and only PNG, JPEG,
GIF and WebP are ever `inline`: an SVG or an HTML file is always a download.
"""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import TicketFactory, UserFactory
from tests.security.conftest import token_client
from tickets import services
from tickets.models import Attachment, Comment

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
HTML = b"<!doctype html><script>alert(document.cookie)</script>"

UPLOADS = [
    # name, claimed content type, bytes, shown inline?
    ("photo.png", "image/png", PNG, True),
    ("drawing.svg", "image/svg+xml", SVG, False),
    ("page.html", "text/html", HTML, False),
    ("page.htm", "text/html; charset=utf-8", HTML, False),
    ("disguised.png", "image/png", HTML, True),  # inline as image/png only: nosniff keeps it an image
    ("script.js", "application/javascript", b"alert(1)", False),
    ("doc.xhtml", "application/xhtml+xml", HTML, False),
    ("no-type", "", HTML, False),
]


@pytest.fixture
def ticket():
    return TicketFactory(group=None)


def upload(agent, ticket, name: str, content_type: str, content: bytes):
    files = [SimpleUploadedFile(name, content, content_type=content_type or "application/octet-stream")]
    return token_client(agent).post(
        f"/api/tickets/{ticket.pk}/comments/",
        {"body": "see attached", "public": "false", "attachments": files},
        format="multipart",
    )


@pytest.mark.parametrize(("name", "content_type", "content", "inline"), UPLOADS, ids=[u[0] for u in UPLOADS])
def test_agent_uploads_are_served_safely(client, ticket, name, content_type, content, inline):
    agent = UserFactory()
    response = upload(agent, ticket, name, content_type, content)
    assert response.status_code == 201, response.content
    attachment = response.json()["attachments"][0]
    assert attachment["url"].endswith(f"/attachments/{attachment['id']}/")  # the authorised view, nothing else
    client.force_login(agent)
    download = client.get(f"/attachments/{attachment['id']}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    disposition = download["Content-Disposition"]
    assert disposition.startswith("inline" if inline else "attachment"), disposition
    assert download["X-Content-Type-Options"] == "nosniff"
    csp = download["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp


def test_the_page_shows_only_raster_images_inline(client, ticket):
    agent = UserFactory()
    for name, content_type, content, _ in UPLOADS:
        assert upload(agent, ticket, name, content_type, content).status_code == 201
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    images = {a.pk: a for a in Attachment.objects.filter(ticket=ticket)}
    for pk, attachment in images.items():
        shown = f'<img src="/attachments/{pk}/"' in page
        assert shown is (attachment.content_type in ("image/png", "image/jpeg", "image/gif", "image/webp"))
        assert f'href="/attachments/{pk}/"' in page  # everything is downloadable


def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(ticket, monkeypatch):
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 1024)
    agent = UserFactory()
    response = upload(agent, ticket, "big.pdf", "application/pdf", b"x" * 1025)
    assert response.status_code == 400
    assert "attachments" in response.json()
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert not Attachment.objects.exists()


def test_the_page_form_refuses_an_oversized_file_too(client, ticket, monkeypatch):
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 1024)
    agent = UserFactory()
    client.force_login(agent)
    response = client.post(
        f"/tickets/{ticket.pk}/",
        {
            "status": ticket.status,
            "mode": "internal",
            "body": "here",
            "tags": "",
            "attachments": SimpleUploadedFile("big.pdf", b"x" * 1025, content_type="application/pdf"),
        },
    )
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not Attachment.objects.exists()
    assert not Comment.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize(
    "filename",
    [
        "../../etc/passwd",
        "..\\..\\boot.ini",
        'a"b.pdf',
        "line\r\nSet-Cookie: x=1.pdf",
        "ünïcødé 📄.pdf",
        ".",
        "...",
        "📄",
        "!!!",
        "<img src=x onerror=alert(1)>.png",
    ],
)
def test_hostile_file_names_never_become_paths_or_headers(client, ticket, filename):
    """Customer media keep the name the sender chose; it is shown, never used as a path or a raw header."""
    attachment = Attachment(ticket=ticket, filename=filename, content_type="application/pdf", size=3)
    attachment.file.save(filename, ContentFile(b"pdf"), save=False)
    attachment.save()
    assert ".." not in attachment.file.name and "\n" not in attachment.file.name
    client.force_login(UserFactory())
    download = client.get(f"/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert "\n" not in download["Content-Disposition"] and "\r" not in download["Content-Disposition"]
    assert download.get("Set-Cookie") is None


@pytest.mark.parametrize("name", ["📄", "!!!", "...", "ñ.pdf"])
def test_an_agent_upload_named_with_odd_characters_is_kept(ticket, name):
    response = upload(UserFactory(), ticket, name, "text/plain", b"abc")
    assert response.status_code == 201, response.content
    assert response.json()["attachments"][0]["filename"] == name
