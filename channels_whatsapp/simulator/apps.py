from django.apps import AppConfig


class WhatsAppSimulatorConfig(AppConfig):
    name = "channels_whatsapp.simulator"
    label = "whatsapp_simulator"
    verbose_name = "WhatsApp simulator"
    default_auto_field = "django.db.models.BigAutoField"
