"""Run git: the initial commit and template branch of a new project, and updates."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .errors import GitError
from .process import last_line, run_quietly

INITIAL_MESSAGE = "Create the project with flaskproto"
#: The branch holding the pristine renders of the template that updates merge.
TEMPLATE_BRANCH = "flaskproto/template"


def git_available() -> bool:
    """Return whether git is on PATH."""
    return shutil.which("git") is not None


def inside_work_tree(path: Path) -> bool:
    """Return whether ``path`` is inside an existing git work tree."""
    result = Repository(path).run("rev-parse", "--is-inside-work-tree", check=False)
    return result.returncode == 0 and result.stdout.strip() == "true"


def user_identity(where: Path) -> dict[str, str]:
    """Return git's user.name and user.email for ``where`` (those set), by name."""
    if not git_available():
        return {}
    repo = Repository(where)
    found = {}
    for key in ("name", "email"):
        result = repo.run("config", "--get", f"user.{key}", check=False)
        if result.returncode == 0 and result.stdout.strip():
            found[key] = result.stdout.strip()
    return found


def initial_commit(path: Path, author_name: str, author_email: str) -> None:
    """Init a repository at ``path`` and commit everything in it.

    The commit is also the first of the branch ``flaskproto/template``, where
    ``flaskproto update`` commits later renders of the template to merge.
    The user's own git identity is used when they have one; otherwise the
    project's author. Commit hooks and signing are skipped: the commit holds
    only what flaskproto wrote.
    """
    repo = Repository(path)
    try:
        env = repo.identity(author_name, author_email)
        repo.run("init", "--quiet")
        repo.run("add", "--all")
        repo.run("commit", "--quiet", "--no-verify", "-m", INITIAL_MESSAGE, env=env)
        repo.run("branch", TEMPLATE_BRANCH)
    except GitError as err:
        raise GitError(f"{err}; pass --no-git to skip it") from err


#: No signing, no hooks, and no background maintenance left running after a
#: command: what flaskproto commits holds only what it wrote, and a signal
#: that stops flaskproto stops all of git with it.
_SETTINGS = (
    "-c",
    "commit.gpgsign=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "maintenance.auto=false",
)


class Repository:
    """git in the work tree ``root``: never prompting, no hooks, no signing."""

    def __init__(self, root: Path, prefix: str = "") -> None:
        self.root = root
        #: Where ``root`` is in the repository, as "services/orders/" ("" at the top).
        self.prefix = prefix

    def run(
        self,
        *args: str,
        check: bool = True,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``git args``; GitError if it cannot start, or fails under ``check``."""
        try:
            result = run_quietly(
                ["git", *_SETTINGS, *args],
                cwd or self.root,
                {**(env or {}), "GIT_TERMINAL_PROMPT": "0"},
            )
        except OSError as err:
            raise GitError(f"cannot run git: {err}") from err
        if check and result.returncode != 0:
            detail = last_line(result.stderr) or "no message"
            raise GitError(f"git {args[0]} failed in {self.root}: {detail}")
        return result

    def output(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run ``git args`` and return its stdout, stripped."""
        return self.run(*args, env=env).stdout.strip()

    def succeeds(self, *args: str, env: dict[str, str] | None = None) -> bool:
        """Return whether ``git args`` exits 0."""
        return self.run(*args, check=False, env=env).returncode == 0

    def identity(self, name: str, email: str) -> dict[str, str]:
        """The environment that makes commits as the user, or else as ``name``."""
        if self.succeeds("config", "user.email"):
            return {}
        return {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }
