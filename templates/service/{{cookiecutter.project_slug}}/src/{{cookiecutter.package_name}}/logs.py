"""Logging to stdout, each line tagged with the request's ID.

``LOG_FORMAT`` chooses the lines: ``text`` for a person at a terminal, or
``json``, one JSON object a line, for a log collector to read.
"""

import logging
import logging.config
import re
import threading
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request

from .config import ConfigError

REQUEST_ID_HEADER = "X-Request-ID"
# An ID from the client is kept only when it is short and plain, so it can
# neither forge log lines nor bloat them.
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Where the route's template waits in the WSGI environ for gunicorn's access
# log, which gunicorn.conf.py reads as %({...}e)s.
ROUTE_ENVIRON_KEY = "{{ cookiecutter.package_name }}.route"

FORMATTERS: dict[str, dict[str, Any]] = {
    "text": {
        "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
    },
    # The record's fields, and those the filter below adds: request_id,
    # method, route, and on access lines status and duration_ms.
    # gunicorn.conf.py names the same fields for gunicorn's lines.
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(levelname)s %(name)s %(message)s",
        "rename_fields": {"levelname": "level", "name": "logger"},
        "timestamp": "time",
    },
}


# Werkzeug's development server (flask run) logs each request once the
# response is sent, outside its context but in the thread that served it.
_served = threading.local()


class RequestIdFilter(logging.Filter):
    """Add ``request_id`` to every record, the current request's or ``-``;
    and in a request, its ``method`` and ``route``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id", "-")
            record.method = request.method
            record.route = _route()
        elif record.name == "werkzeug":
            record.__dict__.update(getattr(_served, "fields", {"request_id": "-"}))
        else:
            record.request_id = "-"
        return True


def init_app(app: Flask) -> None:
    """Send logs to stdout and give every request an ID."""
    log_format = app.config["LOG_FORMAT"]
    if log_format not in FORMATTERS:
        raise ConfigError(f"FLASK_LOG_FORMAT is {log_format!r}: set it to text or json")
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"request_id": {"()": RequestIdFilter}},
            "formatters": {"default": FORMATTERS[log_format]},
            "handlers": {
                "stdout": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stdout",
                    "formatter": "default",
                    "filters": ["request_id"],
                }
            },
            "root": {"level": app.config["LOG_LEVEL"], "handlers": ["stdout"]},
        }
    )
    app.before_request(_assign_request_id)
    app.after_request(_send_request_id)


def _route() -> str | None:
    """The template of the route the request matched, such as /items/<int:id>."""
    rule = request.url_rule
    return rule.rule if rule is not None else None


def _assign_request_id() -> None:
    g.request_started = time.perf_counter()
    client_id = request.headers.get(REQUEST_ID_HEADER, "")
    if _CLIENT_REQUEST_ID.fullmatch(client_id):
        g.request_id = client_id
    else:
        g.request_id = uuid.uuid4().hex


def _send_request_id(response: Response) -> Response:
    request_id = g.get("request_id", "-")
    response.headers[REQUEST_ID_HEADER] = request_id
    route = _route()
    if route is not None:
        request.environ[ROUTE_ENVIRON_KEY] = route
    started = g.get("request_started")
    _served.fields = {
        "request_id": request_id,
        "method": request.method,
        "route": route,
        "status": response.status_code,
        "duration_ms": None
        if started is None
        else round((time.perf_counter() - started) * 1000, 3),
    }
    return response
