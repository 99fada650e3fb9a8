"""Run as `python -m tests.tickets.embedded_setup` with the processes' own environment (test_realtime_embedded.py):
an agent with a session, a WhatsApp ticket with a sent reply, and the signed `failed` status webhook for it."""

import base64
import json
import os
import time
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.utils import timezone  # noqa: E402

from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation  # noqa: E402
from channels_whatsapp.simulator import protocol  # noqa: E402
from tickets import realtime  # noqa: E402
from tickets.models import Comment, Contact, Ticket, TicketStatus, Via  # noqa: E402

WA = "5511987650088"

agent = get_user_model().objects.create_user(username="alice", password="not-used-here-123")
session = SessionStore()
session[SESSION_KEY] = str(agent.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
session.create()

account = WhatsAppAccount.objects.create(
    name="Support line",
    phone_number_id="106540352242922",
    waba_id="102290129340398",
    display_phone_number="15550001111",
    access_token="EAAG-secret-token",
)
contact = Contact.objects.create(name="Ana Souza", wa_id=WA, phone=f"+{WA}")
ticket = Ticket.objects.create(
    subject="Where is my order?",
    requester=contact,
    via=Via.WHATSAPP,
    status=TicketStatus.OPEN,
    assignee=agent,
    last_customer_message_at=timezone.now() - timedelta(hours=1),
)
WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
comment = Comment.objects.create(
    ticket=ticket,
    author_role="agent",
    author_user=agent,
    body="It left the warehouse this morning.",
    public=True,
    via=Via.WHATSAPP,
    channel_message_id="wamid.EMBEDDED1",
    delivery_status="sent",
    delivery_updated_at=timezone.now(),
)
status = protocol.status_json(
    wamid=comment.channel_message_id,
    status="failed",
    timestamp=int(time.time()),
    recipient_id=WA,
    callback_data=f"comment:{comment.pk}",
    errors=[protocol.status_error(131047, "Re-engagement message", protocol.RE_ENGAGEMENT_DETAILS)],
)
body = protocol.serialize(
    protocol.envelope(
        waba_id=account.waba_id,
        phone_number_id=account.phone_number_id,
        display_phone_number=account.display_phone_number,
        value={"statuses": [status]},
    )
)
print(
    json.dumps(
        {
            "session": session.session_key,
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "ticket_id": ticket.pk,
            "comment_id": comment.pk,
            "body": base64.b64encode(body).decode(),
            "signature": protocol.signature(body, settings.WHATSAPP_APP_SECRET),
            "address_file": str(realtime.web_address_file()),
        }
    )
)
