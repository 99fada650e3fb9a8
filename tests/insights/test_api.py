"""The insights API: every metric answers JSON and CSV from the same numbers; bad parameters are 400 with reasons."""

import csv
import io

import pytest

from channels_whatsapp.insights.registry import METRICS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slug", list(METRICS))
def test_every_metric_answers_json_and_the_same_rows_as_csv(admin_api, slug):
    response = admin_api.get(f"/api/insights/{slug}/", {"period": "7d"})
    assert response.status_code == 200, response.content
    payload = response.json()
    assert payload["metric"] == slug
    assert [c["key"] for c in payload["columns"]]
    as_csv = admin_api.get(f"/api/insights/{slug}/", {"period": "7d", "format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv["Content-Type"].startswith("text/csv")
    assert f'filename="insights-{slug}-' in as_csv["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(as_csv.content.decode())))
    assert lines[0] == [c["label"] for c in payload["columns"]]
    assert len(lines) - 1 == len(payload["rows"])


def test_an_unknown_metric_is_404(admin_api):
    assert admin_api.get("/api/insights/nope/").status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "year"}, "period"),
        ({"period": "custom"}, "from"),
        ({"period": "custom", "from": "2026-02-30", "to": "2026-03-01"}, "from"),
        ({"period": "custom", "from": "2026-03-02", "to": "2026-03-01"}, "to"),
        ({"period": "custom", "from": "2024-01-01", "to": "2026-03-01"}, "to"),
        ({"group": "x"}, "group"),
        ({"group": "999999"}, "group"),
        ({"agent": "999999"}, "agent"),
        ({"account": "999999"}, "account"),
    ],
)
def test_bad_parameters_are_400_with_a_reason_each(admin_api, params, field):
    response = admin_api.get("/api/insights/inbound/", params)
    assert response.status_code == 400
    assert field in response.json()
    as_csv = admin_api.get("/api/insights/inbound/", {**params, "format": "csv"})
    assert as_csv.status_code == 400
    assert as_csv.content.decode().startswith("field,reason")


@pytest.mark.parametrize(("slug", "bound"), [("backlog", False), ("window_closing", False), ("inbound", True)])
def test_what_is_counted_right_now_says_so(admin_api, slug, bound):
    assert admin_api.get(f"/api/insights/{slug}/").json()["period_bound"] is bound
