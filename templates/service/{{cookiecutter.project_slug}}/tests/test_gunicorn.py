"""Boot the service under gunicorn, as in production, and talk to it over HTTP;
see it refuse to start, in one line, without a strong secret key; and serve it
under flask run, as in development."""

import http.client
import json
import os
import re
import secrets
import subprocess  # nosec B404
import sys
{%- if cookiecutter.with_web %}
import urllib.parse
{%- endif %}
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


{% if cookiecutter.with_web -%}
def fetch(port, path, headers=None, form=None):
    """GET ``path``, or POST ``form``; return the status, headers and body.

    Redirects are not followed, and cookies travel in headers the test sets:
    the session cookie is Secure, and a browser would not send it over HTTP.
    """
{%- else -%}
def fetch(port, path, headers=None):
    """GET ``path``; return the status, headers and body."""
{%- endif %}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
{%- if cookiecutter.with_web %}
        if form is None:
            connection.request("GET", path, headers=headers or {})
        else:
            body = urllib.parse.urlencode(form)
            form_type = {"Content-Type": "application/x-www-form-urlencoded"}
            connection.request("POST", path, body, {**form_type, **(headers or {})})
{%- else %}
        connection.request("GET", path, headers=headers or {})
{%- endif %}
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def server(gunicorn, tmp_path_factory):
    """The service under gunicorn: its port and the path of its log."""
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with gunicorn(log_path) as port:
        yield port, log_path


def start_refused(command, tmp_path, key):
    """Run a server command with ``key`` as the secret; return its output.

    The server must exit by itself, non-zero, with one Error: line.
    """
    env = {**os.environ, "FLASK_SECRET_KEY": key, "WEB_CONCURRENCY": "2"}
    env["BIND"] = "127.0.0.1:0"
    env.pop("FLASK_DEBUG", None)
    result = subprocess.run(  # noqa: S603  # nosec B603
        [sys.executable, "-m", *command],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    errors = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, output
    assert "Traceback" not in output
    return errors[0]


@pytest.mark.parametrize("key", ["", "too-short"], ids=["missing", "short"])
def test_gunicorn_refuses_a_weak_secret_key_once(tmp_path, key):
    config = str(PROJECT_ROOT / "gunicorn.conf.py")
    app = "{{ cookiecutter.package_name }}:create_app()"
    error = start_refused(["gunicorn", "--config", config, app], tmp_path, key)
    assert error.startswith("Error: FLASK_SECRET_KEY is")


def test_flask_run_refuses_a_weak_secret_key(tmp_path):
    command = ["flask", "--app", "{{ cookiecutter.package_name }}", "run"]
    error = start_refused(command, tmp_path, "too-short")
    assert error.startswith("Error: FLASK_SECRET_KEY is too short")


def test_gunicorn_serves_hello_world(server, wait_for_log):
    port, log_path = server
    status, headers, body = fetch(port, "/", {"X-Request-ID": "via-gunicorn"})
    assert (status, body) == (200, "Hello World!")
    assert headers["X-Request-ID"] == "via-gunicorn"
    log = wait_for_log(log_path, "[via-gunicorn]")
    assert '"GET / HTTP/1.1" 200' in log
    assert "[via-gunicorn]" in log


# The service with a route that logs, for the application's lines.
LOGGING_APP = """
from flask import current_app

from {{ cookiecutter.package_name }} import create_app

app = create_app()


@app.get("/things/<int:thing_id>")
def thing(thing_id):
    current_app.logger.info("handled thing %d", thing_id)
    return "ok"
"""


def test_gunicorn_logs_json_lines_with_the_request_fields(gunicorn, tmp_path):
    (tmp_path / "logging_app.py").write_text(LOGGING_APP)
    log_path = tmp_path / "gunicorn.log"
    served = gunicorn(log_path, wsgi_app="logging_app:app", FLASK_LOG_FORMAT="json")
    with served as port:
        status, _, _ = fetch(port, "/things/7", {"X-Request-ID": "json-42"})
        assert status == 200
    # Every line, gunicorn's own included, is one JSON object.
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    ours = [line for line in lines if line.get("request_id") == "json-42"]
    by_logger = {line["logger"]: line for line in ours}
    app_logger = "{{ cookiecutter.package_name }}"
    assert set(by_logger) == {"gunicorn.access", app_logger}
    access = by_logger["gunicorn.access"]
    assert access["method"] == "GET"
    assert access["route"] == "/things/<int:thing_id>"
    assert access["path"] == "/things/7"
    assert access["status"] == 200
    assert access["duration_ms"] >= 0
    handled = by_logger[app_logger]
    assert handled["message"] == "handled thing 7"
    assert handled["level"] == "INFO"
    assert (handled["method"], handled["route"]) == ("GET", "/things/<int:thing_id>")


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_flask_run_logs_the_request_id_too(tmp_path, wait_for_log, log_format):
    log_path = tmp_path / "flask-run.log"
    env = {
        **os.environ,
        "FLASK_SECRET_KEY": secrets.token_hex(32),
        "FLASK_LOG_FORMAT": log_format,
    }
    with log_path.open("wb") as log:
        # Port 0: the development server picks a free one and says which.
        process = subprocess.Popen(  # noqa: S603  # nosec B603
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "{{ cookiecutter.package_name }}",
                "run",
                "--port",
                "0",
            ],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        running = re.compile(r"Running on http://127\.0\.0\.1:(\d+)")
        text = wait_for_log(log_path, "Running on", process)
        found = running.search(text)
        assert found, text
        status, _, _ = fetch(int(found[1]), "/", {"X-Request-ID": "via-flask-run"})
        assert status == 200
        log = wait_for_log(log_path, "via-flask-run")
        line = next(line for line in log.splitlines() if "via-flask-run" in line)
        if log_format == "json":
            fields = json.loads(line)
            assert '"GET / HTTP/1.1" 200' in fields["message"]
            assert fields["request_id"] == "via-flask-run"
            assert (fields["method"], fields["route"]) == ("GET", "/")
            assert fields["status"] == 200
            assert fields["duration_ms"] >= 0
        else:
            assert '"GET / HTTP/1.1" 200' in line
            assert "[via-flask-run]" in line
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("path", ["/", "/healthz", "/no-such-page"])
def test_gunicorn_responses_carry_the_security_headers(server, path):
    port, _ = server
    status, headers, _ = fetch(port, path)
    assert status == (404 if path == "/no-such-page" else 200)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
{%- if cookiecutter.with_api %}


# Beyond gunicorn's default limits: 4094 bytes for the request line, 8190 for
# a header.
@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/items?page=" + "1" * 5000, {}, 414),
        ("/api/items", {"X-Padding": "x" * 9000}, 431),
    ],
    ids=["long-request-line", "long-header"],
)
def test_gunicorn_refuses_oversized_requests_as_openapi_json_says(
    server, path, headers, status
):
    port, _ = server
    refused, refused_headers, _ = fetch(port, path, headers)
    assert refused == status
    assert refused_headers.get_content_type() == "text/html"
    _, _, document = fetch(port, "/openapi.json")
    spec = json.loads(document)
    operations = [op for ops in spec["paths"].values() for op in ops.values()]
    answers = {op["responses"][str(status)]["$ref"] for op in operations}
    assert len(answers) == 1
    declared = spec["components"]["responses"][answers.pop().rpartition("/")[2]]
    assert list(declared["content"]) == ["text/html"]
{%- endif %}
{%- if cookiecutter.with_web %}


def session_cookie(headers):
    return headers["Set-Cookie"].split(";", 1)[0]


def test_gunicorn_serves_pages_stylesheet_and_checks_csrf(server, wait_for_log):
    port, log_path = server
    status, headers, page = fetch(port, "/pages/feedback")
    assert status == 200
    assert "style-src 'self'" in headers["Content-Security-Policy"]
    flags = [flag.strip() for flag in headers["Set-Cookie"].split(";")]
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= set(flags)
    cookie = {"Cookie": session_cookie(headers)}
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)[1]

    status, headers, css = fetch(port, stylesheet)
    assert status == 200
    assert headers.get_content_type() == "text/css"
    assert "body {" in css

    form = {"name": "Grace", "message": "Sent through gunicorn."}
    status, _, body = fetch(port, "/pages/feedback", cookie, form)
    assert status == 400
    assert "The CSRF token is missing." in body

    status, headers, _ = fetch(
        port, "/pages/feedback", cookie, {**form, "csrf_token": token}
    )
    assert status == 302
    cookie = {"Cookie": session_cookie(headers)}
    status, _, page = fetch(port, headers["Location"], cookie)
    assert status == 200
    assert "Thank you for your feedback, Grace." in page
    log = wait_for_log(log_path, "Feedback from 'Grace'")
    assert '"POST /pages/feedback HTTP/1.1" 400' in log
    assert '"POST /pages/feedback HTTP/1.1" 302' in log
    assert "Feedback from 'Grace': 'Sent through gunicorn.'" in log
{%- endif %}
