"""Every WhatsApp message type says something, once: recorded Cloud API payloads posted through the signed webhook.

The samples in tests/payloads/ are written from the Cloud API reference (webhook message objects).
`call_permission_reply` is not in our notes on that reference; its shape is the one Meta documents for the Calling API's
interactive reply: `interactive.type = "call_permission_reply"` with
`call_permission_reply: {response: accept|reject, is_permanent, expiration_timestamp, response_source}`.
"""

import copy

import pytest

from channels_whatsapp import downloads, message_text, parsing
from channels_whatsapp.models import WebhookDelivery
from tests.channels_whatsapp.conftest import load_payload
from tickets.models import AuthorRole, Comment, Ticket


def payload(name: str) -> dict:
    return load_payload(f"{name}.json")


def first_message(body: dict) -> dict:
    return body["entry"][0]["changes"][0]["value"]["messages"][0]


@pytest.fixture(autouse=True)
def media_enqueued(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(downloads, "enqueue_media_download", calls.append)
    return calls


@pytest.fixture
def deliver(post_webhook, django_capture_on_commit_callbacks, account):
    def run(body: dict | str):
        body = payload(body) if isinstance(body, str) else body
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(body)
        assert response.status_code == 200, response.content
        assert WebhookDelivery.objects.order_by("-id").first().state == WebhookDelivery.State.PROCESSED

    return run


def only_entry() -> Comment:
    """The ticket's one and only comment (no system note repeating it)."""
    (comment,) = Ticket.objects.get().comments.all()
    return comment


# --- call permission replies ------------------------------------------------------------------------------------


def test_call_permission_accepted_until_a_time(deliver):
    deliver("call_permission_reply_accept")
    comment = only_entry()
    assert comment.author_role == AuthorRole.END_USER
    assert comment.message_type == "interactive"
    assert comment.body == "The customer allowed calls until 2025-10-16 10:00 UTC"
    assert comment.ticket.subject == "The customer allowed calls until 2025-10-16 10:00 UTC"
    assert comment.channel_data["kind"] == "call_permission_reply"
    assert comment.channel_data["response"] == "accept"
    assert comment.channel_data["response_source"] == "user_action"


@pytest.mark.parametrize(
    "reply",
    [
        {"response": "accept", "is_permanent": True, "response_source": "user_action"},
        {"response": "accept", "response_source": "automatic"},
    ],
)
def test_call_permission_accepted_without_an_expiry(deliver, reply):
    body = payload("call_permission_reply_accept")
    first_message(body)["interactive"]["call_permission_reply"] = reply
    deliver(body)
    assert only_entry().body == "The customer allowed calls"


def test_call_permission_rejected(deliver):
    deliver("call_permission_reply_reject")
    comment = only_entry()
    assert comment.body == "The customer declined calls"
    assert comment.ticket.subject == "The customer declined calls"


# --- errors in plain words, once ----------------------------------------------------------------------------------


def test_interactive_reply_carrying_an_error_shows_the_error(deliver):
    deliver("interactive_error")
    comment = only_entry()
    assert comment.author_role == AuthorRole.END_USER
    assert comment.body == (
        "WhatsApp reported an error with this message (131000): Something went wrong. "
        "The reply to the interactive message could not be read."
    )
    assert comment.ticket.subject == "Interactive reply with an error"
    assert comment.channel_data["errors"] == [
        {
            "code": "131000",
            "title": "Something went wrong",
            "detail": "The reply to the interactive message could not be read.",
        }
    ]


def test_131060_is_said_once_with_clean_punctuation(deliver):
    deliver("error_131060")
    comment = only_entry()
    assert (
        comment.body == "WhatsApp reported an error with this message (131060): This message is currently unavailable."
    )
    assert ".." not in comment.body
    assert comment.ticket.subject == "Unavailable message"


def test_an_error_beside_a_text_is_an_internal_note_with_clean_punctuation(deliver):
    body = payload("text")
    first_message(body)["errors"] = first_message(payload("error_131060"))["errors"]
    deliver(body)
    ticket = Ticket.objects.get()
    customer = ticket.comments.get(author_role=AuthorRole.END_USER)
    assert customer.body == "Hi, I need help with my order"
    (note,) = ticket.comments.filter(author_role=AuthorRole.SYSTEM)
    assert note.public is False
    assert note.body == "WhatsApp reported an error with this message (131060): This message is currently unavailable."


@pytest.mark.parametrize(
    ("title", "detail", "expected"),
    [
        ("Message unavailable.", "This message is currently unavailable.", "(9): Message unavailable. This message"),
        ("Same thing", "same thing.", "(9): Same thing."),
        ("", "", "(9)."),
        ("Why?", "", "(9): Why?"),
        ("  Spaced   out . ", "", "(9): Spaced out."),
    ],
)
def test_error_text_punctuation(title, detail, expected):
    text = message_text.error_text(parsing.GraphErrorInfo(code="9", title=title, detail=detail))
    assert expected in text
    assert ".." not in text
    assert text.endswith((".", "?"))


# --- unsupported: exactly one entry, first message or not ----------------------------------------------------------


def test_unsupported_first_message_is_one_comment(deliver):
    deliver("unsupported")
    comment = only_entry()
    assert comment.author_role == AuthorRole.END_USER
    assert comment.body == "The customer sent a message of a type WhatsApp does not support here (poll)."
    assert comment.ticket.subject == "Unsupported message"


def test_unsupported_later_message_is_one_comment_too(deliver):
    deliver("text")
    deliver("unsupported")
    ticket = Ticket.objects.get()
    assert list(ticket.comments.order_by("id").values_list("author_role", "body")) == [
        (AuthorRole.END_USER, "Hi, I need help with my order"),
        (AuthorRole.END_USER, "The customer sent a message of a type WhatsApp does not support here (poll)."),
    ]
    assert ticket.subject == "Hi, I need help with my order"


def test_unsupported_with_a_further_error_says_both_in_its_one_comment(deliver):
    deliver("unsupported_unavailable")
    assert only_entry().body == (
        "The customer sent a message of a type WhatsApp does not support here (video_note). "
        "WhatsApp reported an error with this message (131060): This message is currently unavailable."
    )


def test_unsupported_without_a_type_has_no_empty_parentheses(deliver):
    body = payload("unsupported")
    del first_message(body)["unsupported"]
    deliver(body)
    assert only_entry().body == "The customer sent a message of a type WhatsApp does not support here."


# --- readable subjects for first messages that are not text --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "subject", "body"),
    [
        ("image", "Photo: Photo of the broken screen", "Photo of the broken screen"),
        ("image_no_caption", "Photo", ""),
        ("audio_voice", "Voice message", ""),
        ("audio_file", "Audio", ""),
        ("document", "Document: invoice-2025-10.pdf", "Invoice for October"),
        ("location", "Location: Loja Paulista", None),
        (
            "location_address_only",
            "Location: Av. Atlântica, 1702, Rio de Janeiro",
            "Location: Av. Atlântica, 1702, Rio de Janeiro (-22.970722, -43.182365)",
        ),
        ("contacts", "Contact: Maria Lima", None),
        ("contacts_two", "Contacts: Maria Lima, João Pereira", None),
        ("sticker", "Sticker", ""),
        ("order", "Order", None),
        ("button", "Button: Reopen my ticket", "Reopen my ticket"),
        ("interactive_list_reply", "List reply: Billing", None),
        ("unknown_type", "Unsupported message", None),
    ],
)
def test_first_message_subject_says_what_it_was(deliver, name, subject, body):
    deliver(name)
    comment = only_entry()
    assert comment.ticket.subject == subject
    if body is not None:
        assert comment.body == body


def test_subject_is_truncated_and_card_masked(deliver):
    body = payload("image")
    first_message(body)["image"]["caption"] = "My card 4111 1111 1111 1111 was charged twice " + "and more " * 20
    deliver(body)
    subject = Ticket.objects.get().subject
    assert subject.startswith("Photo: My card ")
    assert "4111 1111 1111 1111" not in subject
    assert len(subject) == 80
    assert subject.endswith("...")


def test_subject_of_a_document_without_a_filename_uses_its_caption(deliver):
    body = payload("document")
    del first_message(body)["document"]["filename"]
    deliver(body)
    assert Ticket.objects.get().subject == "Document: Invoice for October"


def test_subject_text_goes_through_gettext(deliver, monkeypatch):
    monkeypatch.setattr(message_text, "_", lambda text: text.replace("Photo", "Foto"))
    deliver("image_no_caption")
    assert Ticket.objects.get().subject == "Foto"


def test_every_type_renders_a_body_and_a_subject_without_crashing():
    for name in ("call_permission_reply_accept", "interactive_error", "error_131060", "contacts_two"):
        (change,) = parsing.parse_payload(copy.deepcopy(payload(name)))
        (message,) = change.messages
        assert message_text.render_body(message)
        assert message_text.subject_for(message)


def test_an_empty_text_keeps_an_empty_body_and_the_default_subject(deliver):
    body = payload("text")
    first_message(body)["text"]["body"] = ""
    deliver(body)
    comment = only_entry()
    assert comment.body == ""
    assert comment.ticket.subject == "New conversation"


# --- system messages: internal notes in words ----------------------------------------------------------------------


def system_notes() -> list[str]:
    return list(Comment.objects.filter(author_role=AuthorRole.SYSTEM).values_list("body", flat=True))


def test_changed_number_note_says_the_new_number(deliver):
    deliver("text")
    deliver("system_user_changed_number")
    assert system_notes() == ["The customer changed their WhatsApp number to +5511988887777."]


def test_identity_changed_note_is_in_words(deliver):
    deliver("text")
    body = payload("system_user_changed_number")
    first_message(body)["system"] = {"type": "customer_identity_changed", "body": ""}
    deliver(body)
    assert system_notes() == [
        "The customer's WhatsApp identity changed (a new phone or a reinstall): make sure you are still talking "
        "to the same person."
    ]


def test_other_system_message_keeps_its_text_with_one_full_stop(deliver):
    deliver("text")
    body = payload("system_user_changed_number")
    first_message(body)["system"] = {"type": "something_new", "body": "Something new happened."}
    deliver(body)
    assert system_notes() == ["WhatsApp: Something new happened."]
