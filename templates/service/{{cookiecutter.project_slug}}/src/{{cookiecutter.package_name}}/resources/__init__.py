"""The service's REST resources, one module each (`flaskproto add resource`).

``init_app`` registers the blueprint ``bp`` of every module in this package,
so a new resource needs no change to ``create_app``.
"""

import importlib
import pkgutil

from flask import Flask
{%- if cookiecutter.with_web %}

from .. import security
{%- endif %}


def init_app(app: Flask) -> None:
    """Register the blueprint of each resource module, in name order."""
    for module in pkgutil.iter_modules(__path__):
        resource = importlib.import_module(f"{__name__}.{module.name}")
        app.register_blueprint(resource.bp)
{%- if cookiecutter.with_web %}
        # A JSON API, like the one in create_app, needs no CSRF token.
        security.csrf.exempt(resource.bp)
{%- endif %}
