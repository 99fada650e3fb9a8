from django.urls import path

from channels_whatsapp import views, webhooks

app_name = "whatsapp"
urlpatterns = [
    path("webhook/", webhooks.webhook, name="webhook"),
    path("tickets/<int:ticket_id>/composer/", views.composer_state, name="composer-state"),
    path("tickets/<int:ticket_id>/composer/templates/", views.composer_templates, name="composer-templates"),
    path("tickets/<int:ticket_id>/composer/check/", views.composer_check, name="composer-check"),
    path("tickets/<int:ticket_id>/composer/shorthand/", views.composer_shorthand, name="composer-shorthand"),
    path("tickets/<int:ticket_id>/comments/<int:comment_id>/retry/", views.comment_retry, name="comment-retry"),
]
urlpatterns += [
    path("accounts/<int:account_id>/templates/", views.account_templates, name="account-templates"),
    path("accounts/<int:account_id>/shorthand/", views.account_shorthand, name="account-shorthand"),
    path("contacts/<int:contact_id>/start/", views.contact_conversation_start, name="conversation-start"),
]
