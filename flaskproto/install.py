"""Install a new project into a virtualenv of its own, with its test extra, and pin
its dependencies with the tools that extra brings."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from .errors import InstallError
from .process import last_line, run_quietly

VENV = ".venv"


def install_project(path: Path, extras: str = "test") -> str:
    """Create ``path/.venv`` and install the project there, editable, with ``extras``.

    Uses uv when it is on PATH, else ``python -m venv`` and pip. Returns the
    tool used. On failure or interruption the half-made virtualenv is removed;
    the project itself stays.
    """
    venv = path / VENV
    if venv.exists():
        raise InstallError(f"{venv} exists already; remove it or install by hand")
    return make_virtualenv(venv, path, extras, editable=True)


def make_virtualenv(venv: Path, project: Path, extras: str, *, editable: bool) -> str:
    """Create the virtualenv ``venv`` and install ``project`` with ``extras`` in it.

    Uses uv when it is on PATH, else ``python -m venv`` and pip; returns the
    tool used. On failure or interruption the half-made virtualenv is removed.
    """
    uv = shutil.which("uv")
    requirement = [*(["-e"] if editable else []), f".[{extras}]"]
    python = str(venv / "bin" / "python")
    if uv is not None:
        tool = "uv"
        commands = [
            [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
            [uv, "pip", "install", "--quiet", "--python", python, *requirement],
        ]
    else:
        tool = "pip"
        commands = [
            [sys.executable, "-m", "venv", str(venv)],
            [
                python,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *requirement,
            ],
        ]
    try:
        for command in commands:
            _run(command, project)
    except BaseException:
        shutil.rmtree(venv, ignore_errors=True)
        raise
    return tool


def lock_project(path: Path, steps: list[str]) -> None:
    """Run the template's lock ``steps`` in ``path``, tools of ``path/.venv`` first.

    The steps write the project's file of pinned dependencies (the service's
    requirements.txt) with a tool its test extra installed.
    """
    bin_dir = path / VENV / "bin"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(path / VENV),
    }
    for step in steps:
        command = shlex.split(step)
        command[0] = shutil.which(command[0], path=str(bin_dir)) or command[0]
        _run(command, path, env, doing="pinning the dependencies")


def _run(
    command: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    doing: str = "installing",
) -> None:
    try:
        result = run_quietly(command, cwd, {"PIP_NO_INPUT": "1", **(env or {})})
    except OSError as err:
        raise InstallError(f"cannot run {command[0]}: {err.strerror}") from err
    if result.returncode != 0:
        detail = last_line(result.stderr or result.stdout) or "no message"
        raise InstallError(f"{doing} failed ({os.path.basename(command[0])}): {detail}")
