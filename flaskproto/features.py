"""The optional features of a template: what they add and what they require."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .errors import InvalidInput, TemplateError
from .templates import Template

#: Template variable that switches a feature on: ``with_db`` for ``db``.
VARIABLE_PREFIX = "with_"


@dataclass(frozen=True)
class Feature:
    """One entry of a template's ``_features`` catalogue in cookiecutter.json."""

    name: str
    help: str
    packages: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()

    @property
    def variable(self) -> str:
        return VARIABLE_PREFIX + self.name

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "help": self.help,
            "packages": list(self.packages),
            "requires": list(self.requires),
        }


@dataclass
class Selection:
    """The features a project gets, in catalogue order."""

    names: list[str]
    #: Features added because another one needs them: name -> the one needing it.
    added: dict[str, str] = field(default_factory=dict)


def catalogue(template: Template) -> dict[str, Feature]:
    """Return the features ``template`` declares, in the order it lists them."""
    raw = template.variables.get("_features", {})
    if not isinstance(raw, dict):
        raise TemplateError(
            f"_features of template {template.name!r} must be an object"
        )
    features = {}
    for name, spec in raw.items():
        try:
            features[name] = Feature(
                name,
                str(spec["help"]),
                tuple(spec.get("packages", ())),
                tuple(spec.get("requires", ())),
            )
        except (KeyError, TypeError) as err:
            raise TemplateError(
                f"feature {name!r} of template {template.name!r} is malformed: {err}"
            ) from err
        if features[name].variable not in template.variables:
            raise TemplateError(
                f"template {template.name!r} lists feature {name!r} but has no"
                f" {features[name].variable!r} variable"
            )
    return features


def refusals(template: Template) -> dict[str, str]:
    """Return the features ``template`` leaves out on purpose, each with the reason."""
    raw = template.variables.get("_refused_features", {})
    if not isinstance(raw, dict):
        raise TemplateError(
            f"_refused_features of template {template.name!r} must be an object"
        )
    return {str(name): str(reason) for name, reason in raw.items()}


def split_names(values: Iterable[str]) -> list[str]:
    """Split repeated, comma-separated ``--with`` values into names, in order."""
    names: list[str] = []
    for value in values:
        for name in value.split(","):
            name = name.strip().lower()
            if name and name not in names:
                names.append(name)
    return names


def select(template: Template, requested: list[str]) -> Selection:
    """Return ``requested`` and what it requires; InvalidInput on an unknown name."""
    features = catalogue(template)
    reasons = refusals(template)
    for name in requested:
        if name not in features and name in reasons:
            raise InvalidInput(
                f"the {template.name} template has no {name!r} feature: {reasons[name]}"
            )
    unknown = [name for name in requested if name not in features]
    if unknown:
        raise InvalidInput(_unknown(unknown, features))
    chosen: set[str] = set()
    added: dict[str, str] = {}
    pending = [(name, "") for name in requested]
    while pending:
        name, needed_by = pending.pop()
        if name in chosen:
            continue
        chosen.add(name)
        if needed_by:
            added[name] = needed_by
        pending.extend((required, name) for required in features[name].requires)
    for name in requested:
        added.pop(name, None)
    return Selection([name for name in features if name in chosen], added)


def _unknown(names: list[str], features: dict[str, Feature]) -> str:
    """Name every unknown feature, each with the known one it is closest to."""
    import difflib

    described = []
    for name in names:
        close = difflib.get_close_matches(name, list(features), n=1)
        described.append(
            f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name)
        )
    known = ", ".join(features) or "none"
    what = "feature" if len(names) == 1 else "features"
    return f"unknown {what} {', '.join(described)}; known features: {known}"
