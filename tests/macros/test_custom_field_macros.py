"""A macro setting admin-defined ticket fields: validated when saved, previewed for the page, applied by the API."""

import pytest

from macros.models import Macro
from tests.factories import TicketFactory
from tests.tickets.custom_field_helpers import make_fields
from tickets import services as ticket_services
from tickets.models import CustomFieldValue

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(db):
    return make_fields()


def test_a_macro_sets_fields_and_the_option_tag(admin_api, agent_api, agent, fields):
    plan, due = fields["plan"], fields["due"]
    created = admin_api.post(
        "/api/macros/",
        {
            **{
                "title": "Upgrade to Pro",
                "actions": [
                    {"field": f"custom_fields_{plan.pk}", "value": "plan_pro"},
                    {"field": f"custom_fields_{due.pk}", "value": "2027-02-03"},
                    {
                        "field": "comment_value",
                        "value": "Moved from {{ticket.ticket_field_option_title_" + str(plan.pk) + "}}.",
                    },
                ],
            }
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    ticket = TicketFactory(assignee=agent)
    ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"custom_fields": {plan.pk: "plan_basic"}})
    url = f"/api/tickets/{ticket.pk}/macros/{created.json()['id']}/apply/"
    preview = agent_api.get(url).json()
    assert preview["fields"][f"custom_fields_{plan.pk}"] == "plan_pro"
    assert CustomFieldValue.objects.get(field=plan).value == "plan_basic"
    response = agent_api.post(url)
    assert response.status_code == 200, response.json()
    assert CustomFieldValue.objects.get(ticket=ticket, field=plan).value == "plan_pro"
    assert CustomFieldValue.objects.get(ticket=ticket, field=due).date.isoformat() == "2027-02-03"
    assert list(ticket.tag_rows.values_list("name", flat=True)) == ["plan_pro"]  # the basic plan's tag went
    # Placeholders show the ticket as it was when the macro was applied (the option chosen before).
    assert ticket.comments.filter(body="Moved from Basic plan.").exists()


def test_a_macro_with_a_bad_value_is_refused_by_name(admin_api, fields):
    response = admin_api.post(
        "/api/macros/",
        {"title": "Bad", "actions": [{"field": f"custom_fields_{fields['order'].pk}", "value": "lots"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "Order number" in str(response.json())
    assert not Macro.objects.filter(title="Bad").exists()
