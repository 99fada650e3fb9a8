from django.urls import path

from channels_whatsapp.insights import api, views

page_urlpatterns = [path("", views.insights_page, name="insights")]
api_urlpatterns = [path("<slug:metric>/", api.InsightView.as_view(), name="insights-api")]
