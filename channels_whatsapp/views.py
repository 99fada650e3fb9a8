"""JSON endpoints behind the agent's WhatsApp composer: the window, template checks, shorthand building."""

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from channels_whatsapp import selectors, template_replies
from channels_whatsapp import templates as registry
from tickets import selectors as ticket_selectors
from tickets.errors import DomainError


def _visible_whatsapp_ticket(request, ticket_id: int):
    ticket = ticket_selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    if ticket is None:
        raise Http404("No such ticket.")
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
    _, conversation = _visible_whatsapp_ticket(request, ticket_id)
    if conversation is None:
        return JsonResponse({"results": []})
    found = registry.templates_for_account(
        account=conversation.account, status="APPROVED", search=request.GET.get("q") or None
    )[:200]
    return JsonResponse({"results": [_template_json(t) for t in found]})


@login_required
@require_POST
def composer_check(request, ticket_id: int):
    ticket, _ = _visible_whatsapp_ticket(request, ticket_id)
    body = _json_body(request).get("body")
    if not isinstance(body, str):
        return JsonResponse({"error": "Give the reply text as `body`."}, status=400)
    return JsonResponse(template_replies.composer_check(ticket=ticket, body=body[:10000], now=timezone.now()))


@login_required
@require_POST
def composer_shorthand(request, ticket_id: int):
    """Build valid shorthand from a picked template and parameter values, and check it."""
    ticket, conversation = _visible_whatsapp_ticket(request, ticket_id)
    data = _json_body(request)
    parameters = data.get("parameters", [])
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        return JsonResponse({"error": "`parameters` must be a list of strings."}, status=400)
    if conversation is None:
        return JsonResponse({"error": "This ticket is not a WhatsApp conversation."}, status=400)
    template = registry.templates_for_account(account=conversation.account).filter(pk=data.get("template_id")).first()
    if template is None:
        return JsonResponse({"error": "Unknown template."}, status=400)
    try:
        text = template_replies.shorthand_for(template=template, parameters=parameters)
    except DomainError as error:
        return JsonResponse({"error": error.message}, status=400)
    check = template_replies.composer_check(ticket=ticket, body=text, now=timezone.now())
    return JsonResponse({"shorthand": text, "rendered": check["rendered"], "check": check})
