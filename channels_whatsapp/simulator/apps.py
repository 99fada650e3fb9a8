from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WhatsAppSimulatorConfig(AppConfig):
    name = "channels_whatsapp.simulator"
    label = "whatsapp_simulator"
    verbose_name = _("WhatsApp simulator")
    default_auto_field = "django.db.models.BigAutoField"
