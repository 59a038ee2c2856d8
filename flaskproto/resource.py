"""Add a REST resource to a service made by flaskproto, or take one back."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import migrations
from .changes import Change, apply_changes, unified_diff
from .errors import InvalidInput, LocalChanges, NotAService, OutputError
from .fields import (
    Field,
    camel_case,
    check_resource_name,
    parse_field,
    parse_fields,
    plural,
)
from .service import METADATA_FILE, Service, record_text

#: The key of .flaskproto.json under which the added resources are recorded.
RECORD_KEY = "resources"


@dataclass
class ResourceResult:
    """What ``add_resource`` or ``remove_resource`` changed, or would change."""

    path: Path
    resource: str
    url: str
    changes: list[Change]
    dry_run: bool = False
    next_steps: list[str] = field(default_factory=list)

    @property
    def diff(self) -> str:
        return unified_diff(self.changes)

    def files(self, kind: str) -> list[str]:
        return [change.path for change in self.changes if change.kind == kind]

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "resource": self.resource,
            "url": self.url,
            "created": self.files("created"),
            "changed": self.files("changed"),
            "deleted": self.files("deleted"),
            "dry_run": self.dry_run,
            "diff": self.diff,
            "next_steps": self.next_steps,
        }


def add_resource(
    path: str | os.PathLike[str],
    name: str,
    fields: Iterable[str | Field],
    *,
    dry_run: bool = False,
) -> ResourceResult:
    """Add the REST resource ``name`` with ``fields`` to the service at ``path``.

    ``fields`` are ``Field``s or specs such as ``"paid:bool=false"``. Writes the
    resource's module, its tests and, with the db feature, a migration chained
    after the current head; records them in .flaskproto.json. All files are
    written or none. ``dry_run`` changes nothing: the result's ``diff`` shows
    what would change.
    """
    service = _find_service(Path(path))
    check_resource_name(name)
    parsed = [f if isinstance(f, Field) else parse_field(f) for f in fields]
    parsed = parse_fields([f.spec for f in parsed])
    names = _names(name)
    _check_clashes(service, name, names)
    revision, head = _next_revision(service)
    rendered = _render(service, "add", name, names, parsed, revision, head)
    changes = [Change(rel, None, content) for rel, content in rendered.items()]
    for change in changes:
        if (service.root / change.path).exists():
            raise InvalidInput(f"{change.path} exists already; remove it or rename")
    record = dict(service.record)
    record[RECORD_KEY] = {
        **_resources(service),
        name: {
            "plural": names["plural"],
            "url": names["url"],
            "fields": [f.spec for f in parsed],
            "files": {
                rel: _digest(content)
                for rel, content in rendered.items()
                if "/migrations/" not in rel
            },
        },
    }
    changes.append(_record_change(service, record))
    return _finish(service, name, names["url"], changes, dry_run)


def remove_resource(
    path: str | os.PathLike[str],
    name: str,
    *,
    force: bool = False,
    dry_run: bool = False,
) -> ResourceResult:
    """Take back the resource ``name`` that ``add_resource`` added.

    Deletes its module and tests and, with the db feature, adds a migration
    that drops its table (the migration that made it stays: databases have
    run it). Files edited since they were added raise LocalChanges unless
    ``force``.
    """
    service = _find_service(Path(path))
    entry = _resources(service).get(name)
    if not isinstance(entry, dict):
        added = ", ".join(sorted(_resources(service))) or "none"
        raise InvalidInput(
            f"no resource {name!r} was added with flaskproto add; added: {added}"
        )
    changes: list[Change] = []
    edited = []
    for rel, digest in sorted(entry["files"].items()):
        target = service.root / rel
        if not target.is_file():
            continue
        content = target.read_bytes()
        if _digest(content) != digest:
            edited.append(rel)
        changes.append(Change(rel, content, None))
    if edited and not force:
        raise LocalChanges(
            f"edited since flaskproto add resource: {', '.join(edited)};"
            " pass --force to remove them anyway"
        )
    if service.has("db"):
        names = _names(name)
        revision, head = _next_revision(service)
        fields = [parse_field(spec) for spec in entry["fields"]]
        rendered = _render(service, "remove", name, names, fields, revision, head)
        changes.extend(Change(rel, None, content) for rel, content in rendered.items())
    record = dict(service.record)
    record[RECORD_KEY] = {k: v for k, v in _resources(service).items() if k != name}
    changes.append(_record_change(service, record))
    return _finish(service, name, str(entry.get("url", "")), changes, dry_run)


def _finish(
    service: Service, name: str, url: str, changes: list[Change], dry_run: bool
) -> ResourceResult:
    steps = []
    if service.has("db"):
        steps.append(f"flask --app {service.package} --debug db upgrade")
    steps.append("pytest")
    result = ResourceResult(service.root, name, url, changes, dry_run, steps)
    if not dry_run:
        apply_changes(service.root, changes)
    return result


def _find_service(start: Path) -> Service:
    """Return the service holding ``start``, if resources can be added to it."""
    service = Service.find(start)
    if service.template != "service":
        raise NotAService(
            f"{service.root} was made from the template {service.template!r};"
            " resources are added to services made from the service template"
        )
    if not (service.package_dir / "resources" / "__init__.py").is_file():
        raise NotAService(
            f"{service.root} has no src/{service.package}/resources package: it was"
            " made by a flaskproto that could not add resources; flaskproto update"
            " brings it"
        )
    return service


def _resources(service: Service) -> dict[str, Any]:
    """The resources added with flaskproto add, by name, as the record keeps them."""
    resources = service.record.get(RECORD_KEY, {})
    return resources if isinstance(resources, dict) else {}


def _names(name: str) -> dict[str, str]:
    many = plural(name)
    return {"plural": many, "model": camel_case(name), "url": f"/api/{many}"}


_CLASS = re.compile(r"^class (\w+)\b", re.MULTILINE)
_TABLE = re.compile(r"""__tablename__\s*=\s*["'](\w+)["']""")
_PREFIX = re.compile(r"""url_prefix\s*=\s*["']([^"']*)["']""")
_BLUEPRINT = re.compile(r"""Blueprint\(\s*["'](\w+)["']""")


def _check_clashes(service: Service, name: str, names: dict[str, str]) -> None:
    """Raise InvalidInput if the resource's names are taken in the service."""
    if name in _resources(service):
        raise InvalidInput(f"the service has a resource {name!r} already")
    package = service.package_dir
    for module in (
        package / f"{name}.py",
        package / name,
        package / "resources" / f"{name}.py",
    ):
        if module.exists():
            raise InvalidInput(
                f"resource name {name!r} clashes with the module"
                f" {module.relative_to(service.root).as_posix()}"
            )
    test = service.root / "tests" / f"test_{names['plural']}.py"
    if test.exists():
        raise InvalidInput(f"resource name {name!r} clashes with tests/{test.name}")
    sources = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(package.rglob("*.py"))
        if "migrations" not in p.relative_to(package).parts
    )
    tables = set(_TABLE.findall(sources))
    tables.update(str(entry.get("plural")) for entry in _resources(service).values())
    taken = [
        ("model", names["model"], set(_CLASS.findall(sources))),
        ("table", names["plural"], tables),
        ("blueprint", names["plural"], set(_BLUEPRINT.findall(sources))),
    ]
    for kind, value, existing in taken:
        if value in existing:
            raise InvalidInput(
                f"resource name {name!r} clashes with the {kind} {value!r}"
            )
    url = names["url"]
    for prefix in _PREFIX.findall(sources):
        prefix = prefix.rstrip("/")
        if prefix and (url == prefix or url.startswith(prefix + "/")):
            raise InvalidInput(
                f"resource name {name!r}: its route {url} is under the route {prefix}"
            )


def _next_revision(service: Service) -> tuple[str, str]:
    """Return a new revision ID and the current head; ("", "") without db."""
    if not service.has("db"):
        return "", ""
    revisions = migrations.read_revisions(migrations.versions_dir(service.package_dir))
    return migrations.next_id(revisions), migrations.head(revisions)


def _render(
    service: Service,
    operation: str,
    name: str,
    names: dict[str, str],
    fields: list[Field],
    revision: str,
    head: str,
) -> dict[str, bytes]:
    """Render the resource template; return its files by relative path."""
    from .context import extension_path
    from .create import _list_files
    from .generate import generate
    from .templates import load_part, load_template

    values = {
        "project_slug": str(service.context.get("project_slug", "service")),
        "package_name": service.package,
        "with_db": service.has("db"),
        "with_api": service.has("api"),
        "with_auth": service.has("auth"),
        "operation": operation,
        "resource": name,
        "plural": names["plural"],
        "model": names["model"],
        "fields": [f.to_context() for f in fields],
        "revision": revision,
        "down_revision": head,
    }
    # The literal filters live with the service template.
    with extension_path(load_template("service")):
        with tempfile.TemporaryDirectory(prefix="flaskproto-resource-") as scratch:
            part = load_part("resource")
            context = {"cookiecutter": {**part.variables, **values}}
            project = generate(part, context, Path(scratch))
            return {rel: (project / rel).read_bytes() for rel in _list_files(project)}


def _record_change(service: Service, record: dict[str, Any]) -> Change:
    try:
        old = service.record_path.read_bytes()
    except OSError as err:
        raise OutputError(f"cannot read {service.record_path}: {err.strerror}") from err
    return Change(METADATA_FILE, old, record_text(record).encode("utf-8"))


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
