import runpy
import secrets
import subprocess  # nosec B404
import sys

import pytest

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import ConfigError
{%- if cookiecutter.with_web %}
from {{ cookiecutter.package_name }}.security import csrf
{%- endif %}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("FLASK_SECRET_KEY", "FLASK_DEBUG", "FLASK_TESTING"):
        monkeypatch.delenv(name, raising=False)


def test_start_up_refuses_a_missing_secret_key():
    with pytest.raises(ConfigError, match="FLASK_SECRET_KEY is not set"):
        create_app()


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "is not set"),
        ("too-short", "is too short"),
        ("x" * 64, "is not random"),
        ("changeme" * 4, "is not random"),
    ],
    ids=["empty", "short", "one-character", "placeholder"],
)
def test_start_up_refuses_a_weak_secret_key(monkeypatch, key, problem):
    monkeypatch.setenv("FLASK_SECRET_KEY", key)
    with pytest.raises(ConfigError, match=f"FLASK_SECRET_KEY {problem}"):
        create_app()


def run_start_up_check() -> int:
    """Run `python -m` on the package, as gunicorn.conf.py does, in this process."""
    package = create_app.__module__
    with pytest.raises(SystemExit) as exited:
        runpy.run_module(package, run_name="__main__")
    return exited.value.code
{%- if cookiecutter.with_db %}


@pytest.fixture
def database_url(monkeypatch, tmp_path):
    # A database of the test's own: the check makes none in the instance folder.
    url = f"sqlite:///{tmp_path / 'check.sqlite'}"
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", url)
{%- endif %}


@pytest.mark.parametrize(
    ("key", "problem"),
    [(None, "is not set"), ("too-short", "is too short")],
    ids=["missing", "short"],
)
def test_start_up_check_refuses_a_weak_key_in_one_line(
    monkeypatch, capsys, {% if cookiecutter.with_db %}database_url, {% endif %}key, problem
):
    if key is not None:
        monkeypatch.setenv("FLASK_SECRET_KEY", key)
    assert run_start_up_check() == 1
    error = capsys.readouterr().err
    assert error.startswith(f"Error: FLASK_SECRET_KEY {problem}")
    assert error.count("\n") == 1 and "Traceback" not in error


def test_start_up_check_passes_a_strong_key(monkeypatch, capsys{% if cookiecutter.with_db %}, database_url{% endif %}):
    monkeypatch.setenv("FLASK_SECRET_KEY", secrets.token_hex(32))
    assert run_start_up_check() == 0
    assert capsys.readouterr().err == ""


def test_start_up_check_loads_nothing_that_serves(monkeypatch{% if cookiecutter.with_db %}, database_url{% endif %}):
    # gunicorn runs the check at each start, before its workers load the
    # service: the check reads the settings and sets up logging, no more.
    monkeypatch.setenv("FLASK_SECRET_KEY", secrets.token_hex(32))
    package = create_app.__module__
    code = (
        "import runpy, sys\n"
        "try:\n"
        f"    runpy.run_module({package!r}, run_name='__main__')\n"
        "except SystemExit as exited:\n"
        "    print(exited.code, *sorted(sys.modules))\n"
    )
    # A fixed command: this interpreter, running the code above.
    result = subprocess.run(  # noqa: S603  # nosec B603
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    status, *loaded = result.stdout.split()
    assert status == "0"
    ours = {name for name in loaded if name.startswith(f"{package}.")}
    assert ours == {f"{package}.config", f"{package}.logs"}


def test_a_numeric_secret_key_is_kept_as_text(monkeypatch):
    digits = "0123456789" * 4
    monkeypatch.setenv("FLASK_SECRET_KEY", digits)
    assert create_app().config["SECRET_KEY"] == digits


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", secrets.token_hex(32))
    monkeypatch.setenv("FLASK_MAX_CONTENT_LENGTH", "2048")
    assert create_app().config["MAX_CONTENT_LENGTH"] == 2048


def test_debug_uses_a_random_key_and_warns(monkeypatch, capsys):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    first, second = create_app(), create_app()
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]
    assert "FLASK_SECRET_KEY is not set" in capsys.readouterr().out


def test_session_cookie_is_secure_httponly_and_lax(app):
    @app.get("/remember")
    def remember():
        from flask import session

        session["seen"] = True
        return "ok"

    cookie = app.test_client().get("/remember").headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_session_survives_from_request_to_request(app):
    @app.get("/remember")
    def remember():
        from flask import session

        session["seen"] = True
        return "ok"

    @app.get("/recall")
    def recall():
        from flask import session

        return {"seen": session.get("seen", False)}

    client = app.test_client()
    assert client.get("/recall").json == {"seen": False}
    client.get("/remember")
    assert client.get("/recall").json == {"seen": True}
    client.delete_cookie("session")
    assert client.get("/recall").json == {"seen": False}


def test_a_tampered_session_cookie_is_ignored(app):
    @app.get("/recall")
    def recall():
        from flask import session

        return {"seen": session.get("seen", False)}

    client = app.test_client()
    client.set_cookie("session", "eyJzZWVuIjp0cnVlfQ.forged.signature")
    assert client.get("/recall").json == {"seen": False}


def test_request_body_size_is_limited(app, client):
    @app.post("/upload")
    def upload():
        from flask import request

        return {"size": len(request.get_data())}
{%- if cookiecutter.with_web %}

    csrf.exempt(upload)  # this test is about the body size; test_pages checks CSRF
{%- endif %}

    assert client.post("/upload", data=b"x" * 1024).json == {"size": 1024}
    too_big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/upload", data=too_big)
    assert response.status_code == 413
    assert response.json["status"] == 413
