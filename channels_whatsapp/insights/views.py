"""`/insights/`: the page draws each metric from its API answer, so every number on it is the API's number."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from channels_whatsapp.insights.registry import METRICS, SECTIONS
from channels_whatsapp.insights.scope import PERIODS, ScopeError, scope_from_params
from channels_whatsapp.models import WhatsAppAccount
from tickets.models import Group


def _choices(user, admin: bool) -> dict:
    groups = Group.objects.order_by("name")
    agents = get_user_model().objects.filter(is_active=True)
    if not admin:
        groups = groups.filter(members=user)
        agents = agents.filter(agent_groups__in=groups.values("id")).distinct()
    return {
        "groups": list(groups.values_list("id", "name")),
        "agents": [(u.pk, u.get_full_name() or u.get_username()) for u in agents.order_by("username")],
        "accounts": list(WhatsAppAccount.objects.order_by("name").values_list("id", "name")),
    }


@login_required
@require_GET
def insights_page(request: HttpRequest) -> HttpResponse:
    errors: dict = {}
    try:
        scope = scope_from_params(request.GET, request.user)
    except ScopeError as error:
        errors = error.reasons
        scope = scope_from_params({}, request.user)
    query = urlencode(scope.params())
    sections = [
        {
            "key": key,
            "title": title,
            "metrics": [
                {
                    "slug": metric.slug,
                    "title": metric.title,
                    "description": metric.description,
                    "chart": metric.chart,
                    "api_url": f"{reverse('insights-api', args=[metric.slug])}?{query}",
                    "csv_url": f"{reverse('insights-api', args=[metric.slug])}?{query}&format=csv",
                }
                for metric in METRICS.values()
                if metric.section == key
            ],
        }
        for key, title in SECTIONS.items()
    ]
    context = {
        "scope": scope,
        "errors": errors,
        "periods": [(key, label) for key, (_days, label) in PERIODS.items()],
        "sections": sections,
        **_choices(request.user, scope.admin),
    }
    return render(request, "insights/page.html", context)
