"""Bench-only URLs in front of the product's: the two baselines and the webhook on the full middleware stack."""

from django.urls import include, path

from bench import views
from channels_whatsapp import webhooks

urlpatterns = [
    path("bench/trivial/", views.trivial, name="bench-trivial"),
    path("bench/hmac-insert/", views.hmac_insert, name="bench-hmac-insert"),
    # The product's webhook view through every middleware (what /whatsapp/webhook/ cost before the lean route).
    path("bench/webhook-full-stack/", webhooks.webhook, name="bench-webhook-full-stack"),
    path("", include("config.urls")),
]
