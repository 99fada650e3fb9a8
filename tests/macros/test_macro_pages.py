"""The ticket page's macro menu: the list, the preview that changes nothing, and the submit that records usage."""

import pytest
from django.urls import reverse

from macros.models import Macro
from tests.factories import ContactFactory, TicketFactory, group_with
from tests.macros.macro_factories import MacroFactory
from tests.tickets.view_helpers import form_data, ticket_url
from tickets.models import Comment, Event, Ticket, TicketTag

pytestmark = pytest.mark.django_db

AVAILABLE = reverse("macros:available")
PREVIEW = reverse("macros:preview")


def submit_url(ticket) -> str:
    return reverse("macros:ticket-submit", args=[ticket.pk])


@pytest.fixture
def ticket(agent):
    ticket = TicketFactory(
        subject="Parcel late", requester=ContactFactory(name="Carla Souza", email=""), status="open", assignee=agent
    )
    TicketTag.objects.create(ticket=ticket, name="late")
    return ticket


@pytest.fixture
def close_and_thank():
    return MacroFactory(
        title="Close and thank",
        actions=[
            {"field": "status", "value": "solved"},
            {"field": "current_tags", "value": "thanked"},
            {"field": "comment_value", "value": "Thanks {{ticket.requester.first_name}}!"},
        ],
    )


# --- The menu -------------------------------------------------------------------------------------------------


def test_ticket_page_has_the_menu_and_no_extra_queries(agent_client, ticket, django_assert_max_num_queries):
    MacroFactory.create_batch(5)
    with django_assert_max_num_queries(20) as captured:
        response = agent_client.get(ticket_url(ticket))
    # The menu loads its list on demand: the page itself never reads the macros.
    assert not [q["sql"] for q in captured.captured_queries if "macros_macro" in q["sql"]]
    html = response.content.decode()
    assert "data-macro-menu" in html
    assert f'data-submit-url="{submit_url(ticket)}"' in html
    assert 'name="applied_macro"' in html
    assert "js/macros.js" in html


def test_closed_ticket_page_has_no_menu(agent_client):
    closed = TicketFactory(status="closed")
    assert b"data-macro-menu" not in agent_client.get(ticket_url(closed)).content


def test_available_lists_usable_macros_as_data(agent_client, other_agent):
    MacroFactory(title="Billing::Refund <script>alert(1)</script>", description="Refund")
    MacroFactory(title="Close and thank")
    MacroFactory(title="Theirs", availability="personal", owner=other_agent)
    MacroFactory(title="Off", active=False)
    response = agent_client.get(AVAILABLE)
    assert response["Content-Type"] == "application/json"
    macros = response.json()["macros"]
    assert [m["title"] for m in macros] == ["Billing::Refund <script>alert(1)</script>", "Close and thank"]
    assert macros[0]["category_path"] == ["Billing", "Refund <script>alert(1)</script>"]
    assert (macros[0]["category"], macros[0]["name"]) == ("Billing", "Refund <script>alert(1)</script>")
    assert [m["title"] for m in agent_client.get(AVAILABLE, {"q": "thank"}).json()["macros"]] == ["Close and thank"]


def test_menu_endpoints_need_a_login(client, ticket, close_and_thank):
    for url in (AVAILABLE, f"{PREVIEW}?ticket={ticket.pk}&macro={close_and_thank.pk}"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Preview --------------------------------------------------------------------------------------------------


def test_preview_returns_the_filled_values_and_changes_nothing(agent_client, agent, ticket, close_and_thank):
    before = (Ticket.objects.values().get(pk=ticket.pk), Event.objects.count(), Comment.objects.count())
    response = agent_client.get(PREVIEW, {"ticket": ticket.pk, "macro": close_and_thank.pk})
    assert response.status_code == 200
    assert response.json() == {
        "macro": {"id": close_and_thank.pk, "title": "Close and thank"},
        "ticket_id": ticket.pk,
        "fields": {"status": "solved"},
        "tags": {"set": None, "add": ["thanked"], "remove": []},
        "tags_after": ["late", "thanked"],
        "comment": {"body": "Thanks Carla!", "public": True},
    }
    after = (Ticket.objects.values().get(pk=ticket.pk), Event.objects.count(), Comment.objects.count())
    assert after == before
    close_and_thank.refresh_from_db()
    assert close_and_thank.usage_count == 0


def test_preview_refuses_what_the_agent_may_not_see(agent_client, other_agent, ticket, close_and_thank):
    hidden = TicketFactory(group=group_with(other_agent))
    theirs = MacroFactory(availability="personal", owner=other_agent)
    assert agent_client.get(PREVIEW, {"ticket": hidden.pk, "macro": close_and_thank.pk}).status_code == 404
    assert agent_client.get(PREVIEW, {"ticket": ticket.pk, "macro": theirs.pk}).status_code == 404
    assert agent_client.get(PREVIEW, {"ticket": 999999, "macro": close_and_thank.pk}).status_code == 404
    for query in (
        {},
        {"ticket": "x", "macro": close_and_thank.pk},
        {"ticket": ticket.pk, "macro": "-1"},
        {"ticket": "²", "macro": "1"},
    ):
        assert agent_client.get(PREVIEW, query).status_code == 400
    assert agent_client.get(PREVIEW, {"ticket": str(2**70), "macro": close_and_thank.pk}).status_code == 400
    assert agent_client.post(PREVIEW, {"ticket": ticket.pk, "macro": close_and_thank.pk}).status_code == 405


def test_preview_of_a_macro_that_no_longer_fits_is_400(agent_client, ticket):
    group = group_with()
    macro = MacroFactory(actions=[{"field": "group_id", "value": group.pk}])
    group.delete()
    response = agent_client.get(PREVIEW, {"ticket": ticket.pk, "macro": macro.pk})
    assert response.status_code == 400
    assert "does not exist" in response.json()["errors"]["actions"][0]


# --- Submit ---------------------------------------------------------------------------------------------------


def test_submit_with_a_macro_saves_the_form_and_records_usage(agent_client, agent, ticket, close_and_thank):
    data = form_data(
        ticket,
        status="solved",
        tags="late thanked",
        body="Thanks Carla, all done!",
        applied_macro=str(close_and_thank.pk),
    )
    response = agent_client.post(submit_url(ticket), data)
    assert response.status_code == 302 and response["Location"] == ticket_url(ticket)
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    comment = ticket.comments.get()
    assert (comment.body, comment.public, comment.author_user) == ("Thanks Carla, all done!", True, agent)
    event = Event.objects.get(ticket=ticket, type="macro.applied")
    assert event.actor == agent
    assert event.data == {
        "macro_id": close_and_thank.pk,
        "title": "Close and thank",
        "changes": {"status": ["open", "solved"], "tags": [["late"], ["late", "thanked"]]},
        "comment_id": comment.pk,
        "source": "web",
    }
    close_and_thank.refresh_from_db()
    assert close_and_thank.usage_count == 1
    page = agent_client.get(ticket_url(ticket)).content.decode()
    assert "Macro applied: Close and thank" in page


def test_submit_records_each_chosen_macro_once(agent_client, ticket, close_and_thank):
    take_it = MacroFactory(title="Take it", actions=[{"field": "status", "value": "open"}])
    ids = f"{close_and_thank.pk} {take_it.pk},{close_and_thank.pk}"
    response = agent_client.post(submit_url(ticket), form_data(ticket, priority="high", applied_macro=ids))
    assert response.status_code == 302
    assert list(Event.objects.filter(type="macro.applied").order_by("id").values_list("data__title", flat=True)) == [
        "Close and thank",
        "Take it",
    ]
    assert [m.usage_count for m in (close_and_thank, take_it) if not m.refresh_from_db()] == [1, 1]


def test_submit_sets_the_subject_a_macro_previewed(agent_client, ticket):
    macro = MacroFactory(actions=[{"field": "subject", "value": "Refund for {{ticket.requester.first_name}}"}])
    data = form_data(ticket, applied_macro=str(macro.pk), macro_subject="Refund for Carla (edited)")
    assert agent_client.post(submit_url(ticket), data).status_code == 302
    ticket.refresh_from_db()
    assert ticket.subject == "Refund for Carla (edited)"
    event = Event.objects.get(type="macro.applied")
    assert event.data["changes"] == {"subject": ["Parcel late", "Refund for Carla (edited)"]}


def test_refused_submit_records_nothing_and_keeps_the_choice(agent_client, agent, other_agent, ticket, close_and_thank):
    ticket.group = group_with(agent)
    ticket.save()
    data = form_data(
        ticket, status="solved", assignee=other_agent.pk, body="Thanks", applied_macro=str(close_and_thank.pk)
    )
    response = agent_client.post(submit_url(ticket), data)
    assert response.status_code == 400
    assert f'name="applied_macro" value="{close_and_thank.pk}"' in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "open" and not ticket.comments.exists()
    assert not Event.objects.filter(type="macro.applied").exists()
    close_and_thank.refresh_from_db()
    assert close_and_thank.usage_count == 0


def test_submit_ignores_macros_the_agent_may_not_use(agent_client, other_agent, ticket):
    theirs = MacroFactory(availability="personal", owner=other_agent)
    data = form_data(ticket, body="Plain reply", applied_macro=f"{theirs.pk} nonsense 999999", macro_subject="Hijack")
    assert agent_client.post(submit_url(ticket), data).status_code == 302
    ticket.refresh_from_db()
    assert ticket.comments.get().body == "Plain reply" and ticket.subject == "Parcel late"
    assert not Event.objects.filter(type="macro.applied").exists()


def test_submit_to_an_invisible_ticket_is_404(agent_client, other_agent, close_and_thank):
    hidden = TicketFactory(group=group_with(other_agent))
    data = form_data(hidden, body="x", applied_macro=str(close_and_thank.pk))
    assert agent_client.post(submit_url(hidden), data).status_code == 404
    assert agent_client.get(submit_url(hidden)).status_code == 405
    assert not Comment.objects.exists()


def test_user_text_is_escaped_on_the_page(agent_client, ticket):
    data = form_data(ticket, applied_macro='"><script>x</script>', macro_subject='"><script>y</script>', status="bogus")
    response = agent_client.post(submit_url(ticket), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "<script>x</script>" not in html and "<script>y</script>" not in html
    assert "&lt;script&gt;y&lt;/script&gt;" in html


# --- Admin ----------------------------------------------------------------------------------------------------


def admin_form(**overrides) -> dict:
    data = {
        "title": "Billing::Refund issued",
        "description": "",
        "active": "on",
        "availability": "everyone",
        "owner": "",
        "actions": '[{"field": "status", "value": "solved"}]',
        "position": "0",
    }
    data.update(overrides)
    return data


def test_admin_saves_macros_through_the_services(client, admin_user, agent):
    client.force_login(admin_user)
    add = reverse("admin:macros_macro_add")
    response = client.post(add, admin_form(actions='[{"field": "statuz", "value": "x"}]'))
    assert response.status_code == 200
    assert "Action 1: unknown field &#x27;statuz&#x27;." in response.content.decode()
    response = client.post(add, admin_form(actions='[{"field": "comment_value", "value": "{{ticket.nope}}"}]'))
    assert "unknown placeholder {{ticket.nope}}" in response.content.decode()
    response = client.post(add, admin_form(availability="personal"))
    assert "A personal macro needs an owner." in response.content.decode()
    response = client.post(add, admin_form(availability="groups"))
    assert "Choose at least one group" in response.content.decode()

    response = client.post(add, admin_form())
    assert response.status_code == 302
    macro = Macro.objects.get()
    assert (macro.created_by, macro.actions) == (admin_user, [{"field": "status", "value": "solved"}])
    group = group_with(agent)
    change = reverse("admin:macros_macro_change", args=[macro.pk])
    response = client.post(change, admin_form(availability="groups", groups=[group.pk], usage_count="99"))
    assert response.status_code == 302
    macro.refresh_from_db()
    assert (macro.availability, list(macro.groups.all()), macro.usage_count) == ("groups", [group], 0)

    listing = client.get(reverse("admin:macros_macro_changelist"), {"q": "refund"})
    assert listing.status_code == 200 and "Billing::Refund issued" in listing.content.decode()
    assert client.get(change).status_code == 200
