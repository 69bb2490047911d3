"""Logging filters."""

import logging


class OneLineForbidden(logging.Filter):
    """A refused permission is an expected event, not a bug: log the one line ("Forbidden (Permission denied):
    /path") without the traceback Django attaches."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
