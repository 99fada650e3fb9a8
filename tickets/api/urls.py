"""The core's API routes; config/urls.py assembles them under `/api/` with every other app's (one root view).

Ticket-scoped viewsets of other apps can take the ticket with `tickets.api.views.TicketScopedMixin` (visible to the
caller, else 404).
"""

from rest_framework.routers import SimpleRouter

from tickets.api import ticket_fields, views

router = SimpleRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register(r"tickets/(?P<ticket_id>\d+)/comments", views.TicketCommentViewSet, basename="ticket-comment")
router.register(r"tickets/(?P<ticket_id>\d+)/events", views.TicketEventViewSet, basename="ticket-event")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("ticket_fields", ticket_fields.TicketFieldViewSet, basename="ticket-field")
