"""Agent collision on submit (tickets/collision.py): a public reply is held back when someone else answered the
customer after the newest message the agent had on screen; "Submit anyway" saves it."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import ContactFactory, TicketFactory
from tests.tickets.view_helpers import form_data, ticket_url
from tickets import services
from tickets.models import AuthorRole, Comment, TicketStatus
from tickets.services import NewComment

pytestmark = pytest.mark.django_db

DRAFT = "Your refund went out this morning."


@pytest.fixture
def ticket(agent):
    ticket = TicketFactory(status=TicketStatus.OPEN, requester=ContactFactory(email=""))
    Comment.objects.create(ticket=ticket, author_role=AuthorRole.END_USER, author_contact=ticket.requester, body="Hi?")
    return ticket


def seen_on_page(client, ticket) -> str:
    html = client.get(ticket_url(ticket)).content.decode()
    match = re.search(r'<input type="hidden" name="seen_comment_id" data-seen-comment\s+value="(\d*)">', html)
    assert match, "the composer carries the newest message the agent has on screen"
    return match.group(1)


def reply_by(user, ticket, body="We already sent it, see the tracking link.", public=True):
    services.ticket_update(ticket=ticket, actor=user, changes={}, comment=NewComment(body=body, public=public))
    return ticket.comments.latest("id")


def mine(ticket, agent):
    return list(ticket.comments.filter(author_user=agent).values_list("body", flat=True))


def test_the_page_carries_the_newest_message_id(agent_client, ticket):
    assert seen_on_page(agent_client, ticket) == str(ticket.comments.get().pk)


def test_a_reply_by_someone_else_meanwhile_holds_the_submit_back_and_keeps_the_text(
    agent_client, agent, other_agent, ticket
):
    seen = seen_on_page(agent_client, ticket)
    theirs = reply_by(other_agent, ticket)
    response = agent_client.post(ticket_url(ticket), form_data(ticket, body=DRAFT, seen_comment_id=seen))
    assert response.status_code == 409
    assert mine(ticket, agent) == []
    html = response.content.decode()
    assert "Bob Other replied now while you were writing:" in html
    assert "We already sent it, see the tracking link." in html
    assert f">{DRAFT}</textarea>" in html
    assert f'name="confirmed_comment_id" value="{theirs.pk}"' in html
    assert "Submit anyway" in html

    again = agent_client.post(ticket_url(ticket), form_data(ticket, body=DRAFT, seen_comment_id=seen))
    assert again.status_code == 409  # a plain submit asks again

    confirmed = agent_client.post(
        ticket_url(ticket), form_data(ticket, body=DRAFT, seen_comment_id=seen, confirmed_comment_id=theirs.pk)
    )
    assert confirmed.status_code == 302
    assert mine(ticket, agent) == [DRAFT]


def test_a_further_reply_after_the_confirmation_asks_again(agent_client, agent, other_agent, admin_user, ticket):
    seen = seen_on_page(agent_client, ticket)
    first = reply_by(other_agent, ticket)
    reply_by(admin_user, ticket, body="Also: the courier called.")
    response = agent_client.post(
        ticket_url(ticket), form_data(ticket, body=DRAFT, seen_comment_id=seen, confirmed_comment_id=first.pk)
    )
    assert response.status_code == 409
    assert "Ada Admin replied" in response.content.decode()
    assert mine(ticket, agent) == []


def test_several_unseen_replies_are_counted(agent_client, other_agent, admin_user, ticket):
    seen = seen_on_page(agent_client, ticket)
    reply_by(other_agent, ticket)
    reply_by(admin_user, ticket, body="Newest.")
    html = agent_client.post(ticket_url(ticket), form_data(ticket, body=DRAFT, seen_comment_id=seen)).content.decode()
    assert "Ada Admin replied" in html
    assert "There is 1 more new reply before it." in html


def test_an_automatic_reply_holds_it_back_too(agent_client, agent, ticket):
    seen = seen_on_page(agent_client, ticket)
    Comment.objects.create(ticket=ticket, author_role=AuthorRole.SYSTEM, body="We got your message.", public=True)
    response = agent_client.post(ticket_url(ticket), form_data(ticket, body=DRAFT, seen_comment_id=seen))
    assert response.status_code == 409
    assert "An automatic reply was sent now while you were writing:" in response.content.decode()


@pytest.mark.parametrize(
    "meanwhile",
    ["internal note by someone else", "customer message", "own reply from another tab", "system note"],
)
def test_what_does_not_hold_a_reply_back(agent_client, agent, other_agent, ticket, meanwhile):
    seen = seen_on_page(agent_client, ticket)
    if meanwhile == "internal note by someone else":
        reply_by(other_agent, ticket, body="Careful, VIP", public=False)
    elif meanwhile == "customer message":
        Comment.objects.create(
            ticket=ticket, author_role=AuthorRole.END_USER, author_contact=ticket.requester, body="Any news?"
        )
    elif meanwhile == "own reply from another tab":
        reply_by(agent, ticket, body="Sent from my other tab")
    else:
        Comment.objects.create(ticket=ticket, author_role=AuthorRole.SYSTEM, body="Opted in", public=False)
    response = agent_client.post(ticket_url(ticket), form_data(ticket, body=DRAFT, seen_comment_id=seen))
    assert response.status_code == 302
    assert DRAFT in mine(ticket, agent)


@pytest.mark.parametrize("overrides", [{"mode": "internal"}, {"body": ""}])
def test_only_a_public_reply_is_ever_held_back(agent_client, agent, other_agent, ticket, overrides):
    seen = seen_on_page(agent_client, ticket)
    reply_by(other_agent, ticket)
    data = form_data(ticket, **{"body": DRAFT, "seen_comment_id": seen, "priority": "high", **overrides})
    assert agent_client.post(ticket_url(ticket), data).status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == "high"


def test_a_form_without_the_field_is_not_checked(agent_client, agent, other_agent, ticket):
    """Clients that do not send it (an older page, a script) keep working as before."""
    reply_by(other_agent, ticket)
    assert agent_client.post(ticket_url(ticket), form_data(ticket, body=DRAFT)).status_code == 302
    assert mine(ticket, agent) == [DRAFT]


@pytest.mark.parametrize("field", ["seen_comment_id", "confirmed_comment_id"])
@pytest.mark.parametrize("value", ["abc", "-1", "9" * 40])
def test_bad_ids_are_a_400_with_the_reason(agent_client, agent, ticket, field, value):
    response = agent_client.post(ticket_url(ticket), form_data(ticket, body=DRAFT, **{field: value}))
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert mine(ticket, agent) == []


def test_submit_as_keeps_the_status_asked_for(agent_client, agent, other_agent, ticket):
    seen = seen_on_page(agent_client, ticket)
    theirs = reply_by(other_agent, ticket)
    response = agent_client.post(
        ticket_url(ticket), form_data(ticket, body=DRAFT, seen_comment_id=seen, submit_as="solved")
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert re.search(r'<option value="solved" selected>', html)
    assert re.search(r"Submit as <span data-submit-status>Solved</span>", html)
    data = form_data(ticket, body=DRAFT, seen_comment_id=seen, confirmed_comment_id=theirs.pk, status="solved")
    assert agent_client.post(ticket_url(ticket), data).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED


def test_attached_files_are_asked_for_again(agent_client, agent, other_agent, ticket):
    seen = seen_on_page(agent_client, ticket)
    reply_by(other_agent, ticket)
    data = {
        **form_data(ticket, body=DRAFT, seen_comment_id=seen),
        "attachments": [SimpleUploadedFile("a.txt", b"x", content_type="text/plain")],
    }
    response = agent_client.post(ticket_url(ticket), data)
    assert response.status_code == 409
    assert "Your attachments were not sent: attach them again." in response.content.decode()
    assert not ticket.attachments.exists()
