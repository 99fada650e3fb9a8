"""Without chromium the browser tests say why: a failure on CI, a skip on a developer's machine."""

import pytest

from tests.e2e import conftest


@pytest.fixture
def no_chromium(monkeypatch):
    monkeypatch.setattr(conftest, "CHROMIUM", "/nonexistent/chromium")


def test_missing_chromium_fails_on_ci(no_chromium, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium not found"):
        conftest._chromium_or_skip()


def test_missing_chromium_skips_elsewhere(no_chromium, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium not found"):
        conftest._chromium_or_skip()
