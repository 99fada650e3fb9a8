from django.core.management.base import BaseCommand

from channels_whatsapp.models import WhatsAppAccount

DEMO_PHONE_NUMBER_ID = "SIMPHONE1"
DEMO_WABA_ID = "SIMWABA1"


class Command(BaseCommand):
    help = "Create the demo WhatsApp account wired to the bundled simulator (idempotent)."

    def handle(self, *args, **options):
        account, created = WhatsAppAccount.objects.get_or_create(
            phone_number_id=DEMO_PHONE_NUMBER_ID,
            defaults={
                "name": "Demo support line (simulator)",
                "waba_id": DEMO_WABA_ID,
                "display_phone_number": "15550001111",
                "access_token": "simulator-demo-token",
                "templates_enabled": True,
            },
        )
        verb = "Created" if created else "Found"
        self.stdout.write(f"{verb} WhatsApp account '{account.name}' (phone_number_id {account.phone_number_id}).")
