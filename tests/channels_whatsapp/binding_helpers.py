"""Signed Cloud API webhooks from several numbers and customers, for the sender-binding and quoted-reply tests."""

import copy

import pytest

from channels_whatsapp.models import OutboundSend, WebhookDelivery, WhatsAppAccount
from tests.channels_whatsapp.conftest import load_payload
from tickets.models import AuthorRole, Comment, DeliveryStatus, Ticket, Via

ANA = "5511999990000"  # the customer of the recorded payloads
ANA_USER_ID = "BR.1502948372615"
BRUNO = "5521977776666"
OTHER_PHONE_NUMBER_ID = "106540352249999"
ANA_FIRST_WAMID = "wamid.HBgNNTUxMTk5OTk5MDAwMBUCABIYFjNFQjBURVhUMDAwMUFCQ0RFRjAxAA=="  # text.json's message


@pytest.fixture(name="other_account")
def other_account_fixture(db):
    """A second number connected to the same app: it can post signed webhooks too."""
    return WhatsAppAccount.objects.create(
        name="Other line",
        phone_number_id=OTHER_PHONE_NUMBER_ID,
        waba_id="102290129349999",
        display_phone_number="15550002222",
        access_token="EAAG-other-token",
    )


@pytest.fixture(name="deliver")
def deliver_fixture(post_webhook, django_capture_on_commit_callbacks, account):
    """POST a signed webhook, run what its commit hands to the (sync) worker; the delivery must end processed."""

    def run(body: dict):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(body)
        assert response.status_code == 200, response.content
        stored = WebhookDelivery.objects.order_by("-id").first()
        assert stored.state == WebhookDelivery.State.PROCESSED
        return stored

    return run


def _on(body: dict, phone_number_id: str | None) -> dict:
    if phone_number_id is not None:
        body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = phone_number_id
    return body


def customer_message(
    wamid: str,
    *,
    sender: str = ANA,
    phone_number_id: str | None = None,
    type_: str = "text",
    content: dict | None = None,
    context_id: str = "",
    name: str = "Ana Souza",
) -> dict:
    """A messages webhook from `sender` to the number `phone_number_id` (the default account when None)."""
    body = copy.deepcopy(load_payload("text.json"))
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": name}, "wa_id": sender}]
    message = {"from": sender, "id": wamid, "timestamp": "1760000000", "type": type_}
    message[type_] = content if content is not None else {"body": f"Message {wamid}"}
    if context_id:
        message["context"] = {"from": "15550001111", "id": context_id}
    value["messages"] = [message]
    return _on(body, phone_number_id)


def edit(wamid: str, original: str, text: str, **kwargs) -> dict:
    content = {"original_message_id": original, "message": {"type": "text", "text": {"body": text}}}
    return customer_message(wamid, type_="edit", content=content, **kwargs)


def revoke(wamid: str, original: str, **kwargs) -> dict:
    return customer_message(wamid, type_="revoke", content={"original_message_id": original}, **kwargs)


def reaction(wamid: str, target: str, emoji: str = "\U0001f44d", **kwargs) -> dict:
    return customer_message(wamid, type_="reaction", content={"message_id": target, "emoji": emoji}, **kwargs)


def status(
    wamid: str,
    value: str,
    *,
    recipient: str | None = ANA,
    recipient_user_id: str | None = None,
    phone_number_id: str | None = None,
    callback: str = "",
    error_text: str = "",
) -> dict:
    """A statuses webhook as the Cloud API sends it (`failed` carries an error)."""
    body = copy.deepcopy(load_payload("status_failed_131026.json"))
    item = body["entry"][0]["changes"][0]["value"]["statuses"][0]
    item.update(id=wamid, status=value)
    item.pop("recipient_user_id")
    item.pop("recipient_id")
    if recipient is not None:
        item["recipient_id"] = recipient
    if recipient_user_id is not None:
        item["recipient_user_id"] = recipient_user_id
    if callback:
        item["biz_opaque_callback_data"] = callback
    if value == "failed":
        item["errors"][0]["title"] = error_text or "Message undeliverable"
        item["errors"][0]["error_data"]["details"] = error_text or "Message Undeliverable."
    else:
        item.pop("errors")
    return _on(body, phone_number_id)


def our_reply(
    ticket: Ticket, agent, *, account: WhatsAppAccount, wamid: str | None, body: str = "Your refund is approved"
) -> Comment:
    """An agent's public reply sent through WhatsApp from `account` (the worker's result, without the Graph API)."""
    comment = Comment.objects.create(
        ticket=ticket,
        author_role=AuthorRole.AGENT,
        author_user=agent,
        body=body,
        public=True,
        via=Via.WEB,
        channel_message_id=wamid,
        delivery_status=DeliveryStatus.SENT if wamid else DeliveryStatus.QUEUED,
    )
    OutboundSend.objects.create(
        comment=comment,
        account=account,
        state=OutboundSend.State.SENT if wamid else OutboundSend.State.SENDING,
        wamids=[wamid] if wamid else [],
    )
    return comment
