"""make demo in a fresh copy of the repository: light, and serving what it says."""

import os
import shutil
import signal
import subprocess
import urllib.request

import pytest
from conftest import PIP_ENV, REPO
from helpers import reserved_port, wait_for


def fresh_copy(into):
    """The repository's files as a clone would have them, the work tree's edits in."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.slow
def test_make_demo_installs_only_what_serving_needs_and_serves(tmp_path):
    copy = fresh_copy(tmp_path / "flaskproto")
    log = tmp_path / "demo.log"
    with reserved_port() as port, open(log, "w") as out:
        make = subprocess.Popen(
            ["make", "demo", f"DEMO_PORT={port}"],
            cwd=copy,
            env={**os.environ, **PIP_ENV},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            served = wait_for(
                lambda: make.poll() is None and answers(f"http://127.0.0.1:{port}/"),
                600,
            )
            text = log.read_text()
            assert served, text
        finally:
            os.killpg(make.pid, signal.SIGTERM)
            make.wait(timeout=60)
    assert f"Serving it on http://127.0.0.1:{port} (Ctrl-C to stop)" in text
    assert "Next steps" not in text
    bin_dir = copy / ".venv" / "bin"
    assert (bin_dir / "flaskproto").exists() and (bin_dir / "gunicorn").exists()
    for tool in ("pytest", "mypy", "ruff", "schemathesis", "bandit"):
        assert not (bin_dir / tool).exists(), f"make demo installed {tool}"
