from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("", views.ticket_list, name="home"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("notifications/dismiss/", views.notification_dismiss, name="notification-dismiss"),
]
