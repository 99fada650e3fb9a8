"""Macros, triggers and automations: Zendesk's ids rewritten to ours, then the APIs' own validation and services.

A definition is matched by title. One that would save exactly what is stored is left alone ("unchanged"), so a
second run writes nothing; one that differs is updated and the report names what differed.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from automations import rules as rule_services
from automations.api import RuleInputSerializer
from automations.models import Automation, BusinessRule, Trigger
from automations.zendesk_import.mapping import IdMap, Unmapped, rewrite
from automations.zendesk_import.report import CHANGED, IMPORTED, SKIPPED, UNCHANGED, Report
from automations.zendesk_import.setup import changes_text, problems_text
from macros import services as macro_services
from macros import zendesk_input
from macros.api import MacroCreateInputSerializer
from macros.definitions import actions_clean
from macros.models import Macro, MacroAvailability
from tickets.errors import DomainError

RULE_MODELS: dict[str, type[BusinessRule]] = {"trigger": Trigger, "automation": Automation}


class _Skip(Exception):
    pass


def _ordered(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Zendesk's running order: by position, then as listed."""
    return sorted(items, key=lambda item: item.get("position") if isinstance(item.get("position"), int) else 2**31)


def _valid(serializer) -> dict[str, Any]:
    if not serializer.is_valid():
        raise _Skip(problems_text(serializer.errors))
    return dict(serializer.validated_data)


def _one(kind_label: str, item: dict[str, Any], report: Report, save) -> None:
    """Import one definition with `save(item) -> (result, detail)`, in a savepoint: a refusal writes nothing."""
    title = str(item.get("title") or "?")
    try:
        with transaction.atomic():
            result, detail = save(item)
    except Unmapped as error:
        result, detail = SKIPPED, str(error)
    except _Skip as error:
        result, detail = SKIPPED, str(error)
    except DomainError as error:
        result, detail = SKIPPED, problems_text(error.errors)
    except ValidationError as error:
        result, detail = SKIPPED, problems_text(error.detail)
    except PermissionDenied as error:
        result, detail = SKIPPED, str(error)
    report.add(kind_label, title, result, detail)


def _rule_data(item: dict[str, Any], kind: str) -> dict[str, Any]:
    """Zendesk's shapes -> the API's input, as `/api/triggers/` reads them."""
    data = zendesk_input.unwrap(item, kind)
    if "all" in data or "any" in data:
        data["conditions"] = {"all": data.pop("all", []), "any": data.pop("any", [])}
    return data


def import_rules(kind: str, items: list[dict[str, Any]], ids: IdMap, actor, report: Report) -> None:
    model = RULE_MODELS[kind]
    label = _("trigger") if kind == "trigger" else _("automation")

    def save(item: dict[str, Any]) -> tuple[str, str]:
        given = _valid(RuleInputSerializer(data=_rule_data(rewrite(item, ids), kind)))
        clean = rule_services.definition_clean(
            kind=kind,
            title=given["title"],
            description=given.get("description", ""),
            conditions=given.get("conditions"),
            actions=given["actions"],
        )
        existing = model.objects.filter(title=clean["title"]).order_by("pk").first()
        if existing is None:
            rule_services.rule_create(kind=kind, actor=actor, **given)
            return IMPORTED, ""
        wanted = {**clean, "active": given.get("active", existing.active)}
        if "position" in given:
            wanted["position"] = given["position"]
        changed = changes_text({key: getattr(existing, key) for key in wanted}, wanted)
        if not changed:
            return UNCHANGED, ""
        rule_services.rule_update(rule=existing, actor=actor, **given)
        return CHANGED, changed

    for item in _ordered(items):
        _one(label, item, report, save)


def import_macros(items: list[dict[str, Any]], ids: IdMap, actor, report: Report) -> None:
    label = _("macro")

    def save(item: dict[str, Any]) -> tuple[str, str]:
        serializer = MacroCreateInputSerializer(data=zendesk_input.unwrap(rewrite(item, ids), "macro"))
        _valid(serializer)
        given = serializer.to_service()
        actions = actions_clean(given["actions"], kind="macro", empty=_("A macro needs at least one action."))
        existing = Macro.objects.filter(title=given["title"].strip()).order_by("pk").first()
        if existing is None:
            macro_services.macro_create(actor=actor, **given)
            return IMPORTED, ""
        wanted = {
            "description": (given.get("description") or "").strip(),
            "active": given.get("active", existing.active),
            "actions": actions,
            "availability": given.get("availability", MacroAvailability.EVERYONE),
            "owner": given.get("owner"),
            "groups": sorted(group.pk for group in given.get("groups", [])),
        }
        if "position" in given:
            wanted["position"] = given["position"]
        stored = {key: getattr(existing, key) for key in wanted if key != "groups"}
        stored["groups"] = sorted(existing.groups.values_list("pk", flat=True))
        changed = changes_text(stored, wanted)
        if not changed:
            return UNCHANGED, ""
        given.setdefault("availability", MacroAvailability.EVERYONE)
        given.setdefault("groups", [])
        given.setdefault("owner", None)
        macro_services.macro_update(macro=existing, actor=actor, **given)
        return CHANGED, changed

    for item in _ordered(items):
        _one(label, item, report, save)
