"""Configuration: defaults in code, then ``FLASK_*`` environment variables."""

import os
import secrets
from typing import Any

import click
from flask import Flask

MIN_SECRET_KEY_LENGTH = 32
# A random key of 32 characters or more has many different ones; a placeholder
# such as "changeme" repeated, or one character repeated, has few.
MIN_SECRET_KEY_CHARACTERS = 8

DEFAULTS: dict[str, Any] = {
{#- As ruff format writes it: in parentheses only when the line would not fit. #}
{%- set service_name = cookiecutter.project_name|py_str %}
{%- if service_name|length > 67 %}
    "SERVICE_NAME": (
        {{ service_name }}
    ),
{%- else %}
    "SERVICE_NAME": {{ service_name }},
{%- endif %}
    # SECRET_KEY has no default: FLASK_SECRET_KEY sets it; see check_secret_key.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "LOG_LEVEL": "INFO",
    # text for a terminal; json for a log collector, one object a line.
    "LOG_FORMAT": "text",
{%- if cookiecutter.with_api %}
    # /openapi.json names each operation after its view, as in
    # get_items_get_item: client generators name their functions so.
    "AUTO_OPERATION_ID": True,
{%- endif %}
{%- if cookiecutter.with_db %}
    # None: SQLite in the instance folder. FLASK_SQLALCHEMY_DATABASE_URI or
    # DATABASE_URL point it elsewhere, e.g. postgresql://user:pass@host/name.
    "SQLALCHEMY_DATABASE_URI": None,
    # Test pooled connections before use, so the service recovers by itself
    # once a database that went away is back.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
{%- endif %}
{%- if cookiecutter.with_auth %}
    # How werkzeug hashes passwords; tests may pick a cheaper method.
    "HASH_METHOD": "scrypt",
    # Bearer tokens and sessions stop working this many seconds after sign-in.
    "TOKEN_MAX_AGE": 7 * 24 * 3600,
    # Failed sign-ins allowed per account, and per client address, within
    # LOGIN_FAILURE_WINDOW seconds; further attempts get 429 until it passes.
    "LOGIN_FAILURES_PER_ACCOUNT": 5,
    "LOGIN_FAILURES_PER_ADDRESS": 50,
    "LOGIN_FAILURE_WINDOW": 15 * 60,
{%- endif %}
{%- if cookiecutter.with_web %}
    # Forms and other unsafe requests need a CSRF token; keep it on outside tests
    # that test something else. A token expires after this many seconds.
    "WTF_CSRF_ENABLED": True,
    "WTF_CSRF_TIME_LIMIT": 3600,
{%- endif %}
{%- if cookiecutter.with_cors %}
    # Browser origins allowed to call the service, e.g. ["https://app.example.com"].
    "CORS_ORIGINS": [],
{%- endif %}
}


class ConfigError(click.ClickException):
    """The configuration is not safe to serve with.

    `flask` commands show it as one line, ``Error: ...``, and exit with 1.
    """


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from the defaults, then the environment or tests."""
    app.config.from_mapping(DEFAULTS)
    if test_config is not None:
        app.config.from_mapping(test_config)
    else:
        app.config.from_prefixed_env()
        # from_prefixed_env reads values as JSON, which turns a numeric secret
        # into a number. The secret is the text exactly as given.
        if "FLASK_SECRET_KEY" in os.environ:
            app.config["SECRET_KEY"] = os.environ["FLASK_SECRET_KEY"]
{%- if cookiecutter.with_db %}
        # DATABASE_URL is the usual name on hosting platforms; FLASK_ wins.
        if "FLASK_SQLALCHEMY_DATABASE_URI" not in os.environ:
            app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL")
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_uri(app)


def _database_uri(app: Flask) -> str:
    """Return the database URL; SQLite in the instance folder when none is set.

    PostgreSQL URLs get SQLAlchemy's psycopg 3 driver.
    """
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri:
        try:
            os.makedirs(app.instance_path, exist_ok=True)
            writable = os.access(app.instance_path, os.W_OK)
        except OSError as err:
            writable, reason = False, err.strerror
        else:
            reason = "not writable"
        if not writable:
            raise ConfigError(
                "no database URL is set and the instance folder for SQLite,"
                f" {app.instance_path}, cannot be used ({reason}): set"
                " FLASK_SQLALCHEMY_DATABASE_URI or DATABASE_URL"
            )
        path = os.path.join(app.instance_path, f"{app.name}.sqlite")
        return f"sqlite:///{path}"
    scheme, _, rest = uri.partition("://")
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return uri
{%- endif %}


def check_secret_key(app: Flask) -> None:
    """Refuse to serve without a strong secret key, except in tests and debug.

    The key signs session cookies; anyone who knows it can forge them. Flask
    commands that serve nothing, such as `flask db upgrade`, do not need it.
    """
    key = app.config["SECRET_KEY"]
    problem = _weakness(key)
    if problem is None:
        return
    if app.testing or app.debug:
        if not key:
            app.config["SECRET_KEY"] = secrets.token_hex(32)
        if not key and app.debug:
            app.logger.warning(
                "FLASK_SECRET_KEY is not set: using a random key, so sessions"
                " end when the process restarts"
            )
        return
    if _serving():
        raise ConfigError(
            f"FLASK_SECRET_KEY {problem}: set it to a random string of at least"
            f" {MIN_SECRET_KEY_LENGTH} characters, for example the output of"
            " python -c 'import secrets; print(secrets.token_hex(32))'"
        )


def _serving() -> bool:
    """Whether the app is made to serve: by a WSGI server, or by `flask run`.

    Other `flask` commands, such as `db upgrade` or `user create`, serve nothing.
    """
    context = click.get_current_context(silent=True)
    return context is None or context.command.name == "run"


def _weakness(key: str | bytes | None) -> str | None:
    """Say what is wrong with ``key``, or return None if it is strong enough."""
    if not key:
        return "is not set"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return "is too short"
    if len(set(key)) < MIN_SECRET_KEY_CHARACTERS:
        return "is not random: it repeats a few characters"
    return None
