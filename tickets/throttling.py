"""Throttling: failed logins per username + client address, and the API's request rates.

Login: after `LOGIN_FAILURE_LIMIT` failed attempts for one username from one address within
`LOGIN_FAILURE_WINDOW_SECONDS`, the login form refuses further attempts for that pair, without checking the password,
and says how long to wait. A successful login clears the count. The counts live in Django's cache (Redis when
`REDIS_URL` is set, so every web process shares them). The client address is `REMOTE_ADDR`: behind a reverse proxy,
run daphne with `--proxy-headers` so that it is the client's, not the proxy's.

API: DRF's anonymous and per-user rate throttles, whose rates are read on every request from
`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (so a settings override applies at once; `None` turns a scope off).
"""

import hashlib
import logging

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)

DEFAULT_FAILURE_LIMIT = 5
DEFAULT_FAILURE_WINDOW_SECONDS = 15 * 60


def _limit() -> int:
    return getattr(settings, "LOGIN_FAILURE_LIMIT", DEFAULT_FAILURE_LIMIT)


def _window() -> int:
    return getattr(settings, "LOGIN_FAILURE_WINDOW_SECONDS", DEFAULT_FAILURE_WINDOW_SECONDS)


def client_address(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "unknown")[:64] if request is not None else "unknown"


def _key(username: str, address: str) -> str:
    # Hashed: the cache never holds a username (nor anything typed in the username box, e.g. a password by mistake).
    digest = hashlib.sha256(f"{username.strip().casefold()}\x00{address}".encode()).hexdigest()
    return f"login-failures:{digest}"


def login_blocked(*, username: str, address: str) -> bool:
    return (cache.get(_key(username, address)) or 0) >= _limit()


def login_failed(*, username: str, address: str) -> int:
    """Count one failure; the window starts at the first failure. Returns the count."""
    key = _key(username, address)
    cache.add(key, 0, timeout=_window())
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=_window())
        return 1


def login_succeeded(*, username: str, address: str) -> None:
    cache.delete(_key(username, address))


def wait_message() -> str:
    minutes = max(1, round(_window() / 60))
    return (
        f"Too many failed login attempts. Please wait {minutes} minutes before trying again, "
        "or ask an admin to reset your password."
    )


class ThrottledLoginMixin:
    """For Django's authentication forms: refuse a blocked username + address before `authenticate()` runs."""

    request = None

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        if username and login_blocked(username=username, address=address):
            logger.warning("Login refused: too many failed attempts from %s", address)
            raise forms.ValidationError(wait_message(), code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username and login_failed(username=username, address=address) >= _limit():
                logger.warning("Login throttled after repeated failures from %s", address)
            raise
        if username:
            login_succeeded(username=username, address=address)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """`/accounts/login/`."""


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """`/admin/login/`: the same counts, so the admin's form is no way around the agents' one."""


# --- API ------------------------------------------------------------------------------------------------------


class _RatesFromSettings:
    def allow_request(self, request, view):
        """A cache outage (Redis down) must not turn every API call into a 500: let the request through."""
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.warning("API throttle cache unavailable; request allowed", exc_info=True)
            return True

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(_RatesFromSettings, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    pass
