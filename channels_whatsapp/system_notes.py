"""The internal notes the WhatsApp channel writes on a ticket, worded when they are shown, in the reader's language.

The worker stores each note's data with a code (`services.system_note_add(note=...)`) and its wording in the default
language as the body, which the API and search see; the ticket page asks these functions for the words instead.
"""

from django.utils.translation import gettext as _

from channels_whatsapp import message_text, parsing

OPT_IN_KEYWORD = "whatsapp.opt_in_keyword"
INBOUND_ERROR = "whatsapp.inbound_error"
SYSTEM_MESSAGE = "whatsapp.system_message"


def opt_in_keyword_text(data: dict) -> str:
    word = str(data.get("keyword", ""))
    if data.get("opt_in"):
        return _("The customer opted in to WhatsApp messages (%(word)s).") % {"word": word}
    return _("The customer opted out of WhatsApp marketing messages (%(word)s).") % {"word": word}


def inbound_error_text(data: dict) -> str:
    error = parsing.GraphErrorInfo(
        code=str(data.get("code", "")), title=str(data.get("title", "")), detail=str(data.get("detail", ""))
    )
    return message_text.error_text(error)


def system_message_text(data: dict) -> str:
    return message_text.system_text(
        kind=str(data.get("kind", "")), text=str(data.get("text", "")), new_wa_id=str(data.get("new_wa_id", ""))
    )


WORDINGS = {OPT_IN_KEYWORD: opt_in_keyword_text, INBOUND_ERROR: inbound_error_text, SYSTEM_MESSAGE: system_message_text}
