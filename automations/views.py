"""The rules page for admins: triggers and automations as sentences, switched on and off and ordered here.

Thin adapters: the lists come from `automations.selectors`, the sentences from `automations.sentences`, every change
from `automations.rules`, by POST (with CSRF) and a redirect back. Editing a definition's JSON happens in the
admin (validated by the same services) or through the API.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from automations import rules, selectors, sentences, shipped_rules, sweep
from automations.models import Automation, BusinessRule, Trigger
from tickets.errors import DomainError
from tickets.permissions import is_admin

KINDS: dict[str, type[BusinessRule]] = {"triggers": Trigger, "automations": Automation}
MAX_ID = 2**63 - 1


def _admin_only(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied(_("Only admins may manage business rules."))


def _rule(kind: str, rule_id: int) -> BusinessRule:
    model = KINDS.get(kind)
    rule = selectors.rule_get(model, rule_id) if model is not None and rule_id <= MAX_ID else None
    if rule is None:
        raise Http404(_("No such rule."))
    return rule


def _rows(rules: list[BusinessRule], *, kind: str, names) -> list[dict]:
    return [
        {
            "rule": rule,
            "title": shipped_rules.shown(rule.title),
            "description": shipped_rules.shown(rule.description),
            "sentence": sentences.rule_sentences(rule, kind=kind, names=names),
            "first": i == 0,
            "last": i == len(rules) - 1,
        }
        for i, rule in enumerate(rules)
    ]


@login_required
@require_GET
def rules_page(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    triggers = list(selectors.rules(Trigger))
    automations = list(selectors.rules(Automation))
    names = selectors.names_for([*triggers, *automations])
    return render(
        request,
        "automations/rules.html",
        {
            "triggers": _rows(triggers, kind="trigger", names=names),
            "automations": _rows(automations, kind="automation", names=names),
            "limit": sweep.AUTOMATION_LIMIT_PER_RUN,
        },
    )


def _back(kind: str, rule: BusinessRule) -> HttpResponse:
    return redirect(f"{reverse('automations:rules')}#{kind}-{rule.pk}")


@login_required
@require_POST
def rule_toggle(request: HttpRequest, kind: str, rule_id: int) -> HttpResponse:
    _admin_only(request)
    rule = _rule(kind, rule_id)
    active = request.POST.get("active", "").lower() in ("1", "true", "on")
    rule = rules.rule_set_active(rule=rule, actor=request.user, active=active)
    if rule.active:
        messages.success(request, _("“%(title)s” is now active.") % {"title": rule.title})
    else:
        messages.success(request, _("“%(title)s” is now inactive.") % {"title": rule.title})
    return _back(kind, rule)


@login_required
@require_POST
def rule_move(request: HttpRequest, kind: str, rule_id: int) -> HttpResponse:
    _admin_only(request)
    rule = _rule(kind, rule_id)
    try:
        rules.rule_move(rule=rule, actor=request.user, direction=request.POST.get("direction", ""))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(kind, rule)
