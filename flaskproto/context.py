"""Build and check the values a template is rendered with."""

from __future__ import annotations

import difflib
import functools
import json
import re
import sys
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path

from .errors import InvalidInput, TemplateError
from .features import VARIABLE_PREFIX, catalogue
from .naming import Names, check_package_name, check_slug
from .templates import Template

# re.ASCII: \d alone would accept any script's digits, which PEP 440 does not.
_VERSION = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", re.ASCII)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NAME_CRUD = ".,:;<>\"\\'"
_PYTHON_VERSION = re.compile(r"3\.(1[0-9]|[2-9][0-9])")
#: Variables that follow from NAME and are set through it.
NAME_VARIABLES = ("project_name",)


def _check_version(value: str) -> None:
    if not _VERSION.fullmatch(value):
        raise InvalidInput(
            f"version {value!r} is not a release number such as 0.1.0 or 1.0rc1"
        )


def _check_email(value: str) -> None:
    if not _EMAIL.fullmatch(value) or not _is_address(value):
        raise InvalidInput(f"author_email {value!r} is not an e-mail address")


def _check_author_name(value: str) -> None:
    if "\n" in value or "\r" in value:
        raise InvalidInput(f"author_name {value!r} must be one line")
    # git refuses to commit as a name made only of these.
    if all(ord(char) <= 32 or char in _NAME_CRUD for char in value):
        raise InvalidInput(
            f"author_name {value!r} needs a character other than spaces,"
            " control characters and .,:;<>\"\\'"
        )


def _is_address(value: str) -> bool:
    """Whether the package metadata can hold ``value`` as an e-mail address.

    Build backends (hatchling among them) write authors with the standard
    library's ``email.headerregistry.Address``; what it refuses, they refuse.
    """
    from email.errors import HeaderParseError
    from email.headerregistry import Address

    try:
        Address(addr_spec=value)
    except (ValueError, HeaderParseError):
        return False
    return True


def _check_python_version(value: str) -> None:
    if not _PYTHON_VERSION.fullmatch(value):
        raise InvalidInput(
            f"python_version {value!r} must be a Python 3 minor version, 3.10 or newer"
        )


#: Checks for the variables of the bundled templates whose values have rules.
_CHECKS = {
    "project_slug": check_slug,
    "package_name": check_package_name,
    "version": _check_version,
    "author_email": _check_email,
    "author_name": _check_author_name,
    "python_version": _check_python_version,
}


def check_value(key: str, value: str) -> None:
    """Raise InvalidInput unless ``value`` is acceptable for variable ``key``."""
    if "\x00" in value:
        raise InvalidInput(f"{key}: the value contains a NUL character")
    check = _CHECKS.get(key)
    if check is not None:
        check(value)


def parse_assignments(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Turn ``KEY=VALUE`` strings into a dict; raise InvalidInput on a bad one."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--set {pair!r} is not of the form KEY=VALUE")
        values[key.strip()] = value
    return values


def build_context(
    template: Template,
    names: Names,
    overrides: Mapping[str, str],
    features: Iterable[str] = (),
) -> dict[str, object]:
    """Return every public variable of ``template`` with its value for this project.

    ``features`` are switched on through their ``with_<feature>`` variables.
    User values are taken as data and never rendered; only the template's own
    defaults that are Jinja expressions are rendered, with cookiecutter's engine.
    """
    variables = template.public_variables
    switches = {
        f.variable: f.name in set(features) for f in catalogue(template).values()
    }
    for key, value in overrides.items():
        _check_override(key, value, variables, switches)
    context: dict[str, object] = {}
    if "project_name" not in variables:
        raise TemplateError(
            f"template {template.name!r} has no project_name variable for NAME"
        )
    # The bundled templates take their names as flaskproto derives them; other
    # templates derive theirs as their cookiecutter.json says.
    derived = {"project_name": names.project_name}
    if template.bundled:
        derived.update(project_slug=names.project_slug, package_name=names.package_name)
    env = None
    for key, default in variables.items():
        if key in switches:
            context[key] = switches[key]
            continue
        if key in overrides:
            value = overrides[key]
        elif key in derived:
            value = derived[key]
        elif isinstance(default, str) and ("{{" in default or "{%" in default):
            env = env or _environment(template)
            value = _render_default(env, key, default, context)
        elif isinstance(default, list):
            value = str(default[0]) if default else ""
        elif isinstance(default, (bool, dict)):
            context[key] = default  # cookiecutter's yes/no and dict variables
            continue
        else:
            value = str(default)
        context[key] = value
        check = _CHECKS.get(key) if template.bundled else None
        if check is not None:
            check(value)
    return context


def render_steps(
    template: Template, key: str, context: Mapping[str, object]
) -> list[str]:
    """Return the commands the template lists under ``key`` for this project.

    ``_install_steps`` install a new project; ``_next_steps`` come after.
    """
    steps = template.variables.get(key, [])
    if not isinstance(steps, list):
        raise TemplateError(f"{key} in template {template.name!r} must be a list")
    if not steps:
        return []
    env = _environment(template)
    rendered = (_render_default(env, key, str(s), context) for s in steps)
    # A step that is only for some features renders empty without them.
    return [step for step in rendered if step.strip()]


def _check_override(
    key: str, value: str, variables: Mapping[str, object], switches: Mapping[str, bool]
) -> None:
    if key in NAME_VARIABLES:
        raise InvalidInput(f"--set {key}=... is not allowed: {key} is NAME itself")
    if key in switches:
        feature = key.removeprefix(VARIABLE_PREFIX)
        raise InvalidInput(f"--set {key}=... is not allowed: use --with {feature}")
    if key not in variables:
        known = [k for k in variables if k not in NAME_VARIABLES and k not in switches]
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InvalidInput(
            f"--set {key}: the template has no such variable; {hint}"
            f"known: {', '.join(known)}"
        )
    if "\x00" in value:
        raise InvalidInput(f"--set {key}: the value contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            f"--set {key}: the value is not valid Unicode text"
        ) from None


def _environment(template: Template):
    """Return cookiecutter's Jinja environment for ``template``'s own strings.

    Made once per template and process: loading the extensions costs more
    than rendering the few strings it is used for.
    """
    return _environment_at(
        template.path, json.dumps(template.variables, sort_keys=True)
    )


@functools.lru_cache(maxsize=8)
def _environment_at(path: Path, variables: str):
    from cookiecutter.environment import StrictEnvironment

    with _template_on_path(path):
        return StrictEnvironment(
            context={"cookiecutter": json.loads(variables)}, keep_trailing_newline=True
        )


def _render_default(env, key: str, default: str, context: Mapping[str, object]) -> str:
    from jinja2 import TemplateError as JinjaError

    try:
        return env.from_string(default).render(cookiecutter=context)
    except JinjaError as err:
        raise TemplateError(f"cannot render the default of {key!r}: {err}") from err


def extension_path(template: Template):
    """Let the template's local Jinja extensions import, as cookiecutter does."""
    return _template_on_path(template.path)


@contextmanager
def _template_on_path(path: Path):
    sys.path.insert(0, str(path))
    try:
        yield
    finally:
        sys.path.remove(str(path))
