"""The 24-hour customer-service window, as pure functions of timestamps."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from channels_whatsapp import window

T0 = datetime(2025, 10, 9, 8, 53, 20, tzinfo=UTC)
DAY = timedelta(hours=24)
TICK = timedelta(microseconds=1)

instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
deltas = st.timedeltas(min_value=-timedelta(days=30), max_value=timedelta(days=30))


def test_open_right_after_the_message():
    w = window.window_at(T0, T0)
    assert w.open is True
    assert w.expires_at == T0 + DAY
    assert w.remaining(T0) == DAY


def test_open_just_before_24_hours():
    now = T0 + DAY - TICK
    w = window.window_at(T0, now)
    assert w.open is True
    assert w.remaining(now) == TICK


def test_open_one_second_before_24_hours():
    assert window.window_at(T0, T0 + DAY - timedelta(seconds=1)).open is True


def test_closed_at_exactly_24_hours():
    w = window.window_at(T0, T0 + DAY)
    assert w.open is False
    assert w.expires_at == T0 + DAY
    assert w.remaining(T0 + DAY) == timedelta(0)


def test_closed_after_24_hours():
    w = window.window_at(T0, T0 + DAY + timedelta(seconds=1))
    assert w.open is False
    assert w.expires_at == T0 + DAY
    assert window.window_at(T0, T0 + timedelta(days=3)).open is False


def test_no_customer_message_means_closed():
    w = window.window_at(None, T0)
    assert w.open is False
    assert w.expires_at is None
    assert w.remaining(T0) == timedelta(0)
    assert w.as_dict() == {"open": False, "expires_at": None}


def test_as_dict_carries_open_and_expiry():
    data = window.window_at(T0, T0).as_dict()
    expires_at = data["expires_at"]
    if isinstance(expires_at, str):  # serialized either as a datetime or as ISO 8601 text
        expires_at = datetime.fromisoformat(expires_at)
    assert data["open"] is True
    assert expires_at == T0 + DAY


def test_effective_send_time_clamps_a_future_send_time_to_receipt():
    received = T0
    assert window.effective_send_time(T0 + timedelta(days=3), received) == received
    assert window.effective_send_time(T0 + TICK, received) == received


def test_effective_send_time_keeps_a_past_send_time():
    assert window.effective_send_time(T0 - timedelta(hours=5), T0) == T0 - timedelta(hours=5)
    assert window.effective_send_time(T0, T0) == T0


def test_latest_never_moves_back():
    assert window.latest(None, T0) == T0
    assert window.latest(T0, T0 - timedelta(hours=1)) == T0
    assert window.latest(T0, T0) == T0
    assert window.latest(T0, T0 + timedelta(seconds=1)) == T0 + timedelta(seconds=1)


def test_a_late_older_message_does_not_shorten_the_window():
    last = window.latest(window.latest(None, T0 + timedelta(hours=10)), T0)
    assert window.window_at(last, T0 + timedelta(hours=30)).open is True


@given(t=instants, delta=deltas)
def test_open_iff_delta_under_24_hours(t, delta):
    w = window.window_at(t, t + delta)
    assert w.open is (delta < DAY)
    assert w.expires_at == t + DAY
    assert w.remaining(t + delta) == (max(DAY - delta, timedelta(0)) if w.open else timedelta(0))


@given(a=instants, b=instants)
def test_latest_is_the_maximum(a, b):
    assert window.latest(window.latest(None, a), b) == max(a, b)
    assert window.latest(a, b) >= a


@given(sent=instants, received=instants)
def test_effective_send_time_is_never_after_receipt(sent, received):
    effective = window.effective_send_time(sent, received)
    assert effective <= received
    assert effective == (sent if sent <= received else received)
