"""Product admin is a role (the `tickets.product_admin` permission, held by the "Product admins" group).

Review finding (3): `is_staff` alone made a full product admin (tickets/permissions.py `is_admin`).
"""

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.urls import reverse
from rest_framework.test import APIClient

from channels_whatsapp.models import WhatsAppAccount
from tests.factories import AdminFactory, ProductAdminFactory, UserFactory
from tickets import seeding as demo
from tickets.permissions import PRODUCT_ADMIN_PERMISSION, PRODUCT_ADMINS_GROUP, is_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(db) -> WhatsAppAccount:
    return WhatsAppAccount.objects.create(
        name="Support line", phone_number_id="106540352242922", waba_id="1022901", access_token="EAAG-token"
    )


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_role_and_its_group_exist_after_migrating():
    group = AuthGroup.objects.get(name=PRODUCT_ADMINS_GROUP)
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert ("tickets", "product_admin") in codenames
    assert ("tickets", "view_ticket") in codenames  # so a role holder can work in the Django admin
    assert not any(app == "auth" for app, _ in codenames)  # users and roles stay with superusers


def test_staff_alone_is_not_an_admin():
    staff = UserFactory(is_staff=True)
    assert is_admin(staff) is False
    assert not staff.has_perm(PRODUCT_ADMIN_PERMISSION)


@pytest.mark.parametrize("factory", [AdminFactory, ProductAdminFactory])
def test_superusers_and_role_holders_are_admins(factory):
    assert is_admin(factory()) is True


def test_inactive_role_holder_is_not_an_admin():
    assert is_admin(ProductAdminFactory(is_active=False)) is False


def test_asking_costs_plain_agents_and_superusers_no_query(django_assert_num_queries):
    agent, superuser = UserFactory(), AdminFactory()
    with django_assert_num_queries(0):
        assert is_admin(agent) is False
        assert is_admin(superuser) is True


def test_a_role_holder_is_asked_once_per_request(django_assert_max_num_queries):
    holder = ProductAdminFactory()
    with django_assert_max_num_queries(2):  # Django's permission cache on the user object
        for _ in range(5):
            assert is_admin(holder)


def test_staff_without_the_role_cannot_write_admin_settings(account):
    staff = UserFactory(is_staff=True)
    url = f"/api/whatsapp/accounts/{account.pk}/"
    assert api(staff).patch(url, {"redact_credit_cards": False}, format="json").status_code == 403
    assert (
        api(staff).post("/api/triggers/", {"title": "x", "conditions": {}, "actions": []}, format="json").status_code
        == 403
    )
    account.refresh_from_db()
    assert account.redact_credit_cards is True
    assert api(staff).get(url).status_code == 200  # still an agent: reads stay open


def test_role_holder_without_superuser_writes_admin_settings(account):
    response = api(ProductAdminFactory()).patch(
        f"/api/whatsapp/accounts/{account.pk}/", {"redact_credit_cards": False}, format="json"
    )
    assert response.status_code == 200, response.content
    account.refresh_from_db()
    assert account.redact_credit_cards is False


def test_staff_without_the_role_is_refused_by_the_admin_site(client):
    client.force_login(UserFactory(is_staff=True, username="staffonly"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    login_page = client.get(response["Location"])
    assert "not authorized to access this page" in login_page.content.decode()
    assert client.get(reverse("admin:tickets_ticket_changelist")).status_code == 302


def test_role_holder_without_superuser_works_in_the_admin(client):
    client.force_login(ProductAdminFactory())
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:tickets_ticket_changelist")).status_code == 200
    assert client.get(reverse("admin:tickets_contact_changelist")).status_code == 200
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403  # not for the role


def test_superuser_sees_the_group_in_the_admin(client):
    client.force_login(AdminFactory())
    response = client.get(reverse("admin:auth_group_changelist"))
    assert response.status_code == 200
    assert PRODUCT_ADMINS_GROUP in response.content.decode()


def test_the_rules_link_is_shown_to_admins_only(client):
    client.force_login(UserFactory(is_staff=True, username="staffonly"))
    assert 'href="/rules/"' not in client.get(reverse("tickets:home")).content.decode()
    client.force_login(ProductAdminFactory())
    assert 'href="/rules/"' in client.get(reverse("tickets:home")).content.decode()


def test_demo_admin_holds_the_role():
    users = demo.ensure_users()
    admins = [user for user in users.values() if user.is_superuser]
    assert admins
    for user in admins:
        assert user.groups.filter(name=PRODUCT_ADMINS_GROUP).exists()
