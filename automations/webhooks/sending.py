"""One HTTP request of a webhook: the only place that speaks HTTP to webhook endpoints. No ORM.

The request goes to the address the SSRF guard checked (the Host header and TLS keep the endpoint's name), never
follows a redirect, carries Zendesk's headers (signature, timestamp, webhook and invocation ids) and the webhook's
authentication, and has a timeout. The outcome says whether trying again can help: 5xx, timeouts and connection
errors (a host that does not resolve among them) can; 2xx is done; anything else (3xx, 4xx, a refused address, a
bad body) cannot.
"""

import base64
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import httpx
from django.conf import settings

from automations.webhooks import bodies, guard, signing
from automations.webhooks.models import RESPONSE_EXCERPT_LIMIT, AuthType, RequestFormat

USER_AGENT = "SupportDesk-Webhook/1.0"
CONTENT_TYPES = {
    RequestFormat.JSON: "application/json; charset=utf-8",
    RequestFormat.XML: "application/xml; charset=utf-8",
    RequestFormat.FORM_ENCODED: "application/x-www-form-urlencoded",
}


@dataclass(frozen=True)
class Target:
    """What a request needs of a webhook, read from the row by the caller (this module reads no rows)."""

    id: int
    endpoint: str
    http_method: str
    request_format: str
    sends_parameters: bool
    auth_type: str
    auth_name: str
    auth_secret: str
    signing_secret: str


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    response_excerpt: str
    error: str
    retryable: bool
    refused: bool = False  # the SSRF guard said no: nothing was sent

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def auth_headers(target: Target) -> dict[str, str]:
    if target.auth_type == AuthType.BASIC_AUTH:
        pair = f"{target.auth_name}:{target.auth_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    if target.auth_type == AuthType.BEARER_TOKEN:
        return {"Authorization": f"Bearer {target.auth_secret}"}
    if target.auth_type == AuthType.API_KEY:
        return {target.auth_name: target.auth_secret}
    return {}


def _content(target: Target, body: str) -> tuple[bytes, list[tuple[str, str]]]:
    """The request body and the query parameters, as Zendesk sends them for this method and format."""
    if not target.sends_parameters:
        return body.encode("utf-8"), []
    params = bodies.parameters(body)
    if target.http_method in ("GET", "DELETE"):
        return b"", params
    return urlencode(params).encode("ascii"), []


def _excerpt(response: httpx.Response) -> str:
    raw = response.content[: RESPONSE_EXCERPT_LIMIT * 4]
    return raw.decode(response.encoding or "utf-8", errors="replace")[:RESPONSE_EXCERPT_LIMIT]


def send(target: Target, body: str, *, invocation_id: int, now: datetime) -> Outcome:
    """Make one request; never raises for what the endpoint or the network does."""
    started = time.monotonic()

    def outcome(*, status=None, excerpt="", error="", retryable=False, refused=False) -> Outcome:
        latency = int((time.monotonic() - started) * 1000)
        return Outcome(status, latency, excerpt, error[:500], retryable, refused)

    try:
        content, params = _content(target, body)
    except bodies.BodyInvalid as error:
        return outcome(error=f"bad body: {error}")
    url = httpx.URL(target.endpoint)
    if url.scheme not in ("http", "https") or not url.host:
        return outcome(error="the endpoint is not an http(s) URL")
    try:
        pinned = guard.resolve(url.host, url.port or (443 if url.scheme == "https" else 80))
    except guard.AddressRefused as error:
        return outcome(error=str(error), refused=True)
    except guard.HostUnresolved as error:
        return outcome(error=f"connection error: {error}", retryable=True)
    stamp = signing.timestamp(now)
    headers = {
        "Host": url.netloc.decode("ascii"),
        "User-Agent": USER_AGENT,
        "X-Zendesk-Webhook-Id": str(target.id),
        "X-Zendesk-Webhook-Invocation-Id": str(invocation_id),
        signing.TIMESTAMP_HEADER: stamp,
        signing.SIGNATURE_HEADER: signing.signature(secret=target.signing_secret, timestamp=stamp, body=content),
        **auth_headers(target),
    }
    if content:
        headers["Content-Type"] = CONTENT_TYPES[RequestFormat(target.request_format)]
    if params:
        url = url.copy_merge_params(params)
    extensions = {"sni_hostname": pinned.host} if url.scheme == "https" else {}
    timeout = httpx.Timeout(settings.WEBHOOK_TIMEOUT_SECONDS)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            request = client.build_request(
                target.http_method,
                url.copy_with(host=pinned.address),
                headers=headers,
                content=content or None,
                extensions=extensions,
            )
            response = client.send(request)
    except httpx.TimeoutException:
        return outcome(error="timeout", retryable=True)
    except httpx.TransportError as error:
        return outcome(error=f"connection error: {type(error).__name__}", retryable=True)
    return outcome(status=response.status_code, excerpt=_excerpt(response), retryable=response.status_code >= 500)
