"""A service made by flaskproto: where it is, and its record, .flaskproto.json."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import NotAService, OutputError
from .naming import Names
from .replay import Answers, parse_answers

#: The record flaskproto writes at the top of every project it makes: how the
#: project was made (template, features, answers) and what was added since.
METADATA_FILE = ".flaskproto.json"


@dataclass(frozen=True)
class Service:
    """A project flaskproto made: its top directory and its record."""

    root: Path
    record: dict[str, Any]

    @classmethod
    def find(cls, start: str | os.PathLike[str] = ".", *, hint: str = "") -> Service:
        """Return the service holding ``start``: it or a parent has the record.

        NotAService when there is none; ``hint`` is added to that message.
        """
        begin = Path(os.path.abspath(os.fspath(start)))
        if not begin.is_dir():
            raise NotAService(f"{begin} is not a directory")
        for directory in (begin, *begin.parents):
            if (directory / METADATA_FILE).is_file():
                return cls.at(directory)
        raise NotAService(
            f"{begin} is not inside a service made by flaskproto"
            f" (no {METADATA_FILE} here or above){hint}"
        )

    @classmethod
    def at(cls, root: str | os.PathLike[str]) -> Service:
        """Return the service whose record is in ``root``; NotAService if unreadable."""
        top = Path(os.path.abspath(os.fspath(root)))
        path = top / METADATA_FILE
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise NotAService(f"cannot read {path}: {err.strerror}") from None
        except ValueError as err:
            raise NotAService(f"{path} is not one flaskproto wrote: {err}") from None
        if not isinstance(record, dict) or not isinstance(record.get("context"), dict):
            raise NotAService(f"{path} is not one flaskproto wrote: it has no context")
        return cls(top, record)

    @property
    def record_path(self) -> Path:
        return self.root / METADATA_FILE

    @property
    def context(self) -> dict[str, Any]:
        """The template variables the service was rendered with."""
        context: dict[str, Any] = self.record["context"]
        return context

    @property
    def template(self) -> str:
        return str(self.record.get("template"))

    @property
    def template_version(self) -> str | None:
        version = self.record.get("template_version")
        return None if version is None else str(version)

    @property
    def features(self) -> list[str]:
        """The features switched on, in the template's order."""
        features = self.record.get("features", [])
        return [str(name) for name in features] if isinstance(features, list) else []

    def has(self, feature: str) -> bool:
        return bool(self.context.get(f"with_{feature}"))

    @property
    def name(self) -> str:
        """NAME as given to flaskproto new, such as "Order Service"."""
        return self._value(str(self.record.get("name_variable", "project_name")))

    @property
    def slug(self) -> str:
        """The directory and distribution name, such as order-service."""
        return self._value("project_slug")

    @property
    def package(self) -> str:
        """The Python package, such as order_service."""
        return self._value("package_name")

    @property
    def names(self) -> Names:
        return Names(self.name, self.slug, self.package)

    @property
    def package_dir(self) -> Path:
        return self.root / "src" / self.package

    @property
    def port(self) -> int | None:
        """The port gunicorn and compose use by default, when the template has one."""
        return _port(self.context.get("port"))

    @property
    def dev_port(self) -> int | None:
        """The port of ``flask run``, when the template sets one."""
        return _port(self.context.get("dev_port"))

    @property
    def answers(self) -> Answers:
        """What flaskproto new was given: template, features, --set values."""
        try:
            return parse_answers(self.record)
        except ValueError:
            raise NotAService(
                f"{self.record_path} is not a {METADATA_FILE} written by this"
                " flaskproto"
            ) from None

    @property
    def author(self) -> tuple[str, str]:
        """The author's name and e-mail address, for commits made for the service."""
        return (
            str(self.context.get("author_name") or "flaskproto"),
            str(self.context.get("author_email") or "flaskproto@localhost"),
        )

    def write(self, record: dict[str, Any]) -> Service:
        """Write ``record`` as the service's record; return the service with it."""
        write_record(self.root, record)
        return Service(self.root, record)

    def _value(self, key: str) -> str:
        value = self.context.get(key)
        if not isinstance(value, str) or not value:
            raise NotAService(f"{self.record_path} records no {key}")
        return value


def record_text(record: dict[str, Any]) -> str:
    """The text of a record as flaskproto writes it."""
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def parse_record(text: str) -> dict[str, Any]:
    """The record in ``text``, or {} when it holds none."""
    try:
        record = json.loads(text)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def write_record(root: Path, record: dict[str, Any]) -> None:
    """Write ``record`` into the project directory ``root``."""
    try:
        (root / METADATA_FILE).write_text(record_text(record), encoding="utf-8")
    except OSError as err:
        raise OutputError(f"cannot write {root / METADATA_FILE}: {err}") from err


def _port(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
