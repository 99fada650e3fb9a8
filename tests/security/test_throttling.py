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


@pytest.fixture
def password_checks(monkeypatch):
    """How many times a password was actually verified (the test settings hash with MD5)."""
    from django.contrib.auth.hashers import MD5PasswordHasher

    checks = []
    verify = MD5PasswordHasher.verify

    def counting(self, password, encoded):
        checks.append(1)
        return verify(self, password, encoded)

    monkeypatch.setattr(MD5PasswordHasher, "verify", counting)
    return checks


def test_attempts_over_the_limit_never_reach_the_password_check(client, password_checks):
    user = UserFactory()
    for _ in range(8):
        attempt(client, user.username, WRONG)
    assert len(password_checks) == 5


@override_settings(LOGIN_FAILURE_LIMIT_PER_USER=8)
def test_the_per_username_limit_holds_across_addresses(client, password_checks):
    user = UserFactory()
    for n in range(12):
        attempt(client, user.username, WRONG, address=f"10.1.0.{n}")
    assert len(password_checks) == 8
    response = attempt(client, user.username, PASSWORD, address="10.1.1.1")
    assert "Too many failed login attempts" in response.content.decode()
    assert not logged_in(client)
    assert len(password_checks) == 8


@override_settings(LOGIN_FAILURE_LIMIT_PER_USER=6)
def test_a_success_does_not_give_a_parallel_guesser_attempts_back(client, password_checks):
    """Before, a success deleted the count: an attacker guessing while the real user logged in regained attempts."""
    user = UserFactory()
    for n in range(5):
        attempt(client, user.username, WRONG, address=f"10.2.0.{n}")
    assert attempt(client, user.username, PASSWORD, address="10.2.1.1").status_code == 302  # the real user
    client.logout()
    for n in range(5):
        attempt(client, user.username, WRONG, address=f"10.2.2.{n}")
    # 5 failures + the success (given back) + 1 more failure = the limit of 6: the success returned nothing else.
    assert len(password_checks) == 5 + 1 + 1


@override_settings(LOGIN_FAILURE_LIMIT_PER_USER=10)
def test_one_address_over_its_limit_cannot_lock_the_user_out_elsewhere(client):
    user = UserFactory()
    for _ in range(30):
        attempt(client, user.username, WRONG, address="10.3.0.1")
    assert attempt(client, user.username, PASSWORD, address="10.3.0.2").status_code == 302


def test_an_unreachable_cache_fails_closed_without_a_500(client, password_checks, monkeypatch, caplog):
    user = UserFactory()

    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(throttling.cache, "add", down)
    monkeypatch.setattr(throttling.cache, "incr", down)
    response = attempt(client, user.username, PASSWORD)
    assert response.status_code == 200
    assert "Logging in is unavailable for a moment" in response.content.decode()
    assert not logged_in(client)
    assert password_checks == []
    assert PASSWORD not in caplog.text


@override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}}
)
def test_a_real_redis_outage_fails_closed_too(client, password_checks):
    user = UserFactory()
    response = attempt(client, user.username, PASSWORD)
    assert response.status_code == 200
    assert "Logging in is unavailable for a moment" in response.content.decode()
    assert password_checks == []
    assert not logged_in(client)


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
    assert base.LOGIN_FAILURE_LIMIT_PER_USER == 50
