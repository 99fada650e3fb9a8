"""`GET /api/insights/<metric>/`: one metric as JSON, or as CSV with `?format=csv`; filters as query parameters."""

from __future__ import annotations

import csv
import io

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_whatsapp.insights import result, service
from channels_whatsapp.insights.registry import METRICS
from channels_whatsapp.insights.scope import PERIODS, ScopeError, scope_from_params


class CSVRenderer(BaseRenderer):
    """A metric's columns and rows; a refusal as one line per reason (`field,reason`)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "columns" in data and "rows" in data:
            metric = result.MetricResult(
                columns=[result.Column(c["key"], c["label"], c["type"]) for c in data["columns"]], rows=data["rows"]
            )
            return result.to_csv(metric).encode("utf-8")
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["field", "reason"])
        for field, reasons in (data or {}).items():
            for reason in reasons if isinstance(reasons, list) else [reasons]:
                writer.writerow([field, str(reason)])
        return buffer.getvalue().encode("utf-8")


def csv_filename(payload: dict) -> str:
    period = payload["period"]
    return f"insights-{payload['metric']}-{period['from']}-{period['to']}.csv"


class InsightView(APIView):
    """One metric over the period and filters given; agents see only the tickets they may see."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        summary=_("One insights metric"),
        parameters=[
            OpenApiParameter("period", OpenApiTypes.STR, enum=list(PERIODS), description=_("Default: 30d.")),
            OpenApiParameter("from", OpenApiTypes.DATE, description=_("First day of a custom period.")),
            OpenApiParameter("to", OpenApiTypes.DATE, description=_("Last day of a custom period.")),
            OpenApiParameter("group", OpenApiTypes.INT),
            OpenApiParameter("agent", OpenApiTypes.INT, description=_("The assignee's user id.")),
            OpenApiParameter("account", OpenApiTypes.INT, description=_("A WhatsApp account's id.")),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, metric: str) -> Response:
        if metric not in METRICS:
            raise Http404
        try:
            scope = scope_from_params(request.query_params, request.user)
        except ScopeError as error:
            return Response(error.reasons, status=400)
        payload = service.metric_payload(metric, scope)
        response = Response(payload)
        if request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="{csv_filename(payload)}"'
        return response
