"""The API's one router, shared by every app's viewsets.

Other apps register on `router` in their `AppConfig.ready()`, so the core imports none of them::

    def ready(self):
        from tickets.api.urls import router
        router.register("macros", MacroViewSet, basename="macro")
        router.register(r"tickets/(?P<ticket_id>\\d+)/macros", TicketMacroViewSet, basename="ticket-macro")

Ticket-scoped viewsets can take the ticket with `tickets.api.views.TicketScopedMixin` (visible to the caller, else
404). `urlpatterns` is read lazily, when the URLconf is first loaded (after every `ready()`), so late
registrations are included.
"""

from rest_framework.routers import DefaultRouter

from tickets.api import views

router = DefaultRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register(r"tickets/(?P<ticket_id>\d+)/comments", views.TicketCommentViewSet, basename="ticket-comment")
router.register(r"tickets/(?P<ticket_id>\d+)/events", views.TicketEventViewSet, basename="ticket-event")
router.register("contacts", views.ContactViewSet, basename="contact")


def __getattr__(name: str):
    if name == "urlpatterns":
        return router.urls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
