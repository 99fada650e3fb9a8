from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from automations.zendesk_import import reading
from automations.zendesk_import.run import import_directory
from tickets.permissions import is_admin


class Command(BaseCommand):
    @property
    def help(self) -> str:  # a property: argparse needs a real string, in the language active when it runs
        return _(
            "Import groups, agents, ticket fields, webhooks, macros, triggers and automations from the JSON files "
            "of a Zendesk account's API (groups.json, users.json, ...) in DIR."
        )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", help=_("The directory holding the export's JSON files."))
        parser.add_argument("--dry-run", action="store_true", help=_("Show what would be imported, and write nothing."))
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help=_("The administrator recorded as creator (default: the first active superuser)."),
        )

    def _actor(self, username: str | None):
        users = get_user_model().objects.filter(is_active=True)
        actor = users.filter(username=username).first() if username else users.filter(is_superuser=True).first()
        if actor is None or not is_admin(actor):
            raise CommandError(_("No such active administrator; create one or give --actor."))
        return actor

    def handle(self, *args, directory: str, dry_run: bool, actor: str | None, **options) -> None:
        path = Path(directory)
        if not path.is_dir():
            raise CommandError(_("%(directory)s is not a directory.") % {"directory": directory})
        try:
            report = import_directory(directory=path, actor=self._actor(actor), dry_run=dry_run)
        except reading.ExportError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(report.table())
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
