"""Access tokens and the app secret are write-only: never in an answer, a page, an audit row or a log line."""

import logging

import pytest
from django.views.debug import SafeExceptionReporterFilter

from channels_whatsapp import client as graph_client
from channels_whatsapp.models import AccountChange, WhatsAppAccount
from tests.channels_whatsapp import graph_server
from tests.channels_whatsapp.conftest import sign
from tests.factories import AdminFactory, UserFactory
from tests.security.conftest import dump_database, token_client

pytestmark = pytest.mark.django_db

TOKEN = "EAAG-super-secret-access-token-0123456789"
NEW_TOKEN = "EAAG-rotated-secret-access-token-9876543210"


@pytest.fixture
def graph(settings):
    state = graph_server.GraphStandIn()
    server = graph_server.start(state)
    settings.WHATSAPP_GRAPH_URL = state.url
    yield state
    server.shutdown()


def test_the_token_is_used_but_never_logged(graph, caplog):
    caplog.set_level(logging.DEBUG)
    payload = {"messaging_product": "whatsapp", "to": "+5511999990000", "type": "text", "text": {"body": "hi"}}
    graph_client.send_message(phone_number_id="PN1", token=TOKEN, payload=payload)
    graph.script.append(graph_server.meta_error(131047, "Re-engagement message", "More than 24 hours"))
    with pytest.raises(graph_client.GraphError) as failure:
        graph_client.send_message(phone_number_id="PN1", token=TOKEN, payload=payload)
    assert graph.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(failure.value) and TOKEN not in repr(failure.value)
    assert TOKEN not in caplog.text


def test_accounts_never_show_the_token(client, caplog):
    caplog.set_level(logging.DEBUG)
    admin, agent = AdminFactory(), UserFactory()
    created = token_client(admin).post(
        "/api/whatsapp/accounts/",
        {"name": "Line", "phone_number_id": "PN9", "waba_id": "W9", "access_token": TOKEN},
        format="json",
    )
    assert created.status_code == 201
    account = WhatsAppAccount.objects.get()
    patched = token_client(admin).patch(
        f"/api/whatsapp/accounts/{account.pk}/", {"access_token": NEW_TOKEN}, format="json"
    )
    assert patched.status_code == 200
    account.refresh_from_db()
    assert account.access_token == NEW_TOKEN
    answers = [created.content, patched.content]
    for user in (admin, agent):
        api = token_client(user)
        answers += [
            api.get("/api/whatsapp/accounts/").content,
            api.get(f"/api/whatsapp/accounts/{account.pk}/").content,
        ]
    client.force_login(admin)
    answers.append(client.get(f"/admin/channels_whatsapp/whatsappaccount/{account.pk}/change/").content)
    answers.append(client.get("/admin/channels_whatsapp/accountchange/").content)
    for answer in answers:
        assert TOKEN.encode() not in answer and NEW_TOKEN.encode() not in answer
    assert AccountChange.objects.get().changes == {"access_token": "(changed)"}
    assert NEW_TOKEN not in repr(account) and NEW_TOKEN not in str(account)
    assert TOKEN not in caplog.text and NEW_TOKEN not in caplog.text
    # The one place it lives is the account's own column.
    assert dump_database().count(NEW_TOKEN) == 1


def test_the_app_secret_and_verify_token_are_never_logged_or_shown(client, settings, caplog):
    caplog.set_level(logging.DEBUG)
    body = b'{"object": "whatsapp_business_account", "entry": []}'
    client.post("/whatsapp/webhook/", body, content_type="application/json", headers={"X-Hub-Signature-256": "x"})
    client.post(
        "/whatsapp/webhook/", body, content_type="application/json", headers={"X-Hub-Signature-256": sign(body)}
    )
    client.get("/whatsapp/webhook/", {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"})
    for secret in (settings.WHATSAPP_APP_SECRET, settings.WHATSAPP_VERIFY_TOKEN):
        assert secret not in caplog.text
    # Django's error reports (and the debug page) hide them like SECRET_KEY.
    safe = SafeExceptionReporterFilter().get_safe_settings()
    for name in ("WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "SECRET_KEY"):
        assert safe[name] == SafeExceptionReporterFilter.cleansed_substitute
