"""The application factory."""

from typing import Any

from flask import Flask
{%- if cookiecutter.with_cors %}
from flask_cors import CORS
{%- endif %}

from . import config, errors, health, hello, logs, security


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the service.

    Settings come from ``config.DEFAULTS``, then from ``FLASK_*`` environment
    variables, or from ``test_config`` alone when the tests pass one.
    """
    app = Flask(__name__, instance_relative_config=True)
    config.load(app, test_config)
    logs.init_app(app)
    config.check_secret_key(app)
    security.init_app(app)
    errors.init_app(app)
{%- if cookiecutter.with_cors %}
    CORS(app)  # reads CORS_ORIGINS and the other CORS_* settings
{%- endif %}

    app.register_blueprint(hello.bp)
    app.register_blueprint(health.bp)
    return app
