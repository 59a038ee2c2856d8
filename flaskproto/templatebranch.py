"""The template branch: template renders kept beside the user's work.

A service at the top of its repository keeps them on flaskproto/template. A
service in a folder of a larger repository (a monorepo) keeps them on a
branch of its own named after the folder, flaskproto/templates/<folder>,
whose commits hold only that folder: merging one changes nothing else.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .errors import GitError, LocalChanges
from .gitrepo import TEMPLATE_BRANCH, Repository, git_available
from .service import METADATA_FILE, parse_record

ADOPT = "flaskproto update --adopt"
#: The template branches of services in folders of a larger repository.
FOLDER_BRANCHES = "flaskproto/templates"


def name(repo: Repository) -> str:
    """The template branch of the service at ``repo.root``."""
    if not repo.prefix:
        return TEMPLATE_BRANCH
    return f"{FOLDER_BRANCHES}/{repo.prefix.rstrip('/')}"


def _ref(repo: Repository) -> str:
    return f"refs/heads/{name(repo)}"


def open_repository(root: Path) -> Repository:
    """Return the repository of the service at ``root``; GitError if unusable."""
    repo = _repository(root)
    if not repo.succeeds("rev-parse", "--verify", "--quiet", "HEAD"):
        raise GitError(f"{root} has no commit yet: commit the service first")
    branch = repo.run("symbolic-ref", "--quiet", "HEAD", check=False).stdout.strip()
    if branch == _ref(repo):
        raise GitError(
            f"{name(repo)} is checked out in {root}; it holds only the template's"
            " renders: switch to your own branch (git switch -) first"
        )
    return repo


def _repository(root: Path) -> Repository:
    if not git_available():
        raise GitError("git is not on PATH; flaskproto merges template updates with it")
    found = Repository(root).run("rev-parse", "--show-prefix", check=False)
    if found.returncode != 0:
        folder = root.parent
        siblings = [p for p in folder.glob(f"*/{METADATA_FILE}") if p.parent != root]
        # A service beside others is kept in one repository with them.
        where = f"in {folder}, the folder of services," if siblings else "there,"
        raise GitError(
            f"{root} is not a git repository, and updates are merged with git:"
            f" run git init, git add --all and git commit {where} then {ADOPT}"
        )
    repo = Repository(root, found.stdout.strip())
    if repo.prefix:
        checked = repo.run("check-ref-format", "--branch", name(repo), check=False)
        if checked.returncode != 0:
            raise GitError(
                f"the folder {repo.prefix.rstrip('/')!r} cannot name the git branch"
                f" {name(repo)!r}: rename the folder"
            )
    return repo


def start(
    output: Path, folder: str, rendered: Path, author: tuple[str, str], message: str
) -> str:
    """Commit a service rendered for ``output/folder`` as its branch's first render.

    ``output`` is in a repository; the service, rendered in ``rendered``, is
    going into its folder. The person commits it on their own branch; its
    first update takes this render as merged. Returns the branch's name.
    """
    found = _repository(output)
    repo = Repository(output, f"{found.prefix}{folder}/")
    with tempfile.TemporaryDirectory(prefix="flaskproto-start-") as scratch:
        tree = write_tree(repo, rendered, Path(scratch) / "index", {})
    made = repo.run(
        "commit-tree", tree, "-m", message, env=repo.identity(*author)
    ).stdout.strip()
    # A branch left by a service this folder held before is replaced.
    repo.run("update-ref", "-m", "flaskproto new", _ref(repo), made)
    return name(repo)


def exists(repo: Repository) -> bool:
    """Return whether the repository has the template branch."""
    return repo.succeeds("rev-parse", "--verify", "--quiet", _ref(repo))


def tip(repo: Repository) -> str:
    """Return the last commit of the template branch; GitError if there is none."""
    found = repo.run(
        "rev-parse", "--verify", "--quiet", f"{_ref(repo)}^{{commit}}", check=False
    )
    if found.returncode != 0:
        raise GitError(
            f"{repo.root} has no {name(repo)} branch to merge updates from"
            f" (made with --no-git, or by plain cookiecutter): run {ADOPT} once"
        )
    return found.stdout.strip()


def merge_base(repo: Repository, commit: str) -> str:
    """Return the template render last merged into the current branch.

    A service in a folder whose branch was never merged came from the
    branch's first render, which flaskproto new made.
    """
    found = repo.run("merge-base", "HEAD", commit, check=False)
    if found.returncode == 0 and found.stdout.strip():
        return found.stdout.strip()
    if repo.prefix:
        return _first(repo, commit)
    raise GitError(
        f"the current branch shares no history with {name(repo)}; merge it"
        f" once (git merge -s ours --allow-unrelated-histories {name(repo)})"
        " so updates know what was merged already"
    )


def connect(repo: Repository, commit: str, identity: dict[str, str]) -> None:
    """Merge the first render of a folder's branch as it is, if never merged.

    The service was committed from that render, so git's ``ours`` strategy
    records it as merged without changing a file.
    """
    if not repo.prefix or repo.succeeds("merge-base", "HEAD", commit):
        return
    folder = repo.prefix.rstrip("/")
    repo.run(
        "merge", "--quiet", "--no-ff", "-s", "ours", "--allow-unrelated-histories",
        "-m", f"Record {folder} as made from its first template render",
        _first(repo, commit), env=identity,
    )  # fmt: skip


def _first(repo: Repository, commit: str) -> str:
    roots = repo.output("rev-list", "--max-parents=0", commit).split()
    return roots[-1]


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
    tree = repo.run("write-tree", env=env, cwd=directory).stdout.strip()
    if not repo.prefix:
        return tree
    # The render in its folder, and nothing else: a tree of its own index.
    nested = {**env, "GIT_INDEX_FILE": f"{index}-nested"}
    repo.run("read-tree", f"--prefix={repo.prefix}", tree, env=nested, cwd=directory)
    return repo.run("write-tree", env=nested, cwd=directory).stdout.strip()


def record_at(
    repo: Repository, commit: str, env: dict[str, str] | None = None
) -> dict[str, object]:
    """Return the .flaskproto.json of ``commit``, or {} when it has none."""
    # ./ names the record of the service's folder, where git runs.
    shown = repo.run("show", f"{commit}:./{METADATA_FILE}", check=False, env=env)
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
    repo.run("update-ref", "-m", "flaskproto update", _ref(repo), made, parent or "")
    return made


def restore(repo: Repository, made: str, previous: str | None) -> None:
    """Put the branch back where it was before this run moved it to ``made``.

    ``previous`` is "" when this run created the branch, None when it did not
    move it.
    """
    if previous == "":
        repo.run("update-ref", "-d", _ref(repo), made)
    elif previous is not None:
        repo.run("update-ref", _ref(repo), previous, made)
