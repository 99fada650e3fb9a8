"""One import run: every kind in order, in one transaction (rolled back for a dry run or on any error)."""

from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from automations.zendesk_import import reading, rules, setup
from automations.zendesk_import.mapping import IdMap
from automations.zendesk_import.report import SKIPPED, Report


class _DryRun(Exception):
    pass


def _import(directory: Path, actor, report: Report) -> None:
    ids = IdMap()
    steps = {
        "groups": lambda items: setup.import_groups(items, ids, report),
        "users": lambda items: setup.import_agents(items, ids, report),
        "ticket_fields": lambda items: setup.import_ticket_fields(items, ids, report),
        "webhooks": lambda items: setup.import_webhooks(items, ids, actor, report),
        "macros": lambda items: rules.import_macros(items, ids, actor, report),
        "triggers": lambda items: rules.import_rules("trigger", items, ids, actor, report),
        "automations": lambda items: rules.import_rules("automation", items, ids, actor, report),
    }
    loaded = {kind: reading.records(directory, kind) for kind in reading.KINDS}  # every file read before any write
    for kind in reading.KINDS:
        if loaded[kind] is None:
            report.add(_("file"), f"{kind}.json", SKIPPED, _("not in the directory"))
        else:
            steps[kind](loaded[kind])


def import_directory(*, directory: Path, actor, dry_run: bool = False) -> Report:
    """Import the export in `directory`; `reading.ExportError` when a file cannot be read (nothing is written)."""
    report = Report()
    try:
        with transaction.atomic():
            _import(directory, actor, report)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report
