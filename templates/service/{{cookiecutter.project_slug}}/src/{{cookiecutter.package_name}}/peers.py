"""Call the other services of the workspace, passing on the request's ID.

Each service's base URL is a setting named after it: the service
``payments`` is at ``PAYMENTS_URL``. ``flaskproto up`` sets them for every
service it runs. A call forwards the ``X-Request-ID`` of the request being
served, so one request can be followed through the logs of every service it
reaches.
"""

import json
import os
import re
import urllib.error
import urllib.request
from typing import Any

from flask import g, has_request_context

from .logs import REQUEST_ID_HEADER

#: Seconds a call waits to connect, and then for each read of the answer.
TIMEOUT = 5.0


class PeerError(Exception):
    """A service is not configured, did not answer, or answered no JSON."""


def url_of(service: str) -> str:
    """Return the base URL of ``service`` from its setting, ``<SERVICE>_URL``."""
    setting = re.sub(r"\W", "_", service).upper() + "_URL"
    url = os.environ.get(setting, "").rstrip("/")
    if not url:
        raise PeerError(f"{setting} is not set: the base URL of {service}")
    if not url.startswith(("http://", "https://")):
        raise PeerError(f"{setting} is not an http:// or https:// URL: {url}")
    return url


def call(
    service: str,
    path: str,
    *,
    method: str = "GET",
    body: Any = None,
    timeout: float = TIMEOUT,
) -> tuple[int, Any]:
    """Send ``method path`` to ``service``; return its status and JSON body.

    ``body``, when given, is sent as JSON. An error status is returned like
    any other; a service that cannot be reached, or answers no JSON, raises
    PeerError.
    """
    headers = {"Accept": "application/json"}
    if has_request_context() and "request_id" in g:
        headers[REQUEST_ID_HEADER] = g.request_id
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    # url_of lets only http:// and https:// URLs through.
    url = url_of(service) + path
    sent = urllib.request.Request(url, data, headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(sent, timeout=timeout) as response:  # noqa: S310 # nosec B310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except OSError as error:  # refused, timed out, no such host
        raise PeerError(f"{service} did not answer {method} {path}: {error}") from error
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        raise PeerError(f"{service} answered {method} {path} without JSON") from None
