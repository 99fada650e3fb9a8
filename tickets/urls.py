from django.urls import path

from tickets import contact_language_views, contact_views, profile_views, views

app_name = "tickets"
urlpatterns = [
    path("", views.ticket_list, name="home"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:ticket_id>/fragments/", views.ticket_fragments, name="ticket-fragments"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("notifications/dismiss/", views.notification_dismiss, name="notification-dismiss"),
    path("notifications/dismiss-all/", views.notification_dismiss_all, name="notification-dismiss-all"),
    path("internal/realtime/", views.realtime_relay, name="realtime-relay"),
    path("contacts/", contact_views.contact_list, name="contacts"),
    path("contacts/<int:contact_id>/", contact_views.contact_detail, name="contact"),
    path("contacts/<int:contact_id>/opt-in/", contact_views.contact_opt_in, name="contact-opt-in"),
    path("contacts/<int:contact_id>/language/", contact_language_views.contact_language, name="contact-language"),
    path("profile/", profile_views.profile, name="profile"),
]
