"""A service's Alembic revisions: read their chain, find its head, append to it.

Migrations are append-only: a revision a database may have run is never
edited. New ones (a resource, a feature added by update) go after the head.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
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
        revision = read_revision(script)
        if revision is not None:
            revisions[revision.id] = revision
    return revisions


def read_revision(script: Path) -> Revision | None:
    """Return the revision of a script, or None when it assigns no ``revision``."""
    values = _assignments(script)
    revision = values.get("revision")
    if not isinstance(revision, str):
        return None
    down = values.get("down_revision")
    downs = down if isinstance(down, (tuple, list)) else (down,)
    ids = frozenset(d for d in downs if isinstance(d, str))
    return Revision(revision, ids, script)


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


@dataclass(frozen=True)
class Intake:
    """What a service takes in of the revisions a template render brings."""

    #: File name of each revision to add, in the template's order, and the
    #: revision it is to follow ("" for the first of a service that has none:
    #: it keeps its own).
    added: tuple[tuple[str, str], ...]
    #: File names of new revisions whose tables the service's chain already
    #: creates: they are left out.
    covered: tuple[str, ...]


def intake(service: Path, rendered: Path, merged: Iterable[str] = ()) -> Intake:
    """Decide which revisions in ``rendered`` the service's ``service`` takes in.

    A revision the service has (the same file or the same ID) is its own and
    stays as it is; one whose file name is in ``merged``, the scripts of the
    render last merged, was taken in or left out then, and stays so. A new one
    whose tables and columns the service's chain already creates is covered
    and left out: a service made before each feature had revisions of its own
    has one 0001 that creates the tables of every feature it was made with.
    The others follow the service's head, in the template's order.
    InvalidInput for a new revision that creates some of what the chain has
    and some of what it lacks: neither is safe.
    """
    ours = read_revisions(service)
    theirs = read_revisions(rendered)
    names = {script.name for script in service.glob("*.py")} | set(merged)
    made = set(creates(ours))
    previous = head(ours)
    rank = {revision: place for place, revision in enumerate(line(theirs))}
    added: list[tuple[str, str]] = []
    covered: list[str] = []
    for revision in sorted(
        theirs.values(), key=lambda r: (rank.get(r.id, len(rank)), r.id)
    ):
        if revision.id in ours or revision.path.name in names:
            continue
        makes, drops = _schema_changes(revision.path)
        if makes and makes <= made:
            covered.append(revision.path.name)
            continue
        if makes & made:
            raise InvalidInput(
                f"the template's revision {revision.id} creates"
                f" {', '.join(sorted(makes))}, and the service's migrations already"
                f" create {', '.join(sorted(makes & made))} of them: make them create"
                " all or none of these with flask db migrate, then update again"
            )
        added.append((revision.path.name, previous))
        made = _after(made, makes, drops)
        previous = revision.id
    return Intake(tuple(added), tuple(covered))


def creates(revisions: dict[str, Revision]) -> frozenset[str]:
    """Return the tables ("items") and columns ("items.name") a chain leaves made.

    The chain's upgrades are read in order, from its first revision to its
    head: what one creates, a later one may drop.
    """
    made: set[str] = set()
    for revision in line(revisions):
        made = _after(made, *_schema_changes(revisions[revision].path))
    return frozenset(made)


def _after(made: set[str], makes: set[str], drops: set[str]) -> set[str]:
    """Return the tables and columns there are after a revision's changes."""
    kept = {name for name in made if name not in drops}
    return {name for name in kept if name.split(".")[0] not in drops} | makes


def _schema_changes(script: Path) -> tuple[set[str], set[str]]:
    """Return the tables and columns the upgrade of ``script`` creates and drops."""
    tree = ast.parse(script.read_text(encoding="utf-8"), str(script))
    upgrade = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name == "upgrade"
        ),
        None,
    )
    reader = _SchemaReader()
    if upgrade is not None:
        reader.visit(upgrade)
    return reader.created, reader.dropped


class _SchemaReader(ast.NodeVisitor):
    """Collect the Alembic operations of an upgrade on tables and columns.

    Those of ``op`` (create_table, add_column, ...) and of the ``with
    op.batch_alter_table(...) as batch`` blocks, as revision scripts write them.
    """

    def __init__(self) -> None:
        self.created: set[str] = set()
        self.dropped: set[str] = set()
        self._batches: dict[str, str] = {}

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            call = item.context_expr
            name = _call_name(call)
            table = _text(call.args[0]) if isinstance(call, ast.Call) else None
            if name == "batch_alter_table" and table is not None:
                if isinstance(item.optional_vars, ast.Name):
                    self._batches[item.optional_vars.id] = table
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node)
        args = list(node.args)
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        if isinstance(owner, ast.Name) and owner.id in self._batches:
            args.insert(0, ast.Constant(self._batches[owner.id]))
        table = _text(args[0]) if args else None
        if table is not None:
            if name == "create_table":
                self.created.add(table)
                self.created |= {f"{table}.{c}" for c in map(_column, args[1:]) if c}
            elif name == "add_column" and len(args) > 1 and _column(args[1]):
                self.created.add(f"{table}.{_column(args[1])}")
            elif name == "drop_table":
                self.dropped.add(table)
            elif name == "drop_column" and len(args) > 1 and _text(args[1]):
                self.dropped.add(f"{table}.{_text(args[1])}")
        self.generic_visit(node)


def _call_name(node: ast.expr) -> str | None:
    """Return the name a call calls: create_table for op.create_table(...)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _column(node: ast.expr) -> str | None:
    """Return the name of a ``sa.Column("name", ...)`` expression."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return _text(node.args[0]) if called == "Column" else None


def _text(node: ast.expr) -> str | None:
    """Return a string literal's value, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None
