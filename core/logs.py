"""Process-wide logging: one line per event, each with the request id, never PHI.

Why our own access line instead of gunicorn's: gunicorn logs the raw path and query string, and those carry
patient and member ids (`/claims?patient_id=...`). Ours names the route template instead.
"""

from __future__ import annotations

import logging
import sys

from flask import g, has_request_context

_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time of each record (test runners swap and close it)."""

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # type: ignore[no-untyped-def]
        pass


def configure(level: str = "INFO") -> None:
    """Idempotent: a second call (a second app in one process) changes only the level."""
    root = logging.getLogger()
    root.setLevel(level)
    # urllib3 (under requests) logs each request line at DEBUG — path and query string, which may carry patient and
    # member ids (the console's GET /claims?patient_id=...): its warnings only, whatever LOG_LEVEL says.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    for handler in root.handlers:
        if getattr(handler, "_intelluxe", False):
            return
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(_RequestIdFilter())
    handler._intelluxe = True  # type: ignore[attr-defined]
    root.addHandler(handler)
