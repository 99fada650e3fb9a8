"""The simulator's Graph endpoints, through Django's test client: shapes, validation, auth, media, templates, faults."""

import base64
import hashlib
import time

import pytest

from channels_whatsapp.simulator import faults, phone_messages, seed_templates
from channels_whatsapp.simulator.models import SimMedia, SimMessage, SimTemplate, SimulatorFault
from tests.simulator.helpers import TOKEN, template_body, text_body

pytestmark = pytest.mark.django_db


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["type"] == "OAuthException"
    assert isinstance(error["fbtrace_id"], str) and error["fbtrace_id"]
    return error


# --- Sending ---------------------------------------------------------------------------------------------


def test_text_send_is_accepted_in_metas_shape_and_recorded(graph):
    response = graph.send(text_body(text="Olá, tudo bem?", biz_opaque_callback_data="comment-7"))

    assert response.status_code == 200
    body = response.json()
    wamid = body["messages"][0]["id"]
    assert body == {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "+5511999990000", "wa_id": "5511999990000"}],
        "messages": [{"id": wamid}],
    }
    assert wamid.startswith("wamid.")
    message = SimMessage.objects.get(wamid=wamid)
    assert message.direction == SimMessage.Direction.OUTBOUND
    assert (message.wa_id, message.phone_number_id, message.type) == ("5511999990000", "SIMPHONE1", "text")
    assert message.text == "Olá, tudo bem?"
    assert message.body["text"] == {"body": "Olá, tudo bem?"}
    assert message.biz_opaque_callback_data == "comment-7"
    assert message.status == SimMessage.Status.ACCEPTED
    # The token is kept hashed, never as given.
    assert message.token_hash == hashlib.sha256(TOKEN.encode()).hexdigest()
    assert TOKEN not in str(SimMessage.objects.values().get(pk=message.pk))


@pytest.mark.parametrize(
    ("change", "code", "details_part"),
    [
        ({"messaging_product": "signal"}, 131009, "messaging_product"),
        ({"messaging_product": None}, 100, "messaging_product is required"),
        ({"to": ""}, 100, "parameter to is required"),
        ({"to": "not-a-number"}, 131009, "valid phone number"),
        ({"type": "fax"}, 131009, "Param type must be one of"),
        ({"text": None}, 131008, "parameter text is required"),
        ({"text": {"body": ""}}, 131008, "text['body']"),
        ({"text": {"body": "x" * 4097}}, 100, "4096"),
        ({"type": "image", "image": {"caption": "no media"}}, 131008, "image['id'] or image['link']"),
        ({"type": "image", "image": {"id": "999"}}, 131009, "Media id (999) is not valid"),
        ({"type": "reaction", "reaction": {"emoji": "👍"}}, 131008, "message_id"),
        ({"type": "location", "location": {"latitude": 1}}, 131008, "longitude"),
        ({"type": "interactive", "interactive": {"type": "button"}}, 131008, "action"),
    ],
)
def test_invalid_sends_get_metas_error_shape(graph, change, code, details_part):
    body = text_body()
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value

    response = graph.send(body)

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == code
    assert error["message"].startswith(f"(#{code}) ")
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert details_part in error["error_data"]["details"]
    assert not SimMessage.objects.exists()


def test_the_documented_131009_example_shape(graph):
    response = graph.send(text_body(messaging_product="sms"))

    error = response.json()["error"]
    assert error["message"] == "(#131009) Parameter value is not valid"
    assert set(error) == {"message", "type", "code", "error_data", "fbtrace_id"}
    assert set(error["error_data"]) == {"messaging_product", "details"}


def test_body_that_is_not_json_is_refused(graph):
    response = graph.send("{not json")
    assert response.status_code == 400
    assert error_of(response)["code"] == 100


def test_other_sendable_types_are_accepted(graph):
    uploaded = graph.upload(b"%PDF-1.4 test", "application/pdf", "invoice.pdf").json()["id"]
    bodies = [
        {"type": "image", "image": {"link": "https://example.com/a.png", "caption": "A photo"}},
        {"type": "document", "document": {"id": uploaded, "filename": "invoice.pdf"}},
        {"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "👍"}},
        {"type": "location", "location": {"latitude": -23.5, "longitude": -46.6, "name": "Office"}},
        {"type": "interactive", "interactive": {"type": "button", "body": {"text": "Pick"}, "action": {"buttons": []}}},
        {"type": "audio", "audio": {"link": "https://example.com/a.ogg"}},
    ]
    for extra in bodies:
        body = {"messaging_product": "whatsapp", "to": "5511999990000", **extra}
        assert graph.send(body).status_code == 200, extra
    texts = dict(SimMessage.objects.values_list("type", "text"))
    assert texts["image"] == "A photo"
    assert texts["document"] == "invoice.pdf"
    assert texts["reaction"] == "👍"
    assert texts["location"] == "Office"
    assert texts["interactive"] == "Pick"


def test_requests_without_a_bearer_token_get_401_code_190(graph, client):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer "}, {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}):
        response = client.post(
            "/simulator/graph/v23.0/SIMPHONE1/messages", data=text_body(), content_type="application/json", **headers
        )
        assert response.status_code == 401
        assert error_of(response)["code"] == 190
    assert graph.get("SIMWABA1/message_templates", token=None).status_code == 401
    assert graph.upload(b"x", "image/png", token=None).status_code == 401
    assert not SimMessage.objects.exists()


def test_wrong_method_and_unknown_path_answer_code_100(graph):
    response = graph.get("SIMPHONE1/messages")
    assert response.status_code == 400
    assert error_of(response)["code"] == 100

    response = graph.get("SIMPHONE1/whatever/else")
    assert response.status_code == 400
    assert error_of(response)["code"] == 100


# --- Templates -------------------------------------------------------------------------------------------


def test_approved_template_is_rendered_and_recorded(graph):
    response = graph.send(template_body("order_update", params=["Ana", "#4521"]))

    assert response.status_code == 200
    message = SimMessage.objects.get(wamid=response.json()["messages"][0]["id"])
    assert message.type == "template"
    assert message.is_template
    assert (message.template_name, message.template_language) == ("order_update", "en_US")
    assert message.text == "Hi Ana, your order #4521 has shipped."


def test_template_languages_and_parameterless_templates(graph):
    assert graph.send(template_body("ticket_followup", "pt_BR", ["Ana", "42"])).status_code == 200
    assert graph.send(template_body("hello_world")).status_code == 200
    texts = list(SimMessage.objects.order_by("id").values_list("text", flat=True))
    assert texts == ["Olá Ana, temos novidades sobre o seu pedido #42.", "Hello World"]


@pytest.mark.parametrize(
    ("name", "language", "params"),
    [
        ("no_such_template", "en_US", []),
        ("order_update", "fr_FR", ["Ana", "1"]),  # exists, not in that language
        ("spring_sale", "en_US", ["20%"]),  # REJECTED
    ],
)
def test_unknown_or_unapproved_template_is_132001(graph, name, language, params):
    response = graph.send(template_body(name, language, params))

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == 132001
    assert error["message"] == "(#132001) Template name does not exist in the translation"
    assert error["error_data"]["details"] == f"template name ({name}) does not exist in {language}"


def test_paused_template_is_132015(graph):
    seed_templates.template_create(name="paused_one", language="en_US", body="Hi", status=SimTemplate.Status.PAUSED)
    assert error_of(graph.send(template_body("paused_one")))["code"] == 132015


@pytest.mark.parametrize("params", [["Ana"], ["Ana", "1", "extra"], None])
def test_wrong_parameter_count_is_132000(graph, params):
    response = graph.send(template_body("order_update", params=params))

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == 132000
    assert "does not match the expected number of params (2)" in error["error_data"]["details"]


def test_template_parameters_meta_refuses(graph):
    empty = graph.send(template_body("order_update", params=["Ana", " "]))
    assert error_of(empty)["code"] == 131008
    newline = graph.send(template_body("order_update", params=["Ana", "line\nbreak"]))
    assert error_of(newline)["code"] == 132018


def test_media_header_template_needs_its_header(graph):
    body = template_body("order_receipt", params=["Ana", "42"])
    assert error_of(graph.send(body))["code"] == 132012

    body["template"]["components"].insert(
        0, {"type": "header", "parameters": [{"type": "document", "document": {"link": "https://x.test/r.pdf"}}]}
    )
    assert graph.send(body).status_code == 200


def test_templates_listing_follows_paging_to_the_end(graph):
    names, pages, url = [], 0, "SIMWABA1/message_templates"
    params = {"limit": 2}
    while url:
        response = graph.get(url, **params)
        assert response.status_code == 200
        body = response.json()
        assert 1 <= len(body["data"]) <= 2
        assert set(body["paging"]["cursors"]) == {"before", "after"}
        names.extend((t["name"], t["language"]) for t in body["data"])
        url, params, pages = body["paging"].get("next"), {}, pages + 1
        if url:
            assert url.startswith("http://testserver/simulator/graph/v23.0/SIMWABA1/message_templates?")
            assert "limit=2" in url
    seeded = [(t["name"], t["language"]) for t in seed_templates.SEED_TEMPLATES]
    assert names == seeded
    assert pages == (len(seeded) + 1) // 2


def test_template_listing_shape(graph):
    body = graph.get("SIMWABA1/message_templates", name="order_update").json()

    assert "next" not in body["paging"]
    [template] = body["data"]
    assert template == {
        "name": "order_update",
        "parameter_format": "POSITIONAL",
        "components": [
            {
                "type": "BODY",
                "text": "Hi {{1}}, your order {{2}} has shipped.",
                "example": {"body_text": [["example 1", "example 2"]]},
            }
        ],
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": template["id"],
    }
    assert template["id"].isdigit()


def test_template_listing_defaults_and_errors(graph):
    # A WABA the registry does not know sees the default registry; default page size is 25.
    body = graph.get("SOMEOTHERWABA/message_templates").json()
    assert len(body["data"]) == len(seed_templates.SEED_TEMPLATES)
    assert "next" not in body["paging"]
    assert error_of(graph.get("SIMWABA1/message_templates", limit="abc"))["code"] == 100
    assert error_of(graph.get("SIMWABA1/message_templates", after="garbage!"))["code"] == 100


def test_template_paging_with_limit_after_cursor_and_summary(graph):
    """pywa's get_templates() reads `summary` unconditionally; paging must carry the query and the cursors."""
    seeded = [(t["name"], t["language"]) for t in seed_templates.SEED_TEMPLATES]
    first = graph.get("SIMWABA1/message_templates", limit=3, summary="total_count,message_template_count").json()

    assert [(t["name"], t["language"]) for t in first["data"]] == seeded[:3]
    assert first["summary"] == {"total_count": len(seeded), "message_template_count": len(seeded)}
    assert "previous" not in first["paging"]
    assert "summary=total_count%2Cmessage_template_count" in first["paging"]["next"]

    after = first["paging"]["cursors"]["after"]
    second = graph.get("SIMWABA1/message_templates", limit=3, after=after, summary="true").json()
    assert [(t["name"], t["language"]) for t in second["data"]] == seeded[3:6]
    assert second["summary"] == {"total_count": len(seeded)}
    assert "next" in second["paging"] and "previous" in second["paging"]

    back = graph.get("SIMWABA1/message_templates", limit=3, before=second["paging"]["cursors"]["before"]).json()
    assert [(t["name"], t["language"]) for t in back["data"]] == seeded[:3]
    assert "previous" not in back["paging"] and "summary" not in back

    last = graph.get("SIMWABA1/message_templates", limit=3, after=second["paging"]["cursors"]["after"]).json()
    assert [(t["name"], t["language"]) for t in last["data"]] == seeded[6:]
    assert "next" not in last["paging"]


def test_template_summary_counts_the_filtered_set_and_the_whole_registry(graph):
    body = graph.get(
        "SIMWABA1/message_templates",
        status="APPROVED,REJECTED",
        category="MARKETING",
        summary="total_count,message_template_count,message_template_limit,are_translations_complete",
    ).json()

    assert sorted(t["name"] for t in body["data"]) == ["spring_sale", "welcome_offer"]
    assert body["summary"] == {
        "total_count": 2,
        "message_template_count": len(seed_templates.SEED_TEMPLATES),
        "message_template_limit": 250,
        "are_translations_complete": True,
    }
    by_content = graph.get("SIMWABA1/message_templates", content="RECEIPT").json()["data"]
    assert [t["name"] for t in by_content] == ["order_receipt"]
    either = graph.get("SIMWABA1/message_templates", name_or_content="hello").json()["data"]
    assert sorted(t["name"] for t in either) == ["hello_world", "ticket_followup"]
    empty = graph.get("SIMWABA1/message_templates", name="no_such_template", summary="total_count").json()
    assert empty == {"data": [], "summary": {"total_count": 0}}


def test_template_fields_select_what_is_answered(graph):
    body = graph.get("SIMWABA1/message_templates", name="ORDER_UP", fields="name,status,quality_score").json()

    # `id` always comes along; a field the simulator holds no value for is left out, as Graph does.
    assert body["data"] == [{"name": "order_update", "status": "APPROVED", "id": body["data"][0]["id"]}]
    expanded = graph.get("SIMWABA1/message_templates", name="hello_world", fields="components{type,text},language")
    assert set(expanded.json()["data"][0]) == {"components", "language", "id"}
    unknown = error_of(graph.get("SIMWABA1/message_templates", fields="name,colour"))
    assert unknown["code"] == 100
    assert "nonexisting field (colour)" in unknown["message"]
    assert error_of(graph.get("SIMWABA1/message_templates", summary="total_count,nope"))["code"] == 100


# --- Media -----------------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def test_media_upload_info_and_download(graph, client):
    upload = graph.upload(PNG, "image/png", "photo.png")
    assert upload.status_code == 200
    media_id = upload.json()["id"]
    assert set(upload.json()) == {"id"}

    info = graph.get(media_id)
    assert info.status_code == 200
    body = info.json()
    assert body == {
        "messaging_product": "whatsapp",
        "url": f"http://testserver/simulator/media/{media_id}/download",
        "mime_type": "image/png",
        "sha256": base64.b64encode(hashlib.sha256(PNG).digest()).decode(),
        "file_size": str(len(PNG)),
        "id": media_id,
    }

    download = client.get(body["url"], HTTP_AUTHORIZATION="Bearer any-other-token")
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download.content == PNG
    assert base64.b64encode(hashlib.sha256(download.content).digest()).decode() == body["sha256"]

    anonymous = client.get(body["url"])
    assert anonymous.status_code == 401
    assert error_of(anonymous)["code"] == 190
    assert SimMedia.objects.get(media_id=media_id).token_hash == hashlib.sha256(TOKEN.encode()).hexdigest()


def test_media_upload_is_validated_like_meta(graph):
    assert error_of(graph.upload(b"PK\x03\x04", "application/zip", "a.zip"))["code"] == 131053
    assert error_of(graph.upload(b"x" * (500 * 1024 + 1), "image/webp", "big.webp"))["code"] == 131053
    assert error_of(graph.upload(None, "image/png"))["code"] == 100
    assert error_of(graph.upload(b"x", "image/png", messaging_product="nope"))["code"] == 131009
    assert not SimMedia.objects.exists()


def test_unknown_media_id_is_a_400_code_100(graph, client):
    response = graph.get("123456789")
    assert response.status_code == 400
    assert error_of(response)["code"] == 100
    assert client.get("/simulator/media/123/download", HTTP_AUTHORIZATION="Bearer t").status_code == 404


def test_media_can_be_deleted(graph):
    media_id = graph.upload(PNG, "image/png").json()["id"]
    response = graph.client.delete(f"/simulator/graph/v23.0/{media_id}", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.json() == {"success": True}
    assert graph.get(media_id).status_code == 400


def test_business_number_node(graph):
    assert graph.get("SIMPHONE1").json()["display_phone_number"] == "15550100001"


# --- Mark as read ----------------------------------------------------------------------------------------


def test_mark_as_read(graph, webhook_receiver):
    wamid = phone_messages.phone_send(
        phone_messages.PhoneMessage("5511999990000", "Ana", text="Hi", phone_number_id="SIMPHONE1")
    ).payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]

    response = graph.send({"messaging_product": "whatsapp", "status": "read", "message_id": wamid})

    assert response.json() == {"success": True}
    assert SimMessage.objects.get(wamid=wamid).status == "read"
    unknown = graph.send({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.nope"})
    assert error_of(unknown)["code"] == 131009


# --- Fault injection -------------------------------------------------------------------------------------


def test_server_error_fault_answers_500_for_the_next_n_sends(graph):
    faults.fault_inject("server_error", count=2)

    for _ in range(2):
        response = graph.send(text_body())
        assert response.status_code == 500
        error = error_of(response)
        assert error["code"] == 131000
        assert error["is_transient"] is True
    assert graph.send(text_body()).status_code == 200
    assert not SimulatorFault.objects.exists()
    assert SimMessage.objects.count() == 1


def test_rate_limit_fault_answers_429_code_130429(graph):
    faults.fault_inject("rate_limit")

    response = graph.send(text_body())

    assert response.status_code == 429
    error = error_of(response)
    assert error["code"] == 130429
    assert error["message"] == "(#130429) Rate limit hit"
    assert graph.send(text_body()).status_code == 200


def test_delay_fault_sleeps_then_answers(graph):
    faults.fault_inject("delay", delay_seconds=0.3)

    started = time.monotonic()
    response = graph.send(text_body())

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_faults_are_validated_and_cleared():
    with pytest.raises(phone_messages.SimulatorError):
        faults.fault_inject("explode")
    with pytest.raises(phone_messages.SimulatorError):
        faults.fault_inject("delay", delay_seconds=500)
    faults.fault_inject("rate_limit", count=3)
    assert faults.faults_clear() == 1
    assert faults.fault_take() is None
