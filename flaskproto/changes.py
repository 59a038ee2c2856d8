"""Changes to a project's files: shown as a unified diff, applied all or nothing."""

from __future__ import annotations

import difflib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputError


@dataclass(frozen=True)
class Change:
    """One file's change; ``old`` is None for a new file, ``new`` for a deleted one."""

    path: str  # relative to the project, POSIX style
    old: bytes | None
    new: bytes | None

    @property
    def kind(self) -> str:
        if self.old is None:
            return "created"
        return "deleted" if self.new is None else "changed"


def unified_diff(changes: Iterable[Change]) -> str:
    """Return every change as one unified diff, ``git apply``-able from the root."""
    out: list[str] = []
    for change in changes:
        old = _lines(change.old)
        new = _lines(change.new)
        out.extend(
            difflib.unified_diff(
                old,
                new,
                "/dev/null" if change.old is None else f"a/{change.path}",
                "/dev/null" if change.new is None else f"b/{change.path}",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def _lines(content: bytes | None) -> list[str]:
    if content is None:
        return []
    return content.decode("utf-8").splitlines(keepends=True)


def apply_changes(root: Path, changes: list[Change]) -> None:
    """Make every change under ``root``, or none of them.

    New contents are first written to temporary files beside their targets;
    then each target is renamed aside and its new file renamed in. Any failure,
    Ctrl-C included, puts every file back as it was before raising.
    """
    token = secrets.token_hex(4)
    staged: dict[str, Path] = {}
    made_dirs: list[Path] = []
    started: list[Change] = []
    try:
        for change in changes:
            target = root / change.path
            if change.new is not None:
                made_dirs.extend(_make_parents(target.parent))
                staged[change.path] = temp = _aside(target, token, "new")
                temp.write_bytes(change.new)
        for change in changes:
            target = root / change.path
            started.append(change)
            if change.old is not None:
                os.replace(target, _aside(target, token, "old"))
            if change.new is not None:
                os.replace(staged[change.path], target)
    except BaseException as err:
        # Each step is a rename, so what is on disk tells how far it got.
        for change in reversed(started):
            target = root / change.path
            backup = _aside(target, token, "old")
            if backup.exists():
                os.replace(backup, target)
            elif change.old is None:
                target.unlink(missing_ok=True)
        for temp in staged.values():
            temp.unlink(missing_ok=True)
        for directory in reversed(made_dirs):
            _remove_if_empty(directory)
        if isinstance(err, OSError):
            raise OutputError(
                f"cannot write in {root}: {err}; nothing was changed"
            ) from err
        raise
    for change in changes:
        if change.old is not None:
            _aside(root / change.path, token, "old").unlink(missing_ok=True)


def _aside(target: Path, token: str, kind: str) -> Path:
    """The hidden file beside ``target`` that holds its new or old content."""
    return target.with_name(f".{target.name}.{token}.{kind}")


def _make_parents(directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents; return those it made."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir()
    return list(reversed(missing))


def _remove_if_empty(directory: Path) -> None:
    try:
        directory.rmdir()
    except OSError:
        pass
