from django.urls import path

from macros import views

app_name = "macros"
urlpatterns = [
    path("available/", views.available, name="available"),
    path("preview/", views.preview, name="preview"),
    path("tickets/<int:ticket_id>/submit/", views.ticket_submit, name="ticket-submit"),
]
