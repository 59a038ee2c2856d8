"""Derive and check the names of a new project from the name a person gives."""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata
from dataclasses import dataclass

from .errors import InvalidInput

MAX_NAME_LENGTH = 64
#: The directory and package names stay short enough for code lines that hold
#: them to fit the formatter's line length, and for Kubernetes object names.
MAX_SLUG_LENGTH = 40

#: Import names of what a generated service depends on, directly or through its
#: tools; a package with one of these names would shadow it.
DEPENDENCY_NAMES = frozenset(
    {
        "blinker",
        "click",
        "flask",
        "gunicorn",
        "hatchling",
        "iniconfig",
        "itsdangerous",
        "jinja2",
        "markupsafe",
        "packaging",
        "pluggy",
        "pygments",
        "pytest",
        "ruff",
        "werkzeug",
    }
)
#: Names the generated layout itself uses.
LAYOUT_NAMES = frozenset({"src", "tests", "instance"})

_SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
RULE = (
    "a name starts with a letter and holds letters, digits, spaces, '-' or '_',"
    f" at most {MAX_NAME_LENGTH} characters"
)


@dataclass(frozen=True)
class Names:
    """The names of one project."""

    #: The name as the person wrote it, for titles and docs: "Order Service".
    project_name: str
    #: The directory and distribution name: "order-service".
    project_slug: str
    #: The Python package name: "order_service".
    package_name: str


def slugify(name: str) -> str:
    """Return the directory name for ``name``, as the template's ``slugify`` does."""
    from slugify import slugify as _slugify

    return _slugify(name)


def derive_names(name: str) -> Names:
    """Return the names for a project called ``name``, or raise InvalidInput."""
    project_name = name.strip()
    if not project_name:
        raise InvalidInput(f"the project name is empty: {RULE}")
    if "/" in project_name or "\\" in project_name or ".." in project_name:
        raise InvalidInput(
            f"the project name {project_name!r} looks like a path; give a name"
            " and choose the place with --output-dir"
        )
    if any(unicodedata.category(char).startswith("C") for char in project_name):
        raise InvalidInput(
            f"the project name {project_name!r} contains control or invisible"
            f" characters: {RULE}"
        )
    if len(project_name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"the project name is {len(project_name)} characters long: {RULE}"
        )
    slug = slugify(project_name)
    if not slug:
        raise InvalidInput(
            f"the project name {project_name!r} has no letters or digits: {RULE}"
        )
    names = Names(project_name, slug, slug.replace("-", "_"))
    check_slug(names.project_slug)
    check_package_name(names.package_name)
    return names


def check_slug(slug: str) -> None:
    """Raise InvalidInput unless ``slug`` is a usable directory/distribution name."""
    if len(slug) > MAX_SLUG_LENGTH:
        raise InvalidInput(
            f"the directory name {slug!r} is {len(slug)} characters long; at most"
            f" {MAX_SLUG_LENGTH}: choose a shorter project name"
        )
    if not _SLUG.fullmatch(slug):
        raise InvalidInput(
            f"the directory name {slug!r} cannot be used: it must start with a"
            f" letter and hold lowercase letters, digits and '-'; {RULE}"
        )


def check_package_name(package: str) -> None:
    """Raise InvalidInput unless ``package`` is a safe name for the package."""
    if not package.isidentifier() or not package.isascii() or package[0] == "_":
        raise InvalidInput(f"{package!r} is not a valid Python package name: {RULE}")
    if len(package) > MAX_SLUG_LENGTH:
        raise InvalidInput(f"the package name {package!r} is too long: {RULE}")
    if keyword.iskeyword(package):
        reason = "it is a Python keyword"
    elif package in sys.stdlib_module_names:
        reason = "it would shadow the standard-library module of that name"
    elif package in DEPENDENCY_NAMES:
        reason = "it would shadow a dependency of the generated service"
    elif package in LAYOUT_NAMES:
        reason = "the generated layout has a directory of that name"
    else:
        return
    raise InvalidInput(
        f"the package name {package!r} cannot be used: {reason}; choose another"
        " project name"
    )
