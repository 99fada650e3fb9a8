import pytest

from channels_whatsapp.models import WhatsAppAccount


@pytest.fixture
def account(db):
    return WhatsAppAccount.objects.create(
        name="Support line",
        phone_number_id="106540352242922",
        waba_id="102290129340398",
        display_phone_number="15550001111",
        access_token="EAAG-secret-token",
    )


@pytest.fixture(autouse=True)
def close_pools_after(transactional_db):
    """Requests served in other threads (ASGI tests) leave pooled PostgreSQL connections open: close them, so that
    the test database can be dropped at the end."""
    yield
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if connection.vendor == "postgresql" and connection.settings_dict["OPTIONS"].get("pool"):
            connection.close_pool()
