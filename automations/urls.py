from django.urls import path

from automations import views

app_name = "automations"
urlpatterns = [
    path("", views.rules_page, name="rules"),
    path("<str:kind>/<int:rule_id>/toggle/", views.rule_toggle, name="toggle"),
    path("<str:kind>/<int:rule_id>/move/", views.rule_move, name="move"),
]
