"""The only hand-written changes of a contact's channel ids: an admin's audited repair or merge of a duplicate."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from tests.factories import (
    AdminFactory,
    CommentFactory,
    ContactFactory,
    ProductAdminFactory,
    TicketFactory,
    UserFactory,
    WhatsAppContactFactory,
)
from tickets import contacts
from tickets.errors import DomainError
from tickets.models import Contact, Event, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(db) -> WhatsAppAccount:
    return WhatsAppAccount.objects.create(
        name="Support line", phone_number_id="106540352242922", waba_id="1022901", access_token="EAAG-token"
    )


# --- Repair -----------------------------------------------------------------------------------------------------


def test_repair_changes_the_wa_id_and_audits_every_ticket():
    admin = ProductAdminFactory()
    contact = WhatsAppContactFactory(wa_id="5511900000001")
    tickets = TicketFactory.create_batch(2, requester=contact)
    contacts.contact_wa_id_repair(contact=contact, wa_id="+5511900000002", actor=admin)
    assert Contact.objects.get(pk=contact.pk).wa_id == "5511900000002"
    for ticket in tickets:
        event = Event.objects.get(ticket=ticket, type=contacts.CONTACT_REPAIRED)
        assert event.actor == admin
        assert event.data == {
            "contact_id": contact.pk,
            "field": "wa_id",
            "from": "5511900000001",
            "to": "5511900000002",
        }


@pytest.mark.parametrize("actor_factory", [UserFactory, lambda: UserFactory(is_staff=True)])
def test_repair_is_for_product_admins_only(actor_factory):
    contact = WhatsAppContactFactory(wa_id="5511900000001")
    TicketFactory(requester=contact)
    with pytest.raises(DomainError):
        contacts.contact_wa_id_repair(contact=contact, wa_id="5511900000666", actor=actor_factory())
    assert Contact.objects.get(pk=contact.pk).wa_id == "5511900000001"
    assert not Event.objects.filter(type=contacts.CONTACT_REPAIRED).exists()


@pytest.mark.parametrize("value", ["55 11", "abc123456", "1" * 21])
def test_repair_refuses_a_malformed_id(value):
    contact = WhatsAppContactFactory(wa_id="5511900000001")
    with pytest.raises(DomainError):
        contacts.contact_wa_id_repair(contact=contact, wa_id=value, actor=AdminFactory())
    assert Contact.objects.get(pk=contact.pk).wa_id == "5511900000001"


def test_repair_refuses_another_contacts_id():
    contact, other = WhatsAppContactFactory(), WhatsAppContactFactory()
    with pytest.raises(DomainError, match="merge"):
        contacts.contact_wa_id_repair(contact=contact, wa_id=other.wa_id, actor=AdminFactory())


def test_admin_repair_view_writes_through_the_service_with_a_history_entry(client):
    admin = ProductAdminFactory()
    contact = WhatsAppContactFactory(wa_id="5511900000001")
    ticket = TicketFactory(requester=contact)
    client.force_login(admin)
    url = reverse("admin:tickets_contact_repair", args=[contact.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"wa_id": "5511900000002"})
    assert response.status_code == 302
    assert Contact.objects.get(pk=contact.pk).wa_id == "5511900000002"
    assert Event.objects.filter(ticket=ticket, type=contacts.CONTACT_REPAIRED, actor=admin).exists()
    assert LogEntry.objects.filter(object_id=str(contact.pk), user=admin).exists()
    bad = client.post(url, {"wa_id": "not a number"})
    assert bad.status_code == 400
    assert Contact.objects.get(pk=contact.pk).wa_id == "5511900000002"


def test_admin_repair_view_is_refused_to_staff_without_the_role(client):
    contact = WhatsAppContactFactory(wa_id="5511900000001")
    client.force_login(UserFactory(is_staff=True))
    response = client.post(reverse("admin:tickets_contact_repair", args=[contact.pk]), {"wa_id": "5511900000666"})
    assert response.status_code == 302  # to the admin login: not authorized
    assert Contact.objects.get(pk=contact.pk).wa_id == "5511900000001"


# --- Merge ------------------------------------------------------------------------------------------------------


def test_merge_moves_tickets_messages_conversations_and_the_number(account):
    admin = AdminFactory()
    keep = ContactFactory(name="Ana (e-mail)")
    duplicate = WhatsAppContactFactory(name="Ana (WhatsApp)", wa_id="5511900000009")
    kept_ticket = TicketFactory(requester=keep)
    moved = TicketFactory(requester=duplicate, via="whatsapp")
    message = CommentFactory(ticket=moved, author_role="end_user", author_user=None, author_contact=duplicate)
    WhatsAppConversation.objects.create(ticket=moved, account=account, contact=duplicate)

    contacts.contact_merge(source=duplicate, target=keep, actor=admin)

    keep.refresh_from_db()
    assert keep.wa_id == "5511900000009"
    assert not Contact.objects.filter(pk=duplicate.pk).exists()
    assert Ticket.objects.get(pk=moved.pk).requester == keep
    message.refresh_from_db()
    assert message.author_contact == keep
    assert WhatsAppConversation.objects.get(ticket=moved).contact == keep
    event = Event.objects.get(ticket=moved, type=contacts.CONTACT_MERGED)
    assert event.actor == admin
    assert event.data["from_contact_id"] == duplicate.pk and event.data["to_contact_id"] == keep.pk
    assert not Event.objects.filter(ticket=kept_ticket, type=contacts.CONTACT_MERGED).exists()


def test_merge_refuses_two_different_numbers_and_agents():
    one, two = WhatsAppContactFactory(), WhatsAppContactFactory()
    TicketFactory(requester=one)
    with pytest.raises(DomainError):
        contacts.contact_merge(source=one, target=two, actor=AdminFactory())
    with pytest.raises(DomainError):
        contacts.contact_merge(source=one, target=ContactFactory(), actor=UserFactory())
    with pytest.raises(DomainError):
        contacts.contact_merge(source=one, target=one, actor=AdminFactory())
    assert Contact.objects.filter(pk=one.pk).exists()
    assert Ticket.objects.get().requester == one


def test_admin_merge_view(client):
    admin = ProductAdminFactory()
    keep, duplicate = ContactFactory(), WhatsAppContactFactory()
    ticket = TicketFactory(requester=duplicate)
    client.force_login(admin)
    url = reverse("admin:tickets_contact_merge", args=[duplicate.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"target": keep.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tickets_contact_change", args=[keep.pk])
    assert Ticket.objects.get(pk=ticket.pk).requester_id == keep.pk
    assert LogEntry.objects.filter(object_id=str(keep.pk), user=admin).exists()


def test_repair_reads_as_a_sentence_and_keeps_numbers_out_of_the_log(caplog):
    from tickets.templatetags.ticket_tags import describe_event

    admin = ProductAdminFactory(first_name="Ada", last_name="Admin")
    contact = WhatsAppContactFactory(wa_id="5511900000001")
    ticket = TicketFactory(requester=contact)
    with caplog.at_level("INFO", logger="tickets"):
        contacts.contact_wa_id_repair(contact=contact, wa_id="5511900000002", actor=admin)
    event = Event.objects.get(ticket=ticket, type=contacts.CONTACT_REPAIRED)
    sentence = describe_event(event)
    assert "WhatsApp number from 5511900000001 to 5511900000002" in sentence
    assert "contact.repaired" not in sentence
    assert "5511900000002" not in caplog.text and contacts.CONTACT_REPAIRED in caplog.text
