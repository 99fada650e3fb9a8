"""Cached answers are never older than the data: a write, or a refresh of the facts, changes the fingerprint, so the
next call recomputes."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_whatsapp.insights import materialize
from tests.factories import AdminFactory, GroupFactory, TicketFactory, UserFactory
from tickets import delivery
from tickets.models import Comment, DeliveryStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_api(api_client):
    api_client.force_authenticate(AdminFactory())
    return api_client


def outcomes(api) -> dict:
    return api.get("/api/insights/delivery_outcomes/", {"period": "7d"}).json()["summary"]


def test_a_repeated_call_is_served_from_the_cache_without_computing(admin_api):
    TicketFactory()
    admin_api.get("/api/insights/first_reply_time/")
    with CaptureQueriesContext(connection) as queries:
        admin_api.get("/api/insights/first_reply_time/")
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "percentile" not in sql.lower()
    assert "MAX" in sql  # the fingerprint, and nothing of the metric's own


def test_a_new_message_and_a_delivery_status_show_with_the_next_refresh_of_the_facts(admin_api):
    ticket = TicketFactory()
    before = outcomes(admin_api)
    reply = Comment.objects.create(
        ticket=ticket, author_role="agent", author_user=UserFactory(), body="hi", delivery_status="sent"
    )
    assert outcomes(admin_api)["messages"] == 0  # computed (the data changed) from facts not yet refreshed
    materialize.refresh()
    after_reply = outcomes(admin_api)  # the refresh moved the fingerprint: not the answer cached just before
    assert (before["messages"], after_reply["messages"], after_reply["sent"]) == (0, 1, 1)
    delivery.delivery_advance(comment=reply, status=DeliveryStatus.DELIVERED)  # writes a delivery.status event
    materialize.refresh()
    after_status = outcomes(admin_api)
    assert (after_status["sent"], after_status["delivered"]) == (0, 1)


def test_agents_and_admins_do_not_share_answers(admin_api, agent_api):
    TicketFactory(group=None)  # unrouted: an agent sees it
    TicketFactory(group=GroupFactory())  # a group the agent is not in
    assert admin_api.get("/api/insights/backlog/").json()["summary"]["tickets"] == 2
    assert agent_api.get("/api/insights/backlog/").json()["summary"]["tickets"] == 1
