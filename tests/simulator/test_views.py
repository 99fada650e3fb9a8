"""The phone page: access, rendering (hostile strings stay text), and the forms that make the phone write."""

import importlib

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, clear_url_caches, reverse
from django.utils import timezone

from channels_whatsapp.simulator import phone_messages
from channels_whatsapp.simulator.models import SimMessage, SimulatorFault

pytestmark = pytest.mark.django_db

WA = "5511999990000"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def sim_client(client, admin_user):
    """The simulator's phone is for admins."""
    client.force_login(admin_user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_phone_page_needs_a_login(client):
    for url in ("/simulator/", "/simulator/conversation/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    response = client.post("/simulator/send/", {"wa_id": WA, "name": "Ana", "phone_number_id": "SIMPHONE1"})
    assert response.status_code == 302
    assert not SimMessage.objects.exists()


def test_phone_page_renders_for_an_admin(sim_client):
    response = sim_client.get("/simulator/")
    assert response.status_code == 200
    assert b"SIMPHONE1" in response.content
    assert b"Add phone" in response.content


def test_hostile_strings_are_escaped(sim_client, webhook_receiver):
    phone_messages.phone_send(phone_messages.PhoneMessage(WA, HOSTILE, text=HOSTILE, phone_number_id="SIMPHONE1"))
    SimMessage.objects.create(
        wamid="wamid.OUT1",
        direction="out",
        phone_number_id="SIMPHONE1",
        wa_id=WA,
        type="text",
        text=HOSTILE,
        sent_at=timezone.now(),
        status="read",
    )

    page = sim_client.get("/simulator/", {"contact": WA, "phone": "SIMPHONE1"}).content.decode()
    partial = sim_client.get("/simulator/conversation/", {"contact": WA, "phone": "SIMPHONE1"}).content.decode()

    for html in (page, partial):
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_conversation_shows_both_sides_with_statuses(sim_client, webhook_receiver):
    phone_messages.phone_send(
        phone_messages.PhoneMessage(WA, "Ana", text="Where is my order?", phone_number_id="SIMPHONE1", hours_ago=2)
    )
    now = timezone.now()
    SimMessage.objects.create(
        wamid="wamid.T", direction="out", phone_number_id="SIMPHONE1", wa_id=WA, type="template",
        template_name="order_update", template_language="en_US", text="Hi Ana, your order #1 has shipped.",
        sent_at=now, status="delivered",
    )  # fmt: skip
    SimMessage.objects.create(
        wamid="wamid.F", direction="out", phone_number_id="SIMPHONE1", wa_id=WA, type="text", text="Late reply",
        sent_at=now, status="failed", error_code="131047",
    )  # fmt: skip

    html = sim_client.get("/simulator/conversation/", {"contact": WA, "phone": "SIMPHONE1"}).content.decode()

    assert "Where is my order?" in html
    assert "backdated 2.0 h" in html
    assert "webhook HTTP 200" in html
    assert "Hi Ana, your order #1 has shipped." in html
    assert "badge-template" in html
    assert "delivered" in html
    assert "failed 131047" in html
    assert "24-hour window open" in html


def test_page_polls_the_conversation_every_two_seconds(sim_client, webhook_receiver):
    phone_messages.contact_save(wa_id=WA, name="Ana")
    html = sim_client.get("/simulator/", {"contact": WA}).content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert f"/simulator/conversation/?contact={WA}&amp;phone=SIMPHONE1" in html


def test_send_form_posts_text_and_reports_the_webhook_status(sim_client, webhook_receiver):
    response = sim_client.post(
        "/simulator/send/",
        {
            "wa_id": "+55 11 99999-0000",
            "name": "Ana",
            "phone_number_id": "SIMPHONE1",
            "text": "Olá!",
            "forwarded": "frequently_forwarded",
            "hours_ago": "3",
            "context_id": "wamid.BIZ",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/simulator/?contact={WA}&phone=SIMPHONE1"
    [received] = webhook_receiver.requests
    assert received.signature_ok
    message = received.json["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["text"] == {"body": "Olá!"}
    assert message["context"] == {"frequently_forwarded": True, "from": "15550100001", "id": "wamid.BIZ"}
    assert any("HTTP 200" in m for m in messages_of(response))


def test_send_form_with_an_attachment(sim_client, webhook_receiver):
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.7 scan", content_type="application/pdf")
    sim_client.post(
        "/simulator/send/",
        {"wa_id": WA, "name": "Ana", "phone_number_id": "SIMPHONE1", "text": "my invoice", "attachment": upload},
    )

    message = webhook_receiver.requests[0].json["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["type"] == "document"
    assert message["document"]["filename"] == "scan.pdf"
    assert message["document"]["caption"] == "my invoice"


def test_send_form_errors_are_reported_not_sent(sim_client, webhook_receiver):
    response = sim_client.post("/simulator/send/", {"wa_id": WA, "name": "Ana", "phone_number_id": "SIMPHONE1"})
    assert response.status_code == 302
    assert any("Write a text or attach a file" in m for m in messages_of(response))
    assert webhook_receiver.requests == []


def test_reaction_and_location_forms(sim_client, webhook_receiver):
    sim_client.post(
        "/simulator/react/",
        {"wa_id": WA, "name": "Ana", "phone_number_id": "SIMPHONE1", "message_id": "wamid.B", "emoji": "❤️"},
    )
    sim_client.post(
        "/simulator/location/",
        {"wa_id": WA, "name": "Ana", "phone_number_id": "SIMPHONE1", "latitude": "1.5", "longitude": "2.5"},
    )

    types = [r.json["entry"][0]["changes"][0]["value"]["messages"][0]["type"] for r in webhook_receiver.requests]
    assert types == ["reaction", "location"]


def test_unreachable_webhook_is_reported(sim_client, settings):
    settings.WHATSAPP_SIMULATOR_WEBHOOK_URL = "http://127.0.0.1:9/"
    response = sim_client.post(
        "/simulator/send/", {"wa_id": WA, "name": "Ana", "phone_number_id": "SIMPHONE1", "text": "hi"}
    )
    assert any("could not be reached" in m for m in messages_of(response))


def test_contact_and_fault_forms(sim_client):
    response = sim_client.post("/simulator/contacts/", {"wa_id": "+1 555 0100", "name": "Bob", "phone": "SIMPHONE1"})
    assert response["Location"] == "/simulator/?contact=15550100&phone=SIMPHONE1"

    sim_client.post("/simulator/faults/", {"kind": "rate_limit", "count": "3", "delay_seconds": ""})
    fault = SimulatorFault.objects.get()
    assert (fault.kind, fault.remaining) == ("rate_limit", 3)
    assert "HTTP 429" in sim_client.get("/simulator/").content.decode()

    sim_client.post("/simulator/faults/clear/")
    assert not SimulatorFault.objects.exists()


def test_forms_are_csrf_protected(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post("/simulator/send/", {"wa_id": WA, "name": "Ana", "phone_number_id": "P", "text": "x"})
    assert response.status_code == 403


def test_simulator_is_not_mounted_when_disabled(settings):
    import config.urls

    settings.WHATSAPP_SIMULATOR_ENABLED = False
    try:
        importlib.reload(config.urls)
        clear_url_caches()
        with pytest.raises(NoReverseMatch):
            reverse("whatsapp_simulator:phone")
    finally:
        settings.WHATSAPP_SIMULATOR_ENABLED = True
        importlib.reload(config.urls)
        clear_url_caches()
    assert reverse("whatsapp_simulator:phone") == "/simulator/"


PHONE_POSTS = [
    ("/simulator/send/", {"wa_id": WA, "name": "Mallory", "phone_number_id": "SIMPHONE1", "text": "forged"}),
    ("/simulator/react/", {"wa_id": WA, "name": "Mallory", "phone_number_id": "SIMPHONE1", "message_id": "wamid.X"}),
    ("/simulator/location/", {"wa_id": WA, "name": "M", "phone_number_id": "SIMPHONE1", "latitude": 1, "longitude": 2}),
    ("/simulator/contacts/", {"wa_id": "15550100999", "name": "Mallory"}),
    ("/simulator/faults/", {"kind": "rate_limit", "count": "3"}),
    ("/simulator/faults/clear/", {}),
]


def test_a_plain_agent_cannot_post_customer_messages(agent_client, webhook_receiver):
    """Any agent could write as any customer into tickets they cannot see; now the phone is for admins only."""
    for url in ("/simulator/", "/simulator/conversation/"):
        assert agent_client.get(url, {"contact": WA}).status_code == 403
    for url, data in PHONE_POSTS:
        assert agent_client.post(url, data).status_code == 403, url
    assert not SimMessage.objects.exists()
    assert not SimulatorFault.objects.exists()
    assert webhook_receiver.requests == []


def test_the_phone_is_off_at_runtime_when_the_simulator_is_disabled(sim_client, settings, webhook_receiver):
    """Even where the URLs are still mounted, a disabled simulator answers 404 to everyone, admins included."""
    settings.WHATSAPP_SIMULATOR_ENABLED = False
    for url in ("/simulator/", "/simulator/conversation/"):
        assert sim_client.get(url).status_code == 404
    for url, data in PHONE_POSTS:
        assert sim_client.post(url, data).status_code == 404, url
    assert not SimMessage.objects.exists()
    assert webhook_receiver.requests == []


def test_production_default_leaves_the_simulator_off():
    """DEBUG=false: the simulator is off unless WHATSAPP_SIMULATOR_ENABLED=true is set explicitly."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='config.settings.base';django.setup();"
        "from django.conf import settings as s;print(s.WHATSAPP_SIMULATOR_ENABLED)"
    )
    root = Path(__file__).resolve().parents[2]
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "WHATSAPP_SIMULATOR_ENABLED")}
    base.update(DEBUG="false", SECRET_KEY="x" * 50)
    for extra, expected in (({}, "False"), ({"WHATSAPP_SIMULATOR_ENABLED": "true"}, "True")):
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=root, env={**base, **extra}, capture_output=True, text=True, timeout=60
        )
        assert out.stdout.strip() == expected, out.stderr
