"""Find the bundled cookiecutter templates and read their variables."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import TemplateError

_PACKAGE_DIR = Path(__file__).resolve().parent
# In a wheel the templates are inside the package; in a source checkout they
# sit beside it.
_TEMPLATE_ROOTS = (_PACKAGE_DIR / "templates", _PACKAGE_DIR.parent / "templates")

DEFAULT_TEMPLATE = "service"


@dataclass(frozen=True)
class Template:
    """A cookiecutter template: where it is and the variables it declares."""

    name: str
    path: Path
    #: cookiecutter.json as written: defaults, and ``_``-prefixed settings.
    variables: dict[str, object]

    @property
    def public_variables(self) -> dict[str, object]:
        """The variables a user may set: every key not starting with ``_``."""
        return {k: v for k, v in self.variables.items() if not k.startswith("_")}


def templates_root() -> Path:
    """Return the directory holding the bundled templates."""
    for root in _TEMPLATE_ROOTS:
        if root.is_dir():
            return root
    raise TemplateError(
        "the bundled templates are missing from this installation; reinstall flaskproto"
    )


def bundled_template_names() -> list[str]:
    """Return the names of the bundled templates."""
    root = templates_root()
    return sorted(p.name for p in root.iterdir() if (p / "cookiecutter.json").is_file())


def load_template(name: str = DEFAULT_TEMPLATE) -> Template:
    """Return the bundled template called ``name``."""
    path = templates_root() / name
    config = path / "cookiecutter.json"
    try:
        variables = json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = ", ".join(bundled_template_names())
        raise TemplateError(f"no template named {name!r}; known: {known}") from None
    except (OSError, ValueError) as err:
        raise TemplateError(f"cannot read {config}: {err}") from err
    if not isinstance(variables, dict):
        raise TemplateError(f"{config} must hold a JSON object")
    return Template(name, path, variables)
