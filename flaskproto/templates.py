"""Find cookiecutter templates, bundled or given by path or git URL, and read them."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import TemplateError

_PACKAGE_DIR = Path(__file__).resolve().parent
# In a wheel the templates are inside the package; in a source checkout they
# sit beside it.
_TEMPLATE_ROOTS = (_PACKAGE_DIR / "templates", _PACKAGE_DIR.parent / "templates")

DEFAULT_TEMPLATE = "service"
#: Bundled templates that render a part of a service, not a project.
PART_TEMPLATES = ("resource",)


@dataclass(frozen=True)
class Template:
    """A cookiecutter template: where it is and the variables it declares."""

    name: str
    path: Path
    #: cookiecutter.json as written: defaults, and ``_``-prefixed settings.
    variables: dict[str, object]
    #: Shipped with flaskproto: its variables, features and steps are known.
    bundled: bool = True

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
    return sorted(
        p.name
        for p in root.iterdir()
        if (p / "cookiecutter.json").is_file() and p.name not in PART_TEMPLATES
    )


def load_template(name: str = DEFAULT_TEMPLATE) -> Template:
    """Return the bundled template called ``name``."""
    if name not in bundled_template_names():
        known = ", ".join(bundled_template_names())
        raise TemplateError(f"no template named {name!r}; known: {known}")
    return _read(name, templates_root() / name, bundled=True)


def load_part(name: str) -> Template:
    """Return the bundled template ``name`` that renders a part of a service."""
    if name not in PART_TEMPLATES:
        raise TemplateError(f"no part template named {name!r}")
    return _read(name, templates_root() / name, bundled=True)


@contextmanager
def open_template(spec: str) -> Iterator[Template]:
    """Yield the template ``spec`` names: bundled, a local directory, or a git URL.

    A git template is cloned into a scratch directory, removed afterwards.
    """
    if spec in bundled_template_names():
        yield load_template(spec)
        return
    from cookiecutter.config import BUILTIN_ABBREVIATIONS
    from cookiecutter.repository import expand_abbreviations, is_repo_url

    url = expand_abbreviations(spec, BUILTIN_ABBREVIATIONS)  # gh:owner/name too
    if is_repo_url(url):
        with tempfile.TemporaryDirectory(prefix="flaskproto-template-") as scratch:
            yield _read(spec, _clone(url, Path(scratch) / "template"), bundled=False)
        return
    path = Path(spec).expanduser().resolve()
    if (path / "cookiecutter.json").is_file():
        yield _read(spec, path, bundled=False)
        return
    known = ", ".join(bundled_template_names())
    raise TemplateError(
        f"no template {spec!r}: give a bundled template ({known}), a directory"
        " holding cookiecutter.json, or a git URL"
    )


def _clone(url: str, into: Path) -> Path:
    """Clone the git repository at ``url`` into ``into``; never ask for anything."""
    url = url.removeprefix("git+")
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_SSH_COMMAND": "ssh -o BatchMode=yes",
    }
    try:
        result = subprocess.run(
            ["git", "clone", "--quiet", "--depth", "1", url, str(into)],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise TemplateError(f"cannot get the template {url}: {err}") from err
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        reason = lines[-1].removeprefix("fatal: ") if lines else "git clone failed"
        raise TemplateError(f"cannot get the template {url}: {reason}")
    return into


def _read(name: str, path: Path, *, bundled: bool) -> Template:
    config = path / "cookiecutter.json"
    try:
        variables = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise TemplateError(f"cannot read {config}: {err}") from err
    if not isinstance(variables, dict):
        raise TemplateError(f"{config} must hold a JSON object")
    return Template(name, path, variables, bundled)
