"""The macros app's API routes; config/urls.py assembles them under `/api/` with every other app's."""

from rest_framework.routers import SimpleRouter

from macros.api import MacroViewSet, TicketMacroViewSet

router = SimpleRouter()
router.register("macros", MacroViewSet, basename="macro")
router.register(r"tickets/(?P<ticket_id>\d+)/macros", TicketMacroViewSet, basename="ticket-macro")
