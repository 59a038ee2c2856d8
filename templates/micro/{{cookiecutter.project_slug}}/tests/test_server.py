"""Serve the application with waitress, as on a device, and ask it over HTTP."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

DEADLINE = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def server():
    port = free_port()
    env = dict(os.environ, FLASK_SECRET_KEY=secrets.token_hex(32))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "waitress",
            "--host=127.0.0.1",
            f"--port={port}",
            "--threads=2",
            "{{ cookiecutter.package_name }}:app",
        ],
        env=env,
    )
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        process.wait(timeout=DEADLINE)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_production_server_serves(server):
    base, process = server
    deadline = time.monotonic() + DEADLINE
    while True:
        assert process.poll() is None, "waitress exited"
        try:
            status, body = get(base + "/")
            break
        except OSError:
            assert time.monotonic() < deadline, "waitress did not answer"
            time.sleep(0.1)
    assert (status, body) == (200, "Hello World!")
    status, body = get(base + "/healthz")
    assert status == 200
    assert get(base + "/nowhere")[0] == 404
