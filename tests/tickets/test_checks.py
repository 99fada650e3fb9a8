"""System checks of the tickets app: can a worker reach a web process in embedded mode (no Redis)?"""

import json

import pytest

from tickets import checks, realtime


@pytest.fixture
def embedded(settings, tmp_path, monkeypatch):
    settings.REDIS_URL = ""
    settings.REALTIME_RELAY_URL = ""
    settings.REALTIME_RELAY_DISCOVERY = True
    settings.REALTIME_WEB_ADDRESS_DIR = tmp_path
    settings.SITE_URL = "https://desk.example.com"
    monkeypatch.setattr(realtime, "_serving_layer", False)
    return settings


def ids() -> list[str]:
    return [message.id for message in checks.check_realtime_relay(None)]


def test_warns_when_a_worker_could_not_find_any_web_process(embedded):
    assert ids() == ["tickets.W002"]


def test_quiet_once_the_web_process_has_recorded_its_address(embedded):
    realtime.web_address_file().write_text(json.dumps({"host": "127.0.0.1", "port": 8000}))
    assert ids() == []


def test_quiet_when_site_url_is_this_machine(embedded):
    embedded.SITE_URL = "http://127.0.0.1:8000"
    assert ids() == []


def test_quiet_with_an_explicit_loopback_relay_url(embedded):
    embedded.REALTIME_RELAY_URL = "http://127.0.0.1:8000/internal/realtime/"
    assert ids() == []


def test_warns_when_the_relay_url_points_elsewhere(embedded):
    embedded.REALTIME_RELAY_URL = "http://desk.example.com/internal/realtime/"
    assert ids() == ["tickets.W001"]


def test_quiet_with_redis(embedded):
    embedded.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert ids() == []


def test_the_check_is_registered(embedded):
    from django.core import checks as django_checks

    assert checks.check_realtime_relay in django_checks.registry.registry.get_checks()
