"""The contact pages: the searchable list, one contact with their opt-in record and tickets, channel panels."""

import pytest
from django.urls import reverse

from tests.factories import ContactFactory, GroupFactory, TicketFactory, WhatsAppContactFactory
from tickets import hooks
from tickets.models import Contact

pytestmark = pytest.mark.django_db

CONTACTS = reverse("tickets:contacts")


def contact_url(contact) -> str:
    return reverse("tickets:contact", args=[contact.pk])


def opt_in_url(contact) -> str:
    return reverse("tickets:contact-opt-in", args=[contact.pk])


# --- Login -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method,name", [("get", "list"), ("get", "detail"), ("post", "opt_in")])
def test_contact_pages_need_a_login(client, method, name):
    contact = ContactFactory()
    url = {"list": CONTACTS, "detail": contact_url(contact), "opt_in": opt_in_url(contact)}[name]
    response = getattr(client, method)(url, {"whatsapp_opt_in": "true"} if method == "post" else None)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    contact.refresh_from_db()
    assert not contact.whatsapp_opt_in


def test_unknown_contact_is_404(agent_client):
    assert agent_client.get(reverse("tickets:contact", args=[999999])).status_code == 404
    assert agent_client.post(reverse("tickets:contact-opt-in", args=[999999])).status_code == 404


def test_opt_in_form_refuses_get(agent_client):
    assert agent_client.get(opt_in_url(ContactFactory())).status_code == 405


# --- List ------------------------------------------------------------------------------------------------------


def test_list_searches_name_email_and_whatsapp_id(agent_client, agent):
    ana = ContactFactory(created_by=agent, name="Ana Souza", email="ana@example.com")
    bruno = WhatsAppContactFactory(created_by=agent, name="Bruno Lima", wa_id="5511912345678")
    ContactFactory(created_by=agent, name="Carla Dias", email="carla@example.org")

    def names(q):
        response = agent_client.get(CONTACTS, {"q": q})
        assert response.status_code == 200
        return [c.name for c in response.context["page"]]

    assert names("souza") == [ana.name]
    assert names("ana@EXAMPLE") == [ana.name]
    assert names("912345") == [bruno.name]
    assert names("") == ["Ana Souza", "Bruno Lima", "Carla Dias"]
    assert names("nobody") == []


def test_list_links_each_contact_and_escapes_names(agent_client, agent):
    contact = ContactFactory(created_by=agent, name="<script>alert(1)</script> Eve")
    response = agent_client.get(CONTACTS)
    html = response.content.decode()
    assert f'href="{contact_url(contact)}"' in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Eve" in html


def test_list_is_paginated_in_a_fixed_number_of_queries(agent_client, agent, django_assert_num_queries):
    Contact.objects.bulk_create([Contact(name=f"Contact {i:03d}", created_by=agent) for i in range(60)])
    with django_assert_num_queries(4):  # session, user, count, page
        response = agent_client.get(CONTACTS, {"page": 2})
    page = response.context["page"]
    assert page.number == 2 and page.paginator.num_pages == 3
    assert page[0].name == "Contact 025"
    assert 'rel="next"' in response.content.decode()


def test_base_nav_links_contacts_and_marks_it_current(agent_client):
    html = agent_client.get(CONTACTS).content.decode()
    assert f'<a href="{CONTACTS}" aria-current="page">Contacts</a>' in html
    home = agent_client.get(reverse("tickets:home")).content.decode()
    assert f'<a href="{CONTACTS}">Contacts</a>' in home


# --- Detail ----------------------------------------------------------------------------------------------------


def test_detail_shows_the_contact_and_only_tickets_the_agent_may_see(agent_client, agent):
    contact = WhatsAppContactFactory(
        name="Ana Souza", email="ana@example.com", phone="+55 11 98765-0001", whatsapp_user_id="BR.1349875"
    )
    mine = TicketFactory(requester=contact, subject="Where is my order", assignee=agent)
    unrouted = TicketFactory(requester=contact, subject="Refund please")
    hidden = TicketFactory(requester=contact, subject="Secret escalation", group=GroupFactory(name="Finance"))
    TicketFactory(subject="Someone else's ticket")

    response = agent_client.get(contact_url(contact))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Ana Souza", "ana@example.com", "+55 11 98765-0001", f"+{contact.wa_id}", "BR.1349875"):
        assert text in html
    listed = {t.pk for t in response.context["page"]}
    assert listed == {mine.pk, unrouted.pk}
    assert "Secret escalation" not in html and hidden.pk not in listed
    assert "Someone else" not in html
    assert reverse("tickets:ticket", args=[mine.pk]) in html


def test_admin_sees_every_ticket_of_the_contact(client, admin_user):
    contact = ContactFactory()
    TicketFactory(requester=contact, group=GroupFactory())
    client.force_login(admin_user)
    assert len(client.get(contact_url(contact)).context["page"]) == 1


def test_detail_without_opt_in_record_says_so(agent_client, agent):
    html = agent_client.get(contact_url(ContactFactory(created_by=agent))).content.decode()
    assert "Not opted in" in html
    assert "No consent recorded" in html


def test_ticket_page_links_the_requester_to_the_contact_page(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    html = agent_client.get(reverse("tickets:ticket", args=[ticket.pk])).content.decode()
    assert f'href="{contact_url(ticket.requester)}"' in html


# --- Opt-in form -------------------------------------------------------------------------------------------------


def test_opt_in_records_actor_source_and_time_then_redirects(agent_client, agent):
    contact = WhatsAppContactFactory(created_by=agent, name="Ana Souza")
    response = agent_client.post(opt_in_url(contact), {"whatsapp_opt_in": "true", "note": "asked on the  phone"})
    assert response.status_code == 302
    assert response["Location"] == contact_url(contact)

    contact.refresh_from_db()
    assert contact.whatsapp_opt_in is True
    assert contact.whatsapp_opt_in_by == agent
    assert contact.whatsapp_opt_in_source == "agent (asked on the phone)"
    assert contact.whatsapp_opt_in_at is not None

    page = agent_client.get(response["Location"])
    html = page.content.decode()
    assert "Ana Souza is now opted in to WhatsApp marketing messages." in html
    assert "agent (asked on the phone)" in html
    assert "Alice Agent" in html


def test_opt_out_records_a_new_time_and_default_source(agent_client, agent, other_agent):
    contact = WhatsAppContactFactory(created_by=agent)
    from tickets.contacts import contact_update

    contact_update(contact=contact, actor=other_agent, whatsapp_opt_in=True)
    first_time = Contact.objects.get(pk=contact.pk).whatsapp_opt_in_at

    agent_client.post(opt_in_url(contact), {"whatsapp_opt_in": "false"})
    contact.refresh_from_db()
    assert contact.whatsapp_opt_in is False
    assert contact.whatsapp_opt_in_by == agent
    assert contact.whatsapp_opt_in_source == "agent"
    assert contact.whatsapp_opt_in_at >= first_time


def test_unchanged_opt_in_keeps_the_record(agent_client, other_agent, agent):
    contact = WhatsAppContactFactory(created_by=agent)
    from tickets.contacts import contact_update

    contact_update(contact=contact, actor=other_agent, whatsapp_opt_in=True)
    before = Contact.objects.get(pk=contact.pk)
    response = agent_client.post(opt_in_url(contact), {"whatsapp_opt_in": "true"}, follow=True)
    assert "was already opted in" in response.content.decode()
    contact.refresh_from_db()
    assert contact.whatsapp_opt_in_by == other_agent
    assert contact.whatsapp_opt_in_at == before.whatsapp_opt_in_at


def test_invalid_opt_in_value_is_a_400_and_changes_nothing(agent_client, agent):
    contact = WhatsAppContactFactory(created_by=agent)
    response = agent_client.post(opt_in_url(contact), {"whatsapp_opt_in": "maybe"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    contact.refresh_from_db()
    assert contact.whatsapp_opt_in is False and contact.whatsapp_opt_in_at is None


def test_opt_in_form_needs_csrf(agent):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    contact = WhatsAppContactFactory(created_by=agent)
    assert client.post(opt_in_url(contact), {"whatsapp_opt_in": "true"}).status_code == 403


# --- Channel panels through the hook -------------------------------------------------------------------------


def test_registered_contact_panels_are_rendered_with_their_context(
    agent_client, monkeypatch, settings, tmp_path, agent
):
    (tmp_path / "panel.html").write_text('<div class="test-panel">{{ panel.label }} for {{ contact.name }}</div>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]
    monkeypatch.setattr(hooks, "_contact_panels", [])
    seen = []

    def context(contact, user):
        seen.append((contact.pk, user.get_username()))
        return {"label": f"<b>{contact.name}</b>"}

    hooks.register_contact_panel("panel.html", context)
    hooks.register_contact_panel("panel.html", context)  # registering twice keeps one
    contact = ContactFactory(created_by=agent, name="Ana")

    html = agent_client.get(contact_url(contact)).content.decode()
    assert html.count('<div class="test-panel">&lt;b&gt;Ana&lt;/b&gt; for Ana</div>') == 1
    assert seen == [(contact.pk, "alice")]


def test_detail_query_count_does_not_grow_with_tickets(agent_client, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def page_queries(count: int) -> int:
        contact = WhatsAppContactFactory()
        for i in range(count):
            TicketFactory(requester=contact, assignee=agent, subject=f"Ticket {i}")
        with CaptureQueriesContext(connection) as queries:
            assert agent_client.get(contact_url(contact)).status_code == 200
        return len(queries.captured_queries)

    assert page_queries(2) == page_queries(15)


@pytest.mark.parametrize("opted_in", [False, True])
def test_opt_in_form_has_no_preselected_choice(agent_client, agent, opted_in):
    contact = WhatsAppContactFactory(created_by=agent, whatsapp_opt_in=opted_in)
    html = agent_client.get(contact_url(contact)).content.decode()
    assert 'name="whatsapp_opt_in"' in html
    assert "checked" not in html


def test_opt_in_without_a_choice_is_a_form_error_and_records_nothing(agent_client, agent):
    contact = WhatsAppContactFactory(created_by=agent, whatsapp_opt_in=True)
    response = agent_client.post(opt_in_url(contact), {"note": "saved by mistake"})
    assert response.status_code == 400
    assert "Choose whether the customer opted in or opted out." in response.content.decode()
    contact.refresh_from_db()
    assert contact.whatsapp_opt_in is True and contact.whatsapp_opt_in_source != "agent (saved by mistake)"
