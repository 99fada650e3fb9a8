"""What agents read for each inbound WhatsApp message: the comment body, the subject of a ticket it opens, and the
wording of WhatsApp's error objects. Pure functions of the parsed message (no database, no network).

Every message says something: a message with nothing of its own to show (an `unsupported` one, an interactive reply
or unknown type that only carries `errors`) is described in words, once, in its comment. Customer text arrives
card-masked (the webhook store never holds a full card number); the caller masks the results again per account.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channels_whatsapp import parsing

SUBJECT_MAX = 80

_ERROR_CODES_IN_THE_BODY = {"unsupported": frozenset({"131051"})}  # codes the type's own text already says


def render_body(message: parsing.InboundMessage) -> str:
    """The comment body for one inbound message. Empty only for an empty text or an uncaptioned file (then the
    attachment is the message)."""
    own = _own_text(message)
    if message.type == "unsupported":  # one entry says it all: what the type says, then any further error
        return " ".join([own, *(error_text(e) for e in _errors_not_in(message))])
    if own:
        return own
    if message.errors:
        return " ".join(error_text(e) for e in message.errors)
    match message.type:
        case "text" | "button" | "image" | "video" | "audio" | "document" | "sticker":
            return ""  # an empty text stays empty; a file is its own message
        case "interactive":
            return _("The customer answered an interactive message, but WhatsApp sent no answer to show.")
        case _:
            return _("The customer sent a message of type '%(type)s' that SupportDesk cannot show.") % {
                "type": message.type[:40]
            }


def errors_for_notes(message: parsing.InboundMessage) -> tuple[parsing.GraphErrorInfo, ...]:
    """The errors that need an internal note of their own: none when the comment body already says them (a message
    with nothing else to show, or an `unsupported` one), otherwise all of them (e.g. an error beside a text)."""
    if message.type == "unsupported" or not _own_text(message):
        return ()
    return message.errors


def _errors_not_in(message: parsing.InboundMessage) -> tuple[parsing.GraphErrorInfo, ...]:
    said = _ERROR_CODES_IN_THE_BODY.get(message.type, frozenset())
    return tuple(e for e in message.errors if e.code not in said)


def _own_text(message: parsing.InboundMessage) -> str:
    d = message.details
    match message.type:
        case "text" | "button":
            return message.text
        case "image" | "video" | "audio" | "document" | "sticker":
            return message.text
        case "location":
            place = ", ".join(str(d[k]) for k in ("name", "address") if d.get(k))
            coords = f"{d.get('latitude')}, {d.get('longitude')}"
            return (
                _("Location: %(place)s (%(coords)s)") % {"place": place, "coords": coords}
                if place
                else (_("Location: %(coords)s") % {"coords": coords})
            )
        case "contacts":
            cards = "; ".join(contact_card(c) for c in d.get("contacts", []) if isinstance(c, dict))
            return _("Shared contact: %(cards)s") % {"cards": cards}
        case "interactive":
            return _interactive_text(message)
        case "order":
            items = d.get("items") or []
            text = ngettext("Order of %(count)s item(s)", "Order of %(count)s item(s)", len(items)) % {
                "count": len(items)
            }
            return f"{text}: {message.text}" if message.text else text
        case "unsupported":
            kind = d.get("unsupported_type")
            if not kind:
                return _("The customer sent a message of a type WhatsApp does not support here.")
            return _("The customer sent a message of a type WhatsApp does not support here (%(kind)s).") % {
                "kind": kind[:40]
            }
        case _:
            return message.text


def _interactive_text(message: parsing.InboundMessage) -> str:
    d = message.details
    kind = d.get("kind")
    if kind == "nfm_reply":
        return _("Form response: %(json)s") % {"json": d.get("response_json", "")}
    if kind == "call_permission_reply":
        return call_permission_text(d)
    if not message.text:
        return ""
    return message.text + (f" ({d['description']})" if d.get("description") else "")


def call_permission_text(details: dict) -> str:
    """`interactive.call_permission_reply`: the customer's answer to our request to call them."""
    if details.get("response") == "reject":
        return _("The customer declined calls")
    if details.get("response") != "accept":
        return _("The customer answered the request to call them (%(answer)s)") % {
            "answer": str(details.get("response") or _("no answer"))[:40]
        }
    expires = parsing._ts(details.get("expiration_timestamp"))
    if expires is None or details.get("is_permanent") is True:
        return _("The customer allowed calls")
    return _("The customer allowed calls until %(when)s") % {"when": expires.strftime("%Y-%m-%d %H:%M UTC")}


def contact_card(card: dict) -> str:
    name = card.get("name") if isinstance(card.get("name"), dict) else {}
    parts = [_contact_name(name)]
    parts += [str(p.get("phone", "")) for p in parsing._l(card.get("phones")) if isinstance(p, dict)]
    parts += [str(e.get("email", "")) for e in parsing._l(card.get("emails")) if isinstance(e, dict)]
    return ", ".join(p for p in parts if p)


def _contact_name(name: dict) -> str:
    return str(name.get("formatted_name") or name.get("first_name") or "")


# --- errors -------------------------------------------------------------------------------------------------------


def _sentence(text: str) -> str:
    """One sentence with exactly one closing mark: "unavailable.." and "unavailable" both become "unavailable."."""
    text = " ".join(text.split()).rstrip(" .")
    if not text:
        return ""
    return text if text[-1] in "!?…" else text + "."


def _same(a: str, b: str) -> bool:
    return a.rstrip(".!?… ").casefold() == b.rstrip(".!?… ").casefold()


def error_text(error: parsing.GraphErrorInfo) -> str:
    """A WhatsApp error object in plain words, clean punctuation, no sentence said twice."""
    detail = _sentence(error.detail)
    if error.code == "131052":
        return " ".join(
            p
            for p in (
                _("The customer sent a file WhatsApp could not download (131052: media too large or unavailable)."),
                detail,
                _("Ask them to send it another way."),
            )
            if p
        )
    if error.code == "131051":
        return _("The customer sent a message type WhatsApp does not support (131051).")
    title = _sentence(error.title)
    parts = [title] if title else []
    if detail and not any(_same(detail, p) for p in parts):
        parts.append(detail)
    said = " ".join(parts)
    if error.code and said:
        return _("WhatsApp reported an error with this message (%(code)s): %(text)s") % {
            "code": error.code[:20],
            "text": said,
        }
    if error.code:
        return _("WhatsApp reported an error with this message (%(code)s).") % {"code": error.code[:20]}
    if said:
        return _("WhatsApp reported an error with this message: %(text)s") % {"text": said}
    return _("WhatsApp reported an error with this message.")


# --- the subject of a ticket a message opens ----------------------------------------------------------------------


def _labelled(label: str, text: str) -> str:
    text = " ".join(str(text or "").split())
    return _("%(label)s: %(text)s") % {"label": label, "text": text} if text else label


def subject_for(message: parsing.InboundMessage) -> str:
    """A readable subject for a ticket opened by this message: its text, or what kind of message it was."""
    return truncate_subject(_subject(message))


def truncate_subject(text: str) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 3].rstrip() + "..."


def _subject(message: parsing.InboundMessage) -> str:
    d = message.details
    media = message.media
    match message.type:
        case "text":
            return message.text or _("New conversation")
        case "image":
            return _labelled(_("Photo"), message.text)
        case "video":
            return _labelled(_("Video"), message.text)
        case "audio":
            return _("Voice message") if media is not None and media.voice else _("Audio")
        case "document":
            return _labelled(_("Document"), (media.filename if media else "") or message.text)
        case "sticker":
            return _("Sticker")
        case "location":
            return _labelled(_("Location"), d.get("name") or d.get("address") or "")
        case "contacts":
            names = [_contact_name(c.get("name") if isinstance(c.get("name"), dict) else {}) for c in _cards(d)]
            names = [n for n in names if n]
            return _labelled(_("Contact") if len(names) <= 1 else _("Contacts"), ", ".join(names))
        case "reaction":
            return _("Reaction")
        case "order":
            return _("Order")
        case "button":
            return _labelled(_("Button"), message.text)
        case "interactive":
            return _interactive_subject(message)
        case "unsupported":
            return _("Unsupported message")
    if message.errors:
        return _("Unavailable message")
    return message.text or _("Unsupported message")


def _cards(details: dict) -> list[dict]:
    return [c for c in details.get("contacts", []) if isinstance(c, dict)]


def _interactive_subject(message: parsing.InboundMessage) -> str:
    d = message.details
    if message.errors and not _own_text(message):
        return _("Interactive reply with an error")
    match d.get("kind"):
        case "button_reply":
            return _labelled(_("Button"), message.text)
        case "list_reply":
            return _labelled(_("List reply"), message.text)
        case "nfm_reply":
            return _("Form response")
        case "call_permission_reply":
            return call_permission_text(d)
    return _labelled(_("Interactive reply"), message.text)


# --- system messages ----------------------------------------------------------------------------------------------


def system_text(*, kind: str, text: str, new_wa_id: str = "") -> str:
    """The internal note for a WhatsApp `system` message, in plain words."""
    if kind == "user_changed_number":
        if new_wa_id:
            return _("The customer changed their WhatsApp number to +%(wa_id)s.") % {"wa_id": new_wa_id}
        return _("The customer changed their WhatsApp number.")
    if kind == "customer_identity_changed":
        return _(
            "The customer's WhatsApp identity changed (a new phone or a reinstall): make sure you are still talking "
            "to the same person."
        )
    said = _sentence(text)
    if said:
        return _("WhatsApp: %(text)s") % {"text": said}
    return _("WhatsApp sent a system message (%(kind)s).") % {"kind": kind[:40] or _("no type")}
