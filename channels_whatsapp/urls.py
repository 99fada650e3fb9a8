from django.urls import path

from channels_whatsapp import views, webhooks

app_name = "whatsapp"
urlpatterns = [
    path("webhook/", webhooks.webhook, name="webhook"),
    path("tickets/<int:ticket_id>/composer/", views.composer_state, name="composer-state"),
    path("tickets/<int:ticket_id>/composer/templates/", views.composer_templates, name="composer-templates"),
    path("tickets/<int:ticket_id>/composer/check/", views.composer_check, name="composer-check"),
    path("tickets/<int:ticket_id>/composer/shorthand/", views.composer_shorthand, name="composer-shorthand"),
]
