from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from channels_whatsapp.insights import materialize


class Command(BaseCommand):
    help = (
        "Bring the insights' message facts up to date now (the 'insights-refresh' schedule does it every minute); "
        "--all rebuilds them for every ticket."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Rebuild the facts of every ticket.")

    def handle(self, *args, **options):
        if options["all"]:
            materialize.refresh_all()
        else:
            while not materialize.refresh():
                pass
        self.stdout.write(_("Insights are up to date as of %(time)s.") % {"time": materialize.refreshed_at()})
