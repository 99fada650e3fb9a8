"""Django admin of the core, one module per model group (admin autodiscovery imports this package, so it imports
the modules that register their pages)."""

from tickets.admin import audit, contacts, conversation, custom_fields, people, tickets  # noqa: F401
