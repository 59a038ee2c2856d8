"""Logging to stdout, each line tagged with the request's ID."""

import logging
import logging.config
import re
import threading
import uuid

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# An ID from the client is kept only when it is short and plain, so it can
# neither forge log lines nor bloat them.
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


# Werkzeug's development server (flask run) logs each request once the
# response is sent, outside its context but in the thread that served it.
_served = threading.local()


class RequestIdFilter(logging.Filter):
    """Add ``request_id`` to every record: the current request's, or ``-``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id", "-")
        elif record.name == "werkzeug":
            record.request_id = getattr(_served, "request_id", "-")
        else:
            record.request_id = "-"
        return True


def init_app(app: Flask) -> None:
    """Send logs to stdout and give every request an ID."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"request_id": {"()": RequestIdFilter}},
            "formatters": {
                "default": {
                    "format": "%(asctime)s %(levelname)s %(name)s"
                    " [%(request_id)s] %(message)s"
                }
            },
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


def _assign_request_id() -> None:
    client_id = request.headers.get(REQUEST_ID_HEADER, "")
    if _CLIENT_REQUEST_ID.fullmatch(client_id):
        g.request_id = client_id
    else:
        g.request_id = uuid.uuid4().hex


def _send_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = _served.request_id = g.get("request_id", "-")
    return response
