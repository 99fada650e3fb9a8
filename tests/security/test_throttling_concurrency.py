"""Login throttling under a parallel burst, on PostgreSQL + Redis as in production: each attempt is counted before
its password is checked, so 50 simultaneous wrong passwords get at most the limit of password checks (before: 23)."""

import os
import threading

import pytest
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings

from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL); CI sets it"),
]
WRONG = "not-the-password"
PARALLEL = 50


@pytest.fixture(autouse=True)
def _postgres_and_redis():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...); CI sets it")
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password_checks(monkeypatch):
    checks: list[int] = []
    lock = threading.Lock()
    verify = MD5PasswordHasher.verify

    def counting(self, password, encoded):
        with lock:
            checks.append(1)
        return verify(self, password, encoded)

    monkeypatch.setattr(MD5PasswordHasher, "verify", counting)
    return checks


def burst(username: str, addresses: list[str]) -> list[int]:
    """One thread per attempt, all released at once; each thread has its own client and database connection."""
    barrier = threading.Barrier(len(addresses))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def one(address: str) -> None:
        try:
            client = Client()
            barrier.wait(timeout=30)
            response = client.post("/accounts/login/", {"username": username, "password": WRONG}, REMOTE_ADDR=address)
            statuses.append(response.status_code)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(address,)) for address in addresses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return statuses


def test_a_parallel_burst_from_one_address_gets_at_most_the_limit_of_password_checks(password_checks):
    user = UserFactory()
    statuses = burst(user.username, ["198.51.100.7"] * PARALLEL)
    assert statuses == [200] * PARALLEL  # every attempt answered by the form, none a 500
    assert 0 < len(password_checks) <= settings.LOGIN_FAILURE_LIMIT


@override_settings(LOGIN_FAILURE_LIMIT_PER_USER=10)
def test_a_parallel_burst_from_many_addresses_gets_at_most_the_per_user_limit(password_checks):
    user = UserFactory()
    statuses = burst(user.username, [f"198.51.100.{n}" for n in range(PARALLEL)])
    assert statuses == [200] * PARALLEL
    assert 0 < len(password_checks) <= 10
