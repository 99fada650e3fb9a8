"""Custom ticket fields on the agent pages: the properties panel (render and save) and the ticket list's filters."""

import pytest

from tests.factories import TicketFactory
from tests.tickets.custom_field_helpers import make_fields
from tests.tickets.view_helpers import HOME, form_data, ticket_url
from tickets import services
from tickets.models import CustomFieldValue, Event, TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(db):
    return make_fields()


@pytest.fixture
def ticket(agent):
    return TicketFactory(assignee=agent, subject="Broken screen")


def test_the_properties_panel_shows_each_active_field_with_its_value(agent_client, agent, ticket, fields):
    fields["ref"].active = False
    fields["ref"].save()
    services.ticket_update(ticket=ticket, actor=agent, changes={"custom_fields": {fields["plan"].pk: "plan_pro"}})
    html = agent_client.get(ticket_url(ticket)).content.decode()
    assert f'name="custom_fields_{fields["plan"].pk}"' in html
    assert '<option value="plan_pro" selected>Pro plan</option>' in html
    assert f'<input type="date" name="custom_fields_{fields["due"].pk}"' in html
    assert f'type="checkbox" name="custom_fields_{fields["vip"].pk}"' in html
    assert "Order number" in html and "Reference" not in html


def test_saving_the_page_sets_fields_tags_and_the_event_log(agent_client, ticket, fields):
    plan, vip, order = fields["plan"].pk, fields["vip"].pk, fields["order"].pk
    data = form_data(
        ticket,
        **{f"custom_fields_{plan}": "plan_basic", f"custom_fields_{vip}": "on", f"custom_fields_{order}": "31"},
    )
    response = agent_client.post(ticket_url(ticket), data)
    assert response.status_code == 302
    assert CustomFieldValue.objects.get(ticket=ticket, field_id=plan).value == "plan_basic"
    assert CustomFieldValue.objects.get(ticket=ticket, field_id=order).number == 31
    assert set(ticket.tag_rows.values_list("name", flat=True)) == {"plan_basic", "vip"}
    html = agent_client.get(ticket_url(ticket)).content.decode()
    assert "changed Order number from" in html
    # Submitting again unchanged writes nothing.
    before = Event.objects.count()
    agent_client.post(
        ticket_url(ticket),
        form_data(
            ticket,
            **{f"custom_fields_{plan}": "plan_basic", f"custom_fields_{vip}": "on", f"custom_fields_{order}": "31"},
        ),
    )
    assert Event.objects.count() == before


def test_a_value_the_field_refuses_is_a_form_error_beside_it(agent_client, ticket, fields):
    code = fields["code"].pk
    response = agent_client.post(ticket_url(ticket), form_data(ticket, **{f"custom_fields_{code}": "nope"}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "does not match the pattern" in html
    assert not CustomFieldValue.objects.exists()


def test_a_required_field_blocks_solving_on_the_page(agent_client, ticket, fields):
    fields["order"].required_on_solve = True
    fields["order"].save()
    response = agent_client.post(ticket_url(ticket), form_data(ticket, status=TicketStatus.SOLVED))
    assert response.status_code == 400
    assert "Fill in Order number before solving the ticket." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status != TicketStatus.SOLVED


def test_a_closed_ticket_shows_its_values_read_only(agent_client, agent, ticket, fields):
    services.ticket_update(ticket=ticket, actor=agent, changes={"custom_fields": {fields["plan"].pk: "plan_pro"}})
    type(ticket).objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)
    html = agent_client.get(ticket_url(ticket)).content.decode()
    assert "<dt>Plan</dt><dd>Pro plan</dd>" in html
    assert "<dt>VIP</dt><dd>No</dd>" in html


def test_the_list_filters_by_a_drop_down_and_a_checkbox(agent_client, agent, fields):
    plan, vip = fields["plan"].pk, fields["vip"].pk
    pro = TicketFactory(assignee=agent, subject="Pro customer")
    basic = TicketFactory(assignee=agent, subject="Basic customer")
    services.ticket_update(ticket=pro, actor=agent, changes={"custom_fields": {plan: "plan_pro", vip: True}})
    services.ticket_update(ticket=basic, actor=agent, changes={"custom_fields": {plan: "plan_basic"}})
    page = agent_client.get(HOME).content.decode()
    assert f'name="field_{plan}"' in page and f'name="field_{vip}"' in page
    assert f'name="field_{fields["order"].pk}"' not in page  # numbers are not list filters
    shown = agent_client.get(HOME, {f"field_{plan}": "plan_pro"}).content.decode()
    assert "Pro customer" in shown and "Basic customer" not in shown
    shown = agent_client.get(HOME, {f"field_{vip}": "false"}).content.decode()
    assert "Basic customer" in shown and "Pro customer" not in shown
    # An unknown option is ignored like any invalid filter, never a 500.
    assert agent_client.get(HOME, {f"field_{plan}": "plan_gold"}).status_code == 200
