"""flaskproto new --install: a service that is ready to test in its own .venv."""

import json
import os
import re
import subprocess

from conftest import UV


def new_with_install(run_flaskproto, where, env=None):
    return run_flaskproto(
        "new",
        "Order Service",
        "--install",
        "--no-git",
        "--json",
        cwd=where,
        timeout=600,
        env=env,
    )


def assert_own_tests_pass(project):
    tests = subprocess.run(
        [".venv/bin/python", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout.splitlines()[-1]


def test_install_makes_a_virtualenv_ready_to_test(tmp_path, run_flaskproto):
    result = new_with_install(run_flaskproto, tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["installed_with"] == "pip"
    assert data["next_steps"][:2] == ["cd order-service", ". .venv/bin/activate"]
    assert "Installing order-service into .venv" in result.stderr
    # The image's dependencies are pinned with the uv of the test extra.
    assert data["locked_with"] == ["uv pip compile pyproject.toml"]
    pins = (tmp_path / "order-service" / "requirements.txt").read_text()
    assert "#    uv pip compile pyproject.toml\n" in pins
    assert re.search(r"^flask==\S+ \\\n +--hash=sha256:", pins, re.MULTILINE)
    assert_own_tests_pass(tmp_path / "order-service")


def test_failed_install_keeps_the_project_and_drops_the_virtualenv(
    tmp_path, run_flaskproto
):
    # No index and an empty wheel directory: pip finds nothing to install.
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    result = run_flaskproto(
        "new",
        "Order Service",
        "--install",
        "--no-git",
        cwd=tmp_path,
        timeout=600,
        env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(empty)},
    )
    assert result.returncode == 7
    error_lines = [
        line for line in result.stderr.splitlines() if line.startswith("Error")
    ]
    assert len(error_lines) == 1
    assert error_lines[0].startswith("Error: installing failed (python)")
    assert error_lines[0].endswith(
        f"{tmp_path / 'order-service'} was made, without .venv"
    )
    assert result.stdout == ""
    project = tmp_path / "order-service"
    assert (project / "pyproject.toml").is_file()
    assert not (project / ".venv").exists()


def test_dry_run_with_install_installs_nothing(tmp_path, run_flaskproto):
    result = run_flaskproto("new", "x1", "--install", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0
    assert list(tmp_path.iterdir()) == []


def test_install_uses_uv_when_it_is_on_path(tmp_path, run_flaskproto):
    # PATH with the uv of flaskproto's test extra, and nothing else of its
    # virtualenv, first.
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "uv").symlink_to(UV)
    path = f"{tools}{os.pathsep}{os.environ['PATH']}"
    result = new_with_install(run_flaskproto, tmp_path, env={"PATH": path})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["installed_with"] == "uv"
    assert_own_tests_pass(tmp_path / "order-service")
