"""Who may turn WhatsApp redaction off, and the account-wide setting for web, API and e-mail tickets (the inbound
dump checks are in test_redaction_everywhere.py)."""

import logging
import re

import pytest
from django.core import mail
from django.test import override_settings

from channels_whatsapp.models import AccountChange
from tests.factories import ContactFactory, ProductAdminFactory, TicketFactory, UserFactory
from tests.security.conftest import dump_database, token_client
from tests.security.test_redaction_everywhere import WRITTEN_APART, flattened, spaced, written_apart_found
from tests.tickets.test_redaction_rules import CARDS, expected_mask
from tickets import services
from tickets.models import Comment, Event, Via
from tickets.redaction import MASK

# --- Who may turn it off -------------------------------------------------------------------------------------------


def test_only_an_admin_turns_redaction_off_and_it_is_audited(account, caplog):
    agent, admin = UserFactory(), ProductAdminFactory()
    caplog.set_level(logging.DEBUG)
    url = f"/api/whatsapp/accounts/{account.pk}/"

    refused = token_client(agent).patch(url, {"redact_credit_cards": False}, format="json")
    assert refused.status_code == 403
    account.refresh_from_db()
    assert account.redact_credit_cards is True
    assert not AccountChange.objects.exists()

    changed = token_client(admin).patch(
        url, {"redact_credit_cards": False, "access_token": "EAAG-new-very-secret"}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["redact_credit_cards"] is False
    assert "access_token" not in changed.json()
    account.refresh_from_db()
    assert account.redact_credit_cards is False
    audit = AccountChange.objects.get()
    assert audit.actor == admin
    assert audit.changes["redact_credit_cards"] == [True, False]
    assert audit.changes["access_token"] == "(changed)"
    assert "EAAG-new-very-secret" not in caplog.text
    assert "EAAG-new-very-secret" not in dump_database().replace(account.access_token, "", 1)
    for reader in (agent, admin):
        listing = token_client(reader).get("/api/whatsapp/accounts/").content.decode()
        assert "EAAG" not in listing


def test_anonymous_callers_cannot_touch_the_setting(client, account):
    response = client.patch(
        f"/api/whatsapp/accounts/{account.pk}/", {"redact_credit_cards": False}, content_type="application/json"
    )
    assert response.status_code == 401
    account.refresh_from_db()
    assert account.redact_credit_cards is True


# --- Account-wide redaction: web, API and e-mail tickets ----------------------------------------------------------

CARD = CARDS["visa-16"]
CARD_TYPED = spaced(CARD)
CARD_MASKED = expected_mask(CARD_TYPED)


def recorded_for(comment: Comment) -> Event:
    return comment.ticket.events.get(type="redaction.applied", data__comment_id=comment.pk)


def test_the_account_wide_setting_is_off_by_default(db):
    from django.conf import settings

    assert settings.ACCOUNT_REDACT_CREDIT_CARDS is False
    agent = UserFactory()
    ticket = TicketFactory(group=None)
    response = token_client(agent).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": f"card {CARD_TYPED}", "public": False}, format="json"
    )
    assert response.status_code == 201
    assert Comment.objects.get(pk=response.json()["id"]).body == f"card {CARD_TYPED}"
    assert not Event.objects.filter(type="redaction.applied").exists()


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
def test_api_comment_is_masked_before_storage_with_event_and_tag(db, sql_logged):
    agent = UserFactory()
    ticket = TicketFactory(group=None, via=Via.API)
    response = token_client(agent).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": f"card {CARD_TYPED} thanks", "public": False}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["body"] == f"card {CARD_MASKED} thanks"
    comment = Comment.objects.get(pk=response.json()["id"])
    assert comment.body == f"card {CARD_MASKED} thanks"
    assert recorded_for(comment).data == {"comment_id": comment.pk, "where": "comment", "count": 1}
    assert "credit_card_redacted" in ticket.tag_rows.values_list("name", flat=True)
    assert CARD not in re.sub(r"[\s\-]", "", dump_database())
    assert CARD_TYPED not in sql_logged.text


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
def test_api_ticket_with_a_first_comment_is_masked(db):
    agent = UserFactory()
    requester = ContactFactory(created_by=agent)
    response = token_client(agent).post(
        "/api/tickets/",
        {"subject": "Payment", "requester_id": requester.pk, "comment": {"body": f"use {CARD}", "public": True}},
        format="json",
    )
    assert response.status_code == 201, response.content
    comment = Comment.objects.get(ticket_id=response.json()["id"])
    assert comment.body == f"use {expected_mask(CARD)}"
    assert recorded_for(comment).data["count"] == 1
    # The public reply's e-mail to the requester carries the masked text only.
    assert all(CARD not in message.body for message in mail.outbox)


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
def test_agent_note_from_the_ticket_page_is_masked(client, db):
    agent = UserFactory()
    ticket = TicketFactory(group=None)
    client.force_login(agent)
    response = client.post(
        f"/tickets/{ticket.pk}/",
        {"body": f"customer said {CARD_TYPED}", "mode": "internal", "status": ticket.status, "tags": ""},
    )
    assert response.status_code in (200, 302), response.content[:500]
    comment = ticket.comments.get()
    assert comment.body == f"customer said {CARD_MASKED}"
    assert recorded_for(comment).data["count"] == 1


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
def test_end_user_email_message_is_masked_and_so_is_the_subject_made_of_it(db):
    requester = ContactFactory()
    comment = services.end_user_message_add(
        conversation_ticket=None, requester=requester, via=Via.EMAIL, body=f"{CARD_TYPED} was charged twice"
    )
    comment.refresh_from_db()
    assert comment.body == f"{CARD_MASKED} was charged twice"
    assert CARD_TYPED not in comment.ticket.subject
    assert recorded_for(comment).data["count"] == 1
    assert CARD not in re.sub(r"[\s\-]", "", dump_database())


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
def test_the_core_leaves_whatsapp_messages_to_the_whatsapp_app(db):
    requester = ContactFactory()
    comment = services.end_user_message_add(
        conversation_ticket=None, requester=requester, via=Via.WHATSAPP, body=f"card {CARD}"
    )
    assert Comment.objects.get(pk=comment.pk).body == f"card {CARD}"
    assert not Event.objects.filter(type="redaction.applied").exists()


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
def test_the_tag_is_added_once_and_each_comment_gets_its_event(db):
    agent = UserFactory()
    ticket = TicketFactory(group=None)
    api = token_client(agent)
    for _ in range(2):
        assert (
            api.post(
                f"/api/tickets/{ticket.pk}/comments/", {"body": f"{CARD} {CARD}", "public": False}, format="json"
            ).status_code
            == 201
        )
    assert ticket.tag_rows.filter(name="credit_card_redacted").count() == 1
    assert [e.data["count"] for e in ticket.events.filter(type="redaction.applied").order_by("id")] == [2, 2]


@override_settings(ACCOUNT_REDACT_CREDIT_CARDS=True)
@pytest.mark.parametrize(("place", "via"), [("text", Via.EMAIL), ("contact card url", Via.API), ("filename", Via.WEB)])
def test_the_account_wide_setting_uses_the_same_detector_for_cards_written_apart(db, place, via):
    number, written = WRITTEN_APART[place]
    comment = services.end_user_message_add(
        conversation_ticket=None, requester=ContactFactory(), via=via, body=f"here: {written}"
    )
    comment.refresh_from_db()
    assert number not in flattened(comment.body)
    assert number[:6] in flattened(comment.body) and MASK in comment.body
    assert recorded_for(comment).data["count"] == 1
    assert written_apart_found(dump_database()) == set()
