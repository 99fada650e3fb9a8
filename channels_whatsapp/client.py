"""The only code that speaks HTTP to the WhatsApp Cloud API. No ORM here; every call has a timeout."""

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from config.http_client import process_client

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# Codes Meta documents as temporary: throughput and pair rate limits, unknown/service errors.
TRANSIENT_CODES = {"1", "2", "4", "80007", "130429", "131000", "131016", "131056", "133004"}
# What `_request` raises when the network, not Meta, failed: nothing (connect) or maybe something (timeout) arrived.
NETWORK_CODES = {"connect_error", "network_error", "timeout"}


def is_transient_failure(code: str) -> bool:
    """A failure that may well not happen again (network, timeout, Meta's 5xx, rate limits): the one definition of
    what an agent may send again as it is (the failed bubble's "Retry")."""
    code = str(code)
    if code in TRANSIENT_CODES or code in NETWORK_CODES or code == "429":
        return True
    return len(code) == 3 and code.startswith("5") and code.isdigit()  # an HTTP 5xx without a Graph error body


class GraphError(Exception):
    """An error from the Cloud API, carrying its code (as a string), title and detail.

    Our own titles and details are lazy translations: whoever shows them renders them in its reader's language.
    `transient`: worth retrying. `maybe_delivered`: the request may have reached Meta (a read timeout), so a retry
    could send the message twice.
    """

    def __init__(
        self,
        code: str,
        title: str | Promise,
        detail: str | Promise = "",
        *,
        http_status: int | None = None,
        transient: bool = False,
        maybe_delivered: bool = False,
    ):
        super().__init__(f"({code}) {title}: {detail}" if detail else f"({code}) {title}")
        self.code = code
        self.title = title
        self.detail = detail
        self.http_status = http_status
        self.transient = transient
        self.maybe_delivered = maybe_delivered


@dataclass(frozen=True)
class SendResult:
    wamid: str
    wa_id: str


@dataclass(frozen=True)
class MediaInfo:
    url: str
    mime_type: str
    sha256: str
    file_size: int | None


def _base() -> str:
    return settings.WHATSAPP_GRAPH_URL.rstrip("/")


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _error_from_response(response: httpx.Response) -> GraphError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return GraphError(
            str(response.status_code),
            f"HTTP {response.status_code}",
            response.text[:300],
            http_status=response.status_code,
            transient=response.status_code >= 500 or response.status_code == 429,
        )
    code = str(error.get("code", response.status_code))
    error_data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
    title = str(error.get("error_user_title") or error.get("message") or _("Cloud API error"))
    detail = str(error_data.get("details") or error.get("error_user_msg") or "")
    transient = code in TRANSIENT_CODES or response.status_code >= 500 or error.get("is_transient") is True
    return GraphError(code, title, detail, http_status=response.status_code, transient=transient)


def _request(method: str, url: str, token: str, **kwargs: Any) -> httpx.Response:
    try:
        response = process_client().request(method, url, headers=_headers(token), timeout=TIMEOUT, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        # Nothing reached Meta: safe to retry.
        raise GraphError(
            "connect_error", _("Could not reach the WhatsApp Cloud API"), str(exc), transient=True
        ) from exc
    except httpx.TimeoutException as exc:
        raise GraphError(
            "timeout",
            _("No answer from the WhatsApp Cloud API"),
            _("The request may have reached WhatsApp; it is not resent automatically to avoid a duplicate."),
            maybe_delivered=True,
        ) from exc
    except httpx.HTTPError as exc:
        raise GraphError("network_error", _("Network error talking to the WhatsApp Cloud API"), str(exc)) from exc
    if response.status_code >= 400:
        raise _error_from_response(response)
    return response


def send_message(*, phone_number_id: str, token: str, payload: dict) -> SendResult:
    """POST /{phone_number_id}/messages. Success means accepted, not delivered."""
    response = _request("POST", f"{_base()}/{phone_number_id}/messages", token, json=payload)
    body = response.json()
    try:
        wamid = body["messages"][0]["id"]
    except (KeyError, IndexError, TypeError) as exc:
        raise GraphError("bad_response", _("Unexpected answer from the Cloud API"), str(body)[:300]) from exc
    contacts = body.get("contacts") or [{}]
    return SendResult(wamid=wamid, wa_id=str(contacts[0].get("wa_id", "")))


def upload_media(*, phone_number_id: str, token: str, filename: str, content: bytes, mime_type: str) -> str:
    """POST /{phone_number_id}/media (multipart) -> media id."""
    response = _request(
        "POST",
        f"{_base()}/{phone_number_id}/media",
        token,
        data={"messaging_product": "whatsapp", "type": mime_type},
        files={"file": (filename, content, mime_type)},
    )
    media_id = response.json().get("id")
    if not media_id:
        raise GraphError("bad_response", _("Unexpected answer from the Cloud API"), response.text[:300])
    return str(media_id)


def media_info(*, media_id: str, token: str, phone_number_id: str = "") -> MediaInfo:
    """GET /{media_id} -> a download URL valid for 5 minutes."""
    params = {"phone_number_id": phone_number_id} if phone_number_id else None
    body = _request("GET", f"{_base()}/{media_id}", token, params=params).json()
    size = body.get("file_size")
    return MediaInfo(
        url=str(body.get("url", "")),
        mime_type=str(body.get("mime_type", "")),
        sha256=str(body.get("sha256", "")),
        file_size=int(size) if str(size or "").isdigit() else None,
    )


def download_media(*, url: str, token: str, max_bytes: int) -> tuple[bytes, str]:
    """GET the media URL with the same Bearer token, refusing anything over `max_bytes`."""
    try:
        with process_client().stream("GET", url, headers=_headers(token), timeout=TIMEOUT) as response:
            if response.status_code >= 400:
                response.read()
                raise _error_from_response(response)
            chunks, total = [], 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise GraphError(
                        "too_large", _("Media too large"), format_lazy(_("More than {bytes} bytes."), bytes=max_bytes)
                    )
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("content-type", "")
    except httpx.TimeoutException as exc:
        raise GraphError("timeout", _("Media download timed out"), str(exc), transient=True) from exc
    except httpx.HTTPError as exc:
        raise GraphError("network_error", _("Media download failed"), str(exc), transient=True) from exc


def list_templates(*, waba_id: str, token: str, limit: int = 100) -> list[dict]:
    """GET /{waba_id}/message_templates, following paging.next."""
    url: str | None = f"{_base()}/{waba_id}/message_templates"
    params: dict | None = {"limit": limit}
    templates: list[dict] = []
    for _page in range(100):  # a bound against a paging loop
        if not url:
            break
        body = _request("GET", url, token, params=params).json()
        templates.extend(t for t in body.get("data", []) if isinstance(t, dict))
        url = (body.get("paging") or {}).get("next")
        params = None  # `next` carries its own query
    return templates
