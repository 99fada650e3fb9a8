"""One pass through the channel per agent reply: the conversation, the window and a shorthand's template are decided
once (the reply plan) and handed from the reply preparer to the outbound handler."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_whatsapp.models import OutboundSend
from tests.channels_whatsapp.test_outbound import wa_ticket  # noqa: F401  (fixture)
from tests.channels_whatsapp.test_template_replies import FOLLOWUP, closed_ticket, registry  # noqa: F401  (fixtures)
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db


def _reads_of(ctx, table: str) -> int:
    return sum(
        1 for query in ctx.captured_queries if query["sql"].startswith("SELECT") and f'FROM "{table}"' in query["sql"]
    )


def test_a_text_reply_reads_its_conversation_once(
    wa_ticket,  # noqa: F811
    agent,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    with (
        CaptureQueriesContext(connection) as ctx,
        django_assert_max_num_queries(14),  # with the rules not yet cached in this process: their version, then them
        django_capture_on_commit_callbacks(execute=False),
    ):
        comment = ticket_services.comment_add(ticket=wa_ticket, author=agent, body="Hello", public=True)
    assert _reads_of(ctx, "channels_whatsapp_whatsappconversation") == 1
    assert OutboundSend.objects.get().comment == comment


def test_a_template_reply_reads_its_conversation_and_template_once(
    registry,  # noqa: F811
    closed_ticket,  # noqa: F811
    agent,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    # 16 before the reply plan: the conversation and the template were each read twice.
    with (
        CaptureQueriesContext(connection) as ctx,
        django_assert_max_num_queries(14),
        django_capture_on_commit_callbacks(execute=False),
    ):
        comment = ticket_services.comment_add(
            ticket=closed_ticket, author=agent, body=FOLLOWUP, public=True, via="whatsapp"
        )
    assert _reads_of(ctx, "channels_whatsapp_whatsappconversation") == 1
    assert _reads_of(ctx, "channels_whatsapp_messagetemplate") == 1
    assert comment.template["name"] == "ticket_followup"
    assert OutboundSend.objects.get().comment == comment
