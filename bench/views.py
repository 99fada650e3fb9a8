"""The two baselines of the ingest benchmark. Bench settings only (bench/urls.py), never in the product's URLs."""

import hashlib
import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

TABLE = "bench_hmac_insert"
CREATE_TABLE = f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, body jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())"


def trivial(request):
    """What the server costs with nothing to do: the ceiling of any view on the same process."""
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
def hmac_insert(request):
    """The least a webhook can do: check the signature, insert the raw body as one row, answer."""
    body = request.body
    header = request.headers.get("X-Hub-Signature-256", "")
    expected = "sha256=" + hmac.new(settings.WHATSAPP_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, header):
        return JsonResponse({"error": "bad signature"}, status=403)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (body) VALUES (%s)", [body.decode()])
    return JsonResponse({"status": "received"})
