"""An update's merge and the service's migrations: kept, left out or appended.

A database may have run any revision the service has, so the merge never
edits one; of the revisions the template brings, migrations.intake decides
which to add and after what.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import migrations
from .gitrepo import Repository


@dataclass(frozen=True)
class MigrationMerge:
    """What the merge does to the service's migrations: append, never edit.

    The service's revisions stay as they are, even where the template now has
    them otherwise. Of the revisions the template brings, those whose tables
    the service's chain already creates are left out, the others chained after
    the service's head in the template's order: so a feature added later
    arrives as revisions after those the service added in the meantime
    (resources, flask db migrate).
    """

    #: The directory of revision scripts, from the service's top.
    versions: str
    #: The directory of the new render.
    rendered: Path
    #: Its scripts in the service's last commit, as git names them.
    existing: list[str]
    intake: migrations.Intake

    def tree(
        self,
        repo: Repository,
        render: str,
        base: str,
        scratch: Path,
        objects: dict[str, str],
    ) -> str:
        """Return the tree ``render`` with the revisions as the merge leaves them.

        The scripts the last merged render (``base``) had stay as it had them,
        and the added ones follow the revisions they are chained after: so a
        diff from ``base`` shows the revisions as they will be written.
        """
        env = {**objects, "GIT_INDEX_FILE": str(scratch / "index-planned")}
        repo.run("read-tree", render, env=env)
        for name in _scripts(repo, render, self.versions, env):
            repo.run("update-index", "--force-remove", "--", name, env=env)
        for entry in _entries(repo, base, self.versions):
            repo.run("update-index", "--add", "--cacheinfo", entry, env=env)
        chained = scratch / "chained"
        chained.mkdir()
        for name, down in self.intake.added:
            script = chained / name
            script.write_bytes((self.rendered / self.versions / name).read_bytes())
            _follow(script, down)
            blob = repo.output("hash-object", "-w", "--", str(script), env=env)
            entry = f"100644,{blob},{repo.prefix}{self.versions}/{name}"
            repo.run("update-index", "--add", "--cacheinfo", entry, env=env)
        return repo.output("write-tree", env=env)

    def apply(self, repo: Repository) -> None:
        """After the merge: put back the service's scripts, add and chain the new."""
        if self.existing:
            repo.run("checkout", "HEAD", "--", *self.existing)
        added = {f"{self.versions}/{name}": down for name, down in self.intake.added}
        for name in _scripts(repo, None, self.versions):
            if name not in added and name not in self.existing:
                repo.run("rm", "-q", "-f", "--", name)
        for name, down in added.items():
            _follow(repo.root / name, down)
            repo.run("add", "--", name)


def plan_merge(
    repo: Repository, package: Path, rendered: Path, base: str, scratch: Path
) -> MigrationMerge | None:
    """Plan the merge of the render in ``rendered`` for the service's HEAD.

    ``package`` is the service's package directory from its top, ``base`` the
    render last merged. None when the render has no revisions.
    """
    versions = migrations.versions_dir(package)
    if not migrations.read_revisions(rendered / versions):
        return None
    ours = scratch / "versions"
    ours.mkdir()
    existing = _scripts(repo, "HEAD", versions.as_posix())
    for name in existing:
        script = ours / Path(name).name
        # ./ : the name is from the service's top, which may be a subfolder.
        script.write_text(repo.run("show", f"HEAD:./{name}").stdout, "utf-8")
    merged = {Path(name).name for name in _scripts(repo, base, versions.as_posix())}
    intake = migrations.intake(ours, rendered / versions, merged)
    return MigrationMerge(versions.as_posix(), rendered, existing, intake)


def _follow(script: Path, down: str) -> None:
    """Chain the revision in ``script`` after ``down`` unless it follows it already."""
    revision = migrations.read_revision(script)
    if down and (revision is None or revision.downs != {down}):
        migrations.follow(script, down)


def _scripts(
    repo: Repository,
    commit: str | None,
    versions: str,
    env: dict[str, str] | None = None,
) -> list[str]:
    """Return the revision scripts in ``versions`` of ``commit``, or of the index."""
    if commit is None:
        listed = repo.run("ls-files", "-z", "--", f"{versions}/", env=env).stdout
    else:
        listed = repo.run(
            "ls-tree", "-z", "--name-only", commit, "--", f"{versions}/", env=env
        ).stdout
    names = dict.fromkeys(name for name in listed.split("\0") if name)
    return [n for n in names if n.endswith(".py") and n.rpartition("/")[0] == versions]


def _entries(repo: Repository, commit: str, versions: str) -> list[str]:
    """Return the revision scripts of ``commit`` as update-index's mode,object,path.

    git names the scripts from the service's top; update-index --cacheinfo
    wants them from the repository's, so the service's prefix comes first.
    """
    scripts = set(_scripts(repo, commit, versions))
    listed = repo.run("ls-tree", "-z", commit, "--", f"{versions}/").stdout
    entries = []
    for line in filter(None, listed.split("\0")):
        info, _, name = line.partition("\t")
        mode, _, blob = info.split(" ")
        if name in scripts:  # update-index takes the path from the top
            entries.append(f"{mode},{blob},{repo.prefix}{name}")
    return entries
