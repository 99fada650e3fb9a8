"""Credit-card redaction lives in the core (`tickets.redaction`); this module keeps the WhatsApp app's imports."""

from tickets.redaction import *  # noqa: F403

__all__ = ["MASK", "is_card_number", "known_issuer", "luhn_valid", "redact", "redact_filename"]  # noqa: F405
