"""Shared samples of the placeholder tests."""

VALUES = {
    "ticket.id": "4521",
    "ticket.title": "Card blocked",
    "ticket.requester.first_name": "Ana",
    "ticket.requester.name": "Ana Silva",
    "current_user.first_name": "Alice",
}
