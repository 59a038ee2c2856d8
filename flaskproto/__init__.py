"""flaskproto: start a Flask microservice that runs, is tested, ready to deploy."""

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .create import ProjectResult, create_project
    from .errors import FlaskprotoError
    from .resource import ResourceResult, add_resource, remove_resource

__all__ = [
    "FlaskprotoError",
    "ProjectResult",
    "ResourceResult",
    "__version__",
    "add_resource",
    "create_project",
    "remove_resource",
]


def __getattr__(name: str) -> object:
    # The public API is imported on first use, so `flaskproto --version` and
    # `--help` do not pay for it.
    if name in ("create_project", "ProjectResult"):
        from . import create

        return getattr(create, name)
    if name in ("add_resource", "remove_resource", "ResourceResult"):
        from . import resource

        return getattr(resource, name)
    if name == "FlaskprotoError":
        from .errors import FlaskprotoError

        return FlaskprotoError
    raise AttributeError(f"module 'flaskproto' has no attribute {name!r}")
