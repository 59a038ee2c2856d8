"""The generated service: clean code, same as plain cookiecutter's, and working.

These tests install what they generate into a real virtualenv, run the
service's own test suite there and serve it with gunicorn.
"""

import ast
import json
import os
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from helpers import (
    PATIENCE,
    assert_fully_rendered,
    assert_hadolint_clean,
    assert_ruff_clean,
    assert_suite_passes,
    listening_port,
    package_version,
    tree,
    wait_for,
)

from flaskproto import create_project
from flaskproto.service import METADATA_FILE
from flaskproto.templates import load_template

HOSTILE_NAME = 'Bob\'s "Quoted" API'
#: A version other than the template's default, given when the service is made.
VERSION = {"version": "2.5.0rc1"}
HOSTILE_DESCRIPTION = (
    'Says "hi" & \'bye\' \\ {{ 7*7 }} {% raw %} """\nsecond line\n# not a heading'
)


def test_generated_tree_is_clean_and_fully_rendered(tmp_path):
    project = create_project("Order Service", tmp_path, git=False).path
    assert_ruff_clean(project)
    assert_fully_rendered(project)


def test_plain_cookiecutter_makes_the_same_project(tmp_path):
    values = ["description=Takes orders.", "author_name=Ada", "version=1.2.3"]
    cookiecutter = subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            str(load_template().path),
            "--no-input",
            "-o",
            str(tmp_path / "plain"),
            "project_name=Café Orders",
            *values,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert cookiecutter.returncode == 0, cookiecutter.stderr
    ours = create_project(
        "Café Orders",
        tmp_path / "ours",
        context=dict(v.split("=", 1) for v in values),
        git=False,
    )
    expected = tree(ours.path)
    del expected[METADATA_FILE]
    assert tree(tmp_path / "plain" / "cafe-orders") == expected


def test_hostile_values_land_as_data(tmp_path):
    project = create_project(
        HOSTILE_NAME, tmp_path, context={"description": HOSTILE_DESCRIPTION}, git=False
    ).path
    package = project / "src" / "bob_s_quoted_api"

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == HOSTILE_DESCRIPTION

    config = ast.parse((package / "config.py").read_text())
    defaults = next(
        node.value
        for node in config.body
        if isinstance(node, ast.AnnAssign) and node.target.id == "DEFAULTS"
    )
    assert ast.literal_eval(defaults.values[0]) == HOSTILE_NAME

    readme = (project / "README.md").read_text()
    assert "\\{\\{ 7\\*7 \\}\\}" in readme
    assert "\n\\# not a heading" in readme

    record = json.loads((project / METADATA_FILE).read_text())
    assert record["context"]["description"] == HOSTILE_DESCRIPTION
    assert_ruff_clean(project)


@pytest.fixture(scope="module")
def installed_service(service_venv, tmp_path_factory):
    """A generated service with hostile values, installed in the test virtualenv."""
    where = tmp_path_factory.mktemp("service")
    project = create_project(
        HOSTILE_NAME, where, context={"description": HOSTILE_DESCRIPTION, **VERSION}
    ).path
    service_venv.install_service(project)
    return project


def test_generated_test_suite_passes(service_venv, installed_service):
    assert_suite_passes(service_venv, installed_service)


def start_gunicorn(venv, project: Path, secret: str | None, log: Path):
    env = {**os.environ, "BIND": "127.0.0.1:0", "WEB_CONCURRENCY": "2"}
    env.pop("FLASK_SECRET_KEY", None)
    if secret is not None:
        env["FLASK_SECRET_KEY"] = secret
    with log.open("wb") as out:
        return subprocess.Popen(
            [venv.bin("gunicorn"), "bob_s_quoted_api:create_app()"],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_gunicorn_serves_the_service(
    service_venv, installed_service, tmp_path, isolated_environment
):
    log = tmp_path / "gunicorn.log"
    digits = "1234567890" * 4  # a secret JSON would read as a number
    server = start_gunicorn(service_venv, installed_service, digits, log)
    try:
        port = listening_port(server, log)
        health: dict = {}

        def answers() -> bool:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=10
                ) as response:
                    health.update(json.load(response))
                return True
            except OSError:
                assert server.poll() is None, log.read_text()
                return False

        assert wait_for(answers), log.read_text()
        assert health == {
            "status": "ok",
            "service": HOSTILE_NAME,
            "version": VERSION["version"],
        }
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.read() == b"Hello World!"
            assert response.headers["Content-Type"].startswith("text/plain")
            assert response.headers["X-Frame-Options"] == "DENY"
            assert len(response.headers["X-Request-ID"]) == 32
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/missing", timeout=5)
        assert missing.value.code == 404
        assert json.load(missing.value)["error"] == "Not Found"
    finally:
        server.terminate()
        server.wait(timeout=PATIENCE)
    assert f"Listening at: http://127.0.0.1:{port}" in log.read_text()
    # gunicorn.conf.py turns the control socket off; gunicorn's default puts it
    # under $HOME/.gunicorn.
    assert not (isolated_environment / ".gunicorn").exists()


def test_the_version_lives_in_the_package_alone(service_venv, installed_service):
    # pyproject.toml names no version of its own: the built distribution's
    # comes from __version__, which /healthz reports.
    project = tomllib.loads((installed_service / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    package = "bob_s_quoted_api"
    assert package_version(installed_service, package) == VERSION["version"]
    installed = service_venv.run(
        service_venv.bin("python"),
        "-c",
        "import importlib.metadata as m; print(m.version('bob-s-quoted-api'))",
    )
    assert installed.stdout.strip() == "2.5.0rc1", installed.stderr


def test_gunicorn_refuses_to_start_without_a_secret(
    service_venv, installed_service, tmp_path
):
    log = tmp_path / "gunicorn.log"
    server = start_gunicorn(service_venv, installed_service, None, log)
    try:
        assert server.wait(timeout=PATIENCE) != 0
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=PATIENCE)
    assert "FLASK_SECRET_KEY is not set" in log.read_text()


def test_wheel_install_works_from_an_unrelated_directory(fresh_venv, tmp_path):
    where = fresh_venv.run(
        fresh_venv.bin("python"),
        "-c",
        "import flaskproto.templates as t; print(t.templates_root())",
        cwd=tmp_path,
    )
    assert where.returncode == 0, where.stderr
    root = Path(where.stdout.strip())
    assert "site-packages" in root.parts
    result = fresh_venv.run(
        fresh_venv.bin("flaskproto"),
        "new",
        "Order Service",
        "--no-git",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    from_wheel = tree(tmp_path / "order-service")
    from_source = tree(
        create_project("Order Service", tmp_path / "src", git=False).path
    )
    assert from_wheel == from_source
    # The workspace template ships too: a second service brings the folder's files.
    second = fresh_venv.run(
        fresh_venv.bin("flaskproto"), "new", "Payments", "-q", cwd=tmp_path
    )
    assert second.returncode == 0, second.stderr
    create_project("Payments", tmp_path / "src")
    compose = (tmp_path / "compose.yaml").read_text()
    assert "payments:" in compose
    assert compose == (tmp_path / "src" / "compose.yaml").read_text()


def test_dockerfile_is_multi_stage_slim_non_root_and_lints_clean(tmp_path):
    project = create_project("Order Service", tmp_path, git=False).path
    dockerfile = (project / "Dockerfile").read_text()
    lines = [line.strip() for line in dockerfile.splitlines()]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) == 2
    assert stages[0].endswith(" AS build")
    assert all("-slim" in stage for stage in stages)
    user = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert user == ["10001:10001"]
    cmd = next(line for line in lines if line.startswith("CMD "))
    assert json.loads(cmd[len("CMD ") :]) == ["gunicorn", "order_service:create_app()"]
    assert_hadolint_clean(project)
    ignored = (project / ".dockerignore").read_text().split()
    assert {".git/", ".venv/", "tests/", ".env"} <= set(ignored)


def test_dependencies_are_bounded_ranges(tmp_path):
    project = create_project("Order Service", tmp_path, git=False).path
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    requirements = [
        *pyproject["dependencies"],
        *pyproject["optional-dependencies"]["test"],
    ]
    expected = {
        "flask",
        "gunicorn",
        "python-dotenv",
        "python-json-logger",
        "pytest",
        "bandit",
        "ruff",
    }
    expected |= {"pytest-cov", "uv"}
    assert {r.split(">=")[0] for r in requirements} == expected
    for requirement in requirements:
        assert ">=" in requirement and ",<" in requirement, requirement
