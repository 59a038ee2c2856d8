import subprocess
import sys

import pytest
from flask import Response

from {{ cookiecutter.package_name }} import HEADERS, __version__, add_headers


def test_hello(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "Hello World!"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "version": __version__}


def test_security_headers(client):
    response = client.get("/")
    for name, value in HEADERS.items():
        assert response.headers[name] == value


def test_a_header_the_response_sets_is_kept():
    response = add_headers(Response(headers={"x-frame-options": "SAMEORIGIN"}))
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_errors_are_json(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json["status"] == 404
    assert response.json["error"] == "Not Found"


def test_wrong_method_keeps_allow(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.json["status"] == 405
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("key", ["", "short", "a" * 64, "changeme" * 8])
def test_weak_secret_key_refused(key):
    result = subprocess.run(
        [sys.executable, "-c", "import {{ cookiecutter.package_name }}"],
        env={"FLASK_SECRET_KEY": key},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "FLASK_SECRET_KEY" in result.stderr
