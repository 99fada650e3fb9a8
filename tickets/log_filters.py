"""Logging filters wired in `config.settings`."""

import logging

from django.core.exceptions import PermissionDenied


class PermissionDeniedWithoutTraceback(logging.Filter):
    """A refused page (an agent opening an admin-only page) is an expected answer, not an error: keep django.request's
    one-line "Forbidden" warning and drop the traceback that `PermissionDenied` would attach to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
