"""Ask a person at a terminal for the template variables and the features."""

from __future__ import annotations

import re
from collections.abc import Callable

import click

from .context import NAME_VARIABLES, build_context, check_value
from .errors import FlaskprotoError, InvalidInput
from .features import VARIABLE_PREFIX, Feature, Selection, catalogue, select
from .naming import derive_names
from .templates import Template

#: What the question for NAME says above it.
NAME_HELP = "The service's name, in words: Order Service gives order-service"


def ask_name(check: Callable[[str], object]) -> str:
    """Ask for the project's NAME until ``check`` accepts it (InvalidInput if not).

    ``check`` sees the name before any other question, so a name whose
    directory exists already is asked again at once.
    """

    def accept(value: str) -> str:
        try:
            check(value)
        except FlaskprotoError as err:
            raise click.UsageError(str(err)) from None
        return value.strip()

    click.echo(f"  {NAME_HELP}")
    try:
        return str(click.prompt("project_name", value_proc=accept))
    except click.Abort:
        click.echo()
        raise KeyboardInterrupt from None


def ask(
    template: Template, name: str, context: dict[str, str], features: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Return ``context`` and ``features`` completed by the person's answers.

    Each public text variable of ``template`` but NAME and the feature
    switches is asked for in cookiecutter.json order, then the features. The
    defaults are the values already given (--set, --replay, --with), else the
    template's, with the names derived from NAME. A bad answer is asked again.
    Ctrl-C or Ctrl-D at a question raises KeyboardInterrupt: the command line
    reports it as an interruption (exit 130), before anything is written.
    """
    # Checks NAME and the given values before the first question.
    defaults = build_context(template, derive_names(name), context, features)[
        "cookiecutter"
    ]
    helps = template.variables.get("_help", {})
    answers = dict(context)
    try:
        for key in template.public_variables:
            if key in NAME_VARIABLES or key.startswith(VARIABLE_PREFIX):
                continue
            if not isinstance(defaults.get(key), str):
                continue  # yes/no and dict variables keep their defaults
            if isinstance(helps, dict) and key in helps:
                click.echo(f"  {helps[key]}")
            default = str(defaults[key])
            answers[key] = click.prompt(
                key, default=default, value_proc=_checker(key, default)
            )
        chosen = _ask_features(template, features)
    except click.Abort:
        click.echo()  # the interrupted question's line ends here
        raise KeyboardInterrupt from None
    return answers, chosen


def variable_rows(template: Template) -> list[tuple[str, str]]:
    """Each variable --set can give, with its help and its default, for --help."""
    helps = template.variables.get("_help", {})
    rows = []
    for key, default in template.public_variables.items():
        if key in NAME_VARIABLES or key.startswith(VARIABLE_PREFIX):
            continue
        text = str(helps.get(key, "")) if isinstance(helps, dict) else ""
        if isinstance(default, str) and "{{" in default:
            shown = "derived from NAME"
        else:
            shown = f"default: {default}"
        rows.append((key, f"{text} ({shown})" if text else f"({shown})"))
    return rows


def _checker(key: str, default: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value != default:  # a given value is kept as it is, spaces and all
            value = value.strip()
        try:
            check_value(key, value)
        except InvalidInput as err:
            raise click.UsageError(str(err)) from None
        return value

    return check


def _ask_features(template: Template, given: list[str]) -> list[str]:
    features = catalogue(template)
    if not features:
        return given
    width = max(map(len, features), default=0)
    click.echo("\nFeatures (what a feature requires comes with it):")
    for number, feature in enumerate(features.values(), start=1):
        click.echo(f"  {number:>2}  {_describe(feature, width)}")
    keep = (
        f"Enter keeps {', '.join(given)}, 'none' for none" if given else "Enter: none"
    )
    selection: Selection = click.prompt(
        f"Features, by name or number, separated by spaces or commas ({keep})",
        default=",".join(given),
        show_default=False,
        value_proc=lambda answer: _select(template, list(features), answer),
    )
    if selection.added:
        notes = [f"{name} for {by}" for name, by in selection.added.items()]
        click.echo(f"Added what they require: {', '.join(notes)}")
    return [name for name in selection.names if name not in selection.added]


def _describe(feature: Feature, width: int) -> str:
    requires = f" (requires {', '.join(feature.requires)})" if feature.requires else ""
    return f"{feature.name:<{width}}  {feature.help}{requires}"


def _select(template: Template, names: list[str], answer: str) -> Selection:
    words = [word.lower() for word in re.split(r"[\s,]+", answer) if word]
    if words == ["none"]:
        words = []
    for i, word in enumerate(words):
        if word.isdigit():
            if not 1 <= int(word) <= len(names):
                raise click.UsageError(
                    f"no feature number {word}; choose 1 to {len(names)}"
                )
            words[i] = names[int(word) - 1]
    try:
        return select(template, words)
    except InvalidInput as err:
        raise click.UsageError(str(err)) from None
