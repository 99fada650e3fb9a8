"""The business rules SupportDesk ships (automations/migrations/0003_default_rules.py) in the reader's language.

They are stored data, in English; while an admin has not reworded one, the rules page shows its title and
description translated. A reworded rule shows as written. Keep these texts identical to the migration's
(tests/automations/test_shipped_rules.py checks it).
"""

from django.utils.translation import gettext, gettext_noop

SHIPPED_WORDS = frozenset(
    [
        gettext_noop("Auto-reply to new WhatsApp requests"),
        gettext_noop(
            "Acknowledges a customer's first WhatsApp message at once. Not for tickets an agent starts (the "
            "update must come from the customer), nor for a message that arrives after its 24-hour window has "
            "closed (a backlog replayed late): that acknowledgement could not be delivered."
        ),
        gettext_noop("Notify assignee of assignment"),
        gettext_noop("E-mails the agent a ticket is assigned to, unless they assigned it to themselves."),
        gettext_noop("Close ticket 4 days after solved"),
        gettext_noop(
            "Solved tickets are closed 96 hours after they were solved (a customer reply reopens them first)."
        ),
        gettext_noop("Window closes within 2 hours and the customer is waiting"),
        gettext_noop(
            "When a WhatsApp customer's last message is still unanswered and the 24-hour window closes within 2 "
            "hours, raise the priority to high and tag the ticket window_expiring, so agents answer while "
            "free-form messages can still be sent (after that only templates are left)."
        ),
    ]
)


def shown(text: str) -> str:
    """`text` in the reader's language when it is one of the shipped words, else as written."""
    return gettext(text) if text in SHIPPED_WORDS else text
