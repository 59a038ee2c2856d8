"""Keep a template's output inside its project: file names and symbolic links."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .errors import TemplateError


def check_confined(
    name: str, repo_dir: Path, context: Mapping[str, object], env
) -> None:
    """Raise TemplateError if rendering would reach outside the project.

    cookiecutter joins each rendered file and directory name to the project
    directory as it is, so a name that renders to an absolute path or climbs
    out with ``..`` (from the template, or from a --set value it uses as a
    name) would be written elsewhere. A symbolic link in the template is read
    through, so one that points outside the template would copy whatever it
    points at into the project. Both are refused before anything is written.
    ``env`` is the Jinja environment cookiecutter renders names with.
    """
    from cookiecutter.find import find_template
    from cookiecutter.generate import is_copy_only_path

    root = Path(os.path.realpath(repo_dir))
    project = Path(find_template(repo_dir, env))
    _check_link(name, project, root)
    copied: list[Path] = []
    for directory, dirs, files in os.walk(project):
        here = Path(directory)
        for entry in [*dirs, *files]:
            _check_link(name, here / entry, root)
        if any(here.is_relative_to(c) for c in copied):
            continue  # copied as it is: the names below it are not rendered
        for entry in [*dirs, *files]:
            relative = os.path.normpath(here.relative_to(project) / entry)
            if entry in dirs and is_copy_only_path(relative, context):
                copied.append(here / entry)
            _check_name(name, relative, _render_name(name, relative, env, context))


def _render_name(name: str, unrendered: str, env, context: Mapping[str, object]) -> str:
    from jinja2 import TemplateError as JinjaError

    try:
        return env.from_string(unrendered).render(**context)
    except JinjaError as err:
        raise TemplateError(
            f"template {name!r} failed to render the name {unrendered!r}: {err}"
        ) from err


def _check_name(name: str, unrendered: str, rendered: str) -> None:
    parts = Path(os.path.normpath(rendered)).parts if rendered else ()
    if os.path.isabs(rendered) or (parts and parts[0] == ".."):
        raise TemplateError(
            f"template {name!r} names a file {unrendered!r} that renders to"
            f" {rendered!r}, outside the project; nothing was written"
        )


def _check_link(name: str, path: Path, root: Path) -> None:
    if not path.is_symlink():
        return
    points_to = Path(os.path.realpath(path))
    if not points_to.is_relative_to(root) or not points_to.exists():
        raise TemplateError(
            f"template {name!r} holds a symbolic link {path.name!r} to"
            f" {os.readlink(path)!r}, outside the template; nothing was written"
        )
