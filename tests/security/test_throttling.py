"""Login throttling (per username + client address, both login forms) and the API's rate limits."""

import logging
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from tests.factories import AdminFactory, UserFactory
from tests.security.conftest import PASSWORD, token_client
from tickets import throttling

pytestmark = pytest.mark.django_db
WRONG = "not-the-password"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Failure counts and throttle histories live in the cache (Redis in CI): no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


def attempt(client, username: str, password: str, *, address: str = "10.0.0.1", url: str = "/accounts/login/"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_failures_then_even_the_right_password_is_refused_with_a_wait_message(client, caplog):
    user = UserFactory()
    caplog.set_level(logging.DEBUG)
    for _ in range(5):
        response = attempt(client, user.username, WRONG)
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    response = attempt(client, user.username, PASSWORD)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Too many failed login attempts" in page
    assert "wait 15 minutes" in page
    assert 'action="/accounts/login/"' in page  # the same page and form
    assert not logged_in(client)
    assert WRONG not in caplog.text and PASSWORD not in caplog.text


def test_the_count_is_per_username_and_address(client):
    user, other = UserFactory(), UserFactory()
    for _ in range(5):
        attempt(client, user.username, WRONG)
    # Another address, or another username from the same address, still gets in.
    assert attempt(client, user.username, PASSWORD, address="10.0.0.2").status_code == 302
    client.logout()
    assert attempt(client, other.username, PASSWORD).status_code == 302
    client.logout()
    assert attempt(client, user.username.upper(), PASSWORD).status_code == 200  # usernames compare case-blind


def test_a_successful_login_clears_the_count(client):
    user = UserFactory()
    for _ in range(4):
        attempt(client, user.username, WRONG)
    assert attempt(client, user.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, user.username, WRONG)
    assert attempt(client, user.username, PASSWORD).status_code == 302


@override_settings(LOGIN_FAILURE_WINDOW_SECONDS=1)
def test_the_block_ends_when_the_window_has_passed(client):
    user = UserFactory()
    for _ in range(5):
        attempt(client, user.username, WRONG)
    assert "Too many failed" in attempt(client, user.username, PASSWORD).content.decode()
    time.sleep(1.2)
    assert attempt(client, user.username, PASSWORD).status_code == 302


def test_the_admin_login_form_shares_the_count(client):
    admin = AdminFactory()
    for _ in range(3):
        attempt(client, admin.username, WRONG)
    for _ in range(2):
        attempt(client, admin.username, WRONG, url="/admin/login/")
    response = attempt(client, admin.username, PASSWORD, url="/admin/login/")
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert not logged_in(client)


def test_the_cache_holds_no_username(client):
    user = UserFactory(username="very-distinct-name")
    attempt(client, user.username, WRONG)
    key = throttling._key(user.username, "10.0.0.1")
    assert cache.get(key) == 1
    assert "very-distinct-name" not in key


def test_unknown_usernames_are_throttled_too(client):
    for _ in range(5):
        attempt(client, "nobody-here", WRONG)
    assert "Too many failed" in attempt(client, "nobody-here", WRONG).content.decode()


# --- API --------------------------------------------------------------------------------------------------------


def rates(**scopes):
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": scopes})


def test_the_api_throttles_each_user_and_says_when_to_retry():
    agent, other = UserFactory(), UserFactory()
    with rates(user="3/minute", anon="2/minute"):
        api = token_client(agent)
        assert [api.get("/api/tickets/").status_code for _ in range(3)] == [200, 200, 200]
        refused = api.get("/api/tickets/")
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) > 0
        assert token_client(other).get("/api/tickets/").status_code == 200  # per user


def test_the_api_throttles_anonymous_callers_by_address(client):
    """Permissions come first (an anonymous call to a closed endpoint is a 401); open ones, such as the schema,
    are throttled per address."""
    with rates(user="100/minute", anon="2/minute"):
        answers = [client.get("/api/schema/", REMOTE_ADDR="10.9.9.9").status_code for _ in range(3)]
        assert client.get("/api/schema/", REMOTE_ADDR="10.9.9.8").status_code == 200
    assert answers == [200, 200, 429]


def test_production_rates_are_generous_and_documented():
    from config.settings import base

    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {"anon": "120/minute", "user": "1200/minute"}
    assert base.LOGIN_FAILURE_LIMIT == 5
    assert base.LOGIN_FAILURE_WINDOW_SECONDS == 900
