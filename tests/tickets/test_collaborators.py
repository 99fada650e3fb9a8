"""CCs and followers: on the ticket page (shown and edited in the properties panel) and in the API, audited."""

import pytest

from tests.factories import ContactFactory, TicketFactory, UserFactory
from tickets.models import Event

pytestmark = pytest.mark.django_db


def page_post(client, ticket, **fields):
    data = {"status": ticket.status, "priority": "", "type": "", "group": "", "assignee": "", "tags": "",
            "body": "", "mode": "public", **fields}  # fmt: skip
    return client.post(f"/tickets/{ticket.pk}/", data)


def test_the_properties_panel_shows_and_edits_ccs_and_followers(agent_client, agent, other_agent):
    known = ContactFactory(name="Cesar", email="cesar@example.com")
    ticket = TicketFactory(assignee=agent)
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'name="ccs"' in html and 'name="followers"' in html
    response = page_post(
        agent_client, ticket, assignee=agent.pk, ccs="Cesar@example.com, new.person@example.com",
        followers=[other_agent.pk],
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    ccs = sorted(ticket.email_ccs.values_list("email", flat=True))
    assert ccs == ["cesar@example.com", "new.person@example.com"]
    assert known in ticket.email_ccs.all()
    assert list(ticket.followers.all()) == [other_agent]
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "cesar@example.com new.person@example.com" in html
    events = Event.objects.filter(ticket=ticket, type="field.changed", data__field__in=["email_cc_ids", "follower_ids"])
    assert {e.data["field"] for e in events} == {"email_cc_ids", "follower_ids"}


def test_a_bad_cc_address_is_a_form_error_not_a_500(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    response = page_post(agent_client, ticket, assignee=agent.pk, ccs="not-an-address")
    assert response.status_code == 400
    assert "not-an-address is not an e-mail address." in response.content.decode()
    assert not ticket.email_ccs.exists()


def test_api_sets_and_shows_ccs_and_followers(agent_api, agent):
    ticket = TicketFactory(assignee=agent)
    cc = ContactFactory()
    TicketFactory(requester=cc, assignee=agent)  # makes the contact visible to the agent
    response = agent_api.patch(
        f"/api/tickets/{ticket.pk}/", {"email_cc_ids": [cc.pk], "follower_ids": [agent.pk]}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["email_cc_ids"] == [cc.pk] == body["collaborator_ids"]
    assert body["follower_ids"] == [agent.pk]
    assert agent_api.get(f"/api/tickets/{ticket.pk}/").json()["email_cc_ids"] == [cc.pk]
    response = agent_api.patch(f"/api/tickets/{ticket.pk}/", {"collaborator_ids": []}, format="json")
    assert response.json()["email_cc_ids"] == []


def test_api_refuses_unknown_or_invisible_ccs_and_inactive_followers(agent_api, agent):
    ticket = TicketFactory(assignee=agent)
    hidden = ContactFactory()  # on no ticket the agent may see
    response = agent_api.patch(f"/api/tickets/{ticket.pk}/", {"email_cc_ids": [hidden.pk]}, format="json")
    assert response.status_code == 400 and "email_cc_ids" in response.json()
    gone = UserFactory(is_active=False)
    response = agent_api.patch(f"/api/tickets/{ticket.pk}/", {"follower_ids": [gone.pk]}, format="json")
    assert response.status_code == 400 and "follower_ids" in response.json()
    assert not ticket.email_ccs.exists() and not ticket.followers.exists()


def test_a_closed_ticket_shows_its_ccs_and_followers(agent_client, agent):
    ticket = TicketFactory(assignee=agent, status="closed")
    ticket.email_ccs.add(ContactFactory(email="cesar@example.com"))
    ticket.followers.add(agent)
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "<dd>cesar@example.com</dd>" in html and "<dd>Alice Agent</dd>" in html


def test_the_event_log_says_who_was_cc_d_and_who_follows(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    cc = ContactFactory(email="cesar@example.com")
    page_post(agent_client, ticket, assignee=agent.pk, ccs="cesar@example.com", followers=[agent.pk])
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f"changed CCs from (none) to #{cc.pk}" in html
    assert "changed followers from (none) to Alice Agent" in html
