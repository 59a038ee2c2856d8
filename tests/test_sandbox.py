"""The installed service under its deployment's constraints, without a container
engine: bubblewrap (Debian's bubblewrap package, which `make test` installs)
runs it as the image's user 10001, on a read-only root filesystem with only a
fresh /tmp writable, as the Dockerfile, compose.yaml and the Kubernetes
Deployment run it.
"""

import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from helpers import request, serving

from flaskproto import create_project

#: The image's user and group (Dockerfile: USER 10001:10001).
USER = "10001"
#: Where the sandbox shows the virtualenv and the service's files, read-only.
VENV, APP = "/srv/venv", "/srv/app"


def sandboxed(venv, project, command):
    """``command`` run in the sandbox: bwrap sets up the mounts as root, then
    setpriv drops to the image's user for the service itself."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        pytest.fail("bwrap is not installed: make test installs Debian's bubblewrap")
    return [
        bwrap,
        "--ro-bind", "/", "/",
        "--tmpfs", "/srv",
        "--ro-bind", str(venv.path), VENV,
        "--ro-bind", str(project), APP,
        "--remount-ro", "/srv",
        "--perms", "1777", "--tmpfs", "/tmp",
        "--dev", "/dev",
        "--proc", "/proc",
        "--unshare-pid",
        "--die-with-parent",
        "--chdir", APP,
        "setpriv", f"--reuid={USER}", f"--regid={USER}", "--clear-groups", "--",
        *command,
    ]  # fmt: skip


def environment(**settings):
    return {
        "PATH": f"{VENV}/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        "FLASK_SECRET_KEY": secrets.token_hex(32),
        "WEB_CONCURRENCY": "2",
        **settings,
    }


def run(venv, project, command, env):
    return subprocess.run(
        sandboxed(venv, project, command),
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


def serve(venv, project, package, env, tmp_path):
    command = [f"{VENV}/bin/python", "-m", "gunicorn", f"{package}:create_app()"]
    return serving(
        sandboxed(venv, project, command),
        cwd=tmp_path,
        env=env,
        log=Path(tempfile.mkdtemp(dir=tmp_path)) / "sandbox.log",
    )


def test_the_base_service_serves_in_the_sandbox(service_venv, tmp_path):
    project = create_project("Boxed", tmp_path, git=False).path
    service_venv.install_service(project)
    with serve(service_venv, project, "boxed", environment(), tmp_path) as base:
        assert request(f"{base}/") == (200, "Hello World!")
        assert request(f"{base}/healthz")[0] == 200
        assert request(f"{base}/readyz") == (200, {"status": "ok", "checks": {}})


def test_a_db_service_is_ready_after_its_migration_step(
    service_venv, tmp_path, postgres
):
    features = ["db", "api", "auth"]
    project = create_project("Boxed Db", tmp_path, features=features, git=False).path
    service_venv.pip("--no-build-isolation", f"{project}[postgres]")
    url = postgres.create_database("boxed_db")

    # Without a database URL there is nowhere to keep SQLite: one line says so.
    refused = run(
        service_venv, project, [f"{VENV}/bin/python", "-m", "boxed_db"], environment()
    )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr.startswith("Error: no database URL is set"), refused.stderr
    assert len(refused.stderr.splitlines()) == 1, refused.stderr

    env = environment(DATABASE_URL=url)
    with serve(service_venv, project, "boxed_db", env, tmp_path) as base:
        assert request(f"{base}/") == (200, "Hello World!")
        assert request(f"{base}/healthz")[0] == 200
        status, body = request(f"{base}/readyz")
        assert (status, body["checks"]["database"]) == (503, "ok")
        assert "flask db upgrade" in body["checks"]["migrations"]

        # The documented step, as compose's migrate service and the Kubernetes
        # init container run it: the same constraints, and no secret key.
        migrate_env = {k: v for k, v in env.items() if k != "FLASK_SECRET_KEY"}
        upgrade = [f"{VENV}/bin/python", "-m", "flask", "--app", "boxed_db"]
        upgrade += ["db", "upgrade"]
        migrated = run(service_venv, project, upgrade, migrate_env)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr

        status, body = request(f"{base}/readyz")
        assert (status, body["checks"]) == (
            200,
            {"database": "ok", "migrations": "ok"},
        )
        status, _ = request(f"{base}/api/items")
        assert status == 200
