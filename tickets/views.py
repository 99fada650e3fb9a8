"""Agent pages: thin adapters that parse, call one selector or service, and render or redirect."""

import hmac
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tickets import collision, custom_fields, delivery, reads, realtime, selectors, services
from tickets.errors import DomainError
from tickets.forms import TicketFilterForm, TicketUpdateForm, user_label
from tickets.templatetags.ticket_tags import INLINE_IMAGE_TYPES

PAGE_SIZE = 25
DEFAULT_VIEW = "mine"
SORT_LABELS = {
    "updated": gettext_lazy("Updated"),
    "created": gettext_lazy("Created"),
    "priority": gettext_lazy("Priority"),
    "id": gettext_lazy("ID"),
}


def _htmx_target(request: HttpRequest) -> str | None:
    """The element an htmx request will swap (None for a normal page load or a history restore)."""
    if request.headers.get("HX-Request") != "true" or request.headers.get("HX-History-Restore-Request"):
        return None
    return request.headers.get("HX-Target")


def _render(request: HttpRequest, full: str, partials: dict[str, str], context: dict, status: int = 200):
    """Render the whole page, or only the fragment an htmx request targets."""
    template = partials.get(_htmx_target(request) or "", full)
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", DEFAULT_VIEW)
    if view not in selectors.TICKET_VIEW_SLUGS:
        view = DEFAULT_VIEW
    # A search lists the best match first unless a column sort was asked for.
    default_sort = "relevance" if (request.GET.get("q") or "").strip() else "updated"
    sort = request.GET.get("sort") or default_sort
    if sort not in selectors.SORTS:
        sort = default_sort
    agents = list(selectors.agents_for_assignment())
    groups = list(selectors.groups_all())
    filter_form = TicketFilterForm(
        request.GET, agents=agents, groups=groups, ticket_fields=custom_fields.filterable_field_infos()
    )
    tickets = selectors.ticket_list(user=request.user, view=view, sort=sort, row_state=True, **filter_form.filters())
    page = selectors.CappedPaginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.ticket_view_counts(user=request.user)
    context = {
        "views": [{"slug": v.slug, "title": v.title, "count": counts[v.slug]} for v in selectors.TICKET_VIEWS],
        "current_view": next(v for v in selectors.TICKET_VIEWS if v.slug == view),
        "filter_form": filter_form,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "sort": sort,
        "sort_links": _sort_links(sort),
        # The results alone (a filter change, a live refresh): the view counts come along as an out-of-band swap.
        "counts_oob": _htmx_target(request) == "ticket-results",
    }
    return _render(request, "tickets/ticket_list.html", {"ticket-results": "tickets/_ticket_results.html"}, context)


def _sort_links(current: str) -> dict[str, dict]:
    """Per column: the sort value its header link asks for and whether the list is sorted by it now."""
    links = {}
    for key, label in SORT_LABELS.items():
        active = current.lstrip("-") == key
        # Updated and created toggle between newest and oldest first; priority and id have one direction.
        target = f"-{key}" if active and not current.startswith("-") and f"-{key}" in selectors.SORTS else key
        direction = ("ascending" if current.startswith("-") else "descending") if active else "none"
        links[key] = {"label": label, "sort": target, "active": active, "direction": direction}
    return links


@login_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    if ticket is None:
        raise Http404(_("No such ticket."))
    agents = list(selectors.agents_for_assignment())
    groups = list(selectors.groups_all())
    held = None  # a reply someone else sent while the agent was writing (tickets/collision.py)
    if request.method == "POST":
        form = TicketUpdateForm(request.POST, request.FILES, ticket=ticket, agents=agents, groups=groups)
        if (
            form.is_valid()
            and (held := collision.reply_collision(ticket=ticket, actor=request.user, **form.collision_check())) is None
        ):
            try:
                services.ticket_update(
                    ticket=ticket, actor=request.user, changes=form.changes(), comment=form.new_comment()
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                # No "Ticket #N updated." toast: the agent sees their own change on the page it returns to.
                return redirect(reverse("tickets:ticket", args=[ticket.pk]))
        status = 400
        if held is not None:  # nothing saved: the agent reads that reply and confirms ("Submit anyway")
            form.hold_for_confirmation()
            status = 409
    else:
        form = TicketUpdateForm(ticket=ticket, agents=agents, groups=groups)
        status = 200
        reads.ticket_read_mark(user=request.user, ticket=ticket)
    context = {
        "collision": held,
        "ticket": ticket,
        "form": form,
        "comments": selectors.ticket_comments(ticket=ticket, viewer=request.user),
        **_event_log_context(request, ticket=ticket, agents=agents, groups=groups),
    }
    return _render(request, "tickets/ticket_detail.html", {"event-log": "tickets/_event_log.html"}, context, status)


def _event_log_context(request: HttpRequest, *, ticket, agents: list, groups: list) -> dict:
    event_kind = "delivery" if request.GET.get("events") == "delivery" else None
    return {
        "events": selectors.ticket_events(ticket=ticket, kind=event_kind),
        "event_kind": event_kind,
        # Names for the event sentences ("changed assignee from Alice to Bob"), from the lists loaded by the caller.
        "names": {
            "users": {u.pk: user_label(u) for u in agents},
            "groups": {g.pk: g.name for g in groups},
            "requester": ticket.requester.name,
        },
    }


TICKET_FRAGMENTS = ("conversation", "events", "window")  # "window": the channel's window, for the composer


@login_required
@require_GET
def ticket_fragments(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The parts of the ticket page a live frame concerns (`?part=conversation&part=events`), in one answer: each
    part is an htmx out-of-band swap, so the page replaces exactly those and keeps the composer and the scroll.
    The "window" part is rendered from the ticket's own fields through the channel-info hook: no query."""
    parts = [part for part in TICKET_FRAGMENTS if part in request.GET.getlist("part")]
    if not parts:
        return HttpResponse(
            _("Ask for at least one part: %(parts)s.") % {"parts": ", ".join(TICKET_FRAGMENTS)}, status=400
        )
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    if ticket is None:
        raise Http404(_("No such ticket."))
    context: dict = {"ticket": ticket, "parts": parts, "oob": True}
    if "conversation" in parts:
        reads.ticket_read_mark(user=request.user, ticket=ticket)  # the new messages are in front of the agent
        context["comments"] = selectors.ticket_comments(ticket=ticket, viewer=request.user)
    if "events" in parts:
        agents, groups = list(selectors.agents_for_assignment()), list(selectors.groups_all())
        context.update(_event_log_context(request, ticket=ticket, agents=agents, groups=groups))
    response = render(request, "tickets/_fragments.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = selectors.attachment_for_download(user=request.user, attachment_id=attachment_id)
    if attachment is None or not attachment.file:
        raise Http404(_("No such attachment."))
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=attachment.content_type not in INLINE_IMAGE_TYPES,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Files come from customers: never let one run as a page of ours.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


@login_required
@require_POST
def notification_dismiss(request: HttpRequest) -> JsonResponse:
    """Dismiss the agent's banner for one message (`comment_id`) or one notification (`notification_id`)."""
    try:
        comment_id = int(request.POST["comment_id"]) if request.POST.get("comment_id") else None
        notification_id = int(request.POST["notification_id"]) if request.POST.get("notification_id") else None
    except ValueError:
        return JsonResponse({"error": _("comment_id and notification_id must be numbers.")}, status=400)
    if comment_id is None and notification_id is None:
        return JsonResponse({"error": _("Give comment_id or notification_id.")}, status=400)
    dismissed = delivery.notification_dismiss(user=request.user, comment_id=comment_id, notification_id=notification_id)
    return JsonResponse({"dismissed": dismissed})


@login_required
@require_POST
def notification_dismiss_all(request: HttpRequest) -> JsonResponse:
    """ "Dismiss all": every open notification of the agent, in every tab."""
    return JsonResponse({"dismissed": delivery.notification_dismiss_all(user=request.user)})


@csrf_exempt
@require_POST
def realtime_relay(request: HttpRequest) -> HttpResponse:
    """Embedded mode only (no Redis): frames from the worker process on this machine, signed with the secret key,
    sent on here. Anything else (another host, a request through a proxy, a wrong signature) is a 403."""
    if settings.REDIS_URL or not realtime.relay_peer_allowed(request):
        return HttpResponse(status=403)
    if not hmac.compare_digest(realtime.relay_signature(request.body), request.headers.get("X-Relay-Signature", "")):
        return HttpResponse(status=403)
    try:
        data = json.loads(request.body)
        groups, frame = [str(g) for g in data["groups"]], dict(data["frame"])
    except (ValueError, KeyError, TypeError):
        return HttpResponse(status=400)
    realtime.send_to_local_groups(groups, frame)  # never relayed on: this is where relayed frames end
    return HttpResponse(status=204)
