"""Boot the service under gunicorn, as in production, and talk to it over HTTP."""

import os
{%- if cookiecutter.with_web %}
import re
{%- endif %}
import socket
import subprocess
import sys
import time
{%- if cookiecutter.with_web %}
import urllib.error
import urllib.parse
{%- endif %}
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
{%- if cookiecutter.with_web %}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # hand the 302 back to the test instead of following it


def fetch(url, cookie="", form=None):
    """GET, or POST ``form``, with a Cookie header; return status, headers, body.

    The session cookie is Secure, and urllib's cookie jar never returns Secure
    cookies over plain HTTP, so the test carries it itself.
    """
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, headers={"Cookie": cookie})
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read().decode()


def session_cookie(headers):
    return headers["Set-Cookie"].split(";", 1)[0]


def test_gunicorn_serves_pages_stylesheet_and_checks_csrf(server):
    base_url, log_path = server
    status, headers, page = fetch(base_url + "/pages/feedback")
    assert status == 200
    assert "style-src 'self'" in headers["Content-Security-Policy"]
    cookie = session_cookie(headers)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)[1]

    status, headers, css = fetch(base_url + stylesheet)
    assert status == 200
    assert headers.get_content_type() == "text/css"
    assert "body {" in css

    form = {"name": "Grace", "message": "Sent through gunicorn."}
    status, _, body = fetch(base_url + "/pages/feedback", cookie, form)
    assert status == 400
    assert "The CSRF token is missing." in body

    status, headers, _ = fetch(
        base_url + "/pages/feedback", cookie, {**form, "csrf_token": token}
    )
    assert status == 302
    status, _, page = fetch(base_url + headers["Location"], session_cookie(headers))
    assert status == 200
    assert "Thank you for your feedback, Grace." in page
    log = log_path.read_text()
    assert '"POST /pages/feedback HTTP/1.1" 400' in log
    assert '"POST /pages/feedback HTTP/1.1" 302' in log
    assert "Feedback from 'Grace': 'Sent through gunicorn.'" in log
{%- endif %}
