from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from rest_framework.test import APIClient

from tests.factories import AdminFactory, UserFactory
from tickets import realtime


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
