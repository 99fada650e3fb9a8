"""Contacts are scoped like tickets; channel ids and the consent record are not the client's to write.

Review findings reproduced here: (1) an agent of group A re-pointed the WhatsApp number of group B's customer through
`PATCH /api/contacts/{id}/`, cleared it, or back-dated their opt-in; every agent read every customer's details.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import (
    AdminFactory,
    ContactFactory,
    GroupFactory,
    ProductAdminFactory,
    TicketFactory,
    UserFactory,
    WhatsAppContactFactory,
)
from tickets import selectors
from tickets.models import Contact, Event, Ticket

pytestmark = pytest.mark.django_db

CUSTOMER_WA_ID = "5511955550001"
ATTACKER_WA_ID = "5511900000666"


@pytest.fixture
def world(db):
    """Group A's agent, group B's agent, group B's customer, a ticketless contact agent A created, an admin."""
    agent_a, agent_b = UserFactory(username="agent_a"), UserFactory(username="agent_b")
    group_a, group_b = GroupFactory(name="A"), GroupFactory(name="B")
    group_a.members.add(agent_a)
    group_b.members.add(agent_b)
    customer = WhatsAppContactFactory(name="Bruna Customer", wa_id=CUSTOMER_WA_ID, email="bruna@example.com")
    TicketFactory(requester=customer, group=group_b, via="whatsapp", subject="Order 77")
    drafted = ContactFactory(name="Drafted By A", created_by=agent_a)
    return {
        "agent_a": agent_a,
        "agent_b": agent_b,
        "group_a": group_a,
        "group_b": group_b,
        "customer": customer,
        "drafted": drafted,
        "admin": AdminFactory(),
    }


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def listed_ids(user, query: str = "") -> set[int]:
    response = api(user).get(f"/api/contacts/{query}")
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


# --- The access matrix ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, sees_customer, sees_drafted",
    [
        ("agent_b", True, False),  # in the customer's ticket group; the draft is A's until it has a ticket
        ("agent_a", False, True),  # outside the group; created the ticketless draft
        ("admin", True, True),
    ],
)
def test_api_list_detail_and_patch_follow_ticket_visibility(world, who, sees_customer, sees_drafted):
    user = world[who]
    customer, drafted = world["customer"], world["drafted"]
    assert (customer.pk in listed_ids(user)) is sees_customer
    assert (drafted.pk in listed_ids(user)) is sees_drafted
    for contact, visible in ((customer, sees_customer), (drafted, sees_drafted)):
        expected = 200 if visible else 404
        assert api(user).get(f"/api/contacts/{contact.pk}/").status_code == expected
        response = api(user).patch(f"/api/contacts/{contact.pk}/", {"name": f"Renamed by {who}"}, format="json")
        assert response.status_code == expected
        assert (Contact.objects.get(pk=contact.pk).name == f"Renamed by {who}") is visible


def test_anonymous_gets_401_everywhere(world):
    customer = world["customer"]
    client = api()
    assert client.get("/api/contacts/").status_code == 401
    assert client.get(f"/api/contacts/{customer.pk}/").status_code == 401
    assert client.patch(f"/api/contacts/{customer.pk}/", {"name": "x"}, format="json").status_code == 401
    assert client.post("/api/contacts/", {"name": "x"}, format="json").status_code == 401
    assert Contact.objects.get(pk=customer.pk).name == "Bruna Customer"


def test_search_and_id_filters_do_not_reveal_other_groups_customers(world):
    agent_a = world["agent_a"]
    assert listed_ids(agent_a, "?q=bruna") == set()
    assert listed_ids(agent_a, f"?wa_id={CUSTOMER_WA_ID}") == set()
    assert listed_ids(world["agent_b"], f"?wa_id={CUSTOMER_WA_ID}") == {world["customer"].pk}


def test_a_contact_becomes_visible_with_a_visible_ticket_and_the_creator_loses_it_to_another_group(world):
    agent_a, agent_b, drafted = world["agent_a"], world["agent_b"], world["drafted"]
    assert drafted.pk not in listed_ids(agent_b)
    TicketFactory(requester=drafted, group=world["group_b"])
    assert drafted.pk in listed_ids(agent_b)
    assert drafted.pk not in listed_ids(agent_a)  # no longer ticketless: creator rights end
    TicketFactory(requester=drafted, assignee=agent_a, group=world["group_b"])
    assert drafted.pk in listed_ids(agent_a)  # assigned to them: visible like the ticket


def test_post_creates_a_contact_the_creator_then_sees(world):
    agent_a = world["agent_a"]
    response = api(agent_a).post("/api/contacts/", {"name": "New Lead", "email": "lead@example.com"}, format="json")
    assert response.status_code == 201, response.content
    contact = Contact.objects.get(pk=response.json()["id"])
    assert contact.created_by == agent_a
    assert contact.pk in listed_ids(agent_a)
    assert contact.pk not in listed_ids(world["agent_b"])


def test_selector_is_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(selectors.contacts_visible(user=world["agent_a"]))


# --- Finding 1: re-pointing, clearing the number, rewriting consent ---------------------------------------------


def test_agent_of_another_group_cannot_repoint_the_customers_number(world):
    customer = world["customer"]
    response = api(world["agent_a"]).patch(f"/api/contacts/{customer.pk}/", {"wa_id": ATTACKER_WA_ID}, format="json")
    assert response.status_code == 404
    assert Contact.objects.get(pk=customer.pk).wa_id == CUSTOMER_WA_ID


@pytest.mark.parametrize("who", ["agent_b", "admin"])
@pytest.mark.parametrize(
    "payload",
    [
        {"wa_id": ATTACKER_WA_ID},
        {"wa_id": None},
        {"wa_id": ""},
        {"whatsapp_user_id": "US.666"},
        {"whatsapp_opt_in_at": "2001-01-01T00:00:00Z"},
        {"whatsapp_opt_in_source": "signed paper form"},
        {"name": "Fine", "whatsapp_opt_in": True, "whatsapp_opt_in_at": "2001-01-01T00:00:00Z"},
    ],
)
def test_channel_ids_and_the_consent_record_are_read_only_even_for_those_who_see_the_contact(world, who, payload):
    customer = world["customer"]
    response = api(world[who]).patch(f"/api/contacts/{customer.pk}/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    for field in set(payload) - {"name", "whatsapp_opt_in"}:
        assert "read-only" in str(body[field])
    customer = Contact.objects.get(pk=customer.pk)
    assert (customer.wa_id, customer.whatsapp_user_id, customer.name) == (CUSTOMER_WA_ID, None, "Bruna Customer")
    assert customer.whatsapp_opt_in is False and customer.whatsapp_opt_in_at is None


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "X", "wa_id": ATTACKER_WA_ID},
        {"name": "X", "whatsapp_user_id": "US.1"},
        {"name": "X", "whatsapp_opt_in": True, "whatsapp_opt_in_at": "2001-01-01T00:00:00Z"},
        {"name": "X", "whatsapp_opt_in_source": "forged"},
    ],
)
def test_post_refuses_channel_ids_and_consent_record(world, payload):
    response = api(world["agent_a"]).post("/api/contacts/", payload, format="json")
    assert response.status_code == 400
    assert any("read-only" in str(value) for value in response.json().values())
    assert not Contact.objects.filter(name="X").exists()


def test_the_api_opt_in_boolean_is_stamped_by_the_server(world):
    agent_b, customer = world["agent_b"], world["customer"]
    response = api(agent_b).patch(f"/api/contacts/{customer.pk}/", {"whatsapp_opt_in": True}, format="json")
    assert response.status_code == 200
    customer = Contact.objects.get(pk=customer.pk)
    assert customer.whatsapp_opt_in is True
    assert customer.whatsapp_opt_in_source == "api"
    assert customer.whatsapp_opt_in_by == agent_b
    assert customer.whatsapp_opt_in_at is not None


def test_ticket_create_cannot_pick_an_invisible_requester(world):
    before = Ticket.objects.count()
    response = api(world["agent_a"]).post(
        "/api/tickets/", {"subject": "Hi", "requester_id": world["customer"].pk}, format="json"
    )
    assert response.status_code == 400
    assert "requester_id" in response.json()
    assert Ticket.objects.count() == before
    ok = api(world["agent_a"]).post(
        "/api/tickets/", {"subject": "Hi", "requester_id": world["drafted"].pk}, format="json"
    )
    assert ok.status_code == 201, ok.content


# --- Contact pages --------------------------------------------------------------------------------------------------


def page_client(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("who, expected", [("agent_a", 404), ("agent_b", 200), ("admin", 200)])
def test_contact_page_get_follows_visibility(client, world, who, expected):
    url = reverse("tickets:contact", args=[world["customer"].pk])
    assert page_client(client, world[who]).get(url).status_code == expected


def test_contact_list_page_hides_other_groups_customers(client, world):
    response = page_client(client, world["agent_a"]).get(reverse("tickets:contacts"), {"q": "bruna"})
    assert response.status_code == 200
    assert list(response.context["page"]) == []
    assert "bruna@example.com" not in response.content.decode()


def test_opt_in_form_of_an_invisible_contact_is_404_and_changes_nothing(client, world):
    customer = world["customer"]
    url = reverse("tickets:contact-opt-in", args=[customer.pk])
    assert page_client(client, world["agent_a"]).post(url, {"whatsapp_opt_in": "true"}).status_code == 404
    assert Contact.objects.get(pk=customer.pk).whatsapp_opt_in is False


def test_opt_in_form_of_a_visible_contact_records_through_the_service(client, world):
    customer = world["customer"]
    url = reverse("tickets:contact-opt-in", args=[customer.pk])
    assert page_client(client, world["agent_b"]).post(url, {"whatsapp_opt_in": "true"}).status_code == 302
    customer = Contact.objects.get(pk=customer.pk)
    assert (customer.whatsapp_opt_in, customer.whatsapp_opt_in_by, customer.whatsapp_opt_in_source) == (
        True,
        world["agent_b"],
        "agent",
    )


def test_anonymous_contact_pages_redirect_to_login(client, world):
    for url in (reverse("tickets:contacts"), reverse("tickets:contact", args=[world["customer"].pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- Django admin ---------------------------------------------------------------------------------------------------


def test_admin_contact_changelist_is_for_product_admins_only(client, world):
    url = reverse("admin:tickets_contact_changelist")
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    client.force_login(world["agent_b"])
    assert client.get(url).status_code == 302
    client.force_login(ProductAdminFactory())
    response = client.get(url)
    assert response.status_code == 200
    assert "Bruna Customer" in response.content.decode()


def test_admin_contact_form_shows_the_wa_id_read_only(client, world):
    customer = world["customer"]
    client.force_login(world["admin"])
    url = reverse("admin:tickets_contact_change", args=[customer.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="wa_id"' not in response.content.decode()
    client.post(
        url,
        {"name": customer.name, "email": customer.email, "phone": "", "wa_id": ATTACKER_WA_ID, "_save": "Save"},
    )
    assert Contact.objects.get(pk=customer.pk).wa_id == CUSTOMER_WA_ID
    assert not Event.objects.filter(type="contact.repaired").exists()
