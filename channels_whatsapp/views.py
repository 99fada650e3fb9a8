"""JSON endpoints behind the agent's WhatsApp composer (window, template checks, shorthand building) and the contact
page's "start a conversation" panel."""

import json
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from channels_whatsapp import message_templates, retries, selectors, template_replies
from tickets import contact_views, languages
from tickets import selectors as ticket_selectors
from tickets.errors import DomainError


def _visible_whatsapp_ticket(request, ticket_id: int):
    ticket = ticket_selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    if ticket is None:
        raise Http404(_("No such ticket."))
    conversation = selectors.conversation_for_ticket(ticket.pk)
    return ticket, conversation


def _json_body(request) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _template_json(template) -> dict:
    return {
        "id": template.pk,
        "name": template.name,
        "language": template.language,
        "category": template.category,
        "status": template.status,
        "body": template.body,
        "body_parameter_count": template.body_parameter_count,
    }


@login_required
@require_GET
def composer_state(request, ticket_id: int):
    ticket, conversation = _visible_whatsapp_ticket(request, ticket_id)
    check = template_replies.composer_check(ticket=ticket, body="", now=timezone.now())
    account = conversation.account if conversation else None
    contact = conversation.contact if conversation else None
    return JsonResponse(
        {
            "window": check["window"],
            "account": {"id": account.pk, "templates_enabled": account.templates_enabled} if account else None,
            "contact": {"name": contact.name, "first_name": contact.first_name, "opted_in": contact.whatsapp_opt_in}
            if contact
            else None,
        }
    )


@login_required
@require_GET
def composer_templates(request, ticket_id: int):
    _ticket, conversation = _visible_whatsapp_ticket(request, ticket_id)
    if conversation is None:
        return JsonResponse({"results": []})
    found = message_templates.templates_for_account(
        account=conversation.account,
        status="APPROVED",
        search=request.GET.get("q") or None,
        prefer_language=languages.contact_language(conversation.contact),  # the customer's language first
    )[:200]
    return JsonResponse({"results": [_template_json(t) for t in found]})


@login_required
@require_POST
def composer_check(request, ticket_id: int):
    ticket, _conversation = _visible_whatsapp_ticket(request, ticket_id)
    body = _json_body(request).get("body")
    if not isinstance(body, str):
        return JsonResponse({"error": _("Give the reply text as `body`.")}, status=400)
    return JsonResponse(template_replies.composer_check(ticket=ticket, body=body[:10000], now=timezone.now()))


@login_required
@require_POST
def composer_shorthand(request, ticket_id: int):
    """Build valid shorthand from a picked template and parameter values, and check it."""
    ticket, conversation = _visible_whatsapp_ticket(request, ticket_id)
    data = _json_body(request)
    parameters = data.get("parameters", [])
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        return JsonResponse({"error": _("`parameters` must be a list of strings.")}, status=400)
    if conversation is None:
        return JsonResponse({"error": _("This ticket is not a WhatsApp conversation.")}, status=400)
    template = (
        message_templates.templates_for_account(account=conversation.account).filter(pk=data.get("template_id")).first()
    )
    if template is None:
        return JsonResponse({"error": _("Unknown template.")}, status=400)
    try:
        text = template_replies.shorthand_for(template=template, parameters=parameters)
    except DomainError as error:
        return JsonResponse({"error": error.message}, status=400)
    check = template_replies.composer_check(ticket=ticket, body=text, now=timezone.now())
    return JsonResponse({"shorthand": text, "rendered": check["rendered"], "check": check})


@login_required
@require_POST
def comment_retry(request, ticket_id: int, comment_id: int):
    """The failed bubble's "Retry": the same message queued again (400 with the reason when it may not be)."""
    ticket = ticket_selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    comment = selectors.comment_on_ticket(ticket_id=ticket.pk, comment_id=comment_id) if ticket is not None else None
    if comment is None:
        raise Http404(_("No such message."))
    try:
        retried = retries.comment_retry(ticket=ticket, comment=comment, actor=request.user)
    except DomainError as error:
        return JsonResponse({"error": error.message}, status=400)
    return JsonResponse({"comment_id": retried.pk, "status": retried.delivery_status})


# --- Account-level template picking and proactive outreach (the contact page) ---------------------------------

CONTACT_PANEL = "whatsapp/_contact_panel.html"


def _active_account(account_id: int):
    account = selectors.accounts_active().filter(pk=account_id).first()
    if account is None:
        raise Http404(_("No such WhatsApp number."))
    return account


def _contact_language(request) -> str | None:
    """With `?contact_id=` (a contact the caller may see): that customer's language, for ordering templates."""
    try:
        contact_id = int(request.GET.get("contact_id", ""))
    except ValueError:
        return None
    if not 0 < contact_id < 2**63:
        return None
    contact = ticket_selectors.contact_get(user=request.user, contact_id=contact_id)
    return languages.contact_language(contact) if contact is not None else None


@login_required
@require_GET
def account_templates(request, account_id: int):
    """The account's APPROVED templates, for picking one without a ticket (starting a conversation)."""
    account = _active_account(account_id)
    found = message_templates.templates_for_account(
        account=account,
        status="APPROVED",
        search=request.GET.get("q") or None,
        prefer_language=_contact_language(request),
    )
    return JsonResponse(
        {
            "account": {"id": account.pk, "templates_enabled": account.templates_enabled},
            "results": [_template_json(t) for t in found[:200]],
        }
    )


@login_required
@require_POST
def account_shorthand(request, account_id: int):
    """Shorthand for a picked template of this account, its rendered text and the send rules' verdict.

    With `contact_id` the marketing-consent rule is checked for that contact too.
    """
    account = _active_account(account_id)
    data = _json_body(request)
    parameters = data.get("parameters", [])
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        return JsonResponse({"error": _("`parameters` must be a list of strings.")}, status=400)
    template = message_templates.templates_for_account(account=account).filter(pk=data.get("template_id")).first()
    if template is None:
        return JsonResponse({"error": _("Unknown template.")}, status=400)
    contact = None
    if data.get("contact_id") is not None:
        try:
            contact = ticket_selectors.contact_get(user=request.user, contact_id=int(data["contact_id"]))
        except (TypeError, ValueError):
            contact = None
        if contact is None:
            return JsonResponse({"error": _("Unknown contact.")}, status=400)
    try:
        text = template_replies.shorthand_for(template=template, parameters=parameters)
        prepared = template_replies.prepare_for_account(account=account, body=text)
    except DomainError as error:
        return JsonResponse({"error": error.message}, status=400)
    # Without a contact, consent cannot be judged: only the account's and the template's rules are checked.
    judged = contact if contact is not None else SimpleNamespace(whatsapp_opt_in=True, name="")
    refusal = template_replies.refusal_for(account=account, contact=judged, meta=prepared.template)
    problems = [{"code": refusal[0], "message": template_replies.refusal_message(refusal)}] if refusal else []
    check = {
        "kind": "template",
        "deliverable": not problems,
        "problems": problems,
        "rendered": prepared.body,
        "template": {k: prepared.template[k] for k in ("name", "language", "parameters", "category")},
    }
    return JsonResponse({"shorthand": text, "rendered": prepared.body, "check": check})


def contact_panel_context(contact, user) -> dict:
    """The contact page's WhatsApp panel (registered in AppConfig.ready): the numbers to write from."""
    accounts = list(selectors.accounts_active())
    return {
        "accounts": accounts,
        "reachable": bool(contact.wa_id or contact.whatsapp_user_id),
        "selected_account": accounts[0].pk if len(accounts) == 1 else None,
        "body": "",
        "errors": [],
    }


@login_required
@require_POST
def contact_conversation_start(request, contact_id: int):
    """Start a WhatsApp conversation from the contact page: an approved template on a new ticket (PRG)."""
    contact = contact_views.contact_or_404(request, contact_id)
    body = request.POST.get("body", "")[:10000]
    raw_account = request.POST.get("account", "")
    account = selectors.accounts_active().filter(pk=int(raw_account)).first() if raw_account.strip().isdigit() else None
    errors: list[str] = []
    if account is None:
        errors.append(_("Choose the WhatsApp number to write from."))
    elif not body.strip():
        errors.append(_("Pick a template: only an approved message template can start a WhatsApp conversation."))
    else:
        try:
            ticket = template_replies.conversation_start(
                account=account, contact=contact, actor=request.user, body=body
            )
        except DomainError as error:
            errors = [str(m) for key, found in error.errors.items() if key != "code" for m in _as_list(found)]
            errors = errors or [error.message]
        else:
            messages.success(
                request,
                _("Conversation started with %(name)s: ticket #%(ticket)s.")
                % {"name": contact.name, "ticket": ticket.pk},
            )
            return redirect(reverse("tickets:ticket", args=[ticket.pk]))
    panel = {"errors": errors, "body": body, "selected_account": account.pk if account else None}
    return contact_views.render_contact_page(request, contact, status=400, panel_context={CONTACT_PANEL: panel})


def _as_list(value) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]
