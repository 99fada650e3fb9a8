"""Agent collision in chromium: two agents, each in their own browser, on the same ticket (tickets/presence.py,
tickets/collision.py, static/js/presence.js), at a laptop's and a phone's size."""

from collections.abc import Iterator

import pytest
from django.db import transaction
from playwright.sync_api import expect

from tests.e2e.asgi_server import group_members, run_in_thread, wait_for_new_member
from tests.e2e.conftest import log_in
from tests.factories import ContactFactory, TicketFactory, UserFactory, group_with
from tickets import realtime, services
from tickets.models import AuthorRole, Comment, Ticket, TicketStatus
from tickets.services import NewComment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"  # UserFactory's
VIEWPORTS = [pytest.param((1366, 850), id="1366x850"), pytest.param((390, 844), id="390x844")]
DRAFT = "Your refund went out this morning, you should see it in two days."
BOB_REPLY = "We already sent the refund, here is the receipt."


@pytest.fixture
def agents(asgi_server):
    alice = UserFactory(username="alice", first_name="Alice", last_name="Archer")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Builder")
    return alice, bob


@pytest.fixture
def ticket(agents) -> Ticket:
    ticket = TicketFactory(
        group=group_with(*agents), status=TicketStatus.OPEN, requester=ContactFactory(name="Carla", email="")
    )
    Comment.objects.create(
        ticket=ticket, author_role=AuthorRole.END_USER, author_contact=ticket.requester, body="Where is my refund?"
    )
    return ticket


@pytest.fixture
def open_browser(browser, request) -> Iterator:
    """`open_browser(width, height)`: a separate browser context (its own cookies: its own agent) per call."""
    contexts = []

    def make(size):
        context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="en-US")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def open_ticket(page, server, user, ticket) -> None:
    """Log in and open the ticket page, connected and subscribed."""
    log_in(page, server, user, PASSWORD)
    before = group_members(realtime.ticket_group(ticket.pk))
    page.goto(f"{server.url}/tickets/{ticket.pk}/")
    page.wait_for_function("document.body.dataset.live === 'connected'", timeout=5000)
    wait_for_new_member(realtime.ticket_group(ticket.pk), before)


def assert_fits(page, locator) -> None:
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"], box


def submit(page) -> None:
    page.locator("[data-submit-main]").click()


@pytest.mark.parametrize("size", VIEWPORTS)
def test_two_agents_see_each_other_viewing_and_typing_until_one_leaves(
    open_browser, asgi_server, agents, ticket, size, artifacts_dir
):
    alice, bob = agents
    alice_page, bob_page = open_browser(size), open_browser(size)
    open_ticket(alice_page, asgi_server, alice, ticket)
    expect(alice_page.locator("[data-presence]")).to_be_hidden()  # alone: nothing shown, not herself
    open_ticket(bob_page, asgi_server, bob, ticket)

    alice_sees = alice_page.locator("[data-presence]")
    expect(alice_sees).to_be_visible()
    expect(alice_sees.locator("[data-presence-text]")).to_have_text("Bob Builder is viewing")
    expect(alice_sees.locator(".presence-chip")).to_have_count(1)
    expect(alice_sees.locator(".presence-chip")).to_have_text("BB")
    expect(bob_page.locator("[data-presence-text]")).to_have_text("Alice Archer is viewing")
    expect(bob_page.locator(".presence-chip")).to_have_text("AA")
    assert_fits(alice_page, alice_sees)

    bob_page.locator("textarea.composer-body").press_sequentially("Let me check", delay=20)
    expect(alice_page.locator("[data-typing-line]")).to_have_text("Bob Builder is typing a reply…")
    expect(alice_sees.locator(".presence-chip.is-typing")).to_have_count(1)
    expect(bob_page.locator("[data-typing-line]")).to_be_hidden()  # his own typing is not shown to him
    bob_page.locator("label.mode-internal").click()
    expect(alice_page.locator("[data-typing-line]")).to_have_text("Bob Builder is writing an internal note…")
    alice_page.screenshot(path=str(artifacts_dir / f"presence-typing-{size[0]}.png"), full_page=True)
    bob_page.locator("textarea.composer-body").fill("")
    bob_page.locator("textarea.composer-body").dispatch_event("input")
    expect(alice_page.locator("[data-typing-line]")).to_be_hidden()

    bob_page.close()  # the tab is closed
    expect(alice_page.locator("[data-presence]")).to_be_hidden()
    expect(alice_page.locator(".presence-chip")).to_have_count(0)


@pytest.mark.parametrize("size", VIEWPORTS)
def test_one_agent_in_two_tabs_shows_once(open_browser, asgi_server, agents, ticket, size):
    alice, bob = agents
    alice_page = open_browser(size)
    open_ticket(alice_page, asgi_server, alice, ticket)
    bob_page = open_browser(size)
    open_ticket(bob_page, asgi_server, bob, ticket)
    bob_second = bob_page.context.new_page()
    before = group_members(realtime.ticket_group(ticket.pk))
    bob_second.goto(f"{asgi_server.url}/tickets/{ticket.pk}/")
    wait_for_new_member(realtime.ticket_group(ticket.pk), before)
    expect(bob_second.locator("[data-presence-text]")).to_have_text("Alice Archer is viewing")
    expect(alice_page.locator(".presence-chip")).to_have_count(1)
    bob_page.close()
    expect(alice_page.locator("[data-presence-text]")).to_have_text("Bob Builder is viewing")  # still in his other tab
    bob_second.close()
    expect(alice_page.locator("[data-presence]")).to_be_hidden()


@pytest.mark.parametrize("size", VIEWPORTS)
def test_a_reply_sent_meanwhile_is_shown_before_submit_and_submit_anyway_saves(
    open_browser, asgi_server, agents, ticket, size, artifacts_dir, monkeypatch
):
    alice, bob = agents
    alice_page = open_browser(size)
    open_ticket(alice_page, asgi_server, alice, ticket)
    alice_page.locator("textarea.composer-body").fill(DRAFT)

    def bob_replies_unannounced():
        """Bob's reply reaches Alice's page by no frame (as when her socket was reconnecting)."""
        with monkeypatch.context() as patch:
            patch.setattr(realtime, "send_to_groups", lambda groups, frame: None)
            with transaction.atomic():
                services.ticket_update(
                    ticket=Ticket.objects.get(pk=ticket.pk),
                    actor=bob,
                    changes={},
                    comment=NewComment(body=BOB_REPLY, public=True),
                )

    run_in_thread(bob_replies_unannounced)
    expect(alice_page.locator("#comments")).not_to_contain_text(BOB_REPLY)
    submit(alice_page)

    warning = alice_page.locator("[data-collision-warning]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Bob Builder replied")
    expect(warning).to_contain_text("while you were writing:")
    expect(warning).to_contain_text(BOB_REPLY)
    expect(alice_page.locator("textarea.composer-body")).to_have_value(DRAFT)
    expect(alice_page.locator("#comments")).to_contain_text(BOB_REPLY)
    confirm = warning.get_by_role("button", name="Submit anyway")
    expect(confirm).to_be_in_viewport()
    assert_fits(alice_page, warning)
    alice_page.screenshot(path=str(artifacts_dir / f"collision-warning-{size[0]}.png"))
    assert not Comment.objects.filter(ticket=ticket, author_user=alice).exists()

    confirm.click()
    expect(alice_page.locator("[data-collision-warning]")).to_have_count(0)
    expect(alice_page.locator("#comments .comment--agent").last).to_contain_text(DRAFT)
    assert list(Comment.objects.filter(ticket=ticket, author_user=alice).values_list("body", flat=True)) == [DRAFT]


@pytest.mark.parametrize("size", VIEWPORTS)
def test_a_reply_arriving_live_while_writing_shows_a_notice_and_submit_goes_through(
    open_browser, asgi_server, agents, ticket, size, artifacts_dir
):
    alice, bob = agents
    alice_page, bob_page = open_browser(size), open_browser(size)
    open_ticket(alice_page, asgi_server, alice, ticket)
    open_ticket(bob_page, asgi_server, bob, ticket)
    alice_page.locator("textarea.composer-body").fill(DRAFT)

    bob_page.locator("label.mode-internal").click()
    bob_page.locator("textarea.composer-body").fill("Careful: she already got a voucher.")
    submit(bob_page)
    notice = alice_page.locator("[data-collision-notice]")
    expect(notice).to_contain_text("Bob Builder added an internal note while you were writing: Careful:")

    bob_page.locator("textarea.composer-body").fill(BOB_REPLY)
    submit(bob_page)
    expect(notice).to_contain_text(f"Bob Builder replied while you were writing: {BOB_REPLY}")
    expect(alice_page.locator("#comments")).to_contain_text(BOB_REPLY)
    expect(alice_page.locator("textarea.composer-body")).to_have_value(DRAFT)
    assert_fits(alice_page, notice)
    alice_page.screenshot(path=str(artifacts_dir / f"collision-notice-{size[0]}.png"))

    submit(alice_page)  # she has seen it on her page: nothing to confirm
    expect(alice_page.locator("#comments .comment--agent").last).to_contain_text(DRAFT)
    expect(alice_page.locator("[data-collision-warning]")).to_have_count(0)
    assert Comment.objects.filter(ticket=ticket, author_user=alice, body=DRAFT).exists()
