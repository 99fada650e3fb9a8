"""One set of access rules everywhere: role x resource x action -> the expected answer, over pages, the API, the
WebSocket, attachment downloads and the admin; then every ticket visibility case through every way in at once.

Roles: anonymous; an agent in the ticket's group; an agent outside it; an admin (active staff). Agents see their
groups' tickets, those assigned to them and unrouted ones (tickets.permissions); business rules and account settings
are admin-only; anonymous callers get the login page (pages) or 401 (API); a ticket one may not see is a 404.
"""

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from channels_whatsapp.models import MessageTemplate, OutboundSend, WhatsAppAccount, WhatsAppConversation
from macros.models import Macro, MacroAvailability
from tests.factories import AdminFactory, ContactFactory, GroupFactory, TicketFactory, UserFactory
from tests.security.conftest import token_client
from tickets.models import Attachment, Comment, Notification, Ticket, Via
from tickets.permissions import can_view_ticket

ROLES = ["anonymous", "agent_in_group", "agent_outside_group", "admin"]
LOGIN = "login"  # 302 to /accounts/login/?next=...
ADMIN_LOGIN = "admin-login"  # 302 to /admin/login/?next=...
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

TRIGGER = {
    "title": "Escalate",
    "conditions": {"all": [{"field": "status", "operator": "is", "value": "open"}], "any": []},
    "actions": [{"field": "priority", "value": "high"}],
}
AUTOMATION = {
    "title": "Close solved",
    "conditions": {
        "all": [
            {"field": "status", "operator": "is", "value": "solved"},
            {"field": "hours_since_solved", "operator": "greater_than", "value": "96"},
        ]
    },
    "actions": [{"field": "status", "value": "closed"}],
}


@dataclass
class World:
    users: dict
    group: object
    other_group: object
    ticket: Ticket
    attachment: Attachment
    macro: Macro
    account: WhatsAppAccount
    template: MessageTemplate
    notifications: dict
    failed: Comment | None = None  # a template reply whose send met a 503: "Retry" may queue it again


def build_world() -> World:
    admin = AdminFactory()
    inside, outside = UserFactory(), UserFactory()
    group, other_group = GroupFactory(name="Billing"), GroupFactory(name="Sales")
    group.members.add(inside)
    other_group.members.add(outside)
    account = WhatsAppAccount.objects.create(
        name="Line", phone_number_id="PN1", waba_id="WABA1", display_phone_number="15550001111", access_token="tok"
    )
    requester = ContactFactory(wa_id="5511999990000")
    ticket = TicketFactory(group=group, requester=requester, via=Via.WHATSAPP, subject="Matrix ticket")
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=requester)
    comment = Comment.objects.create(
        ticket=ticket, author_role="end_user", author_contact=requester, body="hello", via=Via.WHATSAPP
    )
    attachment = Attachment(ticket=ticket, comment=comment, filename="photo.png", content_type="image/png", size=72)
    attachment.file.save("photo.png", ContentFile(PNG), save=False)
    attachment.save()
    macro = Macro.objects.create(
        title="Escalate", availability=MacroAvailability.EVERYONE, actions=[{"field": "priority", "value": "high"}]
    )
    template = MessageTemplate.objects.create(
        account=account, name="order_update", language="en_US", body="Hi {{1}}", status="APPROVED"
    )
    users = {"agent_in_group": inside, "agent_outside_group": outside, "admin": admin}
    notifications = {
        role: Notification.objects.create(user=user, ticket=ticket, comment=comment, error_code="131047")
        for role, user in users.items()
    }
    failed = Comment.objects.create(
        ticket=ticket,
        author_role="agent",
        author_user=admin,
        body="Hi",
        public=True,
        template={"name": "order_update", "language": "en_US"},
        delivery_status="failed",
        delivery_error_code="503",
    )
    OutboundSend.objects.create(comment=failed, account=account, state=OutboundSend.State.FAILED)
    return World(users, group, other_group, ticket, attachment, macro, account, template, notifications, failed)


@pytest.fixture
def world(db) -> World:
    return build_world()


def page_client(client, world: World, role: str):
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def api_client(world: World, role: str) -> APIClient:
    return APIClient() if role == "anonymous" else token_client(world.users[role])


def expect(response, expected) -> None:
    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith("/accounts/login/"), response["Location"]
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith("/admin/login/"), response["Location"]
    else:
        assert response.status_code == expected, (response.status_code, getattr(response, "content", b"")[:300])


def row(resource, action, kind, method, url, expected, data=None):
    """One matrix row: `expected` is the answer for each of ROLES, in order."""
    return pytest.param(kind, method, url, data, dict(zip(ROLES, expected, strict=True)), id=f"{resource}-{action}")


T = "{ticket}"
MATRIX = [
    # Pages (session login).
    row("ticket-page", "view", "page", "get", f"/tickets/{T}/", [LOGIN, 200, 404, 200]),
    row(
        "ticket-page",
        "submit",
        "page",
        "post",
        f"/tickets/{T}/",
        [LOGIN, 302, 404, 302],
        {"status": "open", "body": "a note", "mode": "internal", "tags": ""},
    ),
    row("attachment", "download", "page", "get", "/attachments/{attachment}/", [LOGIN, 200, 404, 200]),
    row("ticket-list", "view", "page", "get", "/?view=open", [LOGIN, 200, 200, 200]),
    row(
        "ticket-fragments",
        "conversation",
        "page",
        "get",
        f"/tickets/{T}/fragments/?part=conversation",
        [LOGIN, 200, 404, 200],
    ),
    row("composer", "state", "page", "get", f"/whatsapp/tickets/{T}/composer/", [LOGIN, 200, 404, 200]),
    # The failed bubble's "Retry": whoever may write on the ticket; a GET changes nothing for anyone.
    row(
        "failed-message",
        "retry",
        "page",
        "post",
        f"/whatsapp/tickets/{T}/comments/{{failed}}/retry/",
        [LOGIN, 200, 404, 200],
    ),
    row(
        "failed-message",
        "retry-get",
        "page",
        "get",
        f"/whatsapp/tickets/{T}/comments/{{failed}}/retry/",
        [LOGIN, 405, 405, 405],
    ),
    row("macro", "preview-page", "page", "get", f"/macros/preview/?ticket={T}&macro={{macro}}", [LOGIN, 200, 404, 200]),
    row("admin-site", "index", "page", "get", "/admin/", [ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200]),
    row(
        "admin-site",
        "account-change",
        "page",
        "get",
        "/admin/channels_whatsapp/whatsappaccount/{account}/change/",
        [ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200],
    ),
    row("simulator", "phone", "page", "get", "/simulator/", [LOGIN, 403, 403, 200]),  # admins only
    # The JavaScript catalogue: anyone, also before logging in (the login page loads it); it only reads.
    row("js-catalogue", "view", "page", "get", "/jsi18n/", [200, 200, 200, 200]),
    row("js-catalogue", "post", "page", "post", "/jsi18n/", [405, 405, 405, 405]),
    # API (token).
    row("ticket-api", "list", "api", "get", "/api/tickets/", [401, 200, 200, 200]),
    row("ticket-api", "search", "api", "get", "/api/tickets/?q=matrix", [401, 200, 200, 200]),
    row("ticket-api", "detail", "api", "get", f"/api/tickets/{T}/", [401, 200, 404, 200]),
    row("ticket-api", "patch", "api", "patch", f"/api/tickets/{T}/", [401, 200, 404, 200], {"priority": "high"}),
    row("comments-api", "list", "api", "get", f"/api/tickets/{T}/comments/", [401, 200, 404, 200]),
    row(
        "comments-api",
        "create",
        "api",
        "post",
        f"/api/tickets/{T}/comments/",
        [401, 201, 404, 201],
        {"body": "a note", "public": False},
    ),
    row("events-api", "list", "api", "get", f"/api/tickets/{T}/events/", [401, 200, 404, 200]),
    row("macros-api", "list", "api", "get", "/api/macros/", [401, 200, 200, 200]),
    row("macros-api", "apply", "api", "post", f"/api/tickets/{T}/macros/{{macro}}/apply/", [401, 200, 404, 200]),
    row("macros-api", "preview", "api", "get", f"/api/tickets/{T}/macros/{{macro}}/apply/", [401, 200, 404, 200]),
    row(
        "macros-api",
        "create-shared",
        "api",
        "post",
        "/api/macros/",
        [401, 403, 403, 201],
        {"title": "Shared", "availability": "everyone", "actions": [{"field": "priority", "value": "low"}]},
    ),
    row("accounts-api", "list", "api", "get", "/api/whatsapp/accounts/", [401, 200, 200, 200]),
    row(
        "accounts-api",
        "patch",
        "api",
        "patch",
        "/api/whatsapp/accounts/{account}/",
        [401, 403, 403, 200],
        {"name": "X"},
    ),
    row(
        "accounts-api",
        "redaction-off",
        "api",
        "patch",
        "/api/whatsapp/accounts/{account}/",
        [401, 403, 403, 200],
        {"redact_credit_cards": False},
    ),
    row(
        "accounts-api",
        "create",
        "api",
        "post",
        "/api/whatsapp/accounts/",
        [401, 403, 403, 201],
        {"name": "New", "phone_number_id": "PN2", "waba_id": "W2", "access_token": "t"},
    ),
    row("templates-api", "list", "api", "get", "/api/whatsapp/templates/", [401, 200, 200, 200]),
    row(
        "templates-api",
        "patch",
        "api",
        "patch",
        "/api/whatsapp/templates/{template}/",
        [401, 403, 403, 200],
        {"rejected_reason": "checked"},
    ),
    row("triggers-api", "list", "api", "get", "/api/triggers/", [401, 200, 200, 200]),
    row("triggers-api", "create", "api", "post", "/api/triggers/", [401, 403, 403, 201], TRIGGER),
    row("automations-api", "create", "api", "post", "/api/automations/", [401, 403, 403, 201], AUTOMATION),
    # CCs and followers: edited like any property, by whoever may see the ticket.
    row(
        "ticket-page",
        "submit-ccs-followers",
        "page",
        "post",
        f"/tickets/{T}/",
        [LOGIN, 302, 404, 302],
        {"status": "open", "body": "", "mode": "internal", "tags": "", "ccs": "cc@example.com", "followers": []},
    ),
    row(
        "tickets-api",
        "patch-ccs-followers",
        "api",
        "patch",
        f"/api/tickets/{T}/",
        [401, 200, 404, 200],
        {"email_cc_ids": [], "follower_ids": []},
    ),
    # Zendesk's own JSON (wrapper, nulls, read-only keys): the same rules as our shape.
    row(
        "triggers-api",
        "create-zendesk-json",
        "api",
        "post",
        "/api/triggers/",
        [401, 403, 403, 201],
        {"trigger": {**TRIGGER, "id": 1, "url": "https://x.zendesk.com/api/v2/triggers/1.json", "description": None}},
    ),
    row(
        "macros-api",
        "create-zendesk-json",
        "api",
        "post",
        "/api/macros/",
        [401, 201, 201, 201],
        {
            "macro": {
                "title": "Take it!",
                "id": 7,
                "description": None,
                "restriction": None,
                "default": False,
                "actions": [{"field": "assignee_id", "value": "current_user"}],
            }
        },
    ),
]


def _url(template: str, world: World) -> str:
    return template.format(
        ticket=world.ticket.pk,
        attachment=world.attachment.pk,
        macro=world.macro.pk,
        account=world.account.pk,
        template=world.template.pk,
        failed=world.failed.pk,
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("kind", "method", "url", "data", "expected"), MATRIX)
def test_access_matrix(client, world, role, kind, method, url, data, expected):
    url = _url(url, world)
    if kind == "page":
        caller = page_client(client, world, role)
        response = getattr(caller, method)(url, data or {}) if method == "post" else caller.get(url)
    else:
        caller = api_client(world, role)
        response = (
            getattr(caller, method)(url, data, format="json") if data is not None else getattr(caller, method)(url)
        )
    expect(response, expected[role])


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])  # the admin's writes: the matrix's 2xx rows
def test_admin_only_writes_leave_nothing_behind_when_refused(world, role):
    api = api_client(world, role)
    api.patch(f"/api/whatsapp/accounts/{world.account.pk}/", {"redact_credit_cards": False}, format="json")
    api.post("/api/triggers/", TRIGGER, format="json")
    api.patch(f"/api/whatsapp/templates/{world.template.pk}/", {"status": "REJECTED"}, format="json")
    world.account.refresh_from_db()
    world.template.refresh_from_db()
    assert world.account.redact_credit_cards is True
    assert world.template.status == "APPROVED"
    from automations.models import Trigger

    assert not Trigger.objects.filter(title=TRIGGER["title"]).exists()


@pytest.mark.parametrize("role", ROLES)
def test_ticket_list_page_and_api_list_show_exactly_the_visible_tickets(client, world, role):
    page = page_client(client, world, role).get("/?view=open")
    api = api_client(world, role).get("/api/tickets/")
    if role == "anonymous":
        expect(page, LOGIN)
        assert api.status_code == 401
        return
    visible = role != "agent_outside_group"
    assert (world.ticket.subject in page.content.decode()) is visible
    assert (world.ticket.pk in [t["id"] for t in api.json()["results"]]) is visible


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("q", ["matrix", "hello", "5511999990000"])  # subject, message body, requester phone
def test_ticket_search_page_and_api_find_only_visible_tickets(client, world, role, q):
    page = page_client(client, world, role).get("/", {"view": "open", "q": q})
    api = api_client(world, role).get("/api/tickets/", {"q": q})
    if role == "anonymous":
        expect(page, LOGIN)
        assert api.status_code == 401
        return
    visible = role != "agent_outside_group"
    assert (world.ticket.pk in [t.pk for t in page.context["page"].object_list]) is visible
    assert (world.ticket.pk in [t["id"] for t in api.json()["results"]]) is visible


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_notifications_are_dismissed_only_by_their_owner(client, world, role):
    caller = page_client(client, world, role)
    own = world.notifications[role]
    others = [n for r, n in world.notifications.items() if r != role]
    for notification in others:
        response = caller.post("/notifications/dismiss/", {"notification_id": notification.pk})
        assert response.status_code == 200
        assert response.json() == {"dismissed": 0}
    response = caller.post("/notifications/dismiss/", {"notification_id": own.pk})
    assert response.json() == {"dismissed": 1}
    assert Notification.objects.filter(dismissed_at__isnull=False).count() == 1


def test_anonymous_cannot_dismiss_notifications(client, world):
    expect(client.post("/notifications/dismiss/", {"notification_id": world.notifications["admin"].pk}), LOGIN)
    assert not Notification.objects.filter(dismissed_at__isnull=False).exists()


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_dismiss_all_dismisses_only_the_callers_notifications(client, world, role):
    caller = page_client(client, world, role)
    response = caller.post("/notifications/dismiss-all/")
    assert response.status_code == 200
    assert response.json() == {"dismissed": 1}
    assert list(Notification.objects.filter(dismissed_at__isnull=False)) == [world.notifications[role]]


def test_anonymous_cannot_dismiss_all_notifications(client, world):
    expect(client.post("/notifications/dismiss-all/"), LOGIN)
    assert not Notification.objects.filter(dismissed_at__isnull=False).exists()


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_dismiss_all_takes_only_a_post(client, world, role):
    assert page_client(client, world, role).get("/notifications/dismiss-all/").status_code == 405
    assert not Notification.objects.filter(dismissed_at__isnull=False).exists()


def test_business_rule_pages_change_nothing_for_agents(client, world):
    """The rules page's toggles are admin-only, like the API (404 for the rule, 403 for the action)."""
    api = token_client(world.users["admin"])
    rule = api.post("/api/triggers/", TRIGGER, format="json").json()
    page_client(client, world, "agent_in_group")
    response = client.post(f"/rules/trigger/{rule['id']}/toggle/")
    assert response.status_code in (403, 404)
    assert api.get(f"/api/triggers/{rule['id']}/").json()["active"] == rule["active"]


# --- Every visibility case through every way in ------------------------------------------------------------------

VARIANTS = ["in_group", "other_group", "unrouted", "assigned_to_outsider"]


def variant_ticket(world: World, variant: str) -> Ticket:
    group = {"in_group": world.group, "other_group": world.other_group, "unrouted": None}.get(variant, world.group)
    assignee = world.users["agent_outside_group"] if variant == "assigned_to_outsider" else None
    requester = ContactFactory()
    ticket = TicketFactory(group=group, assignee=assignee, requester=requester, subject=f"Variant {variant}")
    comment = Comment.objects.create(ticket=ticket, author_role="end_user", author_contact=requester, body="hi")
    attachment = Attachment(ticket=ticket, comment=comment, filename="a.png", content_type="image/png", size=72)
    attachment.file.save("a.png", ContentFile(PNG), save=False)
    attachment.save()
    return ticket


EXPECTED_VISIBLE = {
    ("agent_in_group", "in_group"): True,
    ("agent_in_group", "other_group"): False,
    ("agent_in_group", "unrouted"): True,
    ("agent_in_group", "assigned_to_outsider"): True,  # still the group's ticket
    ("agent_outside_group", "in_group"): False,
    ("agent_outside_group", "other_group"): True,
    ("agent_outside_group", "unrouted"): True,
    ("agent_outside_group", "assigned_to_outsider"): True,
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("role", ["agent_in_group", "agent_outside_group", "admin"])
def test_every_way_in_agrees_with_the_one_rule(client, world, role, variant):
    ticket = variant_ticket(world, variant)
    user = world.users[role]
    visible = EXPECTED_VISIBLE.get((role, variant), True)
    assert can_view_ticket(user, ticket) is visible
    api = token_client(user)
    client.force_login(user)
    attachment = ticket.attachments.get()
    answers = {
        "page": client.get(f"/tickets/{ticket.pk}/").status_code,
        "download": client.get(f"/attachments/{attachment.pk}/").status_code,
        "api-detail": api.get(f"/api/tickets/{ticket.pk}/").status_code,
        "api-comments": api.get(f"/api/tickets/{ticket.pk}/comments/").status_code,
        "api-events": api.get(f"/api/tickets/{ticket.pk}/events/").status_code,
        "api-patch": api.patch(f"/api/tickets/{ticket.pk}/", {"priority": "low"}, format="json").status_code,
        "api-macro": api.post(f"/api/tickets/{ticket.pk}/macros/{world.macro.pk}/apply/").status_code,
    }
    assert answers == dict.fromkeys(answers, 200 if visible else 404)
    listed = ticket.pk in [t["id"] for t in api.get("/api/tickets/?status=open").json()["results"]]
    assert listed is visible


def test_inactive_users_are_locked_out_of_every_way_in(client, world):
    user = world.users["agent_in_group"]
    api = token_client(user)
    client.force_login(user)
    user.is_active = False
    user.save()
    expect(client.get(f"/tickets/{world.ticket.pk}/"), LOGIN)
    assert api.get(f"/api/tickets/{world.ticket.pk}/").status_code == 401


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("role", ["agent_in_group", "agent_outside_group", "admin"])
def test_the_list_a_frame_refreshes_shows_only_visible_rows(client, world, role, variant):
    """The live refresh's request (the results plus the view counts) lists the ticket only to who may see it."""
    ticket = variant_ticket(world, variant)
    client.force_login(world.users[role])
    response = client.get("/", {"view": "open"}, headers={"HX-Request": "true", "HX-Target": "ticket-results"})
    listed = f'data-ticket-id="{ticket.pk}"' in response.content.decode()
    assert listed is EXPECTED_VISIBLE.get((role, variant), True)
