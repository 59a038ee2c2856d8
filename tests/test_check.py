"""flaskproto check, and flaskproto new --check, on real generated services."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import PIP_ENV, UV

from flaskproto import create_project
from flaskproto.cli import cli


def check(*args):
    return CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)


@pytest.fixture
def uv_on_path(monkeypatch, tmp_path_factory):
    """PATH with uv, and nothing else of the tests' virtualenv, first.

    The check then makes its throwaway virtualenvs with uv, in seconds; a
    plain install of flaskproto, without uv, is tested below too.
    """
    assert UV.is_file(), "uv is part of the test extra"
    bin_dir = tmp_path_factory.mktemp("uv-bin")
    (bin_dir / "uv").symlink_to(UV)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("UV_CACHE_DIR", PIP_ENV["UV_CACHE_DIR"])


def test_a_new_service_passes_every_step(tmp_path, uv_on_path):
    project = create_project("Checked", tmp_path, git=False).path
    result = check(str(project))
    assert result.exit_code == 0, result.stdout
    lines = result.stdout.splitlines()
    # Not installed anywhere: the check makes a virtualenv of its own.
    assert lines[0].startswith(f"Checking {project} with a throwaway virtualenv (uv)")
    assert [line.split()[:2] for line in lines[1:5]] == [
        ["passed", "import"],
        ["passed", "tests"],
        ["passed", "ruff"],
        ["passed", "serve"],
    ]
    assert "GET / 200, GET /healthz 200, GET /readyz 200" in lines[4]
    assert lines[5].startswith("4 passed in ")


def test_a_new_micro_service_passes_every_step(service_venv, tmp_path):
    project = create_project("Checked", tmp_path, template="micro", git=False).path
    service_venv.pip("--no-build-isolation", f"{project}[test]", "ruff")
    (project / ".venv").symlink_to(service_venv.path)
    result = check(str(project))
    assert result.exit_code == 0, result.stdout
    lines = result.stdout.splitlines()
    assert lines[1].split()[:2] == ["passed", "import"]
    assert lines[1].endswith("checked.app")
    assert lines[4].split()[:2] == ["passed", "serve"]
    assert lines[4].endswith("GET / 200, GET /healthz 200")


def test_a_failing_test_fails_the_check_and_names_the_step(tmp_path, uv_on_path):
    project = create_project("Checked", tmp_path, git=False).path
    hello = project / "src" / "checked" / "hello.py"
    hello.write_text(hello.read_text().replace('"Hello World!"', '"Goodbye!"'))
    result = check(str(project), "--json")
    assert result.exit_code == 8
    report = json.loads(result.stdout)
    statuses = {step["name"]: step["status"] for step in report["steps"]}
    assert statuses == {
        "import": "passed",
        "tests": "failed",
        "ruff": "passed",
        "serve": "passed",
    }
    assert report["passed"] is False
    assert "failed" in report["steps"][1]["detail"]


def service_with_venv(tmp_path, *packages):
    """A new service whose own .venv holds only ``packages``."""
    project = create_project("Checked", tmp_path, git=False).path
    python = project / ".venv" / "bin" / "python"
    for command in (
        [UV, "venv", "--quiet", "--python", sys.executable, python.parent.parent],
        [UV, "pip", "install", "--quiet", "--python", python, *packages],
    ):
        made = subprocess.run(
            command,
            env={**os.environ, **PIP_ENV},
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        assert made.returncode == 0, made.stderr
    return project


def statuses(result):
    return {step["name"]: step for step in json.loads(result.stdout)["steps"]}


def test_missing_gunicorn_is_not_run_not_passed(tmp_path):
    project = service_with_venv(tmp_path, "flask", "pytest")
    result = check(str(project), "--json")
    steps = statuses(result)
    assert (steps["serve"]["status"], steps["serve"]["detail"]) == (
        "not run",
        "gunicorn is not installed",
    )
    # The service's own suite starts gunicorn too, so it fails as well.
    assert steps["tests"]["status"] == "failed"
    assert result.exit_code == 8


def test_a_step_that_could_not_run_exits_9(tmp_path, monkeypatch):
    # The service's dependencies and pytest: all but ruff.
    needed = ("flask", "gunicorn", "python-json-logger", "pytest")
    project = service_with_venv(tmp_path, *needed)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no ruff here, nor in its .venv
    result = check(str(project), "--json")
    steps = statuses(result)
    assert steps["ruff"]["status"] == "not run"
    assert {steps[name]["status"] for name in ("import", "tests", "serve")} == {
        "passed"
    }
    assert result.exit_code == 9


def test_a_folder_of_services_checks_each_and_sums_up(service_venv, tmp_path):
    service_venv.pip("ruff")
    for name in ("orders", "payments"):
        project = create_project(name, tmp_path, git=False).path
        (project / ".venv").symlink_to(service_venv.path)
    hello = tmp_path / "payments" / "src" / "payments" / "hello.py"
    hello.write_text(hello.read_text().replace('"Hello World!"', '"Goodbye!"'))

    result = check(str(tmp_path))

    assert result.exit_code == 8
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Checking {tmp_path / 'orders'} with the service's")
    summary = lines[lines.index(f"Summary of 2 services in {tmp_path}:") + 1 :]
    assert [line.split()[:2] for line in summary[:2]] == [
        ["passed", "orders"],
        ["failed", "payments"],
    ]
    assert summary[2] == "1 of 2 services passed every check"

    as_json = json.loads(check(str(tmp_path), "--json").stdout)
    assert as_json["path"] == str(tmp_path) and as_json["passed"] is False
    assert [report["passed"] for report in as_json["services"]] == [True, False]


def test_a_directory_that_is_not_a_service_is_a_clear_error(tmp_path):
    result = check(str(tmp_path))
    assert result.exit_code == 10
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: {tmp_path} is not inside a service made by flaskproto"
        " (no .flaskproto.json here or above), nor a folder of services\n"
    )


def test_check_uses_the_active_virtualenv_the_service_is_installed_in(
    service_venv, tmp_path, monkeypatch
):
    project = create_project("Checked Here", tmp_path, git=False).path
    service_venv.install_service(project)
    monkeypatch.setenv("VIRTUAL_ENV", str(service_venv.path))
    result = check(str(project), "--json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["environment"] == "the active virtualenv"
    assert report["python"] == service_venv.bin("python")


def test_new_with_check_passes_after_a_plain_install_of_flaskproto(
    fresh_venv, tmp_path
):
    # fresh_venv has flaskproto installed as installing flaskproto does, and
    # nothing the service needs beyond it.
    result = fresh_venv.run(
        fresh_venv.bin("flaskproto"),
        *("new", "Smoke", "-o", str(tmp_path), "--no-git", "--check", "--json"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["check"]["environment"].startswith("a throwaway virtualenv (")
    assert data["check"]["passed"] is True
    assert [step["name"] for step in data["check"]["steps"]] == [
        "import",
        "tests",
        "ruff",
        "serve",
    ]
