"""Structured logs: every log line is one JSON object, and every request writes one.

Why python-json-logger rather than structlog: the code already logs through the standard
``logging`` module (``clients.downstream``, ``clients.breaker``, uvicorn's own loggers), and
python-json-logger is only a ``logging.Formatter``: each record becomes a JSON object whose keys
are its message, level, logger and whatever the caller passed as ``extra``, with no second logging
API to learn and nothing to wrap. structlog's strength, bound loggers that carry context through
a call chain, is already covered here by context variables (the request id below).

What is configured (`log_config`, a ``logging.config.dictConfig`` mapping):

* one handler on the root logger, to standard output, that every logger propagates to, uvicorn's
  included, so a process writes JSON lines only;
* a filter that adds the current request's id to any line logged while a request runs, so a
  breaker warning or a traceback can be tied to the request that caused it;
* the access log: `log_request`, a request observer (see `bff.observability`), writes one line
  per finished request with its route template, status, duration, partial flag and a compact
  summary of its downstream calls. It replaces uvicorn's access log (which has neither the route
  nor the downstream calls). ``--no-access-log`` silences it for answers below 500.

Nothing secret can reach these lines by construction: they carry route templates (never the raw
path or query), downstream paths without query strings, and no header or body. httpx and httpcore
are held at WARNING, as their own lines carry full URLs and, at DEBUG, response headers (a login's
``Set-Cookie`` holds the tokens). A test runs ``bff serve`` at DEBUG, logs in, uses and refreshes
the tokens, and finds neither them nor the password in the output.

``bff serve`` and ``bff demo`` hand `log_config` to uvicorn, which applies it in every worker
process; an app embedded elsewhere can call `configure_logging` once at startup.
"""

from __future__ import annotations

import logging
import logging.config
from typing import IO, Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from bff.observability import RequestRecord
from clients.context import current_scope

REQUEST_LOGGER = "bff.request"
"""The logger of the per-request lines (the access log)."""

# A screen fanning out to a hundred products should not write a 20 KB line: past this many calls,
# the summary says how many more there were.
MAX_LOGGED_CALLS = 50

# uvicorn passes a copy of its message with terminal colours as `color_message`.
_SKIPPED_ATTRS = [*RESERVED_ATTRS, "color_message", "taskName"]

request_logger = logging.getLogger(REQUEST_LOGGER)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to lines logged while a request runs (unless the line has one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request_id = current_scope().request_id
            if request_id is not None:
                record.request_id = request_id
        return True


def json_formatter() -> JsonFormatter:
    """``{"time": ISO-8601 UTC, "level", "logger", "message", ...extra}``, one per line."""
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        reserved_attrs=_SKIPPED_ATTRS,
        json_ensure_ascii=False,
    )


def log_config(
    level: str = "info", *, access_log: bool = True, stream: IO[str] | None = None
) -> dict[str, Any]:
    """The ``dictConfig`` mapping of a BFF process (also uvicorn's ``log_config``); lines go to
    standard output unless another ``stream`` is given."""
    level = level.upper()
    # uvicorn's loggers lose their own handlers and propagate to the root's JSON handler.
    uvicorn = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": json_formatter}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": stream if stream is not None else "ext://sys.stdout",
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "loggers": {
            "uvicorn": uvicorn,
            "uvicorn.error": uvicorn,
            # Replaced by the BFF's own request line (uvicorn is also told access_log=False).
            "uvicorn.access": {"handlers": [], "propagate": False},
            REQUEST_LOGGER: {"level": level if access_log else "WARNING"},
            # Never below WARNING, whatever the level: httpx logs each downstream URL (query
            # string included) at INFO, and httpcore logs response headers at DEBUG, such as the
            # Set-Cookie that carries a token on login. The request line summarises the calls.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
        "root": {"handlers": ["stdout"], "level": level},
    }


def configure_logging(
    level: str = "info", *, access_log: bool = True, stream: IO[str] | None = None
) -> None:
    """Apply `log_config` to this process (``bff serve`` lets uvicorn do it, per worker)."""
    logging.config.dictConfig(log_config(level, access_log=access_log, stream=stream))


def call_summary(record: RequestRecord) -> list[dict[str, Any]]:
    """Per downstream call: who, what, how it ended, how long (ms); no query, header or body."""
    return [
        {
            "service": call.service,
            "operation": call.operation,
            "outcome": call.outcome,
            "status": call.status,
            "attempts": call.attempts,
            "cache": call.cache,
            "duration_ms": round(call.duration * 1000, 2),
        }
        for call in record.calls[:MAX_LOGGED_CALLS]
    ]


def log_request(record: RequestRecord) -> None:
    """The request observer that writes the access log line (see the module docstring)."""
    level = logging.WARNING if record.status >= 500 else logging.INFO
    if not request_logger.isEnabledFor(level):
        return
    extra: dict[str, Any] = {
        "request_id": record.request_id,
        "method": record.method,
        "route": record.route,
        "status": record.status,
        "duration_ms": round(record.duration * 1000, 2),
        "partial": record.partial,
        "downstream": call_summary(record),
    }
    if len(record.calls) > MAX_LOGGED_CALLS:
        extra["downstream_more"] = len(record.calls) - MAX_LOGGED_CALLS
    request_logger.log(
        level,
        "%s %s %d",
        record.method,
        record.route,
        record.status,
        extra=extra,
    )
