"""The flaskproto/template branch: template renders kept beside the user's work."""

from __future__ import annotations

from pathlib import Path

from .errors import GitError, LocalChanges
from .gitrepo import TEMPLATE_BRANCH, Repository, git_available
from .service import METADATA_FILE, parse_record

REF = f"refs/heads/{TEMPLATE_BRANCH}"
ADOPT = "flaskproto update --adopt"


def open_repository(root: Path) -> Repository:
    """Return the repository of the service at ``root``; GitError if unusable."""
    if not git_available():
        raise GitError("git is not on PATH; flaskproto merges template updates with it")
    repo = Repository(root)
    top = repo.run("rev-parse", "--show-toplevel", check=False)
    if top.returncode != 0:
        raise GitError(
            f"{root} is not a git repository, and updates are merged with git:"
            f" run git init, git add --all and git commit there, then {ADOPT}"
        )
    if Path(top.stdout.strip()).resolve() != root.resolve():
        raise GitError(
            f"{root} is inside the git repository {top.stdout.strip()}; updates"
            " need the service at the top of a repository of its own"
        )
    if not repo.succeeds("rev-parse", "--verify", "--quiet", "HEAD"):
        raise GitError(f"{root} has no commit yet: commit the service first")
    branch = repo.run("symbolic-ref", "--quiet", "HEAD", check=False).stdout.strip()
    if branch == REF:
        raise GitError(
            f"{TEMPLATE_BRANCH} is checked out in {root}; it holds only the template's"
            " renders: switch to your own branch (git switch -) first"
        )
    return repo


def exists(repo: Repository) -> bool:
    """Return whether the repository has the template branch."""
    return repo.succeeds("rev-parse", "--verify", "--quiet", REF)


def tip(repo: Repository) -> str:
    """Return the last commit of the template branch; GitError if there is none."""
    found = repo.run(
        "rev-parse", "--verify", "--quiet", f"{REF}^{{commit}}", check=False
    )
    if found.returncode != 0:
        raise GitError(
            f"{repo.root} has no {TEMPLATE_BRANCH} branch to merge updates from"
            f" (made with --no-git, or by plain cookiecutter): run {ADOPT} once"
        )
    return found.stdout.strip()


def merge_base(repo: Repository, commit: str) -> str:
    """Return the template render last merged into the current branch."""
    found = repo.run("merge-base", "HEAD", commit, check=False)
    if found.returncode != 0 or not found.stdout.strip():
        raise GitError(
            f"the current branch shares no history with {TEMPLATE_BRANCH}; merge it"
            f" once (git merge -s ours --allow-unrelated-histories {TEMPLATE_BRANCH})"
            " so updates know what was merged already"
        )
    return found.stdout.strip()


def require_clean(repo: Repository) -> None:
    """Raise LocalChanges when a merge is under way or files are not committed."""
    if repo.succeeds("rev-parse", "--verify", "--quiet", "MERGE_HEAD"):
        raise LocalChanges(
            f"a merge is in progress in {repo.root}: finish it with git commit,"
            " or undo it with git merge --abort"
        )
    paths = changed_paths(repo)
    if paths:
        more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
        raise LocalChanges(
            f"{repo.root} has uncommitted changes ({paths[0]}{more}): commit or"
            " stash them first, so the update's merge stays apart from your work"
        )


def changed_paths(repo: Repository) -> list[str]:
    """Return the paths git status shows as changed or untracked, as git names them."""
    # -z: entries end in NUL, paths are not quoted, and the status is not
    # stripped off the first entry; a rename's entry is followed by its source.
    fields = repo.run(
        "status", "--porcelain", "-z", "--untracked-files=normal"
    ).stdout.split("\0")
    paths = []
    entries = iter(fields)
    for entry in entries:
        if not entry:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":
            next(entries, None)
    return paths


def scratch_objects(repo: Repository, scratch: Path) -> dict[str, str]:
    """An environment where git writes new objects to ``scratch``, not the repo."""
    objects = scratch / "objects"
    objects.mkdir()
    git_dir = repo.output("rev-parse", "--absolute-git-dir")
    return {
        "GIT_OBJECT_DIRECTORY": str(objects),
        "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(Path(git_dir) / "objects"),
    }


def write_tree(
    repo: Repository, directory: Path, index: Path, objects: dict[str, str]
) -> str:
    """Return the git tree of ``directory``, staged through its own index file.

    The user's index and work tree are not touched.
    """
    git_dir = repo.output("rev-parse", "--absolute-git-dir")
    env = {
        **objects,
        "GIT_DIR": git_dir,
        "GIT_WORK_TREE": str(directory),
        "GIT_INDEX_FILE": str(index),
    }
    repo.run("add", "--all", env=env, cwd=directory)
    return repo.run("write-tree", env=env, cwd=directory).stdout.strip()


def record_at(
    repo: Repository, commit: str, env: dict[str, str] | None = None
) -> dict[str, object]:
    """Return the .flaskproto.json of ``commit``, or {} when it has none."""
    shown = repo.run("show", f"{commit}:{METADATA_FILE}", check=False, env=env)
    return parse_record(shown.stdout) if shown.returncode == 0 else {}


def commit(
    repo: Repository,
    tree: str,
    parent: str | None,
    message: str,
    identity: dict[str, str],
) -> str:
    """Commit ``tree`` on the template branch after ``parent``; return the commit."""
    parents = ["-p", parent] if parent else []
    made = repo.run(
        "commit-tree", tree, *parents, "-m", message, env=identity
    ).stdout.strip()
    # The old value ("" for none) guards against another process moving the branch.
    repo.run("update-ref", "-m", "flaskproto update", REF, made, parent or "")
    return made


def restore(repo: Repository, made: str, previous: str | None) -> None:
    """Put the branch back where it was before this run moved it to ``made``.

    ``previous`` is "" when this run created the branch, None when it did not
    move it.
    """
    if previous == "":
        repo.run("update-ref", "-d", REF, made)
    elif previous is not None:
        repo.run("update-ref", REF, previous, made)
