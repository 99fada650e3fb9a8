"""The phone page: a tester plays a WhatsApp user writing to one of our business numbers.

Forms POST here, call one service (which signs the webhook and posts it to our own webhook over real HTTP),
report our webhook's HTTP status as a message and redirect back. Nothing changes state on GET. Admins only, and
only while the simulator is enabled (access.py).
"""

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from channels_whatsapp.simulator import faults, phone_messages, selectors
from channels_whatsapp.simulator.access import admin_required
from channels_whatsapp.simulator.forms import ContactForm, FaultForm, LocationForm, MessageForm, ReactionForm
from channels_whatsapp.simulator.phone_messages import PhoneMessage, PhoneSend, SimulatorError
from channels_whatsapp.simulator.protocol import GraphRequestError

EMOJIS = ["👍", "❤️", "😂", "😮", "😢", "🙏"]


def _phone_url(wa_id: str = "", phone_number_id: str = "") -> str:
    query = {k: v for k, v in (("contact", wa_id), ("phone", phone_number_id)) if v}
    url = reverse("whatsapp_simulator:phone")
    return f"{url}?{urlencode(query)}" if query else url


def _selection(request: HttpRequest) -> tuple[str, str]:
    source = request.GET if request.method == "GET" else request.POST
    wa_id = "".join(ch for ch in source.get("contact", source.get("wa_id", "")) if ch.isdigit())
    phone_number_id = source.get("phone", source.get("phone_number_id", "")).strip()
    return wa_id, phone_number_id or selectors.default_phone_number_id()


def _conversation_context(wa_id: str, phone_number_id: str) -> dict:
    return {
        "conversation": selectors.conversation(wa_id=wa_id, phone_number_id=phone_number_id) if wa_id else [],
        "window_open": selectors.window_open(wa_id=wa_id, phone_number_id=phone_number_id) if wa_id else False,
        "last_inbound_at": selectors.last_inbound_at(wa_id=wa_id, phone_number_id=phone_number_id) if wa_id else None,
    }


@require_GET
@admin_required
def phone(request: HttpRequest) -> HttpResponse:
    wa_id, phone_number_id = _selection(request)
    contact = selectors.contact_get(wa_id) if wa_id else None
    identity = {"wa_id": wa_id, "name": contact.name if contact else "", "phone_number_id": phone_number_id}
    business_messages = selectors.business_messages(wa_id=wa_id, phone_number_id=phone_number_id) if wa_id else []
    numbers = selectors.business_numbers()
    if all(n.phone_number_id != phone_number_id for n in numbers):
        numbers.append(selectors.business_number(phone_number_id))
    context = {
        "numbers": numbers,
        "number": selectors.business_number(phone_number_id),
        "phone_number_id": phone_number_id,
        "contacts": selectors.contacts()[:100],
        "contact": contact,
        "wa_id": wa_id,
        "business_messages": business_messages,
        "message_form": MessageForm(initial={**identity, "hours_ago": 0}),
        "reaction_form": ReactionForm(initial=identity),
        "location_form": LocationForm(initial=identity),
        "contact_form": ContactForm(),
        "fault_form": FaultForm(),
        "faults": selectors.faults_pending(),
        "templates": selectors.templates_all(),
        "emojis": EMOJIS,
        "webhook_url": phone_messages.webhook_url(),
        **_conversation_context(wa_id, phone_number_id),
    }
    return render(request, "simulator/phone.html", context)


@require_GET
@admin_required
def conversation(request: HttpRequest) -> HttpResponse:
    """The conversation pane alone, polled every 2 s by the phone page."""
    wa_id, phone_number_id = _selection(request)
    return render(request, "simulator/_conversation.html", _conversation_context(wa_id, phone_number_id))


def _report(request: HttpRequest, result: PhoneSend) -> None:
    url = phone_messages.webhook_url()
    answered = {"wamid": result.wamid, "status": result.webhook_status}
    if result.webhook_status == 0:
        messages.error(
            request,
            _("Sent %(wamid)s, but the webhook at %(url)s could not be reached.") % {"wamid": result.wamid, "url": url},
        )
    elif 200 <= result.webhook_status < 300:
        messages.success(request, _("Sent %(wamid)s: our webhook answered HTTP %(status)s.") % answered)
    else:
        messages.error(request, _("Sent %(wamid)s: our webhook answered HTTP %(status)s.") % answered)


def _form_errors(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, _("%(label)s: %(error)s") % {"label": label, "error": error} if label else error)


def _phone_post(request: HttpRequest, form_class, message: Callable[[dict], PhoneMessage]) -> HttpResponse:
    """The phone page's forms: `message(cleaned_data)` is what the phone sends."""
    form = form_class(request.POST, request.FILES)
    wa_id, phone_number_id = _selection(request)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_phone_url(wa_id, phone_number_id))
    data = form.cleaned_data
    try:
        _report(request, phone_messages.phone_send(message(data)))
    except (SimulatorError, GraphRequestError) as exc:
        messages.error(request, str(exc))
    return redirect(_phone_url(data["wa_id"], data["phone_number_id"]))


def _text_or_media(data: dict) -> PhoneMessage:
    sender = {
        "wa_id": data["wa_id"],
        "name": data["name"],
        "phone_number_id": data["phone_number_id"],
        "text": data["text"],
        "forwarded": data["forwarded"] == "forwarded",
        "frequently_forwarded": data["forwarded"] == "frequently_forwarded",
        "hours_ago": data["hours_ago"],
        "context_id": data["context_id"] or None,
    }
    attachment = data.get("attachment")
    if attachment is None:
        return PhoneMessage(**sender)
    return PhoneMessage(
        **sender,
        kind="media",
        content=attachment.read(),
        filename=attachment.name,
        mime_type=attachment.content_type or "application/octet-stream",
    )


@require_POST
@admin_required
def send_message(request: HttpRequest) -> HttpResponse:
    return _phone_post(request, MessageForm, _text_or_media)


@require_POST
@admin_required
def send_reaction(request: HttpRequest) -> HttpResponse:
    return _phone_post(
        request,
        ReactionForm,
        lambda d: PhoneMessage(
            d["wa_id"], d["name"], d["phone_number_id"], kind="reaction", reaction_to=d["message_id"], emoji=d["emoji"]
        ),
    )


@require_POST
@admin_required
def send_location(request: HttpRequest) -> HttpResponse:
    location = ("latitude", "longitude", "location_name", "address")
    return _phone_post(
        request,
        LocationForm,
        lambda d: PhoneMessage(
            d["wa_id"], d["name"], d["phone_number_id"], kind="location", **{key: d[key] for key in location}
        ),
    )


@require_POST
@admin_required
def contact_create(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST)
    _wa_id, phone_number_id = _selection(request)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_phone_url(phone_number_id=phone_number_id))
    contact = phone_messages.contact_save(wa_id=form.cleaned_data["wa_id"], name=form.cleaned_data["name"])
    return redirect(_phone_url(contact.wa_id, phone_number_id))


@require_POST
@admin_required
def fault_create(request: HttpRequest) -> HttpResponse:
    form = FaultForm(request.POST)
    wa_id, phone_number_id = _selection(request)
    if form.is_valid():
        data = form.cleaned_data
        try:
            fault = faults.fault_inject(data["kind"], count=data["count"], delay_seconds=data["delay_seconds"] or 0)
        except SimulatorError as exc:
            messages.error(request, str(exc))
        else:
            messages.info(request, _("Fault armed: %(fault)s.") % {"fault": fault})
    else:
        _form_errors(request, form)
    return redirect(_phone_url(wa_id, phone_number_id))


@require_POST
@admin_required
def faults_clear(request: HttpRequest) -> HttpResponse:
    wa_id, phone_number_id = _selection(request)
    faults.faults_clear()
    messages.info(request, _("All faults cleared."))
    return redirect(_phone_url(wa_id, phone_number_id))
