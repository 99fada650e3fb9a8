"""The Cloud API webhook: `/whatsapp/webhook/`. Signature first, store, acknowledge; the worker does the rest."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels_whatsapp import intake


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request):
    if request.method == "GET":
        return _handshake(request)
    too_big = JsonResponse({"error": "Body larger than 3 MiB."}, status=400)
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > intake.MAX_WEBHOOK_BYTES:
        return too_big  # refused before reading the body
    try:
        body = request.body
    except RequestDataTooBig:
        return too_big
    try:
        intake.webhook_receive(body=body, signature=request.headers.get("X-Hub-Signature-256", ""))
    except intake.WebhookRefused as refused:
        return JsonResponse({"error": refused.reason}, status=refused.status)
    return JsonResponse({"status": "received"})


def _handshake(request):
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if mode == "subscribe" and intake.verify_token_matches(token):
        return HttpResponse(challenge, content_type="text/plain")
    return HttpResponse("Forbidden", status=403, content_type="text/plain")
