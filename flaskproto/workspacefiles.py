"""The workspace's own files: one compose.yaml, kustomization.yaml and CI workflow.

A folder of two or more services of the service template gets, at its top,
a ``compose.yaml`` that runs them all on one PostgreSQL server and a
``kustomization.yaml`` over their ``deploy/k8s``; in a git repository also a
workflow at the repository's top that runs each service's own CI when its
folder changes. They are rendered from the bundled ``workspace`` template;
each service's own workflow is copied beside it, to be run in its folder.
``flaskproto new`` writes them again with each service it adds. What was
written is recorded by hash in ``.flaskproto-workspace.json``: a file edited
since is left as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import gitrepo
from .changes import Change, apply_changes
from .errors import OutputError
from .service import Service
from .templates import DEFAULT_TEMPLATE, load_part
from .workspace import PORT_VARIABLES, Workspace, setting_prefix, url_setting

#: The record of the files written: their paths from the workspace, and hashes.
RECORD_FILE = ".flaskproto-workspace.json"
#: A service's own workflow, which the workspace's runs in the service's folder.
SERVICE_WORKFLOW = ".github/workflows/ci.yml"
#: Where the workspace template puts the workflow; it goes to the repository's top.
_WORKFLOW = ".github/workflows/services.yml"
#: A service workflow's trigger, ``on:`` with its indented lines, and its jobs.
_ON = re.compile(r"^on:.*\n(?:[ \t]+.*\n)*", re.MULTILINE)
_JOBS = re.compile(r"^jobs:", re.MULTILINE)


@dataclass
class WorkspaceFiles:
    """What ``refresh`` wrote at the workspace's top, and what it left alone."""

    root: Path
    #: Paths from the workspace folder, POSIX style.
    written: list[str] = field(default_factory=list)
    #: Files changed since flaskproto wrote them, or not written by it: kept.
    kept: list[str] = field(default_factory=list)
    #: One line for each file kept, and each service left out of the CI.
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"written": self.written, "kept": self.kept, "notes": self.notes}


def refresh(root: Path) -> WorkspaceFiles:
    """Write the workspace files of the folder ``root`` with every service in it.

    Nothing is written for a service alone, or for a folder without services
    of the service template. Every file is written or none (OutputError).
    """
    result = WorkspaceFiles(root)
    # Resolved, to be compared with the repository's top as git gives it.
    workspace = Workspace.at(os.path.realpath(root))
    members = [s for s in workspace.services if s.template == DEFAULT_TEMPLATE]
    if len(workspace.services) < 2 or not members:
        return result
    taken = _taken_names(members)
    if taken:
        result.notes.append(
            f"the workspace's files were not written: {taken}; rename the service"
        )
        return result
    top = _repository_top(workspace.root)
    wanted = _render(workspace.root, members, top, result)
    recorded = _read_record(workspace.root)
    record: dict[str, str] = {}
    changes: list[Change] = []
    base = top or workspace.root
    for rel, content in wanted.items():
        target = workspace.root / rel
        old = _read(target)
        if old is not None and old != content and recorded.get(rel) != _digest(old):
            result.kept.append(rel)
            if rel in recorded:
                record[rel] = recorded[rel]
                why = "was changed since flaskproto wrote it"
            else:
                why = "was not written by flaskproto"
            result.notes.append(f"{rel} {why}; left as it is")
            continue
        record[rel] = _digest(content)
        if old != content:
            path = Path(os.path.relpath(target, base)).as_posix()
            changes.append(Change(path, old, content))
            result.written.append(rel)
    if record != recorded:
        old_record = _read(workspace.root / RECORD_FILE)
        text = json.dumps({"files": record}, indent=2) + "\n"
        path = Path(os.path.relpath(workspace.root / RECORD_FILE, base)).as_posix()
        changes.append(Change(path, old_record, text.encode()))
    apply_changes(base, changes)
    return result


def _render(
    root: Path, members: list[Service], top: Path | None, result: WorkspaceFiles
) -> dict[str, bytes]:
    """The workspace's files by path from ``root``, the services' workflows too."""
    from .create import _list_files
    from .generate import generate

    stem = _workflow_stem(root, top)
    workflows = top / ".github" / "workflows" if top is not None else None
    services: list[dict[str, Any]] = []
    wanted: dict[str, bytes] = {}
    for service in members:
        folder = service.root.name
        entry = {
            "folder": folder,
            "path": _from(top or root, service.root),
            "slug": service.slug,
            "package": service.package,
            "port": str(service.port or PORT_VARIABLES["port"]),
            "url_setting": url_setting(folder),
            "secret_setting": setting_prefix(folder) + "_SECRET_KEY",
            "db": service.has("db"),
            "k8s": (service.root / "deploy" / "k8s" / "kustomization.yaml").is_file(),
            "workflow": f"{stem}-{folder}.yml",
            "ci": False,
        }
        if workflows is not None and (service.root / SERVICE_WORKFLOW).is_file():
            copy = _run_in_folder(service, str(entry["path"]))
            if copy is None:
                result.notes.append(
                    f"{folder} is left out of the workspace's CI: its"
                    f" {SERVICE_WORKFLOW} has no top-level on: and jobs:, or has"
                    " defaults: of its own"
                )
            else:
                entry["ci"] = True
                wanted[_from(root, workflows / str(entry["workflow"]))] = copy
        services.append(entry)
    values = {
        "workspace": root.name,
        "services": services,
        "with_db": any(s["db"] for s in services),
        "with_k8s": any(s["k8s"] for s in services),
        "with_ci": any(s["ci"] for s in services),
    }
    part = load_part("workspace")
    context = {"cookiecutter": {**part.variables, **values}}
    with tempfile.TemporaryDirectory(prefix="flaskproto-workspace-") as scratch:
        rendered = generate(part, context, Path(scratch))
        for rel in _list_files(rendered):
            content = (rendered / rel).read_bytes()
            if rel == _WORKFLOW and workflows is not None:
                rel = _from(root, workflows / f"{stem}.yml")
            wanted[rel] = content
    return dict(sorted(wanted.items()))


def _taken_names(members: list[Service]) -> str:
    """Which service has a name the files give to something else, or ''."""
    others = {"db": "the PostgreSQL service", "databases": "the databases job"}
    others["changes"] = "the workflow's first job"
    for service in members:
        if service.has("db"):
            others[f"{service.root.name}-migrate"] = f"{service.root.name}'s migrations"
    for service in members:
        if service.root.name in others:
            return (
                f"the service in {service.root} is named as compose.yaml or the"
                f" workflow names {others[service.root.name]}"
            )
    return ""


def _run_in_folder(service: Service, path: str) -> bytes | None:
    """The service's own workflow, made to be called and to run in ``path``.

    None when it is not laid out as flaskproto made it: one top-level ``on:``
    and ``jobs:``, and no ``defaults:`` of its own.
    """
    try:
        text = (service.root / SERVICE_WORKFLOW).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if (
        len(_ON.findall(text)) != 1
        or len(_JOBS.findall(text)) != 1
        or re.search(r"^defaults:", text, re.MULTILINE)
    ):
        return None
    text = _ON.sub("on:\n  workflow_call:\n", text)
    text = _JOBS.sub(
        "# Run in the service's folder, as in its own repository.\n"
        f"defaults:\n  run:\n    working-directory: {path}\n\njobs:",
        text,
    )
    header = (
        f"# A copy of {path}/{SERVICE_WORKFLOW},\n"
        "# run in the service's folder when the workspace's workflow calls it.\n"
        "# flaskproto new copies it again with each service it adds, unless this\n"
        "# copy was changed since.\n"
    )
    return (header + text).encode("utf-8")


def _workflow_stem(root: Path, top: Path | None) -> str:
    """The workspace workflow's file name without .yml: services at the top."""
    if top is None or top == root:
        return "services"
    where = Path(os.path.relpath(root, top)).as_posix()
    return re.sub(r"[^A-Za-z0-9_.-]", "-", where) + "-services"


def _repository_top(root: Path) -> Path | None:
    """The top of the git repository ``root`` is part of; None outside one."""
    if not gitrepo.git_available() or not gitrepo.inside_work_tree(root):
        return None
    repo = gitrepo.Repository(root)
    if repo.succeeds("check-ignore", "--quiet", "."):
        return None
    top = repo.run("rev-parse", "--show-toplevel", check=False).stdout.strip()
    return Path(os.path.realpath(top)) if top else None


def _read_record(root: Path) -> dict[str, str]:
    content = _read(root / RECORD_FILE)
    try:
        data = json.loads(content or b"{}")
    except ValueError:
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {str(k): str(v) for k, v in files.items()}


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise OutputError(f"cannot read {path}: {err.strerror}") from err


def _from(root: Path, path: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
