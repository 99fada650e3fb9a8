"""The agent pages: login, ticket views, the ticket page and its one submit, attachment downloads."""

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import ContactFactory, GroupFactory, TicketFactory, UserFactory, ticket_with_comments
from tickets import events, hooks, services
from tickets.models import Attachment, Comment, Event, Ticket, TicketStatus, TicketTag, Via
from tickets.services import NewComment
from tickets.templatetags.ticket_tags import describe_event

pytestmark = pytest.mark.django_db

HOME = reverse("tickets:home")


def ticket_url(ticket) -> str:
    return reverse("tickets:ticket", args=[ticket.pk])


def form_data(ticket, **overrides) -> dict:
    """What the ticket page's form posts when the agent changes nothing but what is given."""
    ticket.refresh_from_db()
    data = {
        "status": ticket.status,
        "priority": ticket.priority or "",
        "type": ticket.type or "",
        "group": ticket.group_id or "",
        "assignee": ticket.assignee_id or "",
        "tags": " ".join(ticket.tag_rows.values_list("name", flat=True)),
        "body": "",
        "mode": "public",
    }
    data.update(overrides)
    return data


def group_with(*members, **fields):
    group = GroupFactory(**fields)
    group.members.set(members)
    return group


def make_tickets(count: int, *, assignee=None, group=None, **fields) -> list[Ticket]:
    """Many tickets in a few queries, each with tags, a requester and a group, so every relation is exercised."""
    requesters = [ContactFactory() for _ in range(3)]
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                subject=fields.get("subject", f"Bulk ticket {i}"),
                requester=requesters[i % 3],
                status=fields.get("status", TicketStatus.OPEN),
                priority=fields.get("priority", "normal"),
                via=fields.get("via", Via.WEB),
                assignee=assignee,
                group=group,
            )
            for i in range(count)
        ]
    )
    TicketTag.objects.bulk_create([TicketTag(ticket=t, name=name) for t in tickets for name in ("billing", "vip")])
    return tickets


def subjects(response) -> list[str]:
    return [t.subject for t in response.context["page"].object_list]


# --- Login ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,args", [("tickets:home", []), ("tickets:ticket", [1]), ("tickets:attachment", [1])])
def test_pages_require_login(client, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"]


def test_login_form_logs_in_and_redirects_home(client, agent):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b"SupportDesk" in page.content
    assert b'name="csrfmiddlewaretoken"' in page.content
    response = client.post(reverse("login"), {"username": "alice", "password": "secret-pass-123"})
    assert response.status_code == 302
    assert response["Location"] == HOME


def test_login_with_a_wrong_password_shows_an_error(client, agent):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b'role="alert"' in response.content


def test_layout_has_header_nav_banner_area_and_post_logout(agent_client):
    html = agent_client.get(HOME).content.decode()
    assert "SupportDesk" in html
    assert (
        '<div id="banner-area" class="banner-area" role="region" aria-label="Notifications" aria-live="polite">' in html
    )
    assert re.search(
        r'<form method="post" action="/accounts/logout/"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken"', html
    )
    assert "vendor/htmx/htmx.min.js" in html and "js/app.js" in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "/admin/" not in html  # not a staff user
    assert 'href="/simulator/"' not in html  # the phone is for admins only


def test_simulator_link_only_for_admins(client, admin_user):
    client.force_login(admin_user)
    assert 'href="/simulator/"' in client.get(HOME).content.decode()  # the test settings enable the simulator


def test_admin_link_only_for_staff(client, admin_user):
    client.force_login(admin_user)
    assert 'href="/admin/"' in client.get(HOME).content.decode()


def test_logout_by_post(agent_client):
    response = agent_client.post(reverse("logout"))
    assert response.status_code == 302
    assert agent_client.get(HOME).status_code == 302


# --- Ticket views -------------------------------------------------------------------------------------------


@pytest.fixture
def spread(agent, other_agent):
    """Tickets in every view: two of Alice's, one unassigned, one pending of Bob's, one solved."""
    return {
        "mine1": TicketFactory(subject="Mine one", assignee=agent),
        "mine2": TicketFactory(subject="Mine two", assignee=agent, status=TicketStatus.HOLD),
        "unassigned": TicketFactory(subject="Nobody's", status=TicketStatus.NEW),
        "pending": TicketFactory(subject="Waiting on customer", assignee=other_agent, status=TicketStatus.PENDING),
        "solved": TicketFactory(subject="Done and dusted", assignee=agent, status=TicketStatus.SOLVED),
    }


def test_default_view_is_your_unsolved_tickets_with_counts(agent_client, spread):
    response = agent_client.get(HOME)
    assert response.status_code == 200
    assert sorted(subjects(response)) == ["Mine one", "Mine two"]
    html = response.content.decode()
    assert "Your unsolved tickets" in html
    counts = {v["slug"]: v["count"] for v in response.context["views"]}
    assert counts == {"mine": 2, "unassigned": 1, "open": 4, "pending": 1, "solved": 1}
    assert '<span class="view-count" aria-label="4 tickets">4</span>' in html
    assert 'class="badge status status-hold"' in html


@pytest.mark.parametrize(
    "view,expected",
    [
        ("unassigned", ["Nobody's"]),
        ("open", ["Mine one", "Mine two", "Nobody's", "Waiting on customer"]),
        ("pending", ["Waiting on customer"]),
        ("solved", ["Done and dusted"]),
        ("bogus", ["Mine one", "Mine two"]),
    ],
)
def test_each_view_lists_its_tickets(agent_client, spread, view, expected):
    assert sorted(subjects(agent_client.get(HOME, {"view": view}))) == sorted(expected)


def test_filters(agent_client, agent, other_agent):
    group = group_with(agent, name="Billing")
    TicketFactory(subject="Urgent WhatsApp", priority="urgent", via=Via.WHATSAPP, assignee=agent, group=group)
    tagged = TicketFactory(subject="Refund please", priority="low", assignee=other_agent)
    TicketTag.objects.create(ticket=tagged, name="refund")
    TicketFactory(subject="Pending one", status=TicketStatus.PENDING)

    def listed(**params):
        return sorted(subjects(agent_client.get(HOME, {"view": "open", **params})))

    assert listed(priority="urgent") == ["Urgent WhatsApp"]
    assert listed(via="whatsapp") == ["Urgent WhatsApp"]
    assert listed(group=group.pk) == ["Urgent WhatsApp"]
    assert listed(assignee=other_agent.pk) == ["Refund please"]
    assert listed(tag="REFUND") == ["Refund please"]
    assert listed(status="pending") == ["Pending one"]
    assert listed(q="refund") == ["Refund please"]
    assert listed(q=f"#{tagged.pk}") == ["Refund please"]
    # An invalid value is reported and ignored rather than breaking the page.
    response = agent_client.get(HOME, {"view": "open", "priority": "whenever"})
    assert response.status_code == 200
    assert len(subjects(response)) == 3
    assert b"Select a valid choice" in response.content


def test_sort_links_and_orders(agent_client, agent):
    old = TicketFactory(subject="Old", assignee=agent, priority="low")
    new = TicketFactory(subject="New", assignee=agent, priority="urgent")
    Ticket.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=3), updated_at=timezone.now() - timedelta(days=2)
    )
    mid = TicketFactory(subject="Mid", assignee=agent, priority="high")
    Ticket.objects.filter(pk=mid.pk).update(created_at=timezone.now() - timedelta(days=1))
    Ticket.objects.filter(pk=new.pk).update(updated_at=timezone.now() - timedelta(days=1))

    assert subjects(agent_client.get(HOME)) == ["Mid", "New", "Old"]  # default: recently updated first
    assert subjects(agent_client.get(HOME, {"sort": "-updated"})) == ["Old", "New", "Mid"]
    assert subjects(agent_client.get(HOME, {"sort": "created"})) == ["New", "Mid", "Old"]
    assert subjects(agent_client.get(HOME, {"sort": "-created"})) == ["Old", "Mid", "New"]
    assert subjects(agent_client.get(HOME, {"sort": "priority"})) == ["New", "Mid", "Old"]
    assert subjects(agent_client.get(HOME, {"sort": "id"})) == ["Mid", "New", "Old"]
    html = agent_client.get(HOME, {"sort": "updated", "priority": "high"}).content.decode()
    # The active column's link flips the direction and keeps the filters.
    assert 'href="?sort=-updated&amp;priority=high"' in html
    assert 'aria-sort="descending"' in html


def test_pagination(agent_client, agent):
    make_tickets(30, assignee=agent)
    first = agent_client.get(HOME)
    assert len(subjects(first)) == 25
    html = first.content.decode()
    assert "1\u201325 of 30 tickets" in html
    assert 'href="?page=2"' in html
    second = agent_client.get(HOME, {"page": 2})
    assert len(subjects(second)) == 5
    first_ids = {t.pk for t in first.context["page"].object_list}
    second_ids = {t.pk for t in second.context["page"].object_list}
    assert first_ids.isdisjoint(second_ids)
    assert len(subjects(agent_client.get(HOME, {"page": 99}))) == 5  # out of range: the last page


LIST_QUERIES = 8  # session, user, agents, groups, page count, page rows, tags, view counts


@pytest.mark.parametrize("provider", ["fake", "registered"])
@pytest.mark.parametrize("count", [10, 200])
def test_list_query_count_does_not_grow_with_tickets(
    client, agent, count, provider, django_assert_num_queries, monkeypatch
):
    if provider == "fake":
        # A channel provider that reads only the ticket's own fields, as the contract asks of channel apps.
        monkeypatch.setitem(hooks._channel_info, Via.WHATSAPP, lambda t: {"window": {"open": True, "expires_at": None}})
    # "registered": whatever the installed WhatsApp app registered, with its related row selected by the selector.
    group = group_with(agent)
    make_tickets(count, assignee=agent, group=group, via=Via.WHATSAPP)
    client.force_login(agent)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(HOME, {"view": "open", "sort": "priority"})
    assert len(response.context["page"].object_list) == min(count, 25)
    assert response.content.count(b'class="tag"') == 2 * min(count, 25)


def test_whatsapp_window_cell_only_when_a_provider_answers(agent_client, agent, monkeypatch):
    expires = timezone.now() + timedelta(hours=5)
    monkeypatch.setitem(
        hooks._channel_info, Via.WHATSAPP, lambda t: {"window": {"open": True, "expires_at": expires.isoformat()}}
    )
    TicketFactory(subject="On WhatsApp", via=Via.WHATSAPP, assignee=agent)
    TicketFactory(subject="On the web", via=Via.WEB, assignee=agent)
    html = agent_client.get(HOME).content.decode()
    assert html.count("chip-window-open") == 1
    assert re.search(r'class="chip chip-window-open"[^>]*>[45]h left</span>', html)
    monkeypatch.setitem(hooks._channel_info, Via.WHATSAPP, lambda t: {"window": {"open": False, "expires_at": None}})
    assert 'class="chip chip-window-closed"' in agent_client.get(HOME).content.decode()
    page = agent_client.get(ticket_url(Ticket.objects.get(subject="On WhatsApp"))).content.decode()
    assert "WhatsApp window closed" in page


def test_htmx_request_gets_only_the_results_fragment(agent_client, agent):
    TicketFactory(subject="Fragment", assignee=agent)
    response = agent_client.get(HOME, headers={"HX-Request": "true", "HX-Target": "ticket-results"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-results"')
    assert "Fragment" in html and "<html" not in html
    assert "HX-Target" in response["Vary"]


def test_agent_sees_only_tickets_of_their_groups(agent_client, other_agent):
    hidden_group = group_with(other_agent, name="Secret")
    TicketFactory(subject="Not for Alice", group=hidden_group)
    TicketFactory(subject="Untriaged")
    response = agent_client.get(HOME, {"view": "open"})
    assert subjects(response) == ["Untriaged"]
    assert {v["slug"]: v["count"] for v in response.context["views"]}["open"] == 1


# --- Ticket page ----------------------------------------------------------------------------------------------


@pytest.fixture
def conversation(agent):
    """A ticket with a forwarded customer message, an agent reply, an internal note and a system note."""
    customer = ContactFactory(name="Carla Customer")
    ticket = services.ticket_create(requester=customer, subject="Order never arrived", actor=agent)
    services.end_user_message_add(
        conversation_ticket=ticket, requester=customer, via=Via.WEB, body="Where is my order?", forwarded=True
    )
    services.comment_add(ticket=ticket, author=agent, body="Looking into it now.", public=True)
    services.comment_add(ticket=ticket, author=agent, body="Courier says lost.", public=False)
    services.system_note_add(ticket=ticket, body="The customer's image could not be downloaded.")
    return ticket


def test_ticket_page_shows_the_conversation_oldest_first(agent_client, conversation):
    response = agent_client.get(ticket_url(conversation))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Order never arrived" in html and f"#{conversation.pk}" in html
    assert "Carla Customer" in html
    assert 'class="badge status status-open"' in html
    positions = [html.index(text) for text in ("Where is my order?", "Looking into it now.", "Courier says lost.")]
    assert positions == sorted(positions)
    assert re.search(r'class="comment comment--customer"[^>]*>.*?Where is my order\?', html, re.S)
    assert re.search(r'class="comment comment--agent"[^>]*>.*?Looking into it now\.', html, re.S)
    note = re.search(r'class="comment comment--note".*?</li>', html, re.S).group(0)
    assert "Internal note" in note and "Courier says lost." in note
    assert 'class="comment comment--system"' in html
    assert "Forwarded: earlier messages of that chat are not included" in html
    assert html.count("Forwarded: earlier messages") == 1


def test_event_log_sentences(agent_client, agent, conversation):
    comment = conversation.comments.filter(public=True, author_role="agent").first()
    services.ticket_update(ticket=conversation, actor=agent, changes={"status": TicketStatus.PENDING})
    events.delivery_failed(comment=comment, code="131047", title="Re-engagement message", detail="More than 24h")
    events.delivery_status(comment=comment, status="delivered", previous="sent")
    events.record(ticket=conversation, type="custom.thing", data={"answer": 42})
    html = agent_client.get(ticket_url(conversation)).content.decode()
    assert "Alice Agent changed status from open to pending" in html
    assert "Comment added (public reply)" in html
    assert "Comment added (internal note)" in html
    assert "Comment added (customer message)" in html
    assert "Delivery failed: 131047 Re-engagement message" in html
    assert "Delivery status changed from sent to delivered" in html
    assert "custom.thing (answer=42)" in html
    assert "Ticket created via Web" in html


def test_event_log_delivery_tab(agent_client, agent, conversation):
    comment = conversation.comments.filter(public=True, author_role="agent").first()
    events.delivery_failed(comment=comment, code="131047", title="Re-engagement message", detail="")
    html = agent_client.get(ticket_url(conversation), {"events": "delivery"}).content.decode()
    log = html[html.index('id="event-log"') :]
    assert "Delivery failed: 131047" in log
    assert "Comment added" not in log
    fragment = agent_client.get(
        ticket_url(conversation), {"events": "delivery"}, headers={"HX-Request": "true", "HX-Target": "event-log"}
    ).content.decode()
    assert fragment.lstrip().startswith('<section id="event-log"') and "Comment added" not in fragment


@pytest.mark.parametrize(
    "type,data,actor,sentence",
    [
        (
            "field.changed",
            {"field": "priority", "from": None, "to": "high"},
            None,
            "Priority changed from (none) to high",
        ),
        (
            "field.changed",
            {"field": "tags", "from": ["a"], "to": ["a", "b"]},
            "x",
            "Ann Lee changed tags from a to a b",
        ),
        (
            "ticket.created",
            {"via": "whatsapp", "follow_up_of": 7},
            None,
            "Ticket created via WhatsApp as a follow-up of #7",
        ),
        ("delivery.status", {"status": "sent", "previous": None}, None, "Delivery status: sent"),
        ("delivery.failed", {}, None, "Delivery failed"),
        ("macro.applied", {"macro_id": 3}, "x", "Macro applied: #3"),
        ("trigger.fired", {"title": "Auto-reply"}, None, "Trigger fired: Auto-reply"),
        ("automation.fired", {}, None, "Automation fired"),
        ("redaction.applied", {}, None, "Sensitive data redacted"),
        ("message.reaction", {"emoji": "+1"}, None, "Customer reacted +1"),
        ("surprise", {}, None, "surprise"),
    ],
)
def test_describe_event(type, data, actor, sentence):
    user = UserFactory.build(first_name="Ann", last_name="Lee") if actor else None
    assert describe_event(Event(type=type, data=data, actor=user)) == sentence


def test_assignee_change_reads_with_names(agent_client, agent, other_agent):
    group = group_with(agent, other_agent, name="Tier 1")
    ticket = TicketFactory(assignee=agent)
    services.ticket_update(ticket=ticket, actor=agent, changes={"group": group, "assignee": other_agent})
    html = agent_client.get(ticket_url(ticket)).content.decode()
    assert "Alice Agent changed group from (none) to Tier 1" in html
    assert "Alice Agent changed assignee from Alice Agent to Bob Other" in html


@pytest.mark.parametrize(
    "status,symbol,text",
    [
        ("queued", "\u23f1", "Queued"),
        ("sent", "\u2713", "Sent"),
        ("delivered", "\u2713\u2713", "Delivered"),
        ("read", "\u2713\u2713", "Read"),
    ],
)
def test_delivery_ticks(agent_client, agent, status, symbol, text):
    ticket = TicketFactory(assignee=agent, via=Via.WHATSAPP)
    comment = Comment.objects.create(
        ticket=ticket, author_role="agent", author_user=agent, body="Hi", delivery_status=status
    )
    html = agent_client.get(ticket_url(ticket)).content.decode()
    tick = re.search(
        rf'<span class="delivery delivery-{status}" data-comment-id="{comment.pk}".*?</span>\s*</span>', html, re.S
    )
    assert tick, html
    assert symbol in tick.group(0) and text in tick.group(0)


def test_failed_delivery_shows_code_and_title(agent_client, agent):
    ticket = TicketFactory(assignee=agent, via=Via.WHATSAPP)
    comment = Comment.objects.create(
        ticket=ticket,
        author_role="agent",
        author_user=agent,
        body="Hello again",
        delivery_status="failed",
        delivery_error_code="131047",
        delivery_error_title="Re-engagement message",
        template={"name": "order_update", "language": "en_US"},
    )
    html = agent_client.get(ticket_url(ticket)).content.decode()
    assert f'<span class="delivery delivery-failed" data-comment-id="{comment.pk}"' in html
    assert 'title="Failed: 131047 Re-engagement message"' in html
    assert '<span class="delivery-text">Failed: 131047 Re-engagement message</span>' in html
    assert '<span class="badge badge-template"' in html and ">template</span>" in html


def test_comment_without_delivery_has_no_tick(agent_client, conversation):
    assert b'class="delivery ' not in agent_client.get(ticket_url(conversation)).content


def test_ticket_page_query_count_does_not_grow_with_comments(client, agent, django_assert_num_queries):
    small, large = ticket_with_comments(2, agent=agent), ticket_with_comments(40, agent=agent)
    client.force_login(agent)
    with django_assert_num_queries(9) as small_queries:
        client.get(ticket_url(small))
    with django_assert_num_queries(9) as large_queries:
        client.get(ticket_url(large))
    assert len(small_queries.captured_queries) == len(large_queries.captured_queries)


# --- The one submit -------------------------------------------------------------------------------------------


def test_public_reply_is_saved_and_redirects(agent_client, agent):
    ticket = TicketFactory(status=TicketStatus.NEW, requester=ContactFactory(email=""))
    response = agent_client.post(ticket_url(ticket), form_data(ticket, body="We are on it.", mode="public"))
    assert response.status_code == 302
    assert response["Location"] == ticket_url(ticket)
    comment = ticket.comments.get()
    assert (comment.body, comment.public, comment.author_user) == ("We are on it.", True, agent)
    assert Event.objects.filter(ticket=ticket, type=events.COMMENT_ADDED, actor=agent).exists()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN  # a public reply opens a new ticket
    page = agent_client.get(response["Location"]).content.decode()
    assert "We are on it." in page and f"Ticket #{ticket.pk} updated." in page


def test_internal_note_with_attachments(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    files = [
        SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain"),
        SimpleUploadedFile("shot.png", b"\x89PNG fake", content_type="image/png"),
    ]
    response = agent_client.post(
        ticket_url(ticket), {**form_data(ticket, body="Check logs", mode="internal"), "attachments": files}
    )
    assert response.status_code == 302
    comment = ticket.comments.get()
    assert comment.public is False
    assert sorted(comment.attachments.values_list("filename", flat=True)) == ["notes.txt", "shot.png"]
    html = agent_client.get(ticket_url(ticket)).content.decode()
    for attachment in comment.attachments.all():
        assert f'href="/attachments/{attachment.pk}/"' in html
    assert "Comment added (internal note, 2 attachments)" in html


def test_property_change_without_comment(agent_client, agent):
    group = group_with(agent)
    ticket = TicketFactory(status=TicketStatus.OPEN)
    data = form_data(
        ticket, status="pending", priority="high", type="incident", group=group.pk, assignee=agent.pk, tags="VIP refund"
    )
    response = agent_client.post(ticket_url(ticket), data)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.type, ticket.group, ticket.assignee) == (
        "pending",
        "high",
        "incident",
        group,
        agent,
    )
    assert sorted(ticket.tag_rows.values_list("name", flat=True)) == ["refund", "vip"]
    changed = set(Event.objects.filter(ticket=ticket, type=events.FIELD_CHANGED).values_list("data__field", flat=True))
    assert changed == {"status", "priority", "type", "group_id", "assignee_id", "tags"}
    assert not ticket.comments.exists()


def test_unchanged_submit_changes_nothing(agent_client, agent):
    ticket = TicketFactory(assignee=agent, priority="low")
    TicketTag.objects.create(ticket=ticket, name="keep")
    response = agent_client.post(ticket_url(ticket), form_data(ticket))
    assert response.status_code == 302
    assert not Event.objects.filter(ticket=ticket).exists()


def test_assignee_outside_the_group_is_refused_and_nothing_saved(agent_client, agent, other_agent):
    group = group_with(agent, name="Billing")
    ticket = TicketFactory(group=group, assignee=agent, status=TicketStatus.OPEN)
    before = Event.objects.count()
    response = agent_client.post(
        ticket_url(ticket), form_data(ticket, assignee=other_agent.pk, status="pending", body="Handing over")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not a member of the group Billing" in html
    assert 'class="field-error"' in html
    assert "Handing over" in html  # the agent's text is kept for another try
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (agent, "open")
    assert Event.objects.count() == before
    assert not ticket.comments.exists()


def test_invalid_choice_is_a_400(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    response = agent_client.post(ticket_url(ticket), form_data(ticket, status="deleted", body="x"))
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert not ticket.comments.exists()


def test_closed_ticket_is_read_only(agent_client, agent):
    ticket = TicketFactory(assignee=agent, status=TicketStatus.CLOSED)
    html = agent_client.get(ticket_url(ticket)).content.decode()
    assert "composer" not in html and 'name="body"' not in html
    assert "This ticket is closed" in html
    response = agent_client.post(ticket_url(ticket), form_data(ticket, body="Too late"))
    assert response.status_code == 400
    assert b"This ticket is closed and can no longer be changed" in response.content
    assert not ticket.comments.exists()


def test_get_never_changes_state(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    before = (Ticket.objects.values_list("updated_at", "status").get(pk=ticket.pk), Event.objects.count())
    params = form_data(ticket, status="solved", body="via GET?", mode="public")
    assert agent_client.get(ticket_url(ticket), params).status_code == 200
    assert agent_client.get(HOME, params).status_code == 200
    after = (Ticket.objects.values_list("updated_at", "status").get(pk=ticket.pk), Event.objects.count())
    assert after == before
    assert not Comment.objects.exists()


def test_csrf_is_enforced(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    ticket = TicketFactory(assignee=agent)
    response = client.post(ticket_url(ticket), form_data(ticket, body="No token"))
    assert response.status_code == 403
    assert not ticket.comments.exists()
    client.get(ticket_url(ticket))  # sets the CSRF cookie, as a browser's page load does
    token = client.cookies["csrftoken"].value
    response = client.post(ticket_url(ticket), {**form_data(ticket, body="With token"), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert ticket.comments.get().body == "With token"


def test_ticket_of_another_group_is_404(client, agent, other_agent):
    group = group_with(agent, name="Alice only")
    ticket = TicketFactory(group=group, assignee=agent)
    client.force_login(other_agent)
    assert client.get(ticket_url(ticket)).status_code == 404
    assert client.post(ticket_url(ticket), form_data(ticket, body="sneaky")).status_code == 404
    assert not ticket.comments.exists()
    assert client.get(reverse("tickets:ticket", args=[999999])).status_code == 404


# --- Attachments ------------------------------------------------------------------------------------------------


def attachment_on(ticket, *, filename, content_type, content=b"data"):
    attachment = Attachment(ticket=ticket, filename=filename, content_type=content_type, size=len(content))
    attachment.file.save(filename, ContentFile(content), save=False)
    attachment.save()
    return attachment


def test_attachment_download(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    pdf = attachment_on(ticket, filename="invoice.pdf", content_type="application/pdf", content=b"%PDF-1.4")
    response = agent_client.get(reverse("tickets:attachment", args=[pdf.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4"
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        response["Content-Disposition"].startswith("attachment;") and "invoice.pdf" in response["Content-Disposition"]
    )


def test_images_are_inline_but_svg_is_not(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    png = attachment_on(ticket, filename="photo.png", content_type="image/png")
    svg = attachment_on(ticket, filename="logo.svg", content_type="image/svg+xml")
    assert agent_client.get(reverse("tickets:attachment", args=[png.pk]))["Content-Disposition"].startswith("inline")
    assert agent_client.get(reverse("tickets:attachment", args=[svg.pk]))["Content-Disposition"].startswith(
        "attachment"
    )


def test_attachment_of_an_invisible_ticket_is_404(client, agent, other_agent):
    group = group_with(agent)
    ticket = TicketFactory(group=group)
    attachment = attachment_on(ticket, filename="secret.txt", content_type="text/plain")
    client.force_login(other_agent)
    assert client.get(reverse("tickets:attachment", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("tickets:attachment", args=[999999])).status_code == 404


def test_attachment_without_a_file_is_404(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    missing = Attachment.objects.create(ticket=ticket, filename="lost.jpg", content_type="image/jpeg")
    assert agent_client.get(reverse("tickets:attachment", args=[missing.pk])).status_code == 404


def test_new_comment_dataclass_is_what_the_view_sends(agent_client, agent, monkeypatch):
    """The view hands the service exactly one NewComment with the composer's mode."""
    calls = []
    real = services.ticket_update
    monkeypatch.setattr(services, "ticket_update", lambda **kw: calls.append(kw) or real(**kw))
    ticket = TicketFactory(assignee=agent)
    agent_client.post(ticket_url(ticket), form_data(ticket, body="Note", mode="internal"))
    assert calls[0]["comment"] == NewComment(body="Note", public=False, attachments=[])
    assert calls[0]["actor"] == agent and calls[0]["changes"] == {}
