"""Layout at the sizes agents use: the ticket list fits 1366 px and never pushes a phone's 390 px page sideways; on a
phone the conversation comes first."""

import pytest

from tests.factories import ContactFactory, UserFactory, group_with
from tickets import services
from tickets.models import Via

PASSWORD = "correct-horse-battery"
LONG_SUBJECT = (
    "My parcel arrived with the box crushed on one side and two of the three glasses inside were broken, "
    "what do I do now and who pays for the return shipping of the broken ones?"
)


def _agent():
    return UserFactory(username="lena", first_name="Lena", last_name="Longname-Agentsdottir", password=PASSWORD)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_ticket_list_fits_1366_px_with_one_line_subjects(page, live_server, login, artifacts_dir):
    agent = _agent()
    group = group_with(agent, name="Returns and refunds team")
    for n in range(3):
        services.ticket_create(
            requester=ContactFactory(name=f"Maximilian Customer-Requester {n}"),
            subject=f"{LONG_SUBJECT} ({n})",
            actor=agent,
            assignee=agent,
            group=group,
            priority="urgent",
            tags=["damaged-in-transit", "refund-requested", "vip"],
            via=Via.WEB,
        )
    page.set_viewport_size({"width": 1366, "height": 850})
    login(page, live_server, agent, PASSWORD)
    wrap = page.locator(".table-wrap")
    sizes = wrap.evaluate("el => [el.scrollWidth, el.clientWidth]")
    widths = page.locator(".ticket-table thead th").evaluate_all(
        "els => els.map(e => [e.textContent.trim(), Math.round(e.getBoundingClientRect().width)])"
    )
    assert sizes[0] <= sizes[1], f"the table scrolls sideways: {sizes} {widths}"
    cell = page.locator(".ticket-row .col-subject").first
    assert cell.get_attribute("title").startswith("My parcel arrived")
    line = cell.locator("a").evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 20")
    height = cell.locator("a").evaluate("el => el.getBoundingClientRect().height")
    assert height < line * 1.5, f"the subject wraps: {height}px for a {line}px line"
    assert cell.evaluate("el => el.scrollWidth > el.clientWidth")  # cut with an ellipsis, not wrapped
    page.screenshot(path=str(artifacts_dir / "ticket-list-1366.png"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_ticket_list_at_phone_width_scrolls_inside_its_box_not_the_page(page, live_server, login, artifacts_dir):
    """At 390 px the table may scroll sideways inside its own box; the page does not, and the search box, the views
    and the first subject stay within the screen."""
    agent = _agent()
    for n in range(3):
        services.ticket_create(
            requester=ContactFactory(name=f"Maximilian Customer-Requester {n}"),
            subject=f"{LONG_SUBJECT} ({n})",
            actor=agent,
            assignee=agent,
            priority="urgent",
            tags=["damaged-in-transit", "refund-requested", "vip"],
            via=Via.WEB,
        )
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, agent, PASSWORD)
    sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sizes[0] <= sizes[1], f"the page scrolls sideways at 390 px: {sizes}"
    for locator in (page.get_by_label("Search"), page.locator(".ticket-row .col-subject a").first):
        box = locator.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + min(box["width"], 40) <= 390, box
    page.screenshot(path=str(artifacts_dir / "ticket-list-390.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_phone_width_shows_the_conversation_before_the_properties(page, live_server, login, artifacts_dir):
    agent = _agent()
    customer = ContactFactory(name="Carla Customer")
    ticket = services.ticket_create(requester=customer, subject="Where is my order?", actor=agent, via=Via.WEB)
    services.end_user_message_add(
        conversation_ticket=ticket, requester=customer, via=Via.WEB, body="Still waiting.", forwarded=True
    )
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, agent, PASSWORD)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    conversation = page.locator(".ticket-work > .conversation").bounding_box()
    properties = page.locator(".ticket-work > .properties").bounding_box()
    assert conversation["y"] < properties["y"]
    page.screenshot(path=str(artifacts_dir / "ticket-page-390.png"), full_page=True)

    page.set_viewport_size({"width": 1366, "height": 850})
    conversation = page.locator(".ticket-work > .conversation").bounding_box()
    properties = page.locator(".ticket-work > .properties").bounding_box()
    assert properties["x"] < conversation["x"]  # wide screens keep the properties beside the conversation
