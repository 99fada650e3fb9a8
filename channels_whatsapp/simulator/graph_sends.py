"""Sends (POST /{phone_number_id}/messages): validated like the Cloud API, recorded, their status webhooks scheduled."""

import logging
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from channels_whatsapp.simulator import faults, protocol, seed_templates, selectors, status_webhooks
from channels_whatsapp.simulator.models import (
    SimMedia,
    SimMessage,
    SimTemplate,
    SimulatorFault,
)
from channels_whatsapp.simulator.protocol import GraphRequestError

logger = logging.getLogger(__name__)


@dataclass
class _Accepted:
    type: str
    text: str
    category: str = "service"
    template_name: str = ""
    template_language: str = ""
    free_form: bool = True


def message_send(*, phone_number_id: str, token: str, body: object) -> dict:
    """Accept (or refuse, raising GraphRequestError) a send, record it, and schedule its status webhooks."""
    if not isinstance(body, dict):
        raise GraphRequestError(100, "The request body must be a JSON object.")
    if body.get("status") == "read" and "message_id" in body:
        return _mark_read(phone_number_id=phone_number_id, body=body)
    fault = faults.fault_take()
    if fault is not None:
        if fault.kind == SimulatorFault.Kind.SERVER_ERROR:
            raise GraphRequestError(131000, "Simulated server error.", http_status=500)
        if fault.kind == SimulatorFault.Kind.RATE_LIMIT:
            raise GraphRequestError(130429, "Cloud API message throughput has been reached.", http_status=429)
        if fault.kind == SimulatorFault.Kind.DELAY:
            time.sleep(fault.delay_seconds)

    recipient = _validate_common(body)
    wa_id = protocol.digits(recipient)
    accepted = _validate_typed(body, phone_number_id=phone_number_id)
    context = body.get("context") if isinstance(body.get("context"), dict) else {}
    callback = body.get("biz_opaque_callback_data")
    callback = callback if isinstance(callback, str) else ""

    wamid = protocol.new_wamid()
    SimMessage.objects.create(
        wamid=wamid,
        direction=SimMessage.Direction.OUTBOUND,
        phone_number_id=phone_number_id,
        wa_id=wa_id,
        type=accepted.type,
        body=body,
        text=accepted.text,
        template_name=accepted.template_name,
        template_language=accepted.template_language,
        biz_opaque_callback_data=callback[:512],
        context_id=str(context.get("message_id", ""))[:200],
        sent_at=timezone.now(),
        status=SimMessage.Status.ACCEPTED,
        token_hash=protocol.token_hash(token),
    )

    if fault is not None and fault.kind == SimulatorFault.Kind.UNDELIVERABLE:
        plan = [("failed", protocol.status_error(131026, "Message undeliverable", "Message Undeliverable."))]
    elif accepted.free_form and not selectors.window_open(wa_id=wa_id, phone_number_id=phone_number_id):
        error = protocol.status_error(131047, "Re-engagement message", protocol.RE_ENGAGEMENT_DETAILS)
        plan = [("failed", error)]
    else:
        plan = [("sent", None), ("delivered", None), ("read", None)]
    number = selectors.business_number(phone_number_id)
    job = status_webhooks.StatusJob(
        wamid=wamid,
        recipient_id=wa_id,
        callback_data=callback,
        category=accepted.category,
        waba_id=number.waba_id,
        phone_number_id=phone_number_id,
        display_phone_number=number.display_phone_number,
        plan=plan,
        profile_name=selectors.contact_name(wa_id),
    )
    transaction.on_commit(lambda: status_webhooks.start_status_thread(job))
    logger.info("simulator: accepted %s message %s to %s", accepted.type, wamid, wa_id)
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": recipient, "wa_id": wa_id}],
        "messages": [{"id": wamid}],
    }


def _mark_read(*, phone_number_id: str, body: dict) -> dict:
    if body.get("messaging_product") != "whatsapp":
        raise GraphRequestError(131009, "Param messaging_product must be 'whatsapp'.")
    message = SimMessage.objects.filter(
        wamid=str(body.get("message_id")), direction=SimMessage.Direction.INBOUND, phone_number_id=phone_number_id
    ).first()
    if message is None:
        raise GraphRequestError(131009, "Invalid message_id.")
    # Meta marks the earlier messages of the chat read too.
    SimMessage.objects.filter(
        direction=SimMessage.Direction.INBOUND,
        wa_id=message.wa_id,
        phone_number_id=phone_number_id,
        sent_at__lte=message.sent_at,
    ).update(status=SimMessage.Status.READ)
    return {"success": True}


def _validate_common(body: dict) -> str:
    product = body.get("messaging_product")
    if product is None:
        raise GraphRequestError(100, "The parameter messaging_product is required.")
    if product != "whatsapp":
        raise GraphRequestError(131009, "Param messaging_product must be 'whatsapp'.")
    recipient = body.get("to") or body.get("recipient")
    if not recipient:
        raise GraphRequestError(100, "The parameter to is required.")
    if not isinstance(recipient, str) or not protocol.digits(recipient):
        raise GraphRequestError(131009, "Param to must be a valid phone number or WhatsApp id.")
    recipient_type = body.get("recipient_type", "individual")
    if recipient_type != "individual":
        raise GraphRequestError(131009, "Param recipient_type must be 'individual'.")
    type_ = body.get("type", "text")
    if type_ not in protocol.SENDABLE_TYPES:
        raise GraphRequestError(
            131009, f"Param type must be one of {{{', '.join(t.upper() for t in protocol.SENDABLE_TYPES)}}}."
        )
    if not isinstance(body.get(type_), dict):
        raise GraphRequestError(131008, f"The parameter {type_} is required.")
    return recipient


def _validate_typed(body: dict, *, phone_number_id: str) -> _Accepted:
    type_ = body.get("type", "text")
    obj: dict = body[type_]
    if type_ == "text":
        text = obj.get("body")
        if not isinstance(text, str) or not text:
            raise GraphRequestError(131008, "The parameter text['body'] is required.")
        if len(text) > protocol.TEXT_MAX:
            raise GraphRequestError(100, f"Param text['body'] must be at most {protocol.TEXT_MAX} characters long.")
        return _Accepted(type=type_, text=text)
    if type_ in protocol.MEDIA_TYPES:
        return _validate_media(type_, obj)
    if type_ == "reaction":
        if not obj.get("message_id"):
            raise GraphRequestError(131008, "The parameter reaction['message_id'] is required.")
        if "emoji" not in obj:
            raise GraphRequestError(131008, "The parameter reaction['emoji'] is required.")
        return _Accepted(type=type_, text=str(obj.get("emoji") or ""))
    if type_ == "location":
        for key in ("latitude", "longitude"):
            if obj.get(key) in (None, ""):
                raise GraphRequestError(131008, f"The parameter location['{key}'] is required.")
        text = str(obj.get("name") or obj.get("address") or f"{obj['latitude']}, {obj['longitude']}")
        return _Accepted(type=type_, text=text)
    if type_ == "interactive":
        if not obj.get("type"):
            raise GraphRequestError(131008, "The parameter interactive['type'] is required.")
        if not isinstance(obj.get("action"), dict):
            raise GraphRequestError(131008, "The parameter interactive['action'] is required.")
        text = (obj.get("body") or {}).get("text", "") if isinstance(obj.get("body"), dict) else ""
        return _Accepted(type=type_, text=str(text))
    return _validate_template(obj, phone_number_id=phone_number_id)


def _validate_media(type_: str, obj: dict) -> _Accepted:
    media_id, link = obj.get("id"), obj.get("link")
    if not media_id and not link:
        raise GraphRequestError(131008, f"The parameter {type_}['id'] or {type_}['link'] is required.")
    if media_id and not SimMedia.objects.filter(media_id=str(media_id)).exists():
        raise GraphRequestError(131009, f"Media id ({media_id}) is not valid.")
    caption = obj.get("caption") or ""
    if caption and type_ in ("audio", "sticker"):
        raise GraphRequestError(131009, f"Param {type_}['caption'] is not supported for {type_} messages.")
    if len(str(caption)) > protocol.CAPTION_MAX:
        raise GraphRequestError(100, f"Param {type_}['caption'] must be at most {protocol.CAPTION_MAX} characters.")
    text = str(caption or obj.get("filename") or "")
    return _Accepted(type=type_, text=text)


TEXT_PARAMS = ("text", "currency", "date_time")


def _component_params(components: list, kind: str) -> list:
    params: list = []
    for component in components:
        if isinstance(component, dict) and str(component.get("type", "")).lower() == kind:
            params.extend(component.get("parameters") or [])
    return params


def _validate_template(obj: dict, *, phone_number_id: str) -> _Accepted:
    name = obj.get("name")
    language = obj.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    if not name:
        raise GraphRequestError(131008, "The parameter template['name'] is required.")
    if not code:
        raise GraphRequestError(131008, "The parameter template['language']['code'] is required.")
    seed_templates.templates_ensure_seeded()
    template = selectors.template_for_send(phone_number_id=phone_number_id, name=str(name), language=str(code))
    if template is None or template.status in (SimTemplate.Status.PENDING, SimTemplate.Status.REJECTED):
        raise GraphRequestError(132001, f"template name ({name}) does not exist in {code}")
    if template.status == SimTemplate.Status.PAUSED:
        raise GraphRequestError(132015, f"Template {name} is paused because of low quality.")
    if template.status == SimTemplate.Status.DISABLED:
        raise GraphRequestError(132016, f"Template {name} has been disabled.")
    components = obj.get("components") or []
    if not isinstance(components, list):
        raise GraphRequestError(131009, "Param template['components'] must be an array.")

    body_params = _component_params(components, "body")
    expected = protocol.placeholder_count(template.body)
    if len(body_params) != expected:
        raise GraphRequestError(
            132000,
            f"body: number of localizable_params ({len(body_params)}) does not match the expected number of "
            f"params ({expected})",
        )
    header_params = _component_params(components, "header")
    if template.header_format == SimTemplate.HeaderFormat.TEXT:
        expected = protocol.placeholder_count(template.header_text)
        if len(header_params) != expected:
            raise GraphRequestError(
                132000,
                f"header: number of localizable_params ({len(header_params)}) does not match the expected number "
                f"of params ({expected})",
            )
    elif template.header_format:
        kind = template.header_format.lower()
        param = header_params[0] if header_params else {}
        media = param.get(kind) if isinstance(param, dict) else None
        if param.get("type") != kind or not isinstance(media, dict) or not (media.get("id") or media.get("link")):
            received = str(param.get("type") or "none").upper() if isinstance(param, dict) else "NONE"
            raise GraphRequestError(
                132012, f"header: Format mismatch, expected {template.header_format}, received {received}"
            )

    textual = [p for p in body_params + header_params if not isinstance(p, dict) or p.get("type") in TEXT_PARAMS]
    for text in map(protocol.parameter_text, textual):
        if not text.strip():
            raise GraphRequestError(131008, "Parameter of type text is missing text value")
        if "\n" in text or "\t" in text or "     " in text:
            raise GraphRequestError(
                132018,
                "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
                message="(#132018) There was an issue with the parameters in your template.",
            )
    rendered = protocol.render(template.body, [protocol.parameter_text(p) for p in body_params])
    return _Accepted(
        type="template",
        text=rendered,
        category=template.category.lower(),
        template_name=template.name,
        template_language=template.language,
        free_form=False,
    )
