"""The user's config file of defaults for flaskproto new: find it, read it, check it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InvalidInput

#: Points to the config file, wherever it is.
CONFIG_ENV = "FLASKPROTO_CONFIG"
_KEYS = ("template", "with", "set", "templates")
_AT = re.compile(r"(?P<problem>.*) \(at line (?P<line>\d+), column \d+\)$")


class ConfigError(InvalidInput):
    """The config file cannot be read, or holds what flaskproto cannot use."""


@dataclass(frozen=True)
class UserConfig:
    """The defaults a user keeps in their config file; all empty without one."""

    #: The file read, or None when there is none.
    path: Path | None = None
    #: Default --template: a bundled name, an alias, a directory or a git URL.
    template: str | None = None
    #: Default --with, when the command line gives none.
    features: list[str] | None = None
    #: Default --set values.
    values: dict[str, str] = field(default_factory=dict)
    #: Names usable as --template NAME, and the template each stands for.
    aliases: dict[str, str] = field(default_factory=dict)

    #: The file's text, to find the line of a setting a message is about.
    text: str = field(default="", repr=False)

    def error(self, problem: str, table: str | None, key: str) -> str:
        """A one-line message about ``key``, naming the file and its line."""
        return _located(self.path, self.text, problem, table, key)


def config_path() -> Path:
    """Return where the config file is looked for.

    $FLASKPROTO_CONFIG if set; else flaskproto/config.toml in
    $XDG_CONFIG_HOME, or in ~/.config when that is unset or not absolute.
    """
    pointed = os.environ.get(CONFIG_ENV)
    if pointed:
        return Path(pointed).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".config"
    return base / "flaskproto" / "config.toml"


def load_config(path: Path | None = None) -> UserConfig:
    """Read the config file at ``path`` (default: config_path()); ConfigError if bad.

    A missing file at the default place means no defaults; a missing file
    that FLASKPROTO_CONFIG names is an error.
    """
    explicit = path is not None or bool(os.environ.get(CONFIG_ENV))
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if explicit:
            raise ConfigError(
                f"{path}: no such file (named by ${CONFIG_ENV})"
            ) from None
        return UserConfig()
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
        raise ConfigError(f"{path}: cannot read it: {reason}") from None
    import tomllib  # only when there is a file to read

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = _AT.match(str(err))
        if found:
            problem = found["problem"].rstrip(".")
            raise ConfigError(
                f"{path}, line {found['line']}: not valid TOML: {problem[:1].lower()}"
                f"{problem[1:]}"
            ) from None
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    return _parse(path, text, data)


def _parse(path: Path, text: str, data: dict[str, object]) -> UserConfig:
    def fail(problem: str, table: str | None, key: str) -> ConfigError:
        return ConfigError(_located(path, text, problem, table, key))

    for key in data:
        if key not in _KEYS:
            known = ", ".join(_KEYS)
            raise fail(f"unknown setting {key!r}; known: {known}", None, key)
    template = data.get("template")
    if template is not None and (not isinstance(template, str) or not template):
        raise fail(
            "template must be a template name, directory or URL", None, "template"
        )
    features = data.get("with")
    if isinstance(features, str):
        features = [features]
    if features is not None and not (
        isinstance(features, list) and all(isinstance(f, str) for f in features)
    ):
        raise fail('with must be a list of feature names, such as ["db"]', None, "with")
    values = _table(data, "set", fail)
    aliases = _table(data, "templates", fail)
    from .context import check_value
    from .templates import bundled_template_names

    for key, value in values.items():
        try:
            check_value(key, value)
        except InvalidInput as err:
            raise fail(str(err), "set", key) from None
    bundled = bundled_template_names()
    for name in aliases:
        if name in bundled:
            raise fail(
                f"alias {name!r} would hide the bundled template of that name",
                "templates",
                name,
            )
    return UserConfig(path, template, features, values, aliases, text)


def _table(data: dict[str, object], name: str, fail) -> dict[str, str]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise fail(f"{name} must be a table: [{name}]", None, name)
    for key, value in table.items():
        if not isinstance(value, str):
            raise fail(
                f"{key} in [{name}] must be a string in quotes, not"
                f" {type(value).__name__}",
                name,
                key,
            )
    return dict(table)


def _located(
    path: Path | None, text: str, problem: str, table: str | None, key: str
) -> str:
    line = _line_of(text, table, key)
    return f"{path}, line {line}: {problem}" if line else f"{path}: {problem}"


def _line_of(text: str, table: str | None, key: str) -> int | None:
    """Return the 1-based line that sets ``key`` in ``[table]`` (None: top level)."""
    current: str | None = None
    pattern = re.compile(
        rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*="
    )
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1).strip("\"'")
            if table is None and current == key:
                return number
            continue
        if current == table and pattern.match(line):
            return number
    return None
