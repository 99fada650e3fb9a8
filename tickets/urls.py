app_name = "tickets"
urlpatterns: list = []
