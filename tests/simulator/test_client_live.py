"""Our real Cloud API client (`channels_whatsapp.client`) against the simulator served over HTTP by live_server."""

import base64
import hashlib

import httpx
import pytest

from channels_whatsapp import client
from channels_whatsapp.simulator import faults, phone_messages, seed_templates, status_webhooks
from channels_whatsapp.simulator.models import SimMessage
from tests.simulator.helpers import template_body, text_body

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "live-token"
PNG = b"\x89PNG\r\n\x1a\n" + b"live-bytes" * 100


@pytest.fixture
def graph_url(live_server, settings, webhook_receiver):
    settings.WHATSAPP_GRAPH_URL = live_server.url + "/simulator/graph/v23.0"
    return settings.WHATSAPP_GRAPH_URL


def test_send_message_returns_the_wamid_and_statuses_follow(graph_url, webhook_receiver):
    phone_messages.phone_send(
        phone_messages.PhoneMessage("5511999990000", "Ana", text="Hi!", phone_number_id="SIMPHONE1")
    )

    result = client.send_message(
        phone_number_id="SIMPHONE1",
        token=TOKEN,
        payload=text_body(text="Hello Ana", biz_opaque_callback_data="c-1"),
    )

    assert result.wamid.startswith("wamid.")
    assert result.wa_id == "5511999990000"
    assert SimMessage.objects.get(wamid=result.wamid).text == "Hello Ana"
    assert webhook_receiver.wait_for(lambda r: len(r.statuses()) == 3)
    assert status_webhooks.status_threads_join(5)
    assert {s["biz_opaque_callback_data"] for s in webhook_receiver.statuses()} == {"c-1"}


def test_send_errors_become_graph_errors(graph_url):
    with pytest.raises(client.GraphError) as unknown:
        client.send_message(phone_number_id="SIMPHONE1", token=TOKEN, payload=template_body("nope", params=[]))
    assert unknown.value.code == "132001"
    assert unknown.value.detail == "template name (nope) does not exist in en_US"
    assert unknown.value.transient is False

    with pytest.raises(client.GraphError) as count:
        client.send_message(phone_number_id="SIMPHONE1", token=TOKEN, payload=template_body("order_update", params=[]))
    assert count.value.code == "132000"


def test_download_without_the_bearer_header_is_refused(graph_url):
    media_id = client.upload_media(
        phone_number_id="SIMPHONE1", token=TOKEN, filename="photo.png", content=PNG, mime_type="image/png"
    )
    url = client.media_info(media_id=media_id, token=TOKEN).url

    response = httpx.get(url, timeout=5)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == 190


def test_faults_reach_the_client_as_transient_errors(graph_url):
    faults.fault_inject("rate_limit")
    faults.fault_inject("server_error")

    with pytest.raises(client.GraphError) as limited:
        client.send_message(phone_number_id="SIMPHONE1", token=TOKEN, payload=text_body())
    assert (limited.value.code, limited.value.http_status, limited.value.transient) == ("130429", 429, True)

    with pytest.raises(client.GraphError) as broken:
        client.send_message(phone_number_id="SIMPHONE1", token=TOKEN, payload=text_body())
    assert (broken.value.http_status, broken.value.transient) == (500, True)


def test_media_round_trip(graph_url):
    media_id = client.upload_media(
        phone_number_id="SIMPHONE1", token=TOKEN, filename="photo.png", content=PNG, mime_type="image/png"
    )
    info = client.media_info(media_id=media_id, token=TOKEN, phone_number_id="SIMPHONE1")

    assert info.mime_type == "image/png"
    assert info.file_size == len(PNG)
    assert info.sha256 == base64.b64encode(hashlib.sha256(PNG).digest()).decode()
    assert info.url.startswith(graph_url.split("/simulator/")[0])

    content, content_type = client.download_media(url=info.url, token=TOKEN, max_bytes=10_000)
    assert content == PNG
    assert content_type == "image/png"

    with pytest.raises(client.GraphError) as too_large:
        client.download_media(url=info.url, token=TOKEN, max_bytes=10)
    assert too_large.value.code == "too_large"

    with pytest.raises(client.GraphError) as unknown:
        client.media_info(media_id="404404", token=TOKEN)
    assert unknown.value.code == "100"


def test_media_sent_by_the_phone_can_be_fetched(graph_url):
    payload = phone_messages.phone_send(phone_messages.PhoneMessage("5511999990000", "Ana", kind="media", phone_number_id="SIMPHONE1", content=b"%PDF-1.4", filename="a.pdf", mime_type="application/pdf")).payload  # fmt: skip
    media = payload["entry"][0]["changes"][0]["value"]["messages"][0]["document"]

    info = client.media_info(media_id=media["id"], token=TOKEN)
    content, _ = client.download_media(url=info.url, token=TOKEN, max_bytes=1000)

    assert content == b"%PDF-1.4"
    assert info.sha256 == media["sha256"]


def test_list_templates_follows_paging(graph_url):
    templates = client.list_templates(waba_id="SIMWABA1", token=TOKEN, limit=2)

    assert [(t["name"], t["language"]) for t in templates] == [
        (t["name"], t["language"]) for t in seed_templates.SEED_TEMPLATES
    ]
    by_key = {(t["name"], t["language"]): t for t in templates}
    assert by_key[("spring_sale", "en_US")]["status"] == "REJECTED"
    assert by_key[("ticket_followup", "pt_BR")]["components"][0]["text"].startswith("Olá {{1}}")
