"""Why a WhatsApp message was not delivered, in plain words, and what to do: one table for the failed bubble
(rendered by the server) and the banners (static/js/delivery-reasons.js reads it as JSON from the page).

Keyed by the delivery error code: the Cloud API's number as a string, or one of SupportDesk's own refusals.
Pure: no models, no requests.
"""

import re

from django.utils.translation import gettext_lazy as _

_WINDOW = _("More than 24 hours since the customer's last message: only a template can reach them now.")
_UNREACHABLE = _("WhatsApp could not be reached and the retries ran out. Try again shortly.")

REASONS = {
    "window_closed": _(
        "The reply was kept on the ticket but not sent. More than 24 hours since the customer's last message: "
        "only a template can reach them now."
    ),
    "131047": _WINDOW,
    "470": _WINDOW,
    "131026": _(
        "WhatsApp could not deliver it: the number may not use WhatsApp, or the customer must update the app or "
        "accept its terms. Reach them another way."
    ),
    "131049": _(
        "WhatsApp held back this marketing message to protect the customer's experience. Don't resend it within "
        "24 hours."
    ),
    "131050": _("The customer has stopped marketing messages from this business. Don't resend."),
    "131051": _("WhatsApp does not support this kind of message. Send text or a supported file."),
    "131052": _("The customer's file could not be downloaded. Ask them to send it another way."),
    "131053": _(
        "WhatsApp could not use the attached file (type or size not accepted). Send a JPEG, PNG, PDF or another "
        "supported file."
    ),
    "130429": _("WhatsApp's sending limit was reached and retries ran out. Try again in a minute."),
    "131056": _("Too many messages to this customer in a short time. Wait a moment, then resend."),
    "131000": _("WhatsApp reported an unknown error. Try again; if it keeps happening, tell an admin."),
    "132000": _("The template's number of parameters does not match. Fill in every parameter."),
    "132001": _("This template does not exist in that language or is not approved. Pick an approved template."),
    "132005": _("The filled-in template is too long. Shorten the parameters."),
    "132007": _("WhatsApp refused the template's content under its policy. Use another template."),
    "132012": _(
        "A template parameter has the wrong format (for example a header expects an image). Check the template."
    ),
    "132015": _("This template is paused for low quality. Use another template."),
    "132016": _("This template has been disabled. Use another template or ask an admin to create a new one."),
    "100": _("WhatsApp refused the request as invalid. An admin should check the account settings."),
    "190": _("The WhatsApp access token has expired or is invalid. An admin must update the account's token."),
    "368": _(
        "The WhatsApp Business Account is restricted for a policy violation. An admin must check WhatsApp Manager."
    ),
    "131031": _("The WhatsApp account is locked. An admin must check WhatsApp Manager."),
    "timeout": _(
        "WhatsApp did not confirm the message: it may or may not have arrived, and it was not resent. Check with "
        "the customer before resending."
    ),
    "connect_error": _UNREACHABLE,
    "network_error": _UNREACHABLE,
    "templates_not_enabled": _("Templates are not enabled for this WhatsApp number. An admin can turn them on."),
    "template_not_approved": _("This template is not approved in that language. Pick an approved template."),
    "template_params": _("The template's parameters do not match it. Fill in every parameter."),
    "not_opted_in": _(
        "The customer has not opted in to marketing messages. Use a utility template or ask for their consent."
    ),
    "no_whatsapp_conversation": _("This ticket is not linked to a WhatsApp number and contact, so nothing was sent."),
}
# Any other template error (132xxx): `{title}` is the Cloud API's title, else the code.
TEMPLATE_REFUSED = _("WhatsApp refused the template ({title}). Check it in WhatsApp Manager.")
TEMPLATE_CODE = re.compile(r"^132\d{3}$")
UNKNOWN_WITH_CODE = _("WhatsApp reported an error ({code}).")
UNKNOWN = _("WhatsApp reported an error.")


def reason_for(code: str, title: str = "", detail: str = "") -> str:
    """The plain words; static/js/delivery-reasons.js applies the same rules to `for_browser()`'s table."""
    code = str(code or "")
    if code in REASONS:
        return str(REASONS[code])
    if TEMPLATE_CODE.match(code):
        return str(TEMPLATE_REFUSED).replace("{title}", title or code)
    text = ": ".join(part for part in (title, detail) if part)
    if text:
        return text
    return str(UNKNOWN_WITH_CODE).replace("{code}", code) if code else str(UNKNOWN)


def for_browser() -> dict:
    """The table in the active language, for the page's JSON (`json_script`)."""
    return {
        "reasons": {code: str(text) for code, text in REASONS.items()},
        "template_refused": str(TEMPLATE_REFUSED),
        "unknown_with_code": str(UNKNOWN_WITH_CODE),
        "unknown": str(UNKNOWN),
    }
