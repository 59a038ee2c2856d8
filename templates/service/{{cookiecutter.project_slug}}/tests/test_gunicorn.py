"""Boot the service under gunicorn, as in production, and talk to it over HTTP."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "FLASK_SECRET_KEY": "s" * 32,
    }
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                str(PROJECT_ROOT / "gunicorn.conf.py"),
                "{{ cookiecutter.package_name }}:create_app()",
            ],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base_url}/healthz", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
                time.sleep(0.05)
        yield base_url, log_path
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_gunicorn_serves_hello_world(server):
    base_url, log_path = server
    request = urllib.request.Request(
        base_url + "/", headers={"X-Request-ID": "via-gunicorn"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
        assert response.read() == b"Hello World!"
        assert response.headers["X-Request-ID"] == "via-gunicorn"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    deadline = time.monotonic() + 5
    while "[via-gunicorn]" not in log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert '"GET / HTTP/1.1" 200' in log_path.read_text()
    assert "[via-gunicorn]" in log_path.read_text()
