from django.core.management.base import BaseCommand

from channels_whatsapp import demo


class Command(BaseCommand):
    help = (
        "Create the demo WhatsApp account wired to the bundled simulator, link WhatsApp tickets and put their "
        "conversations on the simulator's phone (idempotent)."
    )

    def handle(self, *args, **options):
        account, created = demo.demo_account()
        linked = demo.link_whatsapp_tickets(account)
        contacts, messages = demo.phone_history_load(account)
        verb = "Created" if created else "Found"
        self.stdout.write(
            f"{verb} WhatsApp account '{account.name}' (phone_number_id {account.phone_number_id}); "
            f"{linked} WhatsApp ticket(s) linked to it; the simulator's phone got {contacts} contact(s) and "
            f"{messages} message(s) of their conversations."
        )
