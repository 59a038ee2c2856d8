"""Flask's hello world, with a health probe and safe defaults.

Serve it with waitress, as on a device::

    waitress-serve --listen=127.0.0.1:8000 {{ cookiecutter.package_name }}:app
"""

import os

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException
{%- if cookiecutter.with_metrics or cookiecutter.with_mqtt %}
{% endif %}
{%- if cookiecutter.with_metrics %}
from . import metrics
{%- endif %}
{%- if cookiecutter.with_mqtt %}
from .mqtt import Mqtt
{%- endif %}

# The service's version, in this one place: pyproject.toml reads it from here
# when the package is built, and /healthz reports it.
__version__ = {{ cookiecutter.version|py_str }}

MIN_SECRET_KEY_LENGTH = 32
# A random key has many different characters; a placeholder has few.
MIN_SECRET_KEY_CHARACTERS = 8

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


class ConfigError(RuntimeError):
    """The configuration is not safe to serve with."""


def secret_key(value: str | None) -> str:
    """Return ``value`` if it is a usable secret key; ConfigError otherwise."""
    if not value:
        raise ConfigError("FLASK_SECRET_KEY is not set")
    if (
        len(value) < MIN_SECRET_KEY_LENGTH
        or len(set(value)) < MIN_SECRET_KEY_CHARACTERS
    ):
        raise ConfigError(
            f"FLASK_SECRET_KEY must be {MIN_SECRET_KEY_LENGTH} or more random"
            " characters, e.g. from: python3 -c 'import secrets;"
            " print(secrets.token_hex(32))'"
        )
    return value


app = Flask(__name__)
app.config.update(
    SECRET_KEY=secret_key(os.environ.get("FLASK_SECRET_KEY")),
    MAX_CONTENT_LENGTH=64 * 1024,
    SESSION_COOKIE_SECURE=True,
    SESSION_COOKIE_HTTPONLY=True,
    SESSION_COOKIE_SAMESITE="Lax",
)
{%- if cookiecutter.with_metrics %}
metrics.init_app(app)
{%- endif %}
{%- if cookiecutter.with_mqtt %}
mqtt_client = Mqtt(app)
{%- endif %}


@app.route("/")
def hello():
    return "Hello World!"


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}
{%- if cookiecutter.with_mqtt %}


@app.get("/readyz")
def readyz() -> tuple[dict[str, object], int]:
    """Answer 200 while the MQTT broker is connected, 503 while it is not."""
    ready = mqtt_client.connected()
    state = "ok" if ready else "unavailable"
    return {"status": state, "checks": {"mqtt": state}}, 200 if ready else 503
{%- endif %}


@app.after_request
def add_headers(response: Response) -> Response:
    # One look at the names the response has: Headers.setdefault would raise
    # and catch an exception for each header it adds, on every request.
    present = set(response.headers.keys(lower=True))
    for name, value in HEADERS.items():
        if name.lower() not in present:
            response.headers.add(name, value)
    return response


@app.errorhandler(HTTPException)
def as_json(error: HTTPException) -> Response:
    # Unhandled exceptions arrive as a generic 500: Flask has logged them, and
    # no detail of them reaches the client.
    response = error.get_response()
    response.data = json.dumps(
        {"error": error.name, "status": error.code, "message": error.description}
    )
    response.content_type = "application/json"
    return response
