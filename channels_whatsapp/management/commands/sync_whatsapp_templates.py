from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channels_whatsapp import template_sync
from channels_whatsapp.models import WhatsAppAccount


class Command(BaseCommand):
    help = "Copy the message templates of WhatsApp accounts from the Cloud API (every active account, or --account)."

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, help="Only this account id (synced even when inactive).")

    def handle(self, *args, **options):
        if options["account"] is not None:
            account = WhatsAppAccount.objects.filter(pk=options["account"]).first()
            if account is None:
                raise CommandError(_("No WhatsApp account with id %(id)s.") % {"id": options["account"]})
            outcomes = template_sync.templates_sync_accounts(accounts=[account])
        else:
            outcomes = template_sync.templates_sync_accounts()
            if not outcomes:
                self.stdout.write(_("No active WhatsApp account."))
        failures = []
        for outcome in outcomes:
            if outcome.error is None:
                self.stdout.write(str(outcome))
            else:
                failures.append(str(outcome.error))
                self.stderr.write(str(outcome.error))
        if failures:
            raise CommandError(
                ngettext(
                    "%(failed)s of %(total)s account(s) could not be synced.",
                    "%(failed)s of %(total)s account(s) could not be synced.",
                    len(outcomes),
                )
                % {"failed": len(failures), "total": len(outcomes)}
            )
