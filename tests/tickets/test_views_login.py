"""The agent pages: login, logout and the layout."""

import re

import pytest
from django.urls import reverse

from tests.tickets.view_helpers import HOME

pytestmark = pytest.mark.django_db


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
