"""Reactions, edits and revokes that arrive before the message they name are kept pending and applied, in their
WhatsApp timestamp order and under the live sender binding, when the message arrives; after 7 days they expire into
a refused event. The result of applying late is the result of the events having come in order."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from channels_whatsapp import client, pending_updates, tasks
from channels_whatsapp.intake import webhook_process
from channels_whatsapp.models import InboundReceipt, PendingMessageUpdate, RefusedEvent, WebhookDelivery
from tests.channels_whatsapp.binding_helpers import (
    OTHER_PHONE_NUMBER_ID,
    deliver_fixture,  # noqa: F401 - fixture
    other_account_fixture,  # noqa: F401 - fixture
    our_reply,
)
from tests.channels_whatsapp.conftest import meta_json, sign
from tickets import services as ticket_services
from tickets.models import Comment, Event

PHONE_NUMBER_ID = "106540352242922"  # the `account` fixture's number
WABA_ID = "102290129340398"
ANA = "5511988887777"
BRUNO = "5521966665555"
THUMBS_UP = "\U0001f44d"
HEART = "\u2764\ufe0f"


# --- Cloud API webhook bodies, after the shapes in the Cloud API notes (section 3) --------------------------------


def webhook(message: dict, *, sender: str, name: str = "Ana Lima", phone_number_id: str = PHONE_NUMBER_ID) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_number_id},
                            "contacts": [{"profile": {"name": name}, "wa_id": sender}],
                            "messages": [message],
                        },
                    }
                ],
            }
        ],
    }


def text(wamid: str, body: str, *, ts: int, sender: str = ANA, **kwargs) -> dict:
    message = {"from": sender, "id": wamid, "timestamp": str(ts), "type": "text", "text": {"body": body}}
    return webhook(message, sender=sender, **kwargs)


def reaction(wamid: str, target: str, emoji: str = THUMBS_UP, *, ts: int, sender: str = ANA, **kwargs) -> dict:
    message = {
        "from": sender,
        "id": wamid,
        "timestamp": str(ts),
        "type": "reaction",
        "reaction": {"message_id": target, "emoji": emoji},
    }
    return webhook(message, sender=sender, **kwargs)


def edit(wamid: str, target: str, body: str, *, ts: int, sender: str = ANA, **kwargs) -> dict:
    message = {
        "from": sender,
        "id": wamid,
        "timestamp": str(ts),
        "type": "edit",
        "edit": {"original_message_id": target, "message": {"type": "text", "text": {"body": body}}},
    }
    return webhook(message, sender=sender, **kwargs)


def revoke(wamid: str, target: str, *, ts: int, sender: str = ANA, **kwargs) -> dict:
    message = {
        "from": sender,
        "id": wamid,
        "timestamp": str(ts),
        "type": "revoke",
        "revoke": {"original_message_id": target},
    }
    return webhook(message, sender=sender, **kwargs)


def status(wamid: str, value: str, *, ts: int, recipient: str = ANA, callback: str = "") -> dict:
    """A statuses webhook (Cloud API notes, section 4)."""
    item = {"id": wamid, "status": value, "timestamp": str(ts), "recipient_id": recipient}
    if callback:
        item["biz_opaque_callback_data"] = callback
    body = webhook({}, sender=recipient)
    value_ = body["entry"][0]["changes"][0]["value"]
    value_["statuses"] = [item]
    value_["contacts"] = [{"wa_id": recipient}]
    del value_["messages"]
    return body


def outcome(wamid: str) -> dict:
    """What an agent sees of one message: its text and state, and the ticket events about it (in order)."""
    comment = Comment.objects.get(channel_message_id=wamid)
    return {
        "body": comment.body,
        "channel_data": comment.channel_data,
        "events": [
            (event.type, {k: v for k, v in event.data.items() if k != "comment_id"})
            for event in Event.objects.filter(data__comment_id=comment.pk).order_by("id")
            if event.type.startswith(("message.", "redaction."))
        ],
        "tags": sorted(comment.ticket.tag_rows.values_list("name", flat=True)),
    }


# Each scenario: the message and its later events (as (builder, kwargs) for a given message wamid and sender).
SCENARIOS = {
    "reaction": lambda m, s: [reaction(f"{m}.r", m, ts=110, sender=s)],
    "reaction changed": lambda m, s: [
        reaction(f"{m}.r1", m, THUMBS_UP, ts=110, sender=s),
        reaction(f"{m}.r2", m, HEART, ts=120, sender=s),
    ],
    "reaction removed": lambda m, s: [
        reaction(f"{m}.r1", m, THUMBS_UP, ts=110, sender=s),
        reaction(f"{m}.r2", m, "", ts=120, sender=s),
    ],
    "edit": lambda m, s: [edit(f"{m}.e", m, "I meant order 42", ts=110, sender=s)],
    "edit with a card number": lambda m, s: [edit(f"{m}.e", m, "card 4111 1111 1111 1111", ts=110, sender=s)],
    "revoke": lambda m, s: [revoke(f"{m}.x", m, ts=110, sender=s)],
    "edit then edit": lambda m, s: [
        edit(f"{m}.e1", m, "first fix", ts=110, sender=s),
        edit(f"{m}.e2", m, "second fix", ts=120, sender=s),
    ],
    "edit, react, revoke": lambda m, s: [
        edit(f"{m}.e", m, "changed", ts=110, sender=s),
        reaction(f"{m}.r", m, ts=120, sender=s),
        revoke(f"{m}.x", m, ts=130, sender=s),
    ],
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_events_before_their_message_end_as_if_they_had_come_in_order(deliver, account, scenario):
    # In order, for Ana.
    deliver(text("wamid.IN-ORDER", "Where is my order?", ts=100, sender=ANA))
    for body in SCENARIOS[scenario]("wamid.IN-ORDER", ANA):
        deliver(body)
    # Every event first, newest first (the worst order), then the message, for Bruno.
    early = SCENARIOS[scenario]("wamid.LATE", BRUNO)
    for body in reversed(early):
        stored = deliver(body)
        assert any("kept pending" in note for note in stored.notes)
    assert not Comment.objects.filter(channel_message_id="wamid.LATE").exists()
    assert PendingMessageUpdate.objects.count() == len(early)
    arrival = deliver(text("wamid.LATE", "Where is my order?", ts=100, sender=BRUNO, name="Bruno Reis"))

    assert PendingMessageUpdate.objects.count() == 0
    assert not arrival.notes
    assert outcome("wamid.LATE") == outcome("wamid.IN-ORDER")
    assert not RefusedEvent.objects.exists()


def test_reaction_before_its_message(deliver, account):
    stored = deliver(reaction("wamid.R1", "wamid.M1", ts=1760000010))
    pending = PendingMessageUpdate.objects.get()
    assert (pending.kind, pending.target_wamid, pending.wamid, pending.emoji) == (
        "reaction",
        "wamid.M1",
        "wamid.R1",
        THUMBS_UP,
    )
    assert (pending.account, pending.delivery, pending.sender_wa_id) == (account, stored, ANA)
    assert pending.timestamp.timestamp() == 1760000010
    assert not Event.objects.filter(type="message.reaction").exists()

    deliver(text("wamid.M1", "Hello", ts=1760000000))
    comment = Comment.objects.get(channel_message_id="wamid.M1")
    assert comment.channel_data["reactions"] == {"customer": THUMBS_UP}
    (event,) = Event.objects.filter(type="message.reaction")
    assert event.data == {"comment_id": comment.pk, "emoji": THUMBS_UP, "removed": False}
    assert not PendingMessageUpdate.objects.exists()


def test_edit_before_its_message(deliver, account):
    deliver(edit("wamid.E1", "wamid.M1", "Order 42, not 24", ts=1760000010))
    deliver(text("wamid.M1", "Order 24 is late", ts=1760000000))
    comment = Comment.objects.get(channel_message_id="wamid.M1")
    assert comment.body == "Order 42, not 24"
    assert comment.channel_data["edited"] is True
    assert comment.channel_data["original_body"] == "Order 24 is late"
    assert Event.objects.filter(type="message.edited", data__comment_id=comment.pk).count() == 1


def test_edit_before_its_message_keeps_card_numbers_masked(deliver, account):
    deliver(edit("wamid.E1", "wamid.M1", "my card is 4111 1111 1111 1111", ts=1760000010))
    assert "4111 1111 1111 1111" not in PendingMessageUpdate.objects.get().text
    deliver(text("wamid.M1", "Payment question", ts=1760000000))
    comment = Comment.objects.get(channel_message_id="wamid.M1")
    assert "4111 1111 1111 1111" not in comment.body
    assert Event.objects.filter(type="redaction.applied", data__comment_id=comment.pk).exists()


def test_revoke_before_its_message(deliver, account):
    deliver(revoke("wamid.X1", "wamid.M1", ts=1760000010))
    deliver(text("wamid.M1", "Oops, wrong chat", ts=1760000000))
    comment = Comment.objects.get(channel_message_id="wamid.M1")
    assert comment.channel_data["revoked"] is True
    assert Event.objects.filter(type="message.revoked", data__comment_id=comment.pk).count() == 1


def test_two_edits_reversed_are_applied_in_timestamp_order(deliver, account):
    deliver(edit("wamid.E2", "wamid.M1", "second fix", ts=1760000020))
    deliver(edit("wamid.E1", "wamid.M1", "first fix", ts=1760000010))
    deliver(text("wamid.M1", "original", ts=1760000000))
    comment = Comment.objects.get(channel_message_id="wamid.M1")
    assert comment.body == "second fix"
    assert comment.channel_data["original_body"] == "first fix"  # as when the edits came in order
    assert Event.objects.filter(type="message.edited", data__comment_id=comment.pk).count() == 2


def test_redelivered_early_event_is_kept_and_applied_once(deliver, account):
    body = reaction("wamid.R1", "wamid.M1", ts=1760000010)
    first = deliver(body)
    body["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = "Ana L."  # other bytes: stored again
    second = deliver(body)
    assert second.pk != first.pk
    WebhookDelivery.objects.filter(pk=first.pk).update(state=WebhookDelivery.State.PENDING)
    webhook_process(delivery_id=first.pk)  # and processed again, as the admin's "process again" does
    assert PendingMessageUpdate.objects.count() == 1

    deliver(text("wamid.M1", "Hello", ts=1760000000))
    deliver(body)  # once more after it was applied
    assert Event.objects.filter(type="message.reaction").count() == 1
    assert not PendingMessageUpdate.objects.exists()


def test_pending_event_wamid_is_unique_in_the_database(account):
    fields = {"account": account, "kind": "reaction", "target_wamid": "wamid.M1", "wamid": "wamid.R1"}
    PendingMessageUpdate.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        PendingMessageUpdate.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        PendingMessageUpdate.objects.create(**{**fields, "wamid": "wamid.R2", "kind": "sticker"})
    with pytest.raises(IntegrityError), transaction.atomic():
        PendingMessageUpdate.objects.create(**{**fields, "wamid": "wamid.R3", "target_wamid": ""})


def test_pending_event_from_another_sender_is_refused_when_the_message_arrives(deliver, account):
    early = deliver(edit("wamid.E1", "wamid.M1", "Send the refund to me", ts=1760000010, sender=BRUNO))
    assert PendingMessageUpdate.objects.count() == 1
    arrival = deliver(text("wamid.M1", "Where is my refund?", ts=1760000000, sender=ANA))
    comment = Comment.objects.get(channel_message_id="wamid.M1")
    assert comment.body == "Where is my refund?"
    assert "edited" not in comment.channel_data
    assert not Event.objects.filter(type="message.edited").exists()
    refused = RefusedEvent.objects.get()
    assert (refused.kind, refused.reason, refused.comment, refused.delivery) == ("edit", "wrong_sender", comment, early)
    assert (refused.wamid, refused.target_wamid, refused.sender) == ("wamid.E1", "wamid.M1", BRUNO)
    assert any("refused" in note for note in arrival.notes)
    assert not PendingMessageUpdate.objects.exists()


def test_pending_event_from_another_number_is_refused_when_the_message_arrives(deliver, account, other_account):
    deliver(reaction("wamid.R1", "wamid.M1", ts=1760000010, phone_number_id=OTHER_PHONE_NUMBER_ID))
    assert PendingMessageUpdate.objects.get().account == other_account
    deliver(text("wamid.M1", "Hello", ts=1760000000))
    comment = Comment.objects.get(channel_message_id="wamid.M1")
    assert "reactions" not in comment.channel_data
    refused = RefusedEvent.objects.get()
    assert (refused.kind, refused.reason, refused.account) == ("reaction", "wrong_account", other_account)


def test_event_for_a_message_that_came_but_is_no_comment_is_not_kept(deliver, account):
    """A reaction to a reaction (or to any id that arrived and made no comment): nothing will ever arrive."""
    deliver(text("wamid.M1", "Hello", ts=1760000000))
    deliver(reaction("wamid.R1", "wamid.M1", ts=1760000010))
    stored = deliver(reaction("wamid.R2", "wamid.R1", ts=1760000020))
    assert InboundReceipt.objects.filter(wamid="wamid.R1").exists()
    assert any("unknown message" in note for note in stored.notes)
    assert not PendingMessageUpdate.objects.exists()


def test_reaction_to_our_message_before_our_send_recorded_its_wamid(
    deliver, account, agent, monkeypatch, django_capture_on_commit_callbacks
):
    """The customer can react between Meta's answer to our POST and our commit of the wamid it gave: the reaction's
    worker then finds no message with that id."""
    now = int(timezone.now().timestamp())
    deliver(text("wamid.M1", "Hello", ts=now - 60))  # the 24-hour window is open
    comment = Comment.objects.get(channel_message_id="wamid.M1")

    def send_message(*, phone_number_id, token, payload):
        deliver(reaction("wamid.R1", "wamid.OURS", HEART, ts=now))  # processed while we are still posting
        assert PendingMessageUpdate.objects.filter(target_wamid="wamid.OURS").exists()
        return client.SendResult(wamid="wamid.OURS", wa_id=ANA)

    monkeypatch.setattr(client, "send_message", send_message)
    with django_capture_on_commit_callbacks(execute=True):
        ours = ticket_services.comment_add(ticket=comment.ticket, author=agent, body="We are on it", public=True)
    ours.refresh_from_db()
    assert ours.channel_message_id == "wamid.OURS"
    assert ours.channel_data["reactions"] == {"customer": HEART}
    assert Event.objects.filter(type="message.reaction", data__comment_id=ours.pk).count() == 1
    assert not PendingMessageUpdate.objects.exists()


def test_reaction_to_our_message_whose_wamid_only_a_status_brings(deliver, account, agent):
    """Our POST timed out, so the send never learnt its wamid; the customer reacts, then the first status (matched
    by its callback data) records the wamid: the reaction waiting for it is applied then."""
    deliver(text("wamid.M1", "Hello", ts=1760000000))
    ours = our_reply(Comment.objects.get().ticket, agent, account=account, wamid=None)
    deliver(reaction("wamid.R1", "wamid.TIMED-OUT", ts=1760000100))
    assert PendingMessageUpdate.objects.filter(target_wamid="wamid.TIMED-OUT").exists()
    deliver(status("wamid.TIMED-OUT", "delivered", ts=1760000090, callback=f"comment:{ours.pk}"))
    ours.refresh_from_db()
    assert ours.channel_message_id == "wamid.TIMED-OUT"
    assert ours.channel_data["reactions"] == {"customer": THUMBS_UP}
    assert Event.objects.filter(type="message.reaction", data__comment_id=ours.pk).count() == 1
    assert not PendingMessageUpdate.objects.exists()


def test_pending_events_expire_after_seven_days_into_a_refused_event(deliver, account):
    stored = deliver(reaction("wamid.R-OLD", "wamid.NEVER", ts=1760000010))
    deliver(edit("wamid.E-NEW", "wamid.LATER", "fixed", ts=1760000020))
    old = PendingMessageUpdate.objects.get(wamid="wamid.R-OLD")
    PendingMessageUpdate.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=7, minutes=1))
    PendingMessageUpdate.objects.filter(wamid="wamid.E-NEW").update(created_at=timezone.now() - timedelta(days=6))

    assert tasks.expire_pending_updates() == "expired 1"
    refused = RefusedEvent.objects.get()
    assert (refused.kind, refused.reason, refused.account, refused.delivery) == (
        "reaction",
        "target_never_arrived",
        account,
        stored,
    )
    assert (refused.wamid, refused.target_wamid, refused.sender) == ("wamid.R-OLD", "wamid.NEVER", ANA)
    assert list(PendingMessageUpdate.objects.values_list("wamid", flat=True)) == ["wamid.E-NEW"]
    # The message arriving after all changes nothing any more.
    deliver(text("wamid.NEVER", "Hello", ts=1760000000))
    assert not Event.objects.filter(type="message.reaction").exists()


def test_expiry_runs_hourly_from_a_schedule(db):
    schedule = Schedule.objects.get(name="whatsapp-pending-updates-expiry")
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (
        "channels_whatsapp.tasks.expire_pending_updates",
        Schedule.HOURLY,
        -1,
    )


def test_admin_lists_pending_and_expired_events_read_only(deliver, account, admin_user, client):
    deliver(edit("wamid.E1", "wamid.M1", "secret new text", ts=1760000010))
    client.force_login(admin_user)
    page = client.get("/admin/channels_whatsapp/pendingmessageupdate/")
    assert page.status_code == 200
    assert "wamid.M1" in page.content.decode()
    pending = PendingMessageUpdate.objects.get()
    detail = client.get(f"/admin/channels_whatsapp/pendingmessageupdate/{pending.pk}/change/")
    assert detail.status_code == 200
    assert "secret new text" not in detail.content.decode()
    assert client.get("/admin/channels_whatsapp/pendingmessageupdate/add/").status_code == 403
    PendingMessageUpdate.objects.update(created_at=timezone.now() - timedelta(days=8))
    pending_updates.pending_updates_expire()
    page = client.get("/admin/channels_whatsapp/refusedevent/?reason=target_never_arrived")
    assert page.status_code == 200
    assert "The message it refers to never arrived (7 days)" in page.content.decode()
    assert not client.get("/admin/channels_whatsapp/pendingmessageupdate/").context["cl"].result_count


# --- Two workers at once (PostgreSQL) -------------------------------------------------------------------------


ROUNDS = 25


def post_together(bodies: list[bytes]) -> None:
    """Each body from its own thread and database connection, released at once; django-q2 runs inline (sync)."""
    barrier = threading.Barrier(len(bodies))
    errors: list[BaseException] = []

    def run(body: bytes) -> None:
        try:
            web = Client()
            barrier.wait(timeout=30)
            response = web.post(
                "/whatsapp/webhook/",
                data=body,
                content_type="application/json",
                headers={"X-Hub-Signature-256": sign(body)},
            )
            assert response.status_code == 200
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished (deadlock?)"
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_message_and_its_events_processed_at_once_apply_each_event_exactly_once(account):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...): SQLite serializes every writer")
    for round_ in range(ROUNDS):
        wamid = f"wamid.RACE-{round_}"
        post_together(
            [
                meta_json(text(wamid, f"Message {round_}", ts=1760000000 + round_)),
                meta_json(reaction(f"{wamid}.r", wamid, ts=1760000000 + round_ + 1)),
                meta_json(edit(f"{wamid}.e", wamid, f"Edited {round_}", ts=1760000000 + round_ + 1)),
            ]
        )
        comment = Comment.objects.get(channel_message_id=wamid)
        assert comment.channel_data.get("reactions") == {"customer": THUMBS_UP}, f"round {round_}"
        assert comment.body == f"Edited {round_}", f"round {round_}"
        assert Event.objects.filter(type="message.reaction", data__comment_id=comment.pk).count() == 1
        assert Event.objects.filter(type="message.edited", data__comment_id=comment.pk).count() == 1
        assert not PendingMessageUpdate.objects.exists(), f"round {round_}"
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {WebhookDelivery.State.PROCESSED}
