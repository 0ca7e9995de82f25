"""Structured logs: one JSON object per line on stderr, through the standard ``logging`` module.

Only whitelisted fields are ever written (an event name, ids, statuses, counts, durations, a short error):
never ticket text (subjects, comment bodies), never request bodies, headers, tokens or secrets.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

LOGGER_NAME = "intently.web"
log = logging.getLogger(LOGGER_NAME)

FIELDS = (
    "event",
    "status",
    "reason",
    "ticket_id",
    "delivery_id",
    "deliveries",
    "comment_id",
    "event_type",
    "attempt",
    "retry_in_s",
    "duration_ms",
    "judgements",
    "drive_bys",
    "method",
    "path",
    "http_status",
    "token",
    "service_user",
    "host",
    "port",
    "write_back",
    "error",
    "pending",
    "client",
    "account",
    "role",
    "username",
    "before",
    "after",
)
"""The only keys a log line may carry (besides ``ts``, ``level`` and ``logger``). ``client`` is the client's
address; ``account`` and ``role`` who did an admin action, ``before`` and ``after`` what it changed (small
objects); ``username`` the name a failed login tried (never the password)."""

_MAX_ERROR = 300


def error_text(exc: BaseException) -> str:
    """A short description of an error for the logs: its type, and its message where that cannot hold
    ticket text. Database errors keep only the driver's message (SQLAlchemy's own text repeats the
    statement's parameters, a stored ticket history among them); other messages may quote input."""
    message = ""
    try:
        from sqlalchemy.exc import StatementError

        if isinstance(exc, StatementError):
            message = str(exc.orig) if exc.orig is not None else ""
        elif isinstance(exc, _SAFE_MESSAGES) or getattr(exc, "safe_to_log", False):
            message = str(exc)
    except Exception:  # a log line must never raise
        message = ""
    message = " ".join(message.split())
    status = getattr(exc, "status_code", None) or getattr(exc, "status", None)
    if not message and isinstance(status, int):
        message = f"HTTP {status}"
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text[:_MAX_ERROR]


def _safe_types() -> tuple[type[BaseException], ...]:
    import httpx

    from intently.errors import IntentlyError

    # Zendesk client errors name the method, path and status; input errors name the ticket, record and field.
    return (IntentlyError, httpx.HTTPError, OSError, TimeoutError)


_SAFE_MESSAGES = _safe_types()


class JsonFormatter(logging.Formatter):
    """``{"ts": ..., "level": ..., "event": ..., ...}``: only the fields in :data:`FIELDS`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key in FIELDS:
                if key in fields and fields[key] is not None:
                    line[key] = fields[key]
        else:
            # A record from another library (uvicorn, httpx): its message only, which carries no ticket text.
            line["event"] = "log"
            line["message"] = record.getMessage()[:_MAX_ERROR]
        if record.exc_info and record.exc_info[1] is not None:
            line.setdefault("error", error_text(record.exc_info[1]))
        return orjson.dumps(line, default=str).decode()


def emit(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event with whitelisted fields (unknown keys are dropped by the formatter)."""
    if log.isEnabledFor(level):
        log.log(level, event, extra={"fields": {"event": event, **fields}})


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> logging.Handler:
    """JSON lines on stderr for intently's logs and uvicorn's (used by ``intently serve``)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in (LOGGER_NAME, "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    # Request lines are logged by intently itself (method, path, status, duration), without query strings.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler
