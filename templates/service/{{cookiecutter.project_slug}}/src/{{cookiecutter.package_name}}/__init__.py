"""The application factory."""

from typing import Any

from flask import Flask

# The service's version, in this one place: pyproject.toml reads it from here
# when the package is built, and /healthz reports it.
__version__ = {{ cookiecutter.version|py_str }}

from . import config, logs


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the service.

    Settings come from ``config.DEFAULTS``, then from ``FLASK_*`` environment
    variables, or from ``test_config`` alone when the tests pass one.
    """
    # What serves is imported here, not with the package, so checking the
    # settings (python -m, see __main__.py) loads none of it. One name per
    # line, so each optional module's import stands on its own.
{%- if cookiecutter.with_api %}
    from apiflask import APIFlask
{%- endif %}
{%- if cookiecutter.with_cors %}
    from flask_cors import CORS
{%- endif %}
{%- if cookiecutter.with_api or cookiecutter.with_cors %}
{% endif %}
    from . import (
{%- if cookiecutter.with_admin %}
        admin,
{%- endif %}
{%- if cookiecutter.with_api %}
        api,
{%- endif %}
{%- if cookiecutter.with_auth %}
        auth,
{%- endif %}
{%- if cookiecutter.with_db %}
        db,
{%- endif %}
{%- if cookiecutter.with_api %}
        docs,
{%- endif %}
        errors,
        health,
        hello,
{%- if cookiecutter.with_metrics %}
        metrics,
{%- endif %}
{%- if cookiecutter.with_web %}
        pages,
{%- endif %}
        resources,
        security,
{%- if cookiecutter.with_db %}
        seed,
{%- endif %}
    )
{% if cookiecutter.with_api %}
    app = APIFlask(
        __name__,
        title=config.DEFAULTS["SERVICE_NAME"],
        version=__version__,
        docs_path=None,  # the docs module serves /docs, without a CDN
        instance_relative_config=True,
    )
{%- else %}
    app = Flask(__name__, instance_relative_config=True)
{%- endif %}
    load_settings(app, test_config)
    security.init_app(app)
    errors.init_app(app)
{%- if cookiecutter.with_db %}
    db.init_app(app)
    seed.init_app(app)
{%- endif %}
{%- if cookiecutter.with_auth %}
    auth.init_app(app)
{%- if cookiecutter.with_web %}
    security.csrf.exempt(auth.bp)  # JSON sign-in; see the note on the API below
{%- endif %}
{%- endif %}
{%- if cookiecutter.with_metrics %}
    metrics.init_app(app)
{%- endif %}
{%- if cookiecutter.with_cors %}
    CORS(app)  # reads CORS_ORIGINS and the other CORS_* settings
{%- endif %}

    app.register_blueprint(hello.bp)
    app.register_blueprint(health.bp)
{%- if cookiecutter.with_api %}
    app.register_blueprint(api.bp)
    app.register_blueprint(docs.bp)
{%- if cookiecutter.with_web %}
    # The JSON API needs no CSRF token: browsers do not send the SameSite=Lax
    # session cookie with cross-site POSTs, and other clients send no cookie.
    security.csrf.exempt(api.bp)
{%- endif %}
{%- endif %}
{%- if cookiecutter.with_web %}
    app.register_blueprint(pages.bp)
{%- endif %}
    resources.init_app(app)
{%- if cookiecutter.with_admin %}
    admin.init_app(app)  # after the resources: it has a view of their models too
{%- endif %}
    return app


def load_settings(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Load ``app``'s settings and set up its logging.

    Raise ``config.ConfigError`` for settings the service refuses to serve with.
    """
    config.load(app, test_config)
    logs.init_app(app)
    config.check_secret_key(app)


def check_settings() -> None:
    """Load the settings from the environment as the service would, and serve
    nothing; raise ``config.ConfigError`` as create_app would.
    """
    load_settings(Flask(__name__, instance_relative_config=True))
