"""`manage.py import_zendesk DIR`: a hand-written Zendesk export (tests/payloads/zendesk_export/) imported twice."""

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from automations.models import Automation, Trigger
from automations.webhooks.models import AuthType, Webhook
from macros.models import Macro
from tests.factories import ContactFactory
from tickets import services as ticket_services
from tickets.custom_field_models import CustomField, CustomFieldOption
from tickets.models import Group

EXPORT = Path(__file__).resolve().parent.parent / "payloads" / "zendesk_export"
MODELS = (Group, CustomField, CustomFieldOption, Webhook, Macro, Trigger, Automation)


@pytest.fixture
def alice(agent):
    agent.email = "alice@example.com"
    agent.save()
    return agent


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_zendesk", *args, stdout=out)
    return out.getvalue()


def rows(output: str) -> dict[tuple[str, str], str]:
    """(kind, title) -> result, read back from the printed tables (columns are two spaces apart)."""
    found = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("  ") if cell.strip()]
        if len(cells) >= 3 and cells[0] != "kind":
            found[(cells[0], cells[1])] = cells[2]
    return found


def snapshot() -> dict[str, list[dict]]:
    """Every imported row with every column, timestamps included, so a write of any kind shows."""
    return {
        model.__name__: [
            {**model_to_dict(row), "updated_at": getattr(row, "updated_at", None)}
            for row in model.objects.order_by("pk")
        ]
        for model in MODELS
    }


@pytest.mark.django_db
def test_first_run_creates_and_reports(admin_user, alice):
    result = rows(run(str(EXPORT)))

    assert result[("group", "Billing")] == "imported"
    assert result[("agent", "alice@example.com")] == "unchanged"
    assert result[("agent", "bob@example.com")] == "skipped"
    assert result[("ticket field", "Subject")] == "skipped"  # a system field
    assert result[("ticket field", "Product")] == "imported"
    assert result[("webhook", "Order system")] == "imported"
    assert result[("macro", "Take it")] == "imported"
    assert result[("trigger", "VIP to Bob")] == "skipped"  # names the agent we do not have
    assert result[("automation", "Remind Billing of pending tickets")] == "imported"

    billing, support = Group.objects.get(name="Billing"), Group.objects.get(name="Support")
    product = CustomField.objects.get(title="Product")
    assert list(product.options.values_list("value", flat=True)) == ["product_router", "product_modem"]
    assert CustomField.objects.get(title="Order number").required_on_solve is True
    webhook = Webhook.objects.get(name="Order system")
    assert (webhook.status, webhook.auth_type) == ("inactive", AuthType.NONE)

    refund = Macro.objects.get(title="Billing::Refund issued")
    assert (refund.availability, list(refund.groups.all())) == ("groups", [billing])
    assert {"field": "group_id", "value": billing.pk} in refund.actions
    take_it = Macro.objects.get(title="Take it")
    assert take_it.active is False
    assert {"field": f"custom_fields_{product.pk}", "value": "product_router"} in take_it.actions

    assert list(Trigger.objects.order_by("position").values_list("title", "active", "position")) == [
        ("Refund requests to Billing", True, 1),
        ("Tell the order system about routers", False, 2),
    ]
    routers = Trigger.objects.get(position=2)
    assert routers.conditions["all"][0]["field"] == f"custom_fields_{product.pk}"
    assert (routers.conditions["all"][1]["field"], str(routers.conditions["all"][1]["value"])) == (
        "group_id",
        str(support.pk),
    )
    assert str(routers.actions[0]["value"][0]) == str(webhook.pk)
    assert str(routers.actions[1]["value"][0]) == str(support.pk)
    assert Automation.objects.count() == 2


@pytest.mark.django_db
def test_second_run_reports_unchanged_and_writes_nothing(admin_user, alice):
    run(str(EXPORT))
    before = snapshot()

    result = rows(run(str(EXPORT)))

    assert snapshot() == before
    assert set(result.values()) == {"unchanged", "skipped"}
    assert result[("macro", "Billing::Refund issued")] == "unchanged"
    assert result[("trigger", "Refund requests to Billing")] == "unchanged"


@pytest.mark.django_db
def test_a_different_definition_is_reported_changed_and_updated(admin_user, alice, tmp_path):
    run(str(EXPORT))
    changed = tmp_path / "export"
    shutil.copytree(EXPORT, changed)
    triggers = changed / "triggers.json"
    triggers.write_text(triggers.read_text().replace('"value": "refund"}\n', '"value": "refund money"}\n'))

    output = run(str(changed))

    assert "changed" in rows(output).values()
    assert rows(output)[("trigger", "Refund requests to Billing")] == "changed"
    assert "actions" in output
    assert {"field": "current_tags", "value": "refund money"} in Trigger.objects.get(position=1).actions


@pytest.mark.django_db
def test_dry_run_leaves_nothing(admin_user, alice):
    before = snapshot()

    output = run(str(EXPORT), "--dry-run")

    assert rows(output)[("group", "Billing")] == "imported"
    assert snapshot() == before


@pytest.mark.django_db
def test_missing_files_are_skipped_with_a_line(admin_user, alice, tmp_path):
    shutil.copy(EXPORT / "groups.json", tmp_path / "groups.json")

    result = rows(run(str(tmp_path)))

    assert result[("group", "Support")] == "imported"
    assert result[("file", "triggers.json")] == "skipped"


@pytest.mark.django_db
def test_malformed_json_names_the_file_and_line_and_writes_nothing(admin_user, tmp_path):
    shutil.copy(EXPORT / "groups.json", tmp_path / "groups.json")
    (tmp_path / "macros.json").write_text('{"macros": [\n  {"title": "Broken",}\n]}')

    with pytest.raises(CommandError, match=r"macros\.json, line 2"):
        run(str(tmp_path))
    assert not Group.objects.filter(name="Billing").exists()


@pytest.mark.django_db
def test_a_missing_directory_is_a_command_error(admin_user, tmp_path):
    with pytest.raises(CommandError, match="is not a directory"):
        run(str(tmp_path / "nowhere"))


@pytest.mark.django_db
def test_the_imported_trigger_fires_with_the_mapped_group(admin_user, alice):
    run(str(EXPORT))

    ticket = ticket_services.ticket_create(
        requester=ContactFactory(),
        subject="Money back",
        actor=alice,
        comment=ticket_services.NewComment(body="I would like a refund please"),
    )

    ticket.refresh_from_db()
    assert ticket.group == Group.objects.get(name="Billing")
    assert list(ticket.tag_rows.values_list("name", flat=True)) == ["refund"]


@pytest.mark.django_db
def test_a_file_of_the_wrong_shape_names_the_file(admin_user, tmp_path):
    (tmp_path / "triggers.json").write_text('{"triggers": ["not a trigger"]}')

    with pytest.raises(CommandError, match=r"triggers\.json"):
        run(str(tmp_path))


@pytest.mark.django_db
def test_a_changed_webhook_keeps_its_status_and_reports_what_changed(admin_user, alice, tmp_path):
    run(str(EXPORT))
    Webhook.objects.filter(name="Order system").update(status="active")
    changed = tmp_path / "export"
    shutil.copytree(EXPORT, changed)
    webhooks = changed / "webhooks.json"
    webhooks.write_text(webhooks.read_text().replace("/hooks/zendesk", "/hooks/v2"))

    result = run(str(changed))

    assert rows(result)[("webhook", "Order system")] == "changed"
    assert "endpoint" in result
    webhook = Webhook.objects.get(name="Order system")
    assert (webhook.endpoint, webhook.status) == ("https://orders.example.com/hooks/v2", "active")


@pytest.mark.django_db
def test_a_group_name_too_long_is_skipped_not_an_error(admin_user, tmp_path):
    (tmp_path / "groups.json").write_text(
        '{"groups": [{"id": 1, "name": "%s"}, {"id": 2, "name": null}]}' % ("x" * 101)
    )

    result = rows(run(str(tmp_path)))

    assert result[("group", "x" * 101)] == "skipped"
    assert result[("group", "?")] == "skipped"
    assert not Group.objects.exists()


@pytest.mark.django_db
def test_the_actor_must_be_an_administrator(admin_user, alice):
    with pytest.raises(CommandError, match="administrator"):
        run(str(EXPORT), "--actor", alice.username)
    assert not Group.objects.exists()
