"""Fixtures of the webhook tests: a local receiving server (private addresses allowed only where it is used)."""

import pytest

from automations.webhooks import services
from tests.automations.webhooks import receiver as receiver_server


@pytest.fixture
def receiver(settings):
    """A webhook endpoint on 127.0.0.1; the SSRF guard lets webhooks reach it for this test only."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    state = receiver_server.Receiver()
    server = receiver_server.start(state)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_webhook(admin_user):
    def make(endpoint: str, **fields):
        fields.setdefault("name", "Orders")
        return services.webhook_create(actor=admin_user, endpoint=endpoint, **fields)

    return make
