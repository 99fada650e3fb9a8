"""pywa, a maintained third-party Cloud API client, used unmodified against the simulator over real HTTP.

pywa always talks to https://graph.facebook.com (it sets its session's base URL itself), so the only thing we
hand it is an `httpx.Client` whose transport delivers those requests to the simulator served by `live_server`;
everything above the socket (request building, response and webhook parsing) is pywa's own. The status webhooks
the simulator posts are collected by the stand-in receiver and fed to pywa's own update handling, signature
check included.
"""

import base64
import hashlib

import httpx
import pytest
from django.conf import settings as django_settings

from channels_whatsapp.simulator import phone_messages, protocol, seed_templates, status_webhooks
from channels_whatsapp.simulator.models import SimMessage

pywa = pytest.importorskip("pywa")
from pywa import WhatsApp  # noqa: E402
from pywa.errors import ReEngagementMessage, TemplateNotExists  # noqa: E402
from pywa.types import MessageStatus, MessageStatusType, Pagination  # noqa: E402
from pywa.types.templates import BodyText, TemplateLanguage, TemplateStatus  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

WA = "5511999990000"
TOKEN = "pywa-token"
PNG = b"\x89PNG\r\n\x1a\n" + b"pywa-bytes" * 200


class SimulatorTransport(httpx.BaseTransport):
    """Delivers requests for graph.facebook.com to the simulator's Graph endpoints; other URLs (the media
    download URL the simulator hands out) go out as they are."""

    def __init__(self, live_url: str) -> None:
        self.live = httpx.URL(live_url)
        self.inner = httpx.HTTPTransport()
        self.seen: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "graph.facebook.com":
            url = request.url.copy_with(
                scheme=self.live.scheme,
                host=self.live.host,
                port=self.live.port,
                raw_path=b"/simulator/graph" + request.url.raw_path,
            )
            headers = [(b"Host", url.netloc)] + [(k, v) for k, v in request.headers.raw if k.lower() != b"host"]
            request = httpx.Request(request.method, url, headers=headers, stream=request.stream)
        self.seen.append(f"{request.method} {request.url.path}")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def transport(live_server, webhook_receiver):
    transport = SimulatorTransport(live_server.url)
    yield transport
    transport.close()


@pytest.fixture
def wa(transport):
    return WhatsApp(
        phone_id="SIMPHONE1",
        token=TOKEN,
        waba_id="SIMWABA1",
        session=httpx.Client(transport=transport, timeout=10),
        app_secret=django_settings.WHATSAPP_APP_SECRET,
        verify_token="unused",
    )


def status_bodies(receiver) -> list:
    return [r for r in receiver.requests if r.statuses]


def feed(wa: WhatsApp, received) -> None:
    """What a web server would do with pywa: check the signature, then hand over the raw body."""
    assert wa.webhook_update_validator(received.body, received.headers.get("X-Hub-Signature-256")) is None
    assert wa.webhook_update_handler(received.body) == ("ok", 200)


def test_pywa_sends_text_image_and_template_and_parses_every_status_webhook(wa, transport, webhook_receiver):
    phone_messages.phone_send(phone_messages.PhoneMessage(WA, "Zoë", text="Hi there", phone_number_id="SIMPHONE1"))
    parsed: list[MessageStatus] = []
    wa.on_message_status()(lambda _, status: parsed.append(status))

    text = wa.send_message(to=WA, text="Hello Zoë", tracker="ticket-1")
    media = wa.upload_media(media=PNG, mime_type="image/png", filename="photo.png")
    image = wa.send_image(to=WA, image=media.id, caption="The photo")
    template = wa.send_template(
        to=WA, name="order_update", language=TemplateLanguage.ENGLISH_US, params=[BodyText.params("Zoë", "A-42")]
    )

    sent = {text.id, image.id, template.id}
    assert all(wamid.startswith("wamid.") for wamid in sent)
    by_wamid = {m.wamid: m for m in SimMessage.objects.filter(wamid__in=sent)}
    assert (by_wamid[text.id].type, by_wamid[text.id].text) == ("text", "Hello Zoë")
    assert (by_wamid[image.id].type, by_wamid[image.id].text) == ("image", "The photo")
    assert (by_wamid[template.id].type, by_wamid[template.id].text) == (
        "template",
        "Hi Zoë, your order A-42 has shipped.",
    )
    assert transport.seen[:2] == [
        "POST /simulator/graph/v26.0/SIMPHONE1/messages",
        "POST /simulator/graph/v26.0/SIMPHONE1/media",
    ]

    assert webhook_receiver.wait_for(lambda r: len(r.statuses()) == 9)
    assert status_webhooks.status_threads_join(5)
    received = status_bodies(webhook_receiver)
    assert len(received) == 9
    for body in received:
        # pywa's own parser, called directly: it raised KeyError('contacts') before status webhooks carried them.
        status = MessageStatus.from_update(client=wa, update=body.json)
        assert status.from_user.wa_id == WA
        assert status.from_user.name == "Zoë"
        assert status.metadata.display_phone_number == "15550100001"
        feed(wa, body)

    # pywa's handler machinery saw every one (it logs and drops an update it cannot build).
    assert len(parsed) == 9
    assert {(s.id, s.status) for s in parsed} == {
        (wamid, kind)
        for wamid in sent
        for kind in (MessageStatusType.SENT, MessageStatusType.DELIVERED, MessageStatusType.READ)
    }
    assert {s.tracker for s in parsed if s.id == text.id} == {"ticket-1"}
    assert all(s.conversation is not None and s.error is None for s in parsed)


def test_pywa_parses_a_failed_status_with_its_131047_error(wa, webhook_receiver):
    parsed: list[MessageStatus] = []
    wa.on_message_status()(lambda _, status: parsed.append(status))

    sent = wa.send_message(to="5511888880000", text="Nobody wrote to us from this phone")

    assert webhook_receiver.wait_for(lambda r: len(r.statuses()) == 1)
    assert status_webhooks.status_threads_join(5)
    for body in status_bodies(webhook_receiver):
        feed(wa, body)
    [status] = parsed
    assert (status.id, status.status) == (sent.id, MessageStatusType.FAILED)
    assert isinstance(status.error, ReEngagementMessage)
    assert (status.error.code, status.error.details) == (131047, protocol.RE_ENGAGEMENT_DETAILS)
    assert status.from_user.wa_id == "5511888880000"


def test_pywa_refuses_a_webhook_with_a_wrong_signature(wa, webhook_receiver):
    wa.send_message(to="5511888880000", text="x")
    assert webhook_receiver.wait_for(lambda r: len(r.statuses()) == 1)
    assert status_webhooks.status_threads_join(5)
    [body] = status_bodies(webhook_receiver)

    assert wa.webhook_update_validator(body.body + b" ", body.headers.get("X-Hub-Signature-256")) == ("Forbidden", 403)


def test_pywa_get_templates_with_summary_and_paging(wa):
    first = wa.get_templates(pagination=Pagination(limit=3))

    seeded = [(t["name"], t["language"]) for t in seed_templates.SEED_TEMPLATES]
    assert [(t.name, str(t.language)) for t in first] == seeded[:3]
    assert first.total_count == len(seeded)
    assert first.message_template_count == len(seeded)
    assert first.message_template_limit == 250
    assert first.has_next and not first.has_previous

    # Walk the cursors the way pywa's docs suggest. (pywa 4.5's own `TemplatesResult.next()` cannot be used: it
    # passes `item_factory` to TemplatesResult, whose constructor does not take it — a bug on pywa's side.)
    names, page = [t.name for t in first], first
    while page.has_next:
        page = wa.get_templates(pagination=Pagination(limit=3, after=page.after))
        names.extend(t.name for t in page)
    assert names == [name for name, _ in seeded]

    after = wa.get_templates(pagination=Pagination(limit=3, after=first.after))
    assert [t.name for t in after] == [name for name, _ in seeded[3:6]]

    approved = wa.get_templates(statuses=[TemplateStatus.APPROVED], languages=[TemplateLanguage.PORTUGUESE_BR])
    assert [(t.name, t.status) for t in approved] == [("ticket_followup", TemplateStatus.APPROVED)]
    assert approved.total_count == 1


def test_pywa_media_info_and_download(wa):
    media = wa.upload_media(media=PNG, mime_type="image/png", filename="photo.png")

    info = wa.get_media_url(media.id)

    assert info.id == media.id
    assert info.mime_type == "image/png"
    assert int(info.file_size) == len(PNG)
    assert info.sha256 == base64.b64encode(hashlib.sha256(PNG).digest()).decode()
    # pywa downloads with its own session, hence its Bearer header, from the URL the simulator answered.
    assert wa.get_media_bytes(info.url) == PNG


def test_pywa_raises_its_own_exceptions_for_graph_errors(wa):
    with pytest.raises(TemplateNotExists) as missing:
        wa.send_template(to=WA, name="no_such_template", language=TemplateLanguage.ENGLISH_US)

    assert missing.value.code == 132001
    assert missing.value.status_code == 400
    assert missing.value.details == "template name (no_such_template) does not exist in en_US"


def test_pywa_parses_the_phones_message_webhooks(wa, webhook_receiver):
    from pywa.types import Message, MessageType

    messages: list[Message] = []
    wa.on_message()(lambda _, message: messages.append(message))
    target = wa.send_message(to=WA, text="target")  # a business message the phone reacts to

    phone_messages.phone_send(
        phone_messages.PhoneMessage(WA, "Zoë", text="Olá 👋", phone_number_id="SIMPHONE1", forwarded=True)
    )
    phone_messages.phone_send(
        phone_messages.PhoneMessage(
            WA,
            "Zoë",
            kind="media",
            phone_number_id="SIMPHONE1",
            content=PNG,
            filename="p.png",
            mime_type="image/png",
            text="Look",
        )
    )
    phone_messages.phone_send(
        phone_messages.PhoneMessage(
            WA, "Zoë", kind="location", phone_number_id="SIMPHONE1", latitude=-23.5, longitude=-46.6
        )
    )
    phone_messages.phone_send(
        phone_messages.PhoneMessage(
            WA, "Zoë", kind="reaction", phone_number_id="SIMPHONE1", reaction_to=target.id, emoji="👍"
        )
    )

    for body in [r for r in webhook_receiver.requests if not r.statuses]:
        feed(wa, body)
    assert [m.type for m in messages] == [
        MessageType.TEXT,
        MessageType.IMAGE,
        MessageType.LOCATION,
        MessageType.REACTION,
    ]
    text, image, location, reaction = messages
    assert (text.text, text.forwarded, text.from_user.wa_id, text.from_user.name) == ("Olá 👋", True, WA, "Zoë")
    assert (image.caption, image.image.mime_type) == ("Look", "image/png")
    assert image.image.sha256 == base64.b64encode(hashlib.sha256(PNG).digest()).decode()
    assert wa.get_media_bytes(wa.get_media_url(image.image.id).url) == PNG
    assert (location.location.latitude, location.location.longitude) == (-23.5, -46.6)
    assert (reaction.reaction.emoji, reaction.reaction.message_id) == ("👍", target.id)
