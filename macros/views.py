"""The macro menu of the ticket page: thin adapters around `macros.selectors` and `macros.services`.

Zendesk's semantics: choosing a macro fills the ticket page's form (a preview the agent can still edit), and only
the agent's Submit changes the ticket. So `preview` reads and changes nothing, and the page's form, once a macro was
chosen, posts to `ticket_submit`: the ticket page's own submit (`tickets.views.ticket_detail`, unchanged, with its
validation, error page and redirect), wrapped in one transaction that also records which macros were applied.
"""

import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from macros import selectors, services
from tickets import selectors as ticket_selectors
from tickets import views as ticket_views
from tickets.errors import DomainError

MAX_ID = 2**63 - 1
MAX_APPLIED = 20


def _id(value: str | None) -> int | None:
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def _applied_ids(value: str) -> list[int]:
    """`applied_macro` holds the ids of the macros the agent chose, separated by spaces or commas."""
    ids = [_id(part) for part in re.split(r"[\s,]+", value or "") if part]
    return [i for i in dict.fromkeys(ids) if i is not None][:MAX_APPLIED]


@login_required
@require_GET
def available(request: HttpRequest) -> JsonResponse:
    """The macros the agent may use, for the menu (titles are data: the page inserts them as text)."""
    macros = selectors.macros_available_to(request.user, search=request.GET.get("q") or None, order="title")
    return JsonResponse(
        {
            "macros": [
                {
                    "id": macro.pk,
                    "title": macro.title,
                    "name": macro.name,
                    "category": macro.category,
                    "category_path": macro.category_path,
                    "description": macro.description,
                }
                for macro in macros
            ]
        }
    )


@login_required
@require_GET
def preview(request: HttpRequest) -> JsonResponse:
    """`?ticket=<id>&macro=<id>`: what the macro would set on the ticket (JSON of `services.macro_preview`)."""
    ticket_id, macro_id = _id(request.GET.get("ticket")), _id(request.GET.get("macro"))
    if ticket_id is None or macro_id is None:
        return JsonResponse({"error": _("Give ticket and macro as ids.")}, status=400)
    ticket = ticket_selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    macro = selectors.macro_available_get(user=request.user, macro_id=macro_id)
    if ticket is None or macro is None:
        return JsonResponse({"error": _("No such ticket or macro.")}, status=404)
    try:
        data = services.macro_preview(macro=macro, ticket=ticket, user=request.user)
    except DomainError as error:
        return JsonResponse({"error": error.message, "errors": error.errors}, status=400)
    return JsonResponse(data)


@login_required
@require_POST
def ticket_submit(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The ticket page's submit when the agent applied macros: the same form, plus the `macro.applied` record."""
    ticket = ticket_selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    if ticket is None:
        return ticket_views.ticket_detail(request, ticket_id)  # the page's own 404
    macros = selectors.macros_available_by_ids(
        user=request.user, macro_ids=_applied_ids(request.POST.get("applied_macro", ""))
    )
    response: dict[str, HttpResponse] = {}

    def submit() -> bool:
        # The page view redirects after a successful submit and renders the form with its errors otherwise.
        response["page"] = ticket_views.ticket_detail(request, ticket_id)
        return response["page"].status_code == 302

    services.macro_page_submit(
        macros=macros, ticket=ticket, user=request.user, submit=submit, subject=request.POST.get("macro_subject")
    )
    return response["page"]
