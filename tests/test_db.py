"""The db feature against real databases: migrations from a fresh checkout, and
readiness while PostgreSQL goes away and comes back, under gunicorn."""

import json
import secrets
import subprocess
import urllib.error
import urllib.request

import pytest
from helpers import PATIENCE, assert_ruff_clean, listening_port, wait_for

from flaskproto import create_project


@pytest.fixture(scope="module")
def db_service(service_venv, tmp_path_factory):
    project = create_project(
        "Ledger", tmp_path_factory.mktemp("db"), features=["db"], git=False
    ).path
    service_venv.pip("--no-build-isolation", f"{project}[postgres]")
    return project


def flask_cli(venv, project, *args, env):
    return venv.run(
        venv.bin("flask"),
        "--app",
        "ledger",
        *args,
        cwd=project,
        env={"FLASK_SECRET_KEY": secrets.token_hex(32), **env},
    )


def test_db_upgrade_on_a_fresh_checkout_uses_sqlite(service_venv, db_service, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    result = flask_cli(
        service_venv,
        db_service,
        "db",
        "upgrade",
        env={"FLASK_SQLALCHEMY_DATABASE_URI": url},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Running upgrade  -> 0001" in result.stdout + result.stderr
    assert (tmp_path / "fresh.sqlite").stat().st_size > 0


def test_db_upgrade_on_postgres_through_database_url(
    service_venv, db_service, postgres
):
    postgres.create_database("ledger_fresh")
    url = f"postgresql://postgres@127.0.0.1:{postgres.port}/ledger_fresh"
    result = flask_cli(
        service_venv, db_service, "db", "upgrade", env={"DATABASE_URL": url}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        postgres.query("ledger_fresh", "SELECT version_num FROM alembic_version")
        == "0001"
    )


def test_db_migrate_on_an_unchanged_schema_writes_a_ruff_clean_revision(
    service_venv, db_service, tmp_path
):
    # A project of its own, imported from its source tree, so the revision is
    # written there and not into the shared install.
    project = create_project("Ledger", tmp_path, features=["db"], git=False).path
    env = {
        "PYTHONPATH": str(project / "src"),
        "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrate.sqlite'}",
    }
    for args in (("db", "upgrade"), ("db", "migrate", "-m", "nothing changed")):
        result = flask_cli(service_venv, project, *args, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    versions = project / "src" / "ledger" / "migrations" / "versions"
    written = sorted(p.name for p in versions.glob("*.py"))
    assert len(written) == 2 and "0001_initial.py" in written, written
    assert_ruff_clean(project)


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_readyz_follows_postgres_down_and_back(service_venv, db_service, tmp_path):
    from postgres import PostgresServer

    server = PostgresServer()  # its own, so stopping it disturbs no other test
    gunicorn = None
    try:
        url = server.create_database("ledger")
        log = tmp_path / "gunicorn.log"
        with log.open("wb") as out:
            gunicorn = subprocess.Popen(
                [service_venv.bin("gunicorn"), "ledger:create_app()"],
                cwd=db_service,
                env={
                    "PATH": "/usr/bin:/bin",
                    "HOME": str(tmp_path),
                    "FLASK_SECRET_KEY": secrets.token_hex(32),
                    "FLASK_SQLALCHEMY_DATABASE_URI": url,
                    "BIND": "127.0.0.1:0",
                    "WEB_CONCURRENCY": "2",
                },
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{listening_port(gunicorn, log)}"

        def answers():
            try:
                return get(f"{base}/readyz")[0] > 0
            except OSError:
                assert gunicorn.poll() is None, log.read_text()
                return False

        def ready():
            return answers() and get(f"{base}/readyz")[0] == 200

        assert wait_for(answers), log.read_text()
        # Not ready until the migrations have run; then ready, without a restart.
        status, body = get(f"{base}/readyz")
        assert (status, body["checks"]["database"]) == (503, "ok")
        assert "flask db upgrade" in body["checks"]["migrations"]
        env = {"FLASK_SQLALCHEMY_DATABASE_URI": url}
        migrated = flask_cli(service_venv, db_service, "db", "upgrade", env=env)
        assert migrated.returncode == 0, migrated.stderr
        assert wait_for(ready), log.read_text()
        server.stop()
        status, body = get(f"{base}/readyz")
        unavailable = {"database": "unavailable", "migrations": "unavailable"}
        assert (status, body["checks"]) == (503, unavailable)
        assert get(f"{base}/healthz")[0] == 200
        server.start()
        assert wait_for(ready), "the service did not recover without a restart"
        assert gunicorn.poll() is None
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=PATIENCE)
        server.close()
