"""Update a service from its template: render, commit on flaskproto/template, merge."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import templatebranch as branch
from .create import metadata, plan_project, render_project
from .errors import GitError, MergeConflict
from .features import split_names
from .gitrepo import Repository
from .migrationmerge import MigrationMerge, plan_merge
from .service import METADATA_FILE, Service
from .templates import Template, open_template

#: Every path of the project but its record, which update merges itself.
_FILES = (".", f":(exclude){METADATA_FILE}")


@dataclass(frozen=True)
class Change:
    """A file the template changed: git's status letter (A, M, D) and its path."""

    status: str
    path: str


@dataclass
class UpdateResult:
    """What ``update_project``, ``check_update`` or ``adopt_service`` found or did."""

    path: Path
    #: "current"; "available" (check_update, dry run); "updated"; "conflicts";
    #: "adopted".
    status: str
    template: str
    #: The template version last merged into the service, and the installed one.
    from_version: str | None
    to_version: str | None
    features: list[str]
    #: Features the update switches on that the service did not have.
    added_features: list[str]
    #: What the template changed since the render last merged.
    changes: list[Change] = field(default_factory=list)
    #: Files left with conflict markers (or deleted on one side) to resolve.
    conflicts: list[str] = field(default_factory=list)
    #: The merge commit made in the current branch.
    commit: str | None = None
    #: The template's changes as a git diff (dry run only).
    diff: str = ""
    dry_run: bool = False

    @property
    def current(self) -> bool:
        return self.status == "current"

    @property
    def next_steps(self) -> list[str]:
        """What to type to finish a merge that stopped on conflicts."""
        if not self.conflicts:
            return []
        return [
            "git status",
            "edit each file listed: keep what you want between the conflict markers",
            "git add <file>  (or git rm <file> to keep it deleted)",
            "git commit",
            "or undo the whole update: git merge --abort",
        ]

    def to_dict(self) -> dict[str, object]:
        """Return the result as plain JSON-ready data."""
        data: dict[str, object] = {
            "path": str(self.path),
            "status": self.status,
            "current": self.current,
            "template": self.template,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "features": self.features,
            "added_features": self.added_features,
            "changes": [{"status": c.status, "path": c.path} for c in self.changes],
            "conflicts": self.conflicts,
            "commit": self.commit,
            "dry_run": self.dry_run,
            "next_steps": self.next_steps,
        }
        if self.dry_run:
            data["diff"] = self.diff
        return data


class UpdateConflicts(MergeConflict):
    """The update merged with conflicts; ``result`` lists them."""

    def __init__(self, result: UpdateResult) -> None:
        files = ", ".join(result.conflicts)
        super().__init__(
            f"the update left conflicts to resolve in {files}; resolve them and"
            " git commit, or git merge --abort"
        )
        self.result = result


def _open_template(
    service: Service, template: str | None
) -> AbstractContextManager[Template]:
    """Open ``template``, or else the one the service was made from."""
    if template is not None:
        return open_template(template)
    answers = service.answers
    return open_template(
        answers.template, directory=answers.directory, checkout=answers.checkout
    )


@dataclass(frozen=True)
class _Render:
    template: Template
    record: dict[str, object]
    features: list[str]
    tree: str
    directory: Path


def update_project(
    path: str | os.PathLike[str] = ".",
    *,
    features: Iterable[str] = (),
    dry_run: bool = False,
    template: str | None = None,
) -> UpdateResult:
    """Merge what the template changed since the service last merged it.

    The template (the recorded one, or ``template``) is rendered with the
    recorded answers plus ``features``, committed on the branch
    flaskproto/template and merged into the current branch; the service's work
    tree must be clean. Raises UpdateConflicts (exit 12) when the merge stops on
    conflicts, left in the files as markers. ``dry_run`` writes nothing, the
    diff to merge is in the result.
    """
    service = _open_service(path)
    repo = branch.open_repository(service.root)
    tip = branch.tip(repo)
    if not dry_run:
        branch.require_clean(repo)
        branch.connect(repo, tip, _identity(repo, service))
    with _open_template(service, template) as tmpl, _scratch() as scratch:
        objects = branch.scratch_objects(repo, scratch)
        new = _render(repo, service, tmpl, split_names(features), scratch, objects)
        base = branch.merge_base(repo, tip)
        plan = _plan_migrations(repo, service, new, base, scratch)
        merged = plan.tree(repo, new.tree, base, scratch, objects) if plan else new.tree
        result = _compare(repo, service, base, new, merged, objects)
        result.dry_run = dry_run
        if result.current or dry_run:
            if dry_run and not result.current:
                result.diff = repo.output(
                    "diff", "--relative", base, merged, "--", *_FILES, env=objects
                )
            return result
        previous = None
        if _differs(repo, tip, new, objects):
            # Written again without the scratch object store, to be kept.
            tree = branch.write_tree(repo, new.directory, scratch / "index-kept", {})
            message = _template_message(result)
            identity = _identity(repo, service)
            previous, tip = tip, branch.commit(repo, tree, tip, message, identity)
        return _merge(
            repo, service, new.record, result, made=(tip, previous), migrations=plan
        )


def check_update(
    path: str | os.PathLike[str] = ".", *, template: str | None = None
) -> UpdateResult:
    """Return whether the service is current with the installed template.

    Current means the template rendered with the recorded answers gives the
    files of flaskproto/template, and that branch is merged. Writes nothing.
    """
    service = _open_service(path)
    repo = branch.open_repository(service.root)
    tip = branch.tip(repo)
    with _open_template(service, template) as tmpl, _scratch() as scratch:
        objects = branch.scratch_objects(repo, scratch)
        new = _render(repo, service, tmpl, [], scratch, objects)
        base = branch.merge_base(repo, tip)
        plan = _plan_migrations(repo, service, new, base, scratch)
        merged = plan.tree(repo, new.tree, base, scratch, objects) if plan else new.tree
        result = _compare(repo, service, base, new, merged, objects)
        if not result.current:
            result.status = "available"
        return result


def adopt_service(
    path: str | os.PathLike[str] = ".", *, template: str | None = None
) -> UpdateResult:
    """Give a service without flaskproto/template the branch, keeping its files.

    The template is rendered with the recorded answers and committed as the
    branch's first commit, merged into the current branch with git's ``ours``
    strategy: nothing in the service changes, and later updates bring only
    what the template changes after this render.
    """
    service = _open_service(path)
    repo = branch.open_repository(service.root)
    if branch.exists(repo):
        raise GitError(
            f"{service.root} already has the {branch.name(repo)} branch;"
            " run flaskproto update"
        )
    branch.require_clean(repo)
    with _open_template(service, template) as tmpl, _scratch() as scratch:
        new = _render(repo, service, tmpl, [], scratch, {})
        version = _version(new.record)
        message = f"Render the {tmpl.name} template{version} to adopt it"
        tip = branch.commit(repo, new.tree, None, message, _identity(repo, service))
        result = UpdateResult(
            service.root,
            "adopted",
            tmpl.name,
            None,
            _optional(new.record.get("template_version")),
            new.features,
            [],
        )
        return _merge(repo, service, new.record, result, made=(tip, ""), adopt=True)


def _open_service(path: str | os.PathLike[str]) -> Service:
    service = Service.find(
        path,
        hint=(
            ". A service made by plain cookiecutter needs one: make the same service"
            " with flaskproto new NAME --no-git and your --with and --set answers"
            f" elsewhere, copy its {METADATA_FILE} here, commit it, then run"
            f" {branch.ADOPT}"
        ),
    )
    service.answers  # noqa: B018  (NotAService now rather than halfway through)
    return service


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="flaskproto-update-") as scratch:
        yield Path(scratch)


def _render(
    repo: Repository,
    service: Service,
    tmpl: Template,
    added: list[str],
    scratch: Path,
    objects: dict[str, str],
) -> _Render:
    answers = service.answers
    plan = plan_project(
        tmpl, service.name, answers.overrides, [*answers.features, *added]
    )
    directory = render_project(tmpl, plan, scratch / "render")
    tree = branch.write_tree(repo, directory, scratch / "index", objects)
    return _Render(tmpl, metadata(tmpl, plan), plan.selection.names, tree, directory)


def _compare(
    repo: Repository,
    service: Service,
    base: str,
    new: _Render,
    merged: str,
    objects: dict[str, str],
) -> UpdateResult:
    """Compare the render last merged (``base``) with the new one.

    ``merged`` is the new render's tree with the revisions as the merge
    leaves them (MigrationMerge.tree).
    """
    listed = repo.run(
        "diff-tree", "-r", "-z", "--name-status", "--no-renames", "--relative",
        base, merged, "--", *_FILES, env=objects,
    ).stdout.split("\0")[:-1]  # fmt: skip
    pairs = zip(listed[::2], listed[1::2], strict=True)
    changes = [Change(status, name) for status, name in pairs]
    last = branch.record_at(repo, base)
    from_version = _optional(last.get("template_version"))
    to_version = _optional(new.record.get("template_version"))
    had = last.get("features", service.features)
    had_names = [str(name) for name in had] if isinstance(had, list) else []
    added = [name for name in new.features if name not in had_names]
    current = not changes and from_version == to_version and not added
    return UpdateResult(
        service.root,
        "current" if current else "available",
        new.template.name,
        from_version,
        to_version,
        new.features,
        added,
        changes,
    )


def _differs(repo: Repository, tip: str, new: _Render, objects: dict[str, str]) -> bool:
    """Whether the new render is not already the tip of flaskproto/template."""
    same_files = repo.succeeds(
        "diff-tree", "--quiet", tip, new.tree, "--", *_FILES, env=objects
    )
    tip_record = branch.record_at(repo, tip)
    return not same_files or any(
        tip_record.get(key) != new.record.get(key)
        for key in ("template", "template_version", "features")
    )


def _merge(
    repo: Repository,
    service: Service,
    record: dict[str, object],
    result: UpdateResult,
    *,
    made: tuple[str, str | None],
    adopt: bool = False,
    migrations: MigrationMerge | None = None,
) -> UpdateResult:
    """Merge flaskproto/template into the current branch; record the new answers.

    ``made`` is the branch's tip and, when this run moved it there, where it
    was before ("" when this run created it), to put it back if git cannot merge.
    """
    message = _merge_message(result, adopt)
    strategy = ["-s", "ours", "--allow-unrelated-histories"] if adopt else []
    merge = repo.run(
        "merge", "--no-ff", "--no-commit", *strategy, "-m", message, branch.name(repo),
        check=False, env=_identity(repo, service),
    )  # fmt: skip
    if not repo.succeeds("rev-parse", "--verify", "--quiet", "MERGE_HEAD"):
        # The merge did not start: put the template branch back as it was.
        branch.restore(repo, *made)
        detail = (merge.stderr or merge.stdout).strip().splitlines()
        raise GitError(f"git merge failed: {detail[-1] if detail else 'no message'}")
    _merge_record(repo, service, record)
    if migrations is not None:
        migrations.apply(repo)
    unmerged = repo.run(
        "diff", "-z", "--name-only", "--relative", "--diff-filter=U"
    ).stdout
    result.conflicts = [name for name in unmerged.split("\0") if name]
    if result.conflicts:
        result.status = "conflicts"
        raise UpdateConflicts(result)
    repo.run("commit", "--no-edit", "--quiet", env=_identity(repo, service))
    result.commit = repo.output("rev-parse", "HEAD")
    if not adopt:
        result.status = "updated"
    return result


def _plan_migrations(
    repo: Repository, service: Service, new: _Render, base: str, scratch: Path
) -> MigrationMerge | None:
    """Plan what the merge does to the service's migrations, if it has any."""
    package = service.context.get("package_name")
    if not isinstance(package, str):
        return None  # another template's project, without a package
    return plan_merge(repo, Path("src", package), new.directory, base, scratch)


def _merge_record(
    repo: Repository, service: Service, record: dict[str, object]
) -> None:
    """Write .flaskproto.json: the branch's, with the keys a render writes renewed.

    Keys that other commands keep there (such as the resources added since)
    stay as the branch has them, so the record never conflicts.
    """
    ours = branch.record_at(repo, "HEAD")
    service.write({**ours, **record})
    repo.run("add", "--", METADATA_FILE)


def _identity(repo: Repository, service: Service) -> dict[str, str]:
    return repo.identity(*service.author)


def _template_message(result: UpdateResult) -> str:
    version = f" version {result.to_version}" if result.to_version else ""
    message = f"Render the {result.template} template{version}"
    if result.added_features:
        message += f" with {', '.join(result.added_features)}"
    return message


def _merge_message(result: UpdateResult, adopt: bool) -> str:
    version = f" version {result.to_version}" if result.to_version else ""
    if adopt:
        return f"Adopt the flaskproto {result.template} template{version}"
    if result.added_features:
        names = ", ".join(result.added_features)
        return f"Add {names} from the flaskproto {result.template} template{version}"
    return f"Update to the flaskproto {result.template} template{version}"


def _version(record: dict[str, object]) -> str:
    version = record.get("template_version")
    return f" version {version}" if version else ""


def _optional(value: object) -> str | None:
    return None if value is None else str(value)
