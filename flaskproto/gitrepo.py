"""Make the initial git commit of a new project."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .errors import GitError
from .process import last_line, run_quietly

INITIAL_MESSAGE = "Create the project with flaskproto"


def git_available() -> bool:
    """Return whether git is on PATH."""
    return shutil.which("git") is not None


def inside_work_tree(path: Path) -> bool:
    """Return whether ``path`` is inside an existing git work tree."""
    result = _run(["rev-parse", "--is-inside-work-tree"], path, check=False)
    return result.returncode == 0 and result.stdout.strip() == "true"


def initial_commit(path: Path, author_name: str, author_email: str) -> None:
    """Init a repository at ``path`` and commit everything in it.

    The user's own git identity is used when they have one; otherwise the
    project's author. Commit hooks and signing are skipped: the commit holds
    only what flaskproto wrote.
    """
    env = {
        "GIT_AUTHOR_NAME": author_name,
        "GIT_AUTHOR_EMAIL": author_email,
        "GIT_COMMITTER_NAME": author_name,
        "GIT_COMMITTER_EMAIL": author_email,
    }
    if _run(["config", "user.email"], path, check=False).returncode == 0:
        env = {}
    _run(["init", "--quiet"], path)
    _run(["add", "--all"], path)
    _run(
        [
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            INITIAL_MESSAGE,
        ],
        path,
        extra_env=env,
    )


def _run(
    args: list[str],
    cwd: Path,
    *,
    check: bool = True,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    try:
        env = {**(extra_env or {}), "GIT_TERMINAL_PROMPT": "0"}
        result = run_quietly(["git", *args], cwd, env)
    except OSError as err:
        raise GitError(f"cannot run git: {err}; pass --no-git to skip it") from err
    if check and result.returncode != 0:
        detail = last_line(result.stderr) or "no message"
        raise GitError(f"git {args[0]} failed: {detail}; pass --no-git to skip it")
    return result
