from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from channels_whatsapp import demo
from channels_whatsapp.insights import materialize


class Command(BaseCommand):
    help = (
        "Create the demo WhatsApp account wired to the bundled simulator, link WhatsApp tickets and put their "
        "conversations on the simulator's phone (idempotent)."
    )

    def handle(self, *args, **options):
        account, created = demo.demo_account()
        linked = demo.link_whatsapp_tickets(account)
        contacts, messages = demo.phone_history_load(account)
        materialize.refresh_all()  # the demo's delivery states are written in bulk, without events
        if created:
            summary = _(
                "Created WhatsApp account '%(name)s' (phone_number_id %(number)s); %(linked)s WhatsApp ticket(s) "
                "linked to it; the simulator's phone got %(contacts)s contact(s) and %(messages)s message(s) of "
                "their conversations."
            )
        else:
            summary = _(
                "Found WhatsApp account '%(name)s' (phone_number_id %(number)s); %(linked)s WhatsApp ticket(s) "
                "linked to it; the simulator's phone got %(contacts)s contact(s) and %(messages)s message(s) of "
                "their conversations."
            )
        names = {"name": account.name, "number": account.phone_number_id, "linked": linked}
        self.stdout.write(summary % {**names, "contacts": contacts, "messages": messages})
