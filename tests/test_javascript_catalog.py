"""The JavaScript catalogue (/jsi18n/): built once per language, not on every page load, and answered with a 304 to a
browser that already holds this deploy's copy."""

import time

import pytest
from django.core.cache import cache
from django.utils.http import http_date, parse_http_date
from django.utils.translation import get_language
from django.views.i18n import JavaScriptCatalog


@pytest.fixture
def built(monkeypatch):
    """Every time the catalogue is really built, with the language it was built in."""
    cache.clear()
    languages = []

    def get_catalog(view):
        languages.append(get_language())
        return {"Notifications": f"catalogue-{get_language()}"}

    monkeypatch.setattr(JavaScriptCatalog, "get_catalog", get_catalog)
    yield languages
    cache.clear()


def test_the_catalogue_is_built_once_per_language(client, built):
    first = client.get("/jsi18n/?lang=en", HTTP_ACCEPT_LANGUAGE="en")
    again = client.get("/jsi18n/?lang=en", HTTP_ACCEPT_LANGUAGE="en")
    german = client.get("/jsi18n/?lang=de", HTTP_ACCEPT_LANGUAGE="de")
    german_again = client.get("/jsi18n/?lang=de", HTTP_ACCEPT_LANGUAGE="de")

    assert built == ["en", "de"]
    assert b"catalogue-en" in first.content and b"catalogue-en" in again.content
    assert b"catalogue-de" in german.content and b"catalogue-de" in german_again.content
    assert "Accept-Language" in german["Vary"]
    assert "max-age=3600" in german["Cache-Control"]


def test_the_cached_catalogue_follows_the_active_language_not_only_the_url(client, built):
    english = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="en")
    german = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="de")

    assert built == ["en", "de"]
    assert b"catalogue-en" in english.content
    assert b"catalogue-de" in german.content


def test_a_browser_holding_this_deploys_copy_gets_a_304(client, built):
    fresh = client.get("/jsi18n/?lang=en")
    assert fresh.status_code == 200
    built_at = parse_http_date(fresh["Last-Modified"])
    assert built_at <= time.time()
    cache.clear()
    time.sleep(1.1)  # Last-Modified has whole seconds
    assert client.get("/jsi18n/?lang=en")["Last-Modified"] == fresh["Last-Modified"]  # the deploy's time, not now

    revalidated = client.get("/jsi18n/?lang=en", HTTP_IF_MODIFIED_SINCE=fresh["Last-Modified"])
    older = client.get("/jsi18n/?lang=en", HTTP_IF_MODIFIED_SINCE=http_date(built_at - 3600))

    assert revalidated.status_code == 304
    assert older.status_code == 200


def test_every_page_asks_for_the_catalogue_in_its_own_language(client):
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    german = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de")

    assert b'<script src="/jsi18n/?lang=en"></script>' in english.content
    assert b'<script src="/jsi18n/?lang=de"></script>' in german.content
