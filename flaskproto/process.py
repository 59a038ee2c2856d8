"""Run the tools flaskproto drives (git, pip, uv, pytest): never reading stdin."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path


def run_quietly(
    command: list[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command``, output captured as text; OSError if it cannot start.

    The tool runs in a process group of its own. On a timeout, Ctrl-C or
    SIGTERM the whole group is killed (git commit, for one, starts
    git maintenance) and the tool waited for before the exception goes on:
    subprocess.run would leave them running while the caller removes the
    directory they write in.
    """
    with subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def last_line(text: str) -> str:
    """The last non-blank line of ``text``, stripped; "" if there is none."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
