"""A service's Alembic revisions: read their chain, find its head, append to it.

Migrations are append-only: a revision a database may have run is never
edited. New ones (a resource, a feature added by update) go after the head.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidInput


@dataclass(frozen=True)
class Revision:
    """One revision script: its ID, the IDs it follows, and its file."""

    id: str
    downs: frozenset[str]
    path: Path


def versions_dir(package_dir: Path) -> Path:
    """Return the directory of a service package's revision scripts."""
    return package_dir / "migrations" / "versions"


def read_revisions(versions: Path) -> dict[str, Revision]:
    """Return the revisions of the scripts in ``versions`` by ID."""
    revisions: dict[str, Revision] = {}
    for script in sorted(versions.glob("*.py")):
        values = _assignments(script)
        revision = values.get("revision")
        if not isinstance(revision, str):
            continue
        down = values.get("down_revision")
        downs = down if isinstance(down, (tuple, list)) else (down,)
        ids = frozenset(d for d in downs if isinstance(d, str))
        revisions[revision] = Revision(revision, ids, script)
    return revisions


def head(revisions: dict[str, Revision]) -> str:
    """Return the one revision no other follows ("" when there are none).

    InvalidInput when there are several: they must be merged first.
    """
    parents = set().union(*(r.downs for r in revisions.values()))
    heads = sorted(set(revisions) - parents)
    if len(heads) > 1:
        raise InvalidInput(
            f"the migrations have several heads ({', '.join(heads)}); join them"
            " first with flask db merge"
        )
    return heads[0] if heads else ""


def next_id(revisions: dict[str, Revision]) -> str:
    """Return an ID for a new revision: the next number, as 0002 after 0001.

    Revisions named otherwise, such as a feature's auth_0001 or the random
    ones of flask db migrate, do not take part in the count.
    """
    numbers = [int(r) for r in revisions if r.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def line(revisions: dict[str, Revision]) -> list[str]:
    """Return the IDs of a chain without branches, from its first to its head."""
    order: list[str] = []
    current = head(revisions)
    while current in revisions and current not in order:
        order.append(current)
        downs = revisions[current].downs
        current = next(iter(downs)) if len(downs) == 1 else ""
    return order[::-1]


_DOWN = re.compile(r"^down_revision\b.*$", re.MULTILINE)
_REVISES = re.compile(r"^Revises:.*$", re.MULTILINE)


def follow(script: Path, down: str) -> None:
    """Make the revision in ``script`` follow ``down`` (its only predecessor)."""
    text = script.read_text(encoding="utf-8")
    text = _DOWN.sub(lambda _: f'down_revision = "{down}"', text, count=1)
    text = _REVISES.sub(lambda _: f"Revises: {down}", text, count=1)
    script.write_text(text, encoding="utf-8")


def _assignments(script: Path) -> dict[str, object]:
    """Return the constants a migration script assigns at its top level."""
    try:
        tree = ast.parse(script.read_text(encoding="utf-8"), str(script))
    except (OSError, SyntaxError, ValueError) as err:
        raise InvalidInput(f"cannot read the migration {script}: {err}") from None
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target = node.target
        else:
            continue
        if isinstance(target, ast.Name):
            try:
                values[target.id] = ast.literal_eval(node.value)  # type: ignore[arg-type]
            except ValueError:
                continue
    return values
