"""The Django admin of ticket fields refuses what the API refuses."""

import pytest

from tickets.models import CustomField

pytestmark = pytest.mark.django_db
ADD = "/admin/tickets/customfield/add/"


def _post(client, **fields):
    data = {
        "title": "Plan",
        "type": "tagger",
        "description": "",
        "active": "on",
        "position": "1",
        "regexp_for_validation": "",
        "tag": "",
        "options-TOTAL_FORMS": "1",
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
        "options-0-name": "Pro plan",
        "options-0-value": "plan_pro",
        "options-0-position": "0",
    }
    data.update(fields)
    return client.post(ADD, data)


def test_admin_creates_a_drop_down_with_its_options(client, admin_user):
    client.force_login(admin_user)
    assert _post(client).status_code == 302
    field = CustomField.objects.get()
    assert [(o.name, o.value) for o in field.options.all()] == [("Pro plan", "plan_pro")]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"options-0-value": "two words"}, "is not a valid tag"),
        ({"type": "regexp", "regexp_for_validation": "(["}, "is not a valid pattern"),
        ({"type": "checkbox", "tag": "bad tag"}, "is not a valid tag"),
    ],
)
def test_admin_refuses_bad_definitions(client, admin_user, fields, message):
    client.force_login(admin_user)
    response = _post(client, **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CustomField.objects.exists()
