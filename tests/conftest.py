from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from django.utils import translation
from rest_framework.test import APIClient

from tests.factories import AdminFactory, UserFactory
from tickets import realtime

SQLITE = "django.db.backends.sqlite3"


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return bool(marker and marker.kwargs.get("transaction")) or {"transactional_db", "live_server"} & set(fixtures)


def pytest_collection_modifyitems(config, items) -> None:
    """Mark the tests that commit (and end by emptying every table, the migrations' rows included: the shipped
    rules, the schedules, the product admins group) as `transactional`. One process runs them after all the others;
    `make test` spreads the suite over pytest-xdist workers, which keep no such order, so it runs the others first
    (`-m "not transactional"`) and these in a second pass."""
    for item in items:
        if _transactional(item):
            item.add_marker("transactional")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request, django_db_modify_db_settings_parallel_suffix) -> None:
    """On SQLite, a run with browser tests gets a file test database (in var/), as `make run` uses a file.

    Django's default SQLite test database is a shared-cache in-memory one. Its connections share one cache with
    table-level locks, and a write meeting another connection's lock fails at once with "database table is locked"
    (SQLITE_LOCKED), which no busy timeout waits out. The browser tests' servers answer requests from several
    threads at once (a banner's eight dismiss requests, say), each with its own connection, so they would fail
    where the product, on a WAL file with a busy timeout, waits its turn. The other tests keep the faster memory.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != SQLITE or database.get("TEST", {}).get("NAME"):
        return
    if not any(item.get_closest_marker("browser") for item in request.session.items):
        return
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    name = Path(settings.BASE_DIR) / "var" / f"test-browser-{worker}.sqlite3"
    database.setdefault("TEST", {})["NAME"] = str(name)


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the default language: a request through LocaleMiddleware (German Accept-Language, a German
    agent) leaves its language active in the thread, as Django does between requests, and the next test would read it."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fresh_redis_channel_layer() -> Iterator[None]:
    """Every test gets its own Redis channel layer. channels_redis keeps per-process asyncio locks; a socket that a
    finished test's event loop left waiting on one leaves it locked and bound to that loop, and every later test
    that receives on the shared layer fails ("bound to a different event loop"). The in-memory layer is kept."""
    yield
    layer = channel_layers.backends.get(DEFAULT_CHANNEL_LAYER)
    if layer is not None and hasattr(layer, "receive_clean_locks"):  # channels_redis
        channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)


@pytest.fixture
def agent(db):
    return UserFactory(username="alice", first_name="Alice", last_name="Agent")


@pytest.fixture
def other_agent(db):
    return UserFactory(username="bob", first_name="Bob", last_name="Other")


@pytest.fixture
def admin_user(db):
    return AdminFactory(username="root", first_name="Ada", last_name="Admin")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def agent_api(agent):
    client = APIClient()
    client.force_authenticate(agent)
    return client


@pytest.fixture
def admin_api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@dataclass(frozen=True)
class SentFrame:
    groups: list[str]
    frame: dict


@pytest.fixture
def capture_frames(monkeypatch, django_capture_on_commit_callbacks):
    """What realtime would send, after commit, as Zulip's `capture_send_event_calls`:

        with capture_frames() as sent:
            services.comment_add(...)
        assert sent == [SentFrame(groups=["ticket.1"], frame={...})]

    The transaction's on-commit callbacks run when the block ends; `realtime.send_to_groups` (the one door every
    frame leaves by) is replaced by a recorder, so nothing reaches a channel layer.
    """

    @contextmanager
    def capture() -> Iterator[list[SentFrame]]:
        sent: list[SentFrame] = []
        with monkeypatch.context() as patch:
            patch.setattr(realtime, "send_to_groups", lambda groups, frame: sent.append(SentFrame(list(groups), frame)))
            with django_capture_on_commit_callbacks(execute=True):
                yield sent

    return capture
