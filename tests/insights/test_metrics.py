"""Each metric against the hand-built desk of tests/insights/dataset.py, with the answers worked out by hand."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from channels_whatsapp import failure_reasons
from channels_whatsapp.insights import backlog, delivery, replies, volume, window
from channels_whatsapp.insights.result import rows_json
from channels_whatsapp.insights.scope import scope_from_params
from tests.factories import AdminFactory
from tests.insights.dataset import NOW, build_desk

pytestmark = pytest.mark.django_db
MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-10"}


@pytest.fixture
def desk():
    return build_desk()


@pytest.fixture
def admin():
    return AdminFactory()


def scope(user, tz="UTC", **params):
    with timezone.override(zoneinfo.ZoneInfo(tz)):
        return scope_from_params({**MARCH, **params}, user, now=NOW)


def by_day(result, *keys):
    """{"03-02": (values...)} for the days with any non-zero value."""
    out = {}
    for row in rows_json(result):
        values = tuple(row[key] for key in keys)
        if any(values):
            out[row["day"][5:]] = values
    return out


def test_inbound_counts_messages_by_send_time_and_tickets_by_creation(desk, admin):
    result = volume.inbound(scope(admin))
    assert len(result.rows) == 10  # every day of the period, empty ones too
    assert by_day(result, "messages", "new_tickets") == {
        "03-01": (1, 1),
        "03-02": (1, 1),
        "03-03": (1, 0),
        "03-04": (1, 0),  # the message that reached us 30 h late counts on the day it was sent
        "03-05": (0, 1),  # ... and its ticket on the day it was made
        "03-06": (1, 1),
        "03-09": (1, 1),
        "03-10": (1, 1),
    }
    assert result.summary == {"messages": 7, "new_tickets": 6}


def test_inbound_days_follow_the_viewers_time_zone(desk, admin):
    # Honolulu is 10 hours behind UTC: 2 Mar 09:00 UTC is 1 Mar 23:00 there, 10 Mar 09:00 UTC is 9 Mar 23:00, and
    # the period starts at 1 Mar 00:00 Honolulu time (10:00 UTC), exactly when the web message was sent.
    result = volume.inbound(scope(admin, tz="Pacific/Honolulu"))
    assert by_day(result, "messages") == {"03-01": (2,), "03-02": (1,), "03-04": (1,), "03-06": (1,), "03-09": (2,)}


def test_heatmap_puts_each_message_in_its_weekday_and_hour(desk, admin):
    result = volume.inbound_heatmap(scope(admin))
    assert len(result.rows) == 7 * 24
    cells = {(r["weekday"], r["hour"]): r["messages"] for r in result.rows if r["messages"]}
    # 1 March 2026 is a Sunday (7), 2 March a Monday (1).
    assert cells == {(7, 10): 1, (1, 9): 1, (2, 8): 1, (3, 10): 1, (5, 12): 1, (1, 14): 1, (2, 9): 1}


def test_first_reply_time_from_the_send_time_to_the_first_delivered_agent_reply(desk, admin):
    result = replies.first_reply_time(scope(admin))
    rows = {row["day"][5:]: row for row in rows_json(result) if row["tickets"]}
    assert {day: (r["tickets"], r["replied"], r["median_seconds"]) for day, r in rows.items()} == {
        "03-01": (1, 1, 1800),  # web ticket: from when the message was made
        "03-02": (1, 1, 3600),  # the trigger's auto-response does not count, the failed reply neither
        "03-04": (1, 1, 109200),  # sent 4 Mar 10:00, reached us 30 h later; the template 16:20 the next day
        "03-06": (1, 0, None),  # only a failed reply
        "03-09": (1, 0, None),
        "03-10": (1, 0, None),
    }
    # median of 1800, 3600, 109200; p90 interpolates 80 % of the way from 3600 to 109200.
    assert result.summary == {"tickets": 6, "replied": 3, "median_seconds": 3600, "p90_seconds": 88080}


def test_first_reply_time_per_group(desk, admin):
    rows = {row["group"]: row for row in rows_json(replies.first_reply_time_by_group(scope(admin)))}
    assert (rows["Billing"]["tickets"], rows["Billing"]["replied"], rows["Billing"]["median_seconds"]) == (3, 3, 3600)
    assert rows["Billing"]["p90_seconds"] == 88080
    assert (rows["Sales"]["tickets"], rows["Sales"]["replied"], rows["Sales"]["median_seconds"]) == (2, 0, None)
    assert rows["No group"]["tickets"] == 1
    assert list(rows) == ["Billing", "Sales", "No group"]


def test_window_compliance_classifies_every_whatsapp_message(desk, admin):
    result = window.window_compliance(scope(admin))
    assert by_day(result, "messages", "in_window", "late", "unanswered", "waiting") == {
        "03-02": (1, 1, 0, 0, 0),
        "03-03": (1, 1, 0, 0, 0),  # answered by the trigger's auto-response
        "03-04": (1, 0, 1, 0, 0),  # reached us after its window; a template answered it
        "03-06": (1, 0, 0, 1, 0),  # the only reply failed: closed without a reply
        "03-09": (1, 0, 0, 0, 1),
        "03-10": (1, 0, 0, 0, 1),
    }
    # The web ticket's message (1 Mar) is not a WhatsApp message: no window.
    assert result.summary == {"messages": 6, "in_window": 2, "late": 1, "unanswered": 1, "waiting": 2, "share": 0.5}


def test_window_compliance_for_an_agent_counts_only_tickets_they_see(desk):
    # alice sees Billing (T1, T2), the unrouted T5, her own; not Sales (T3, T4).
    result = window.window_compliance(scope(desk.alice))
    assert result.summary == {
        "messages": 4,
        "in_window": 2,
        "late": 1,
        "unanswered": 0,
        "waiting": 1,
        "share": pytest.approx(2 / 3),
    }


@pytest.mark.parametrize("filter_by", ["group", "agent", "account"])
def test_filters_narrow_to_sales_bob_and_line_2_alike(desk, admin, filter_by):
    value = {"group": desk.sales.pk, "agent": desk.bob.pk, "account": desk.line2.pk}[filter_by]
    result = window.window_compliance(scope(admin, **{filter_by: str(value)}))
    assert (result.summary["messages"], result.summary["unanswered"], result.summary["waiting"]) == (2, 1, 1)
    assert result.summary["share"] == 0.0


def test_replies_that_missed_the_window_by_ticket(desk, admin):
    result = window.window_missed(scope(admin))
    rows = rows_json(result)
    assert [(r["ticket_id"], r["replies"], r["template_later"]) for r in rows] == [
        (desk.tickets["T3"].pk, 1, "no"),  # its template failed: not reached
        (desk.tickets["T2"].pk, 1, "yes"),  # failed, then a template was delivered
    ]
    assert result.summary == {"replies": 2, "tickets": 2, "listed": 2}


def test_window_closing_lists_open_tickets_whose_customer_waits(desk, admin):
    result = window.window_closing(scope(admin))
    assert [(r["ticket_id"], r["minutes_left"]) for r in result.rows] == [(desk.tickets["T5"].pk, 120)]
    # An hour later T5's window has 60 minutes left; once a reply is sent it is no longer waiting.
    later = scope(admin)
    object.__setattr__(later, "now", NOW + dt.timedelta(hours=1))
    assert [r["minutes_left"] for r in window.window_closing(later).rows] == [60]


def test_delivery_outcomes_per_day_by_final_status(desk, admin):
    result = delivery.delivery_outcomes(scope(admin))
    assert by_day(result, "queued", "sent", "delivered", "read", "failed") == {
        "03-02": (0, 0, 0, 1, 1),
        "03-03": (0, 1, 1, 0, 0),
        "03-05": (0, 0, 1, 0, 1),
        "03-08": (0, 0, 0, 0, 2),
    }
    assert result.summary["messages"] == 8
    assert result.summary["failed_share"] == pytest.approx(4 / 8)


def test_failures_by_code_in_plain_words(desk, admin):
    rows = rows_json(delivery.delivery_failures(scope(admin)))
    assert [(r["code"], r["messages"], r["tickets"]) for r in rows] == [
        ("window_closed", 2, 2),
        ("131026", 1, 1),
        ("132001", 1, 1),
    ]
    assert rows[0]["reason"] == str(failure_reasons.REASONS["window_closed"])
    assert rows[1]["reason"] == str(failure_reasons.REASONS["131026"])


def test_template_sends_by_template_and_outcome(desk, admin):
    rows = rows_json(delivery.template_sends(scope(admin)))
    assert rows == [
        {
            "template": "order_update",
            "language": "en_US",
            "queued": 0,
            "sent": 0,
            "delivered": 1,
            "read": 0,
            "failed": 1,
            "total": 2,
        }
    ]


def test_opt_ins_and_outs_per_day(desk, admin):
    assert by_day(delivery.opt_ins(scope(admin)), "opt_ins", "opt_outs") == {
        "03-02": (1, 0),
        "03-04": (1, 0),  # a contact without tickets: only an admin without filters counts it
        "03-07": (0, 1),
    }
    assert by_day(delivery.opt_ins(scope(desk.alice)), "opt_ins", "opt_outs") == {"03-02": (1, 0)}
    assert by_day(delivery.opt_ins(scope(admin, group=str(desk.sales.pk))), "opt_ins", "opt_outs") == {"03-07": (0, 1)}


def test_backlog_by_age_and_status_right_now(desk, admin):
    rows = {row["age"]: row for row in rows_json(backlog.backlog(scope(admin)))}
    assert (rows["Under 1 day"]["new"], rows["Under 1 day"]["total"]) == (2, 2)
    assert (rows["3 to 7 days"]["open"], rows["3 to 7 days"]["pending"], rows["3 to 7 days"]["total"]) == (1, 1, 2)
    assert sum(row["total"] for row in rows.values()) == 4
    assert backlog.backlog(scope(desk.alice)).summary["tickets"] == 2  # T2 and the unrouted T5


def test_solved_per_agent_in_the_period(desk, admin):
    rows = rows_json(backlog.solved_per_agent(scope(admin)))
    assert [(r["agent"], r["agent_id"], r["solved"]) for r in rows] == [("Alice Agent", desk.alice.pk, 2)]
    narrow = scope(admin, **{"from": "2026-03-02", "to": "2026-03-10"})
    assert [r["solved"] for r in rows_json(backlog.solved_per_agent(narrow))] == [1]
