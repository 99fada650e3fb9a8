"""Shared expectations and helpers of the REST API tests."""

TICKET_KEYS = {
    "id",
    "subject",
    "status",
    "priority",
    "type",
    "via",
    "requester_id",
    "assignee_id",
    "group_id",
    "tags",
    "collaborator_ids",
    "email_cc_ids",
    "follower_ids",
    "created_at",
    "updated_at",
    "whatsapp",
    "custom_fields",
}


PAGE_KEYS = {"count", "next", "previous", "results"}
