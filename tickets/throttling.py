"""Throttling: login attempts per username + client address and per username, and the API's request rates.

Login: every attempt is counted *before* the password is checked, with one atomic cache increment per count
(`cache.add` + `cache.incr`: atomic on Redis and on locmem), so a burst of parallel attempts gets at most the limit
of password checks. Two counts, each over `LOGIN_FAILURE_WINDOW_SECONDS` from its first attempt:
- per username + client address: `LOGIN_FAILURE_LIMIT` (5) attempts, then that pair is refused;
- per username, across addresses: `LOGIN_FAILURE_LIMIT_PER_USER` (50), so guessing from many addresses is bounded
  too. An attempt already refused for its address does not use up the username's count (one address alone cannot
  lock a user out everywhere).
A refused attempt never reaches `authenticate()`; the form says how long to wait. A successful login clears the count
of its own username + address (the real user at their own address starts afresh) and gives back only its own attempt
to the per-username count, which it never clears: an attacker guessing in parallel gains nothing when the real user
logs in. Failures expire with the window.

The counts live in Django's cache (Redis when `REDIS_URL` is set, so every web process shares them). If the cache is
unreachable the login fails closed: the form says login is unavailable for now and no password is checked (the API
throttle, by contrast, lets requests through: those callers are already authenticated). The client address is
`REMOTE_ADDR`: behind a reverse proxy, run daphne with `--proxy-headers` so that it is the client's, not the proxy's.
Keys are hashed: the cache never holds a username.

API: DRF's anonymous and per-user rate throttles, whose rates are read on every request from
`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (so a settings override applies at once; `None` turns a scope off).
"""

import contextlib
import hashlib
import logging

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)


def _limit() -> int:
    return settings.LOGIN_FAILURE_LIMIT


def _user_limit() -> int:
    return settings.LOGIN_FAILURE_LIMIT_PER_USER


def _window() -> int:
    return settings.LOGIN_FAILURE_WINDOW_SECONDS


def client_address(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "unknown")[:64] if request is not None else "unknown"


def _normal(username: str) -> str:
    return username.strip().casefold()


def _key(username: str, address: str) -> str:
    # Hashed: the cache never holds a username (nor anything typed in the username box, e.g. a password by mistake).
    digest = hashlib.sha256(f"{_normal(username)}\x00{address}".encode()).hexdigest()
    return f"login-failures:{digest}"


def _user_key(username: str) -> str:
    digest = hashlib.sha256(f"user\x00{_normal(username)}".encode()).hexdigest()
    return f"login-failures-user:{digest}"


def _count(key: str) -> int:
    """One atomic increment; the window starts with the key's first attempt (INCR keeps the expiry)."""
    for _attempt in range(3):
        cache.add(key, 0, timeout=_window())
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr: start a new window
            continue
    raise RuntimeError("login attempt count kept expiring")


def login_attempt(*, username: str, address: str) -> bool:
    """Count one attempt before its password is checked. False: refuse it without checking. Raises when the
    cache is unreachable (the caller fails closed)."""
    if _count(_key(username, address)) > _limit():
        return False
    return _count(_user_key(username)) <= _user_limit()


def login_succeeded(*, username: str, address: str) -> None:
    """Clear this username + address; give back this attempt to the per-username count, never clear it."""
    cache.delete(_key(username, address))
    with contextlib.suppress(ValueError):  # the window ended meanwhile
        cache.decr(_user_key(username))


def wait_message() -> str:
    minutes = max(1, round(_window() / 60))
    return ngettext(
        "Too many failed login attempts. Please wait %(minutes)d minute before trying again, "
        "or ask an admin to reset your password.",
        "Too many failed login attempts. Please wait %(minutes)d minutes before trying again, "
        "or ask an admin to reset your password.",
        minutes,
    ) % {"minutes": minutes}


def unavailable_message() -> str:
    return _("Logging in is unavailable for a moment. Please try again in a minute.")


class ThrottledLoginMixin:
    """For Django's authentication forms: count the attempt, and refuse it before `authenticate()` runs."""

    request = None

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        if username:
            try:
                allowed = login_attempt(username=username, address=address)
            except Exception:
                # Fail closed: without the counts, password guessing would be unlimited.
                logger.error("Login refused: the throttle's cache is unavailable", exc_info=True)
                raise forms.ValidationError(unavailable_message(), code="throttle_unavailable") from None
            if not allowed:
                logger.warning("Login refused: too many attempts from %s", address)
                raise forms.ValidationError(wait_message(), code="throttled")
        cleaned = super().clean()  # a wrong password raises here: the attempt stays counted
        if username:
            try:
                login_succeeded(username=username, address=address)
            except Exception:
                logger.warning("Could not clear the login count after a success", exc_info=True)
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
