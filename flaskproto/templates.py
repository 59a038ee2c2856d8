"""Find cookiecutter templates, bundled or given by path or git URL, and read them."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import InvalidInput, TemplateError

_PACKAGE_DIR = Path(__file__).resolve().parent
# In a wheel the templates are inside the package; in a source checkout they
# sit beside it.
_TEMPLATE_ROOTS = (_PACKAGE_DIR / "templates", _PACKAGE_DIR.parent / "templates")

DEFAULT_TEMPLATE = "service"
#: The template whose services are one module, ``app``, served by waitress.
MICRO = "micro"
#: Bundled templates that render a part of a service, or the files of a
#: workspace of services, not a project.
PART_TEMPLATES = ("resource", "workspace")


@dataclass(frozen=True)
class Template:
    """A cookiecutter template: where it is and the variables it declares."""

    name: str
    path: Path
    #: cookiecutter.json as written: defaults, and ``_``-prefixed settings.
    variables: dict[str, object]
    #: Shipped with flaskproto: its variables, features and steps are known.
    bundled: bool = True
    #: The template as the user gave it (cookiecutter's ``_template``).
    source: str = ""
    #: Where cookiecutter would read it from (its ``_repo_dir``).
    repo_dir: str = ""
    #: The git reference checked out (cookiecutter's ``_checkout``).
    checkout: str | None = None
    #: The directory inside the repository or folder that holds it.
    directory: str | None = None

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
    return read_template(name, templates_root() / name, bundled=True)


def load_part(name: str) -> Template:
    """Return the bundled template ``name`` that renders a part of a service."""
    if name not in PART_TEMPLATES:
        raise TemplateError(f"no part template named {name!r}")
    return read_template(name, templates_root() / name, bundled=True)


@contextmanager
def open_template(
    spec: str, *, directory: str | None = None, checkout: str | None = None
) -> Iterator[Template]:
    """Yield the template ``spec`` names: bundled, a local directory, or a git URL.

    ``directory`` is the template's folder inside the repository or directory,
    ``checkout`` the branch, tag or commit of a git URL to use, as in
    cookiecutter. A git template is cloned into a scratch directory, removed
    afterwards. Errors name what was given, never the scratch directory.
    """
    if directory is not None:
        _check_directory(directory)
    if spec in bundled_template_names():
        if directory is not None or checkout is not None:
            raise InvalidInput(
                f"--directory and --checkout are for a template in a repository or"
                f" directory, not the bundled template {spec!r}"
            )
        yield load_template(spec)
        return
    from cookiecutter.config import BUILTIN_ABBREVIATIONS
    from cookiecutter.repository import expand_abbreviations, is_repo_url

    url = expand_abbreviations(spec, BUILTIN_ABBREVIATIONS)  # gh:owner/name too
    if is_repo_url(url):
        with tempfile.TemporaryDirectory(prefix="flaskproto-template-") as scratch:
            clone = _clone(spec, url, Path(scratch) / "template", checkout)
            path = clone / directory if directory else clone
            yield _read_given(spec, path, directory, str(path), checkout)
        return
    if checkout is not None:
        raise InvalidInput(
            f"--checkout {checkout!r} needs a git URL as --template;"
            f" {spec!r} is not one"
        )
    path = Path(spec).expanduser().resolve()
    if directory:
        path = path / directory
    # cookiecutter's _repo_dir is the path as given, joined with the directory.
    repo_dir = os.path.join(spec, directory) if directory else spec
    if (path / "cookiecutter.json").is_file():
        yield _read_given(spec, path, directory, repo_dir, None)
        return
    if directory and Path(spec).expanduser().is_dir():
        raise TemplateError(
            f"--directory {directory!r} of the template {spec!r} holds no"
            " cookiecutter.json"
        )
    known = ", ".join(bundled_template_names())
    raise TemplateError(
        f"no template {spec!r}: give a bundled template ({known}), a directory"
        " holding cookiecutter.json, or a git URL"
    )


def _check_directory(directory: str) -> None:
    parts = Path(directory).parts
    if not directory or Path(directory).is_absolute() or ".." in parts:
        raise InvalidInput(
            f"--directory {directory!r} must be a relative path inside the template's"
            " repository or directory"
        )


def _read_given(
    spec: str,
    path: Path,
    directory: str | None,
    repo_dir: str,
    checkout: str | None,
) -> Template:
    if not (path / "cookiecutter.json").is_file():
        raise TemplateError(
            f"--directory {directory!r} of the template {spec!r} holds no"
            " cookiecutter.json"
            if directory
            else f"the template {spec!r} holds no cookiecutter.json at its top"
        )
    template = read_template(spec, path, bundled=False)
    return replace(
        template,
        source=spec,
        repo_dir=repo_dir,
        checkout=checkout,
        directory=directory,
    )


def _clone(spec: str, url: str, into: Path, checkout: str | None) -> Path:
    """Clone the git repository at ``url`` into ``into``; never ask for anything.

    Without ``checkout`` only the newest commit is fetched; with it, the
    history too, so that any branch, tag or commit can be checked out.
    """
    if checkout is not None and (not checkout or checkout.startswith("-")):
        raise InvalidInput(f"--checkout {checkout!r} is not a branch, tag or commit")
    url = url.removeprefix("git+")
    depth = [] if checkout is not None else ["--depth", "1"]
    _git(
        ["clone", "--quiet", *depth, "--", url, str(into)],
        f"cannot get the template {spec}",
    )
    if checkout is not None:
        _git(
            ["-C", str(into), "checkout", "--quiet", checkout, "--"],
            f"cannot check out {checkout!r} of the template {spec}",
        )
    return into


def _git(args: list[str], failure: str) -> None:
    """Run git without a terminal; raise TemplateError with git's whole reason."""
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_SSH_COMMAND": "ssh -o BatchMode=yes",
    }
    try:
        result = subprocess.run(
            ["git", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise TemplateError(f"{failure}: {err}") from err
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        reason = "; ".join(line.removeprefix("fatal: ") for line in lines)
        raise TemplateError(f"{failure}: {reason or f'git {args[0]} failed'}")


def read_template(name: str, path: Path, *, bundled: bool) -> Template:
    config = path / "cookiecutter.json"
    # Named by the template as given: a clone's scratch path means nothing.
    try:
        variables = json.loads(config.read_text(encoding="utf-8"))
    except OSError as err:
        raise TemplateError(
            f"cannot read cookiecutter.json of the template {name!r}: {err.strerror}"
        ) from err
    except ValueError as err:
        raise TemplateError(
            f"cookiecutter.json of the template {name!r} is not valid JSON: {err}"
        ) from err
    if not isinstance(variables, dict):
        raise TemplateError(
            f"cookiecutter.json of the template {name!r} must hold a JSON object"
        )
    return Template(name, path, variables, bundled, source=name, repo_dir=str(path))
