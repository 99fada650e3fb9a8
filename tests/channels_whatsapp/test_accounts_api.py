import logging

import pytest

from channels_whatsapp.models import AccountChange, WhatsAppAccount

pytestmark = pytest.mark.django_db

NEW_ACCOUNT = {
    "name": "Sales line",
    "phone_number_id": "200000000000001",
    "waba_id": "300000000000001",
    "display_phone_number": "15550002222",
    "access_token": "EAAG-very-secret",
}


def test_admin_creates_an_account_with_safe_defaults_and_the_token_is_never_returned(admin_api):
    response = admin_api.post("/api/whatsapp/accounts/", NEW_ACCOUNT, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert "access_token" not in data
    assert data["redact_credit_cards"] is True
    assert data["templates_enabled"] is False
    assert WhatsAppAccount.objects.get(pk=data["id"]).access_token == "EAAG-very-secret"
    listing = admin_api.get("/api/whatsapp/accounts/")
    assert b"EAAG-very-secret" not in listing.content
    assert set(listing.json()["results"][0]) >= {
        "id",
        "name",
        "phone_number_id",
        "waba_id",
        "display_phone_number",
        "redact_credit_cards",
        "templates_enabled",
    }


def test_agents_may_read_but_not_change_accounts(agent_api, account):
    assert agent_api.get("/api/whatsapp/accounts/").status_code == 200
    assert agent_api.post("/api/whatsapp/accounts/", NEW_ACCOUNT, format="json").status_code == 403
    response = agent_api.patch(f"/api/whatsapp/accounts/{account.pk}/", {"redact_credit_cards": False}, format="json")
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.redact_credit_cards is True


def test_admin_turns_redaction_off_and_it_is_audited_without_the_token(admin_api, admin_user, account, caplog):
    with caplog.at_level(logging.INFO):
        response = admin_api.patch(
            f"/api/whatsapp/accounts/{account.pk}/",
            {"redact_credit_cards": False, "access_token": "EAAG-rotated-secret"},
            format="json",
        )
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.redact_credit_cards is False
    assert account.access_token == "EAAG-rotated-secret"
    change = AccountChange.objects.get(account=account)
    assert change.actor == admin_user
    assert change.changes["redact_credit_cards"] == [True, False]
    assert change.changes["access_token"] == "(changed)"
    assert "EAAG" not in caplog.text


@pytest.mark.parametrize(
    "patch",
    [{"phone_number_id": ""}, {"phone_number_id": "has spaces"}, {"redact_credit_cards": "maybe"}, {"name": ""}],
)
def test_bad_input_is_a_400_with_reasons(admin_api, account, patch):
    response = admin_api.patch(f"/api/whatsapp/accounts/{account.pk}/", patch, format="json")
    assert response.status_code == 400
    assert set(response.json()) == set(patch)


def test_duplicate_phone_number_id_is_a_400(admin_api, account):
    response = admin_api.post(
        "/api/whatsapp/accounts/", {**NEW_ACCOUNT, "phone_number_id": account.phone_number_id}, format="json"
    )
    assert response.status_code == 400
    assert "phone_number_id" in response.json()


def test_admin_page_never_shows_the_token(client, admin_user, account):
    client.force_login(admin_user)
    page = client.get(f"/admin/channels_whatsapp/whatsappaccount/{account.pk}/change/")
    assert page.status_code == 200
    assert b"EAAG-secret-token" not in page.content
    listing = client.get("/admin/channels_whatsapp/whatsappaccount/")
    assert b"EAAG-secret-token" not in listing.content
