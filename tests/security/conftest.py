"""Fixtures for the security suite: signed webhooks, a connected number, real API tokens, whole-database dumps."""

import json
import logging
from collections.abc import Callable

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models.fields.files import FieldFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from channels_whatsapp.models import WhatsAppAccount
from tests.channels_whatsapp.conftest import meta_json, sign
from tests.e2e.conftest import asgi_server, browser, page  # noqa: F401  (the browser fixtures, for the XSS tests)

PHONE_NUMBER_ID = "106540352242922"
PASSWORD = "secret-pass-123"  # tests.factories.UserFactory's


@pytest.fixture
def account(db) -> WhatsAppAccount:
    return WhatsAppAccount.objects.create(
        name="Support line",
        phone_number_id=PHONE_NUMBER_ID,
        waba_id="102290129340398",
        display_phone_number="15550001111",
        access_token="EAAG-secret-token",
    )


@pytest.fixture
def post_webhook(client) -> Callable:
    def post(payload: dict | bytes, *, signature: str | None = None):
        body = payload if isinstance(payload, bytes) else meta_json(payload)
        return client.post(
            "/whatsapp/webhook/",
            data=body,
            content_type="application/json",
            headers={"X-Hub-Signature-256": signature if signature is not None else sign(body)},
        )

    return post


def token_client(user) -> APIClient:
    """An API client that authenticates as a real integration does: `Authorization: Token <key>`."""
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _text(value) -> str:
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)


def dump_database() -> str:
    """Every row of every table (auto-created many-to-many tables too), every concrete field, as text."""
    lines = []
    for model in apps.get_models(include_auto_created=True):
        fields = model._meta.concrete_fields
        for row in model._base_manager.all().order_by().iterator():
            for field in fields:
                lines.append(f"{model._meta.label}.{field.attname}={_text(field.value_from_object(row))}")
    return "\n".join(lines)


def dump_attachment_files() -> str:
    """Every attachment's stored file: its storage name and its content (the test settings keep files in memory,
    shared by the whole run, so only the files this test's rows point at are read)."""
    from tickets.models import Attachment

    lines = []
    for attachment in Attachment.objects.exclude(file=""):
        with default_storage.open(attachment.file.name, "rb") as handle:
            lines.append(f"{attachment.file.name}: {handle.read().decode('latin-1')}")
    return "\n".join(lines)


@pytest.fixture
def sql_logged(caplog):
    """Every log record at DEBUG, including each SQL statement with its parameters."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    previous = connection.force_debug_cursor
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = previous
