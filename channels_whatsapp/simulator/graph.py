"""The Graph API side of the simulator: what `channels_whatsapp.client` talks to instead of graph.facebook.com.

Thin adapters: check the Bearer token, parse, call a service or selector, answer in Meta's JSON shapes (errors
included). Any non-empty token is accepted; it is only ever stored hashed and never logged.
"""

import json
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from channels_whatsapp.simulator import graph_sends, media_files, protocol, seed_templates, selectors
from channels_whatsapp.simulator.protocol import GraphRequestError

TEMPLATES_DEFAULT_LIMIT = 25
TEMPLATES_MAX_LIMIT = 1000


def _error(exc: GraphRequestError) -> JsonResponse:
    return JsonResponse(exc.as_json(), status=exc.http_status)


def _unauthorized() -> JsonResponse:
    response = JsonResponse(protocol.unauthorized_body(), status=401)
    response["WWW-Authenticate"] = 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token"'
    return response


def graph_endpoint(*methods: str) -> Callable:
    """CSRF-exempt, Bearer required, Meta-shaped errors for wrong methods and refused requests."""

    def decorator(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            token = protocol.bearer_token(request.headers.get("Authorization", ""))
            if not token:
                return _unauthorized()
            if request.method not in methods:
                return _error(GraphRequestError(100, f"Unsupported {request.method.lower()} request."))
            try:
                return view(request, *args, token=token, **kwargs)
            except GraphRequestError as exc:
                return _error(exc)

        return wrapper

    return decorator


@graph_endpoint("POST")
def messages(request: HttpRequest, version: str, phone_number_id: str, *, token: str) -> JsonResponse:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise GraphRequestError(100, "The request body is not valid JSON.") from None
    return JsonResponse(graph_sends.message_send(phone_number_id=phone_number_id, token=token, body=body))


@graph_endpoint("POST")
def media_upload(request: HttpRequest, version: str, phone_number_id: str, *, token: str) -> JsonResponse:
    upload = request.FILES.get("file")
    media = media_files.media_upload(
        phone_number_id=phone_number_id,
        token=token,
        messaging_product=request.POST.get("messaging_product", ""),
        mime_type=request.POST.get("type") or (upload.content_type if upload else ""),
        filename=upload.name if upload else "",
        content=upload.read() if upload else None,
    )
    return JsonResponse({"id": media.media_id})


@graph_endpoint("GET", "DELETE")
def node(request: HttpRequest, version: str, node_id: str, *, token: str) -> JsonResponse:
    """GET /{media-id} (media info), DELETE /{media-id}; GET /{phone-number-id} answers the number's profile."""
    if request.method == "DELETE":
        media_files.media_delete(media_id=node_id)
        return JsonResponse({"success": True})
    media = selectors.media_get(node_id)
    if media is not None:
        url = request.build_absolute_uri(reverse("whatsapp_simulator:media-download", args=[media.media_id]))
        return JsonResponse(
            {
                "messaging_product": "whatsapp",
                "url": url,
                "mime_type": media.mime_type,
                "sha256": media.sha256,
                "file_size": str(media.size),
                "id": media.media_id,
            }
        )
    if selectors.is_known_business_number(node_id):
        number = selectors.business_number(node_id)
        return JsonResponse(
            {
                "verified_name": number.name,
                "display_phone_number": number.display_phone_number,
                "quality_rating": "GREEN",
                "id": number.phone_number_id,
            }
        )
    raise GraphRequestError(100, protocol.unknown_object(node_id))


def _cursor(request: HttpRequest, param: str) -> int | None:
    raw = request.GET.get(param)
    if not raw:
        return None
    pk = protocol.decode_cursor(raw)
    if pk is None:
        raise GraphRequestError(100, f"Invalid cursor in param {param}.")
    return pk


@graph_endpoint("GET")
def message_templates(request: HttpRequest, version: str, waba_id: str, *, token: str) -> JsonResponse:
    """The registry in Meta's listing shape: filters, `fields`, `summary` and cursor paging (`limit`, `after`,
    `before`, `paging.next` / `paging.previous` carrying the same query)."""
    try:
        limit = int(request.GET.get("limit", TEMPLATES_DEFAULT_LIMIT))
    except ValueError:
        raise GraphRequestError(100, "Param limit must be an integer.") from None
    if not 1 <= limit <= TEMPLATES_MAX_LIMIT:
        raise GraphRequestError(100, f"Param limit must be between 1 and {TEMPLATES_MAX_LIMIT}.")
    fields = protocol.requested_fields(
        request.GET.get("fields", ""), protocol.TEMPLATE_FIELDS, node_type="WhatsAppBusinessHSM"
    )
    summary = request.GET.get("summary", "")
    summary_fields = (
        ["total_count"]
        if summary.lower() in ("true", "1")
        else protocol.requested_fields(
            summary, protocol.TEMPLATE_SUMMARY_FIELDS, node_type="WhatsAppBusinessHSMSummary"
        )
    )
    after, before = _cursor(request, "after"), _cursor(request, "before")
    seed_templates.templates_ensure_seeded()
    page = selectors.templates_page(
        waba_id=waba_id, filters=request.GET.dict(), limit=limit, after=after, before=before
    )

    body: dict = {"data": [protocol.template_listing_json(t, fields) for t in page.rows]}
    if page.rows:
        first, last = protocol.encode_cursor(page.rows[0].pk), protocol.encode_cursor(page.rows[-1].pk)
        paging: dict = {"cursors": {"before": first, "after": last}}
        kept = {k: v for k, v in request.GET.items() if k not in ("after", "before", "limit")}
        base = request.build_absolute_uri(request.path)
        if page.more_after:
            paging["next"] = f"{base}?{urlencode({**kept, 'limit': limit, 'after': last})}"
        if page.more_before:
            paging["previous"] = f"{base}?{urlencode({**kept, 'limit': limit, 'before': first})}"
        body["paging"] = paging
    if summary_fields:
        body["summary"] = protocol.templates_summary(
            summary_fields, total_count=page.total_count, waba_count=page.waba_count
        )
    return JsonResponse(body)


@csrf_exempt
def media_download(request: HttpRequest, media_id: str) -> HttpResponse:
    """The "lookaside" URL: the bytes, only with the same Bearer header as the Graph API."""
    if not protocol.bearer_token(request.headers.get("Authorization", "")):
        return _unauthorized()
    if request.method not in ("GET", "HEAD"):
        return _error(GraphRequestError(100, f"Unsupported {request.method.lower()} request."))
    media = selectors.media_get(media_id, with_content=True)
    if media is None:
        return JsonResponse(
            protocol.error_body(100, protocol.ERROR_TITLES[100], protocol.unknown_object(media_id)), status=404
        )
    response = HttpResponse(bytes(media.content), content_type=media.mime_type)
    response["Content-Length"] = str(media.size)
    response["Cache-Control"] = "private, no-store"
    return response


@csrf_exempt
def unknown_path(request: HttpRequest, version: str, rest: str) -> JsonResponse:
    if not protocol.bearer_token(request.headers.get("Authorization", "")):
        return _unauthorized()
    return _error(GraphRequestError(100, f"Unknown path components: /{rest}", message="(#100) Unknown path components"))
