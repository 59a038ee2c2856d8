"""How a project was made: the one-line command, and making another the same way."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InvalidInput
from .features import VARIABLE_PREFIX, Selection
from .naming import Names, slugify
from .templates import Template


@dataclass(frozen=True)
class Answers:
    """What a project was made from: its template, features and set variables."""

    template: str
    features: list[str]
    #: Variables given with --set (those that differ from the template's defaults).
    overrides: dict[str, str]
    #: --directory and --checkout of a template in a repository.
    directory: str | None = None
    checkout: str | None = None


def answers_for(
    template: Template,
    names: Names,
    selection: Selection,
    values: Mapping[str, object],
    given: Mapping[str, str],
    name_key: str = "project_name",
) -> Answers:
    """Return the answers that, with the same NAME, make this project again.

    They are the ``given`` values (--set, answers to questions) that differ
    from what the template would make of NAME alone.
    """
    derived = {
        "project_slug": slugify(names.project_name),
        "package_name": slugify(names.project_name).replace("-", "_"),
    }
    overrides = {}
    for key, default in template.public_variables.items():
        if key in ("project_name", name_key) or key not in given:
            continue
        if template.bundled and key.startswith(VARIABLE_PREFIX):
            continue
        value = given[key]
        expected = derived.get(key, default) if template.bundled else default
        if value != str(expected) or not isinstance(values.get(key), str):
            overrides[key] = value
    asked = [name for name in selection.names if name not in selection.added]
    return Answers(
        template.name, asked, overrides, template.directory, template.checkout
    )


def command_line(project_name: str, answers: Answers) -> str:
    """Return the ``flaskproto new`` command that makes the project again."""
    words = ["flaskproto", "new", project_name]
    if answers.template != "service":
        words += ["--template", answers.template]
    if answers.directory is not None:
        words += ["--directory", answers.directory]
    if answers.checkout is not None:
        words += ["--checkout", answers.checkout]
    if answers.features:
        words += ["--with", ",".join(answers.features)]
    for key, value in answers.overrides.items():
        words += ["--set", f"{key}={value}"]
    return shlex.join(words)


def load_answers(path: str | Path) -> Answers:
    """Read the answers recorded in a project's .flaskproto.json.

    ``path`` is the file, or the project directory holding it.
    """
    from .service import METADATA_FILE  # service imports this module

    record = Path(path)
    if record.is_dir():
        record = record / METADATA_FILE
    try:
        return parse_answers(json.loads(record.read_text(encoding="utf-8")))
    except OSError as err:
        raise InvalidInput(f"--replay {record}: {err.strerror}") from None
    except ValueError:
        raise InvalidInput(
            f"--replay {record}: not a .flaskproto.json written by this flaskproto"
        ) from None


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def parse_answers(record: Any) -> Answers:
    """The answers in a parsed .flaskproto.json; ValueError if it holds none."""
    try:
        answers = record["answers"]
        return Answers(
            str(record["template"]),
            [str(name) for name in answers["features"]],
            {str(k): str(v) for k, v in answers["overrides"].items()},
            _optional(answers.get("directory")),
            _optional(answers.get("checkout")),
        )
    except (KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"no answers recorded: {err}") from None
