"""The business rules' API routes; config/urls.py assembles them under `/api/` with every other app's."""

from rest_framework.routers import SimpleRouter

from automations.api import AutomationViewSet, TriggerViewSet
from automations.webhooks.api import WebhookViewSet

router = SimpleRouter()
router.register("triggers", TriggerViewSet, basename="trigger")
router.register("automations", AutomationViewSet, basename="automation")
router.register("webhooks", WebhookViewSet, basename="webhook")
