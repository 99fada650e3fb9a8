from django.urls import path

from channels_whatsapp import webhooks

app_name = "whatsapp"
urlpatterns = [path("webhook/", webhooks.webhook, name="webhook")]
