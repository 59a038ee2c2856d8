"""Serve the application with waitress, as on a device, and ask it over HTTP."""

import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

#: How long to wait for waitress before calling it a failure: far longer than a
#: busy machine needs, since every wait ends as soon as its condition holds.
PATIENCE = 120
SERVING = re.compile(r"Serving on http://127\.0\.0\.1:(\d+)")


@pytest.fixture()
def server(tmp_path):
    """waitress on 127.0.0.1: its base URL once it answers.

    Port 0 lets the system give a free port as waitress binds it, and
    waitress's log says which.
    """
    log_path = tmp_path / "waitress.log"
    env = dict(os.environ, FLASK_SECRET_KEY=secrets.token_hex(32))
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "waitress",
                "--host=127.0.0.1",
                "--port=0",
                "--threads=2",
                "{{ cookiecutter.package_name }}:app",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + PATIENCE
        while not (found := SERVING.search(log_path.read_text())):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"waitress did not start:\n{log_path.read_text()}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{found[1]}"
    finally:
        process.terminate()
        process.wait(timeout=PATIENCE)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_production_server_serves(server):
    assert get(server + "/") == (200, "Hello World!")
    assert get(server + "/healthz")[0] == 200
    assert get(server + "/nowhere")[0] == 404
