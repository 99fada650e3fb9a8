"""The template registry: the sync against a real HTTP server, selectors, schedule, task, command, admin and demo."""

import functools
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_q.models import Schedule

from channels_whatsapp import client, demo, message_templates, tasks, template_sync
from channels_whatsapp.models import MessageTemplate, WhatsAppAccount
from channels_whatsapp.template_sync import TemplateSyncError
from tests.channels_whatsapp.graph_server import meta_error
from tests.channels_whatsapp.template_helpers import (
    HELLO,
    ORDER_RECEIPT,
    PROMO_ES,
    TOKEN,
    Status,
    order_update,
    serve_listing,
)


def header(recorded, name: str) -> str:
    return {k.lower(): v for k, v in recorded.headers.items()}.get(name.lower(), "")


# --- Sync over HTTP ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sync_follows_paging_and_stores_every_template(graph, account):
    serve_listing(graph, account.waba_id, [order_update(), ORDER_RECEIPT], [PROMO_ES, HELLO])

    counts = template_sync.templates_sync(account=account)

    assert counts == {"created": 4, "updated": 0, "unchanged": 0, "missing": 0}
    assert [r.path for r in graph.requests] == [
        f"/v23.0/{account.waba_id}/message_templates?limit=100",
        f"/v23.0/{account.waba_id}/message_templates?limit=100&after=a1",
    ]
    assert all(header(r, "Authorization") == f"Bearer {TOKEN}" for r in graph.requests)
    receipt = MessageTemplate.objects.get(account=account, name="order_receipt", language="en_US")
    assert receipt.body == "Hi {{1}}, here is the receipt for order {{2}}. Total {{3}}."
    assert receipt.body_parameter_count == 3
    assert receipt.header_format == "DOCUMENT"
    assert receipt.buttons[0] == {"index": 0, "type": "URL", "has_url_parameter": True}
    assert receipt.components == ORDER_RECEIPT["components"]
    assert receipt.external_id == "1002"
    assert receipt.synced_at is not None
    assert receipt.is_sendable
    promo = MessageTemplate.objects.get(name="spring_promo")
    assert (promo.language, promo.category, promo.status, promo.header_format) == (
        "es_MX",
        "MARKETING",
        "PENDING",
        "TEXT",
    )
    assert promo.body_parameter_count == 2
    assert MessageTemplate.objects.get(name="hello_world").status == Status.UNKNOWN


@pytest.mark.django_db
def test_a_second_sync_updates_statuses_and_marks_vanished_templates_deleted(graph, account):
    serve_listing(graph, account.waba_id, [order_update(), ORDER_RECEIPT], [PROMO_ES])
    template_sync.templates_sync(account=account)
    first_synced = MessageTemplate.objects.get(name="order_update").synced_at

    serve_listing(graph, account.waba_id, [order_update(status="PAUSED"), {**PROMO_ES, "status": "APPROVED"}])
    counts = template_sync.templates_sync(account=account)

    assert counts == {"created": 0, "updated": 2, "unchanged": 0, "missing": 1}
    rows = {t.name: t for t in MessageTemplate.objects.filter(account=account)}
    assert rows["order_update"].status == Status.PAUSED
    assert rows["order_update"].synced_at > first_synced
    assert rows["spring_promo"].status == Status.APPROVED
    assert rows["order_receipt"].status == Status.DELETED  # kept, not deleted
    assert not rows["order_receipt"].is_sendable

    serve_listing(graph, account.waba_id, [order_update(status="PAUSED"), {**PROMO_ES, "status": "APPROVED"}])
    assert template_sync.templates_sync(account=account) == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "missing": 0,
    }

    serve_listing(graph, account.waba_id, [order_update(status="PAUSED"), ORDER_RECEIPT])
    counts = template_sync.templates_sync(account=account)
    assert counts["updated"] == 1 and counts["missing"] == 1  # a template that comes back is live again
    assert MessageTemplate.objects.get(name="order_receipt").status == Status.APPROVED


@pytest.mark.django_db
def test_sync_keeps_accounts_apart(graph, account):
    other = WhatsAppAccount.objects.create(
        name="Other", phone_number_id="999", waba_id="888", access_token="EAAG-other-token"
    )
    serve_listing(graph, other.waba_id, [order_update()])
    template_sync.templates_sync(account=other)
    serve_listing(graph, account.waba_id, [ORDER_RECEIPT])
    template_sync.templates_sync(account=account)

    assert header(graph.requests[0], "Authorization") == "Bearer EAAG-other-token"
    assert graph.requests[1].path.startswith(f"/v23.0/{account.waba_id}/")
    assert list(MessageTemplate.objects.filter(account=other).values_list("name", "status")) == [
        ("order_update", "APPROVED")
    ]
    assert message_templates.template_for(account=account, name="order_update", language="en_US") is None


@pytest.mark.django_db
@pytest.mark.parametrize("failing_page", [1, 2])
def test_a_graph_error_is_clear_and_nothing_is_half_written(graph, account, failing_page):
    serve_listing(graph, account.waba_id, [order_update()])
    template_sync.templates_sync(account=account)
    before = list(MessageTemplate.objects.values_list("name", "status", "synced_at"))

    error = meta_error(190, "Error validating access token: Session has expired", status=401)
    if failing_page == 1:
        graph.script.append(error)
    else:
        serve_listing(graph, account.waba_id, [order_update(status="DISABLED"), ORDER_RECEIPT], [PROMO_ES])
        graph.script[-1] = error
    with pytest.raises(TemplateSyncError) as caught:
        template_sync.templates_sync(account=account)

    assert caught.value.code == "190"
    assert "(190)" in str(caught.value)
    assert "Session has expired" in str(caught.value)
    assert str(account.pk) in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert list(MessageTemplate.objects.values_list("name", "status", "synced_at")) == before


@pytest.mark.django_db
def test_an_unreachable_graph_is_a_sync_error(settings, account):
    settings.WHATSAPP_GRAPH_URL = "http://127.0.0.1:9/v23.0"  # discard port: refused
    with pytest.raises(TemplateSyncError) as caught:
        template_sync.templates_sync(account=account)
    assert caught.value.code == "connect_error"
    assert TOKEN not in str(caught.value)


# --- Selectors ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_template_for_and_templates_for_account(graph, account):
    serve_listing(graph, account.waba_id, [order_update(), ORDER_RECEIPT, {**PROMO_ES, "status": "REJECTED"}])
    template_sync.templates_sync(account=account)

    found = message_templates.template_for(account=account, name="order_update", language="en-US")
    assert found is not None and found.name == "order_update" and found.is_sendable
    assert message_templates.template_for(account=account.pk, name="order_update", language="en_us") == found
    assert message_templates.template_for(account=account, name="order_update", language="pt_BR") is None
    assert message_templates.template_for(account=account, name="", language="en_US") is None
    rejected = message_templates.template_for(account=account, name="spring_promo", language="es_MX")
    assert rejected is not None and not rejected.is_sendable  # found, but not sendable

    assert [t.name for t in message_templates.templates_for_account(account=account)] == [
        "order_receipt",
        "order_update",
        "spring_promo",
    ]
    approved = message_templates.templates_for_account(account=account, status=Status.APPROVED)
    assert [t.name for t in approved] == ["order_receipt", "order_update"]
    assert [t.name for t in message_templates.templates_for_account(account=account, search="RECEIPT")] == [
        "order_receipt"
    ]
    assert [t.name for t in message_templates.templates_for_account(account=account, search="descuento")] == [
        "spring_promo"
    ]


# --- Schedule, task, command ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_daily_schedule_exists_after_migrate():
    schedule = Schedule.objects.get(name="whatsapp-template-sync")
    assert schedule.func == "channels_whatsapp.tasks.sync_templates"
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats == -1


@pytest.mark.django_db
def test_the_task_syncs_every_active_account_and_fails_visibly(graph, account):
    WhatsAppAccount.objects.create(name="Off", phone_number_id="off", waba_id="off", access_token="x", active=False)
    serve_listing(graph, account.waba_id, [order_update()])
    assert "1 created" in tasks.sync_templates()
    assert [r.path.split("/")[2] for r in graph.requests] == [account.waba_id]  # not the inactive one

    graph.script.append(meta_error(100, "Invalid parameter"))
    with pytest.raises(RuntimeError, match=r"\(100\)"):
        tasks.sync_templates()


@pytest.mark.django_db
def test_command_prints_counts_per_account(graph, account):
    serve_listing(graph, account.waba_id, [order_update(), ORDER_RECEIPT])
    out = StringIO()
    call_command("sync_whatsapp_templates", stdout=out)
    assert "Support line" in out.getvalue()
    assert "2 created" in out.getvalue()

    serve_listing(graph, account.waba_id, [order_update()])
    out = StringIO()
    call_command("sync_whatsapp_templates", "--account", str(account.pk), stdout=out)
    assert "1 no longer listed" in out.getvalue()


@pytest.mark.django_db
def test_command_exits_non_zero_on_a_graph_error(graph, account):
    graph.script.append(meta_error(190, "Invalid OAuth access token", status=401))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("sync_whatsapp_templates", stdout=StringIO(), stderr=err)
    assert "(190) Invalid OAuth access token" in err.getvalue() or "(#190)" in err.getvalue()
    assert TOKEN not in err.getvalue()
    with pytest.raises(CommandError, match="No WhatsApp account with id 424242"):
        call_command("sync_whatsapp_templates", "--account", "424242")


# --- Admin ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_action_syncs_and_template_pages_render(graph, account, admin_user, client):
    client.force_login(admin_user)
    serve_listing(graph, account.waba_id, [order_update(), ORDER_RECEIPT])
    response = client.post(
        "/admin/channels_whatsapp/whatsappaccount/",
        {"action": "sync_templates", "_selected_action": [account.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "2 created" in response.content.decode()
    assert MessageTemplate.objects.count() == 2

    graph.script.append(meta_error(190, "Invalid OAuth access token", status=401))
    response = client.post(
        "/admin/channels_whatsapp/whatsappaccount/",
        {"action": "sync_templates", "_selected_action": [account.pk]},
        follow=True,
    )
    assert "(190)" in response.content.decode()
    assert TOKEN not in response.content.decode()

    assert client.get("/admin/channels_whatsapp/messagetemplate/").status_code == 200
    receipt = MessageTemplate.objects.get(name="order_receipt")
    page = client.get(f"/admin/channels_whatsapp/messagetemplate/{receipt.pk}/change/")
    assert page.status_code == 200
    assert "header_handle" in page.content.decode()  # the components, pretty-printed
    assert client.get("/admin/django_q/schedule/").status_code == 200
    assert "whatsapp-template-sync" in client.get("/admin/django_q/schedule/").content.decode()


# --- Demo --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_account_gets_the_simulator_templates_at_once():
    account, _ = demo.demo_account()
    names = set(account.templates.values_list("name", "language"))
    assert {("order_update", "en_US"), ("ticket_followup", "pt_BR"), ("order_receipt", "en_US")} <= names
    assert (
        message_templates.template_for(account=account, name="spring_sale", language="en_US").status == Status.REJECTED
    )
    assert (
        message_templates.template_for(account=account, name="order_receipt", language="en_US").header_format
        == "DOCUMENT"
    )
    count = account.templates.count()
    demo.demo_account()  # idempotent
    assert account.templates.count() == count


# --- Live: the bundled simulator over HTTP ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sync_against_the_simulator(live_server, settings, monkeypatch):
    from channels_whatsapp.simulator import seed_templates

    settings.WHATSAPP_GRAPH_URL = live_server.url + "/simulator/graph/v23.0"
    seed_templates.templates_seed()
    seed_templates.template_create(
        name="ticket_solved",
        language="en_US",
        body="Hi {{1}}, ticket {{2}} is solved.",
        header_format="TEXT",
        header_text="Solved",
        buttons=[{"type": "URL", "text": "Rate", "url": "https://desk.example/rate/{{1}}"}],
    )
    # Small pages so the simulator's cursor paging is followed for real.
    monkeypatch.setattr(client, "list_templates", functools.partial(client.list_templates, limit=3))
    account = WhatsAppAccount.objects.create(
        name="Sim", phone_number_id="SIMPHONE1", waba_id="SIMWABA1", access_token="live-token"
    )

    counts = template_sync.templates_sync(account=account)

    assert counts["created"] == len(seed_templates.SEED_TEMPLATES) + 1
    solved = message_templates.template_for(account=account, name="ticket_solved", language="en_US")
    assert (solved.header_format, solved.body_parameter_count) == ("TEXT", 2)
    assert solved.buttons == [{"index": 0, "type": "URL", "has_url_parameter": True}]
    assert (
        message_templates.template_for(account=account, name="spring_sale", language="en_US").status == Status.REJECTED
    )
    assert json.dumps(solved.components)  # stored as Meta lists them
