"""Build and check the values a template is rendered with."""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import InvalidInput, TemplateError
from .features import VARIABLE_PREFIX, catalogue
from .naming import Names, check_package_name, check_slug
from .templates import Template

# re.ASCII: \d alone would accept any script's digits, which PEP 440 does not.
_VERSION = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", re.ASCII)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# RFC 5322 dot-atoms on both sides of the @: email.headerregistry accepts
# every such address, so only other ones need it (and its import) to decide.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM_ADDRESS = re.compile(
    rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})+", re.ASCII
)
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
    if _DOT_ATOM_ADDRESS.fullmatch(value):
        return
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
def _port_check(key: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        if not (value.isascii() and value.isdigit() and 1024 <= int(value) <= 65535):
            raise InvalidInput(f"{key} {value!r} is not a port from 1024 to 65535")

    return check


_CHECKS = {
    "project_slug": check_slug,
    "package_name": check_package_name,
    "version": _check_version,
    "author_email": _check_email,
    "author_name": _check_author_name,
    "python_version": _check_python_version,
    "port": _port_check("port"),
    "dev_port": _port_check("dev_port"),
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


def name_variable(template: Template) -> str:
    """Return the variable NAME fills in ``template``, or raise TemplateError.

    It is ``project_name`` when the template has one; otherwise the variable
    its top directory is named after (``{{cookiecutter.app_name}}``).
    """
    variables = template.public_variables
    if "project_name" in variables:
        return "project_name"
    top = project_template_dir(template).name
    start, end = _delimiters(template)
    found = set(
        re.findall(
            re.escape(start) + r"-?\s*cookiecutter\.(\w+)\s*-?" + re.escape(end), top
        )
    )
    if len(found) == 1:
        (key,) = found
        if key in variables and not isinstance(variables[key], (list, dict, bool)):
            return key
    raise TemplateError(f"template {template.name!r}: {NAME_RULE}")


#: How NAME is given to a template, as new --help and the README say.
NAME_RULE = (
    "NAME fills the template's project_name variable, or else the variable its"
    " top directory is named after ({{cookiecutter.<variable>}}); this template"
    " has neither"
)


def project_template_dir(template: Template) -> Path:
    """Return the directory of ``template`` that cookiecutter renders as the project.

    Found as cookiecutter finds it, without loading the template's extensions.
    """
    from cookiecutter.exceptions import NonTemplatedInputDirException
    from cookiecutter.find import find_template
    from jinja2 import Environment

    start, end = _delimiters(template)
    env = Environment(variable_start_string=start, variable_end_string=end)
    try:
        return Path(find_template(template.path, env))
    except NonTemplatedInputDirException:
        raise TemplateError(
            f"template {template.name!r} has no project directory: cookiecutter"
            " renders the top-level directory whose name holds 'cookiecutter'"
            f" inside {start} {end}, such as {start}cookiecutter.project_slug{end},"
            " and there is none"
        ) from None
    except OSError as err:
        raise TemplateError(
            f"cannot read the template {template.name!r}: {err.strerror}"
        ) from err


def _delimiters(template: Template) -> tuple[str, str]:
    settings = template.variables.get("_jinja2_env_vars")
    settings = settings if isinstance(settings, dict) else {}
    return (
        str(settings.get("variable_start_string", "{{")),
        str(settings.get("variable_end_string", "}}")),
    )


def build_context(
    template: Template,
    names: Names,
    overrides: Mapping[str, str],
    features: Iterable[str] = (),
) -> dict[str, Any]:
    """Return the context cookiecutter renders ``template`` with for this project.

    It is built by cookiecutter's own code, as ``cookiecutter --no-input`` builds
    it: defaults that are Jinja are rendered in order, choices take their first
    option, booleans and dictionaries stay what they are, private ``__``
    variables are rendered and ``_`` ones kept. NAME fills ``name_variable``;
    ``overrides`` (``--set``) are checked as cookiecutter checks them (a choice
    must be one of its options, a boolean yes or no) and are data: never
    rendered. ``features`` are switched on through their ``with_<feature>``
    variables. The result holds ``cookiecutter`` (every variable with its
    value) and ``_cookiecutter`` (the public variables before rendering).
    """
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config
    from jinja2 import TemplateError as JinjaError

    from .jinjacache import compiled_cache

    variables = template.public_variables
    name_key = name_variable(template)
    switches = {
        f.variable: f.name in set(features) for f in catalogue(template).values()
    }
    given: dict[str, Any] = {}
    for key, value in overrides.items():
        given[key] = _check_override(key, value, variables, switches, name_key)
    given[name_key] = names.project_name
    # The bundled templates take their names as flaskproto derives them; other
    # templates derive theirs as their cookiecutter.json says.
    if template.bundled:
        given.setdefault("project_slug", names.project_slug)
        given.setdefault("package_name", names.package_name)
    given.update(switches)
    start, end = _delimiters(template)
    # What the user gave goes to cookiecutter as a Jinja string literal, which
    # renders to the value itself: data, never evaluated as a template.
    literal = {
        key: _as_literal(value, start, end)
        if not isinstance(variables[key], (list, bool))
        else value
        for key, value in given.items()
    }
    context_file = str(template.path / "cookiecutter.json")
    try:
        raw = generate_context(context_file=context_file, extra_context=given)
        context = generate_context(context_file=context_file, extra_context=literal)
        context["_cookiecutter"] = {
            k: v for k, v in raw["cookiecutter"].items() if not k.startswith("_")
        }
        with compiled_cache(), _template_on_path(template.path):
            values = prompt_for_config(context, no_input=True)
    except CookiecutterException as err:
        cause = getattr(err, "error", None)
        detail = f"{err.message}: {cause.message}" if cause is not None else str(err)
        raise TemplateError(f"template {template.name!r}: {detail}") from err
    except (JinjaError, ValueError) as err:
        raise TemplateError(f"template {template.name!r}: {err}") from err
    # In cookiecutter.json's order, as cookiecutter updates its context.
    context["cookiecutter"].update(values)
    if template.bundled:
        for key, value in values.items():
            check = _CHECKS.get(key)
            if check is not None and isinstance(value, str):
                check(value)
    return context


#: Text Jinja renders as it is: no delimiter, no line break to normalise.
_PLAIN = re.compile(r"[A-Za-z0-9_ .-]*")


def _as_literal(value: object, start: str, end: str) -> object:
    """Return ``value`` as Jinja that renders to it exactly, strings escaped."""
    if isinstance(value, dict):
        return {
            _as_literal(k, start, end): _as_literal(v, start, end)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_as_literal(item, start, end) for item in value]
    if not isinstance(value, str) or _PLAIN.fullmatch(value):
        return value  # Jinja renders it as it is; a dictionary key stays one
    escaped = "".join(
        char if char.isascii() and char.isalnum() else f"\\U{ord(char):08x}"
        for char in value
    )
    return f'{start} "{escaped}" {end}'


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
    key: str,
    value: str,
    variables: Mapping[str, object],
    switches: Mapping[str, bool],
    name_key: str,
) -> object:
    """Return the value ``--set key=value`` gives, as cookiecutter reads it."""
    if key in (*NAME_VARIABLES, name_key):
        raise InvalidInput(f"--set {key}=... is not allowed: {key} is NAME itself")
    if key in switches:
        feature = key.removeprefix(VARIABLE_PREFIX)
        raise InvalidInput(f"--set {key}=... is not allowed: use --with {feature}")
    if key not in variables:
        known = [
            k
            for k in variables
            if k not in (*NAME_VARIABLES, name_key) and k not in switches
        ]
        import difflib

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
    default = variables[key]
    if isinstance(default, bool):
        return _boolean(key, value)
    if isinstance(default, list):
        for option in default:
            if value == str(option):
                return option
        allowed = ", ".join(str(option) for option in default)
        raise InvalidInput(
            f"--set {key}={value}: not one of the template's choices: {allowed}"
        )
    if isinstance(default, dict):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise InvalidInput(
                f"--set {key}: the template's {key} is a dictionary; give a JSON"
                ' object such as {"key": "value"}'
            )
        return parsed
    return value


def _boolean(key: str, value: str) -> bool:
    """Read a yes/no value as cookiecutter does."""
    from cookiecutter.prompt import YesNoPrompt
    from rich.prompt import InvalidResponse

    prompt = YesNoPrompt()
    try:
        return bool(prompt.process_response(value))
    except InvalidResponse:
        yes, no = ", ".join(prompt.yes_choices), ", ".join(prompt.no_choices)
        raise InvalidInput(
            f"--set {key}={value}: not a yes/no value; yes is one of {yes},"
            f" no one of {no}"
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
