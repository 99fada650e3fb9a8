"""Template replies: an agent's (or macro's) public reply written in template shorthand.

The shorthand is parsed when the reply is saved (malformed -> 400, nothing saved); the ticket keeps the rendered
template text with the template's name, language and Cloud API payload; the send rules are checked when the reply
is handed to WhatsApp (refusals -> kept, failed with a product code and a live banner).
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channels_whatsapp import message_templates, selectors
from channels_whatsapp.models import MessageTemplate
from macros import shorthand
from tickets.errors import DomainError
from tickets.hooks import PreparedReply
from tickets.models import Comment, Ticket

MARKETING = "MARKETING"


# `template=LOOK_UP`: the registry is asked; a template (or None, not found) already looked up is used as it is.
LOOK_UP = object()


def parse_or_400(body: str) -> shorthand.Shorthand:
    try:
        return shorthand.parse(body)
    except shorthand.ShorthandError as error:
        raise DomainError(_("Template shorthand: %(problem)s") % {"problem": error.message}, field="body") from error


def prepare_for_account(*, account, body: str) -> PreparedReply:
    """Parse shorthand (malformed -> DomainError) into the rendered text and the template record to store."""
    return template_prepared(account=account, body=body)[0]


def template_prepared(*, account, body: str) -> tuple[PreparedReply, MessageTemplate | None]:
    """prepare_for_account, and the registry's template the shorthand names (None: unknown, or no account)."""
    parsed = parse_or_400(body)
    template = (
        message_templates.template_for(account=account, name=parsed.template, language=parsed.language)
        if account
        else None
    )
    params = [shorthand.normalize_param(value) for value in parsed.body_text]
    if template is not None and template.body:
        text = message_templates.render_body(template.body, params)
    else:
        text = parsed.fallback or _("[Template %(name)s (%(language)s)]") % {
            "name": parsed.template,
            "language": parsed.language,
        }
    prepared = PreparedReply(
        body=text,
        template={
            "name": parsed.template,
            "language": parsed.language,
            "parameters": params,
            "category": template.category if template is not None else None,
            "payload": shorthand.to_template_object(parsed),
        },
    )
    return prepared, template


def template_refusal(*, comment: Comment, conversation, template=LOOK_UP) -> tuple[str, str, str] | None:
    """Why this template reply may not go out, as (code, title, detail); None when it may."""
    return refusal_for(
        account=conversation.account, contact=conversation.contact, meta=comment.template or {}, template=template
    )


def refusal_for(*, account, contact, meta: dict, template=LOOK_UP) -> tuple[str, str, str] | None:
    """The send rules of a template message, checked in this order (the first that fails is the answer).

    Title and detail are in the active language: a caller that stores them for an agent activates that agent's."""
    name, language = meta.get("name", ""), meta.get("language", "")
    if not account.templates_enabled:
        return (
            "templates_not_enabled",
            _("Templates are not enabled"),
            _("The WhatsApp number %(number)s may not send message templates; an admin can enable them.")
            % {"number": account.display_phone_number or account.phone_number_id},
        )
    if template is LOOK_UP:
        template = message_templates.template_for(account=account, name=name, language=language)
    if template is None or not template.is_sendable:
        names = {"name": name, "language": language}
        if template is None:
            detail = _("The template '%(name)s' in %(language)s does not exist; only APPROVED templates can be sent.")
        else:
            names["status"] = template.status
            detail = _("The template '%(name)s' in %(language)s is %(status)s; only APPROVED templates can be sent.")
        return ("template_not_approved", _("Template not approved"), detail % names)
    given = len(meta.get("parameters") or [])
    if given != template.body_parameter_count:
        expected = template.body_parameter_count
        return (
            "template_params",
            _("Wrong number of template parameters"),
            ngettext(
                "The template '%(name)s' takes %(expected)s body parameter(s); %(given)s given.",
                "The template '%(name)s' takes %(expected)s body parameter(s); %(given)s given.",
                expected,
            )
            % {"name": name, "expected": expected, "given": given},
        )
    if template.category == MARKETING and not contact.whatsapp_opt_in:
        return (
            "not_opted_in",
            _("Customer has not opted in"),
            _("%(name)s has not opted in to marketing messages; marketing templates need consent.")
            % {"name": contact.name},
        )
    return None


def refusal_message(refusal: tuple[str, str, str]) -> str:
    """A refusal as one line for the composer and form errors: "<title>: <detail>"."""
    return _("%(title)s: %(detail)s") % {"title": refusal[1], "detail": refusal[2]}


# --- The composer's checks (before the agent presses send) -------------------------------------------------


def composer_check(*, ticket: Ticket, body: str, now) -> dict:
    """What would happen to this public reply: free-form or template, and every reason it would not be delivered."""
    from channels_whatsapp import window

    conversation = selectors.conversation_for_ticket(ticket.pk)
    win = window.window_at(ticket.last_customer_message_at, now)
    result: dict = {
        "window": {"open": win.open, "expires_at": win.expires_at},
        "kind": "template" if shorthand.contains(body) else "text",
        "deliverable": True,
        "problems": [],
        "rendered": None,
        "template": None,
    }

    def problem(code: str, message: str) -> None:
        result["deliverable"] = False
        result["problems"].append({"code": code, "message": message})

    if conversation is None:
        problem("no_whatsapp_conversation", _("This ticket is not linked to a WhatsApp number and contact."))
        return result
    if result["kind"] == "text":
        if not win.open:
            problem(
                "window_closed",
                _(
                    "More than 24 hours since the customer's last message: this reply will be kept on the ticket "
                    "but not delivered. Only a template can reach them now."
                ),
            )
        return result
    try:
        prepared = prepare_for_account(account=conversation.account, body=body)
    except DomainError as error:
        problem("shorthand", error.message)
        return result
    result["rendered"] = prepared.body
    result["template"] = {k: prepared.template[k] for k in ("name", "language", "parameters", "category")}
    refusal = refusal_for(account=conversation.account, contact=conversation.contact, meta=prepared.template)
    if refusal is not None:
        problem(refusal[0], refusal_message(refusal))
    return result


def shorthand_for(*, template, parameters: list[str]) -> str:
    """Shorthand for a registry template and the agent's parameter values (escaped: values cannot inject keys)."""
    return shorthand.format(
        shorthand.Shorthand(
            template=template.name,
            language=template.language,
            body_text=tuple(shorthand.escape_value(p) for p in parameters),
        )
    )


# --- Proactive outreach -------------------------------------------------------------------------------------

CONVERSATION_ELSEWHERE = "conversation_elsewhere"


class ConversationElsewhere(DomainError):
    """The customer is in an unsolved WhatsApp conversation on a ticket the agent may not see (API: 409)."""

    code = CONVERSATION_ELSEWHERE

    def __init__(self):
        message = _(
            "This customer has an open WhatsApp conversation on a ticket of another group; "
            "a new conversation would take their next messages away from it."
        )
        super().__init__(message, errors={"contact_id": [message], "code": [CONVERSATION_ELSEWHERE]})


def conversation_start(*, account, contact, actor, body: str) -> Ticket:
    """Reach a customer first: only with an approved template (and consent for marketing), on a new ticket.

    The caller checks that `actor` may see `contact`. A customer with an unsolved WhatsApp ticket `actor` cannot see
    is refused (ConversationElsewhere): their replies would otherwise land on the agent's new ticket."""
    from django.db import transaction

    from channels_whatsapp.models import WhatsAppConversation
    from tickets import selectors as ticket_selectors
    from tickets import services as ticket_services
    from tickets.models import Via

    if ticket_selectors.open_whatsapp_ticket_elsewhere(user=actor, contact=contact):
        raise ConversationElsewhere()
    if not (contact.wa_id or contact.whatsapp_user_id):
        raise DomainError(_("This contact has no WhatsApp id."), field="contact_id")
    if not shorthand.contains(body):
        raise DomainError(
            _("Only an approved message template can start a WhatsApp conversation: pick a template."), field="body"
        )
    prepared = prepare_for_account(account=account, body=body)
    refusal = refusal_for(account=account, contact=contact, meta=prepared.template)
    if refusal is not None:
        message = refusal_message(refusal)
        raise DomainError(message, errors={"body": [message], "code": [refusal[0]]})

    def link(ticket: Ticket) -> None:
        WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)

    with transaction.atomic():
        ticket = ticket_services.ticket_create(
            requester=contact,
            subject=f"WhatsApp: {prepared.template['name']}",
            via=Via.WHATSAPP,
            actor=actor,
            assignee=actor,
            source="whatsapp",
            on_ticket_created=link,
        )
        ticket_services.comment_add(ticket=ticket, author=actor, body=body, public=True, via=Via.WHATSAPP)
    return ticket
