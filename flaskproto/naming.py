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

#: Top-level import names of everything installed beside a generated service:
#: its dependencies with every feature, its test and postgres extras (pytest-cov
#: and coverage, uv for the lock file among them), the ruff its CI installs, pip
#: and setuptools (greenlet and tzdata come on some
#: platforms). A package of one of these names would shadow, or
#: be overwritten by, what the service, pytest, gunicorn or flask db import.
#: tests/test_naming.py installs such a service and checks this list is whole.
DEPENDENCY_NAMES = frozenset(
    {
        "alembic",
        "annotated_types",
        "apiflask",
        "apispec",
        "bandit",
        "blinker",
        "click",
        "coverage",
        "dns",
        "dotenv",
        "email_validator",
        "flask",
        "flask_admin",
        "flask_cors",
        "flask_httpauth",
        "flask_marshmallow",
        "flask_migrate",
        "flask_sqlalchemy",
        "flask_swagger_ui",
        "flask_wtf",
        "greenlet",
        "gunicorn",
        "idna",
        "iniconfig",
        "itsdangerous",
        "jinja2",
        "mako",
        "markdown_it",
        "markupsafe",
        "marshmallow",
        "mdurl",
        "packaging",
        "paho",
        "pip",
        "pkg_resources",
        "pluggy",
        "prometheus_client",
        "psycopg",
        "psycopg_binary",
        "py",
        "pydantic",
        "pydantic_core",
        "pygments",
        "pytest",
        "pytest_cov",
        "pythonjsonlogger",
        "rich",
        "ruff",
        "setuptools",
        "sqlalchemy",
        "stevedore",
        "typing_extensions",
        "typing_inspection",
        "uv",
        "waitress",
        "tzdata",
        "webargs",
        "werkzeug",
        "wtforms",
        "yaml",
    }
)
#: Modules Python or pytest import by name from wherever they are found: a
#: package called conftest is shadowed by the service's tests/conftest.py.
STARTUP_NAMES = frozenset({"conftest", "sitecustomize", "usercustomize"})
#: Top-level directories of the generated layout, with every feature, and
#: instance: run from a checkout, Flask puts the instance folder (the SQLite
#: database among its files) at src/instance, which would be the package itself.
LAYOUT_NAMES = frozenset({"deploy", "instance", "src", "tests"})
#: pytest collects modules named so as tests (its default ``python_files``);
#: the service's own tests, and those add resource writes, are named test_*.py.
_TEST_MODULE = re.compile(r"test_.*|.*_test")

_SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_PACKAGE = re.compile(r"[a-z][a-z0-9_]*")

#: What each kind of name must be, said once for every message about it.
PROJECT_NAME_RULE = (
    f"a project name starts with a letter and is at most {MAX_NAME_LENGTH}"
    " characters; its letters and digits make the directory and package names"
)
SLUG_RULE = (
    "a directory name starts with a lowercase letter and holds lowercase"
    f" letters, digits and single '-' between them, at most {MAX_SLUG_LENGTH}"
    " characters"
)
PACKAGE_RULE = (
    "a package name starts with a lowercase letter and holds lowercase letters,"
    f" digits and '_', at most {MAX_SLUG_LENGTH} characters"
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
        raise InvalidInput(f"the project name is empty: {PROJECT_NAME_RULE}")
    if "/" in project_name or "\\" in project_name or ".." in project_name:
        raise InvalidInput(
            f"the project name {project_name!r} looks like a path; give a name"
            " and choose the place with --output-dir"
        )
    if any(unicodedata.category(char).startswith("C") for char in project_name):
        raise InvalidInput(
            f"the project name {project_name!r} contains control or invisible"
            " characters"
        )
    if len(project_name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"the project name is {len(project_name)} characters long; at most"
            f" {MAX_NAME_LENGTH}"
        )
    slug = slugify(project_name)
    if not slug:
        raise InvalidInput(
            f"the project name {project_name!r} has no letters or digits:"
            f" {PROJECT_NAME_RULE}"
        )
    if not slug[0].isalpha():
        raise InvalidInput(
            f"the project name {project_name!r} starts with a digit:"
            f" {PROJECT_NAME_RULE}"
        )
    if len(slug) > MAX_SLUG_LENGTH:
        raise InvalidInput(
            f"the project name {project_name!r} gives the directory name {slug!r},"
            f" {len(slug)} characters long; at most {MAX_SLUG_LENGTH}: choose a"
            " shorter project name"
        )
    package = slug.replace("-", "_")
    problem = package_problem(package)
    if problem is not None:
        raise InvalidInput(
            f"the project name {project_name!r} gives the package name"
            f" {package!r}, which {problem}: choose another project name"
        )
    return Names(project_name, slug, package)


def check_slug(slug: str) -> None:
    """Raise InvalidInput unless ``slug`` is a usable directory/distribution name."""
    if len(slug) > MAX_SLUG_LENGTH or not _SLUG.fullmatch(slug):
        raise InvalidInput(f"project_slug {slug!r} cannot be used: {SLUG_RULE}")


def check_package_name(package: str) -> None:
    """Raise InvalidInput unless ``package`` is a safe name for the package."""
    problem = package_problem(package)
    if problem is not None:
        raise InvalidInput(f"package_name {package!r} {problem}")


def package_problem(package: str) -> str | None:
    """Say why ``package`` cannot name a generated service's package, or None.

    The rule: a lowercase identifier that is not a keyword and shadows nothing
    the service imports, nor anything that imports modules by name around it
    (Python at startup, pytest, gunicorn, flask db); nor a test module's name.
    """
    if len(package) > MAX_SLUG_LENGTH or not _PACKAGE.fullmatch(package):
        return f"cannot be used: {PACKAGE_RULE}"
    if keyword.iskeyword(package):
        return "is a Python keyword"
    if package in sys.stdlib_module_names:
        return "would shadow the standard-library module of that name"
    if package in DEPENDENCY_NAMES:
        return "would shadow a package installed with the generated service"
    if package in STARTUP_NAMES:
        return "is a module name Python or pytest imports from wherever it is found"
    if package in LAYOUT_NAMES:
        return "is the name of a directory of the generated layout"
    if _TEST_MODULE.fullmatch(package):
        return "is named as pytest names test modules (test_* or *_test)"
    return None
