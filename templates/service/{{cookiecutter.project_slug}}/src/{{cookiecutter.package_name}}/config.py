"""Configuration: defaults in code, then ``FLASK_*`` environment variables."""

import os
import secrets
from typing import Any

from flask import Flask

MIN_SECRET_KEY_LENGTH = 32

DEFAULTS: dict[str, Any] = {
    "SERVICE_NAME": {{ cookiecutter.project_name|py_str }},
    "SECRET_KEY": None,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "LOG_LEVEL": "INFO",
{%- if cookiecutter.with_cors %}
    # Browser origins allowed to call the service, e.g. ["https://app.example.com"].
    "CORS_ORIGINS": [],
{%- endif %}
}


class ConfigError(RuntimeError):
    """The configuration is not safe to serve with."""


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from the defaults, then the environment or tests."""
    app.config.from_mapping(DEFAULTS)
    if test_config is not None:
        app.config.from_mapping(test_config)
        return
    app.config.from_prefixed_env()
    # from_prefixed_env reads values as JSON, which turns a numeric secret into
    # a number. The secret is the text exactly as given.
    if "FLASK_SECRET_KEY" in os.environ:
        app.config["SECRET_KEY"] = os.environ["FLASK_SECRET_KEY"]


def check_secret_key(app: Flask) -> None:
    """Refuse to serve without a strong secret key, except in tests and debug.

    The key signs session cookies; anyone who knows it can forge them.
    """
    key = app.config["SECRET_KEY"]
    if key and len(key) >= MIN_SECRET_KEY_LENGTH:
        return
    if not (app.testing or app.debug):
        problem = "is not set" if not key else "is too short"
        raise ConfigError(
            f"FLASK_SECRET_KEY {problem}: set it to a random string of at least"
            f" {MIN_SECRET_KEY_LENGTH} characters, for example the output of"
            " python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if not key:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        if app.debug:
            app.logger.warning(
                "FLASK_SECRET_KEY is not set: using a random key, so sessions"
                " end when the process restarts"
            )
