"""Which template, features and values a new project gets, and where each comes from.

Precedence, highest first: the command line, the --replay project, the user's
config file, git's user.name and user.email, the template's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .context import NAME_VARIABLES, check_value
from .errors import InvalidInput
from .features import VARIABLE_PREFIX, catalogue, split_names
from .replay import Answers
from .templates import DEFAULT_TEMPLATE, Template
from .userconfig import ConfigError, UserConfig
from .workspace import PORT_VARIABLES

COMMAND_LINE = "command line"
REPLAY = "--replay"
USER_CONFIG = "user config"
TEMPLATE = "template"
#: The template variables git's user settings give, and their sources' names.
GIT_VARIABLES = {"author_name": "name", "author_email": "email"}


@dataclass(frozen=True)
class Setting:
    """One effective value and where it comes from."""

    value: object
    source: str


@dataclass
class Defaults:
    """What flaskproto new starts from, before any question is asked."""

    template: Setting
    features: Setting
    #: Each variable a user may set, in the template's order: value and source.
    values: dict[str, Setting] = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        """The features to switch on: --with, --replay's, the config file's."""
        value = self.features.value
        return [str(name) for name in value] if isinstance(value, list) else []

    @property
    def overrides(self) -> dict[str, str]:
        """The values not the template's own, to render with as --set values."""
        return {
            key: str(setting.value)
            for key, setting in self.values.items()
            if setting.source != TEMPLATE
        }

    def unused(self, config: UserConfig) -> list[str]:
        """The config file's [set] keys this template has no variable for."""
        return [key for key in config.values if key not in self.values]

    def to_dict(self) -> dict[str, object]:
        settings = {"template": self.template, "with": self.features, **self.values}
        return {
            key: {"value": setting.value, "source": setting.source}
            for key, setting in settings.items()
        }


def choose_template(
    given: str | None, replay: Answers | None, config: UserConfig
) -> Setting:
    """Return the template to render, an alias of the config file resolved."""
    if given:
        chosen = Setting(given, COMMAND_LINE)
    elif replay is not None:
        chosen = Setting(replay.template, REPLAY)
    elif config.template:
        chosen = Setting(config.template, USER_CONFIG)
    else:
        chosen = Setting(DEFAULT_TEMPLATE, TEMPLATE)
    alias = config.aliases.get(str(chosen.value))
    if alias is not None:
        return Setting(alias, f"{chosen.source}, alias {chosen.value!r} of user config")
    return chosen


def resolve(
    template: Template,
    chosen: Setting,
    *,
    given: dict[str, str],
    features: list[str] | None,
    replay: Answers | None,
    config: UserConfig,
    git: dict[str, str],
) -> Defaults:
    """Return the effective features and values for ``template``.

    ``given`` are --set values and ``features`` the --with names (None when no
    --with was given). --with adds to the --replay project's features, and
    replaces the config file's. A config value or git setting for a variable
    the template lacks is not used; a feature the template lacks is an error.
    """
    if replay is not None:
        wanted = Setting([*replay.features, *(features or [])], REPLAY)
    elif features is not None:
        wanted = Setting(features, COMMAND_LINE)
    elif config.features is not None:
        names = split_names(config.features)
        _check_features(template, config, names)
        wanted = Setting(names, USER_CONFIG)
    else:
        wanted = Setting([], TEMPLATE)
    # A service's ports belong to its folder: the new one gets free ones.
    recorded = {
        key: value
        for key, value in (replay.overrides if replay is not None else {}).items()
        if key not in PORT_VARIABLES
    }
    values: dict[str, Setting] = {}
    for key, default in template.public_variables.items():
        if key in NAME_VARIABLES or key.startswith(VARIABLE_PREFIX):
            continue
        if key in given:
            values[key] = Setting(given[key], COMMAND_LINE)
        elif key in recorded:
            values[key] = Setting(recorded[key], REPLAY)
        elif key in config.values:
            values[key] = Setting(config.values[key], USER_CONFIG)
        elif key in GIT_VARIABLES and _usable(key, git.get(GIT_VARIABLES[key])):
            values[key] = Setting(
                git[GIT_VARIABLES[key]], f"git user.{GIT_VARIABLES[key]}"
            )
        else:
            values[key] = Setting(default, TEMPLATE)
    return Defaults(chosen, wanted, values)


def _usable(key: str, value: str | None) -> bool:
    """Whether git's setting is a value the template accepts; others are skipped."""
    if not value:
        return False
    try:
        check_value(key, value)
    except InvalidInput:
        return False
    return True


def _check_features(template: Template, config: UserConfig, names: list[str]) -> None:
    known = catalogue(template)
    unknown = [name for name in names if name not in known]
    if unknown:
        listed = ", ".join(map(repr, unknown))
        raise ConfigError(
            config.error(
                f"with names features template {template.name!r} does not have:"
                f" {listed}; known: {', '.join(known) or 'none'}",
                None,
                "with",
            )
        )
