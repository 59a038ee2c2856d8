import contextlib
import os
import re
import secrets
{%- if cookiecutter.with_db %}
import shutil
{%- endif %}
import subprocess  # nosec B404
import sys
import time
from pathlib import Path

import pytest
{%- if cookiecutter.with_db %}
from flask_migrate import downgrade, upgrade
{%- endif %}

from {{ cookiecutter.package_name }} import create_app
{%- if cookiecutter.with_auth %}
from {{ cookiecutter.package_name }}.auth import User
{%- endif %}
{%- if cookiecutter.with_db %}
from {{ cookiecutter.package_name }}.db import db
{%- endif %}

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: How long to wait for gunicorn before calling it a failure: far longer than a
#: busy machine needs, since every wait ends as soon as its condition holds.
PATIENCE = 120
LISTENING = re.compile(rb"Listening at: http://127\.0\.0\.1:(\d+)")
{%- if cookiecutter.with_auth %}

# A new password on each run: no password is written in the code.
PASSWORD = secrets.token_urlsafe(16)
{%- endif %}
{% if cookiecutter.with_db %}

def make_app(url):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-" * 8,
            "SQLALCHEMY_DATABASE_URI": url,
{%- if cookiecutter.with_auth %}
            # Still a salted hash, with fewer rounds: the default, scrypt, is
            # slow on purpose. test_auth checks the default on its own.
            "HASH_METHOD": "pbkdf2:sha256:1000",
{%- endif %}
        }
    )


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """An SQLite file brought to the latest revision by the real migrations, once."""
    path = tmp_path_factory.mktemp("migrated") / "test.sqlite"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def app(tmp_path, migrated_sqlite):
    url = os.environ.get("TEST_DATABASE_URL")
    if url is None:
        # Each test gets its own copy of the migrated file: no test sees
        # another's rows, and the migrations run once per session.
        copy = tmp_path / "test.sqlite"
        shutil.copyfile(migrated_sqlite, copy)
        app = make_app(f"sqlite:///{copy}")
        yield app
        with app.app_context():
            db.engine.dispose()
        return
    # One database that every test shares (for example a PostgreSQL one):
    # brought up by the migrations for each test and taken back down after.
    app = make_app(url)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
{%- else %}

@pytest.fixture
def app():
    return create_app({"TESTING": True, "SECRET_KEY": "test-" * 8})
{%- endif %}


@pytest.fixture(scope="session")
def gunicorn():
    """Boot the service under gunicorn with its gunicorn.conf.py, as in production.

    ``with gunicorn(log_path, workers) as port:`` serves on 127.0.0.1 until the
    block ends. Port 0 lets the system give a free port as gunicorn binds it,
    and gunicorn's log says which. ``wsgi_app`` is what gunicorn serves, the
    service unless a test names an app of its own, in the log's directory.
    """

    @contextlib.contextmanager
    def serve(
        log_path,
        workers=1,
        wsgi_app="{{ cookiecutter.package_name }}:create_app()",
        **extra_env,
    ):
        env = {
{%- if cookiecutter.with_metrics %}
            # Each run makes its own metrics directory (gunicorn.conf.py).
            **{
                name: value
                for name, value in os.environ.items()
                if name != "PROMETHEUS_MULTIPROC_DIR"
            },
{%- else %}
            **os.environ,
{%- endif %}
            "BIND": "127.0.0.1:0",
            "WEB_CONCURRENCY": str(workers),
            "FLASK_SECRET_KEY": secrets.token_hex(32),
            **extra_env,
        }
        with log_path.open("ab") as log:
            # This run's lines start here: an earlier run may have logged before.
            start = log.tell()
            # A fixed command: this interpreter's gunicorn and the service's config.
            process = subprocess.Popen(  # noqa: S603  # nosec B603
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config",
                    str(PROJECT_ROOT / "gunicorn.conf.py"),
                    wsgi_app,
                ],
                cwd=log_path.parent,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + PATIENCE
            while not (found := LISTENING.search(log_path.read_bytes(), start)):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
                time.sleep(0.05)
            yield int(found[1])
        finally:
            process.terminate()
            process.wait(timeout=PATIENCE)

    return serve


@pytest.fixture(scope="session")
def wait_for_log():
    """Wait until a log holds ``text`` or ``process`` has ended; return the log."""

    def wait(log_path, text, process=None):
        deadline = time.monotonic() + PATIENCE
        while text not in log_path.read_text() and time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                break
            time.sleep(0.05)
        return log_path.read_text()

    return wait


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
{%- if cookiecutter.with_auth %}


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(app):
    with app.app_context():
        user = User(email="ada@example.com")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user.to_dict()


@pytest.fixture
def auth_headers(app, user):
    """Headers of a signed-in API client, from a client of its own."""
    response = app.test_client().post(
        "/auth/login", json={"email": user["email"], "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {response.json['token']}"}
{%- endif %}
