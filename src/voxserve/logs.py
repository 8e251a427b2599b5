"""Logging: JSON or plain lines, each with the id of the request it belongs to.

The request id lives in a context variable: the HTTP middleware sets it for each request, worker
processes set it for each unit they render (it travels in the ``Render`` message), and every log
line written meanwhile carries it. Users' text is not logged unless ``log_text`` is on.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from typing import Any

from voxserve.settings import Settings

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
"""The id of the request being served (``-`` outside any request)."""

_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "color_message",  # uvicorn's coloured copy of the message
    "taskName",
}
PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamp every record with the current request id (a handler filter: sees every record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, and any ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id.get()),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _timestamp(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


def use_json(settings: Settings) -> bool:
    """Whether ``settings`` ask for JSON lines (``auto``: when stderr is not a terminal)."""
    if settings.log_format == "auto":
        return not sys.stderr.isatty()
    return settings.log_format == "json"


def configure(settings: Settings) -> None:
    """Send every log record (voxserve's, uvicorn's, libraries') to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if use_json(settings) else logging.Formatter(PLAIN_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())


def text_field(settings: Settings, text: str) -> dict[str, str]:
    """``{"text": text}`` for a log call's ``extra`` when ``log_text`` is on; else nothing."""
    return {"text": text} if settings.log_text else {}
