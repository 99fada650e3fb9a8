from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from automations import sweep


class Command(BaseCommand):
    @property
    def help(self) -> str:  # a property: argparse needs a real string, in the language active when it runs
        return _("Run every active automation once, now, in the foreground, and print what it did.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit",
            type=int,
            default=sweep.AUTOMATION_LIMIT_PER_RUN,
            help=_("At most this many tickets per automation (default %(default)s); the rest wait for the next run."),
        )

    def handle(self, *args, limit: int, **options) -> None:
        summary = sweep.run_automations(limit=limit)
        self.stdout.write(str(summary))
