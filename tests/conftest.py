import os
import re
import signal
import subprocess
import sys
import tomllib
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import isolate
from rendered import distinct_versions, render_every_combination

REPO = Path(__file__).resolve().parent.parent
# Other people's templates, kept as they published them (fixtures/README.md).
collect_ignore = ["fixtures"]

# A shell starts background jobs, and so a CI runner may start the suite, with
# SIGINT ignored; children inherit an ignored signal, and Python then leaves it
# ignored. The tests interrupt flaskproto and servers with SIGINT as a terminal
# or systemd would, so every process they start gets it as such: a handler,
# unlike SIG_IGN, does not survive exec.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
#: The uv of flaskproto's test extra.
UV = Path(sys.executable).parent / "uv"
# Pip's and uv's caches live in the real home; the tests run with a scratch HOME.
PIP_ENV = {
    "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR")
    or str(Path.home() / ".cache" / "pip"),
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR")
    or str(Path.home() / ".cache" / "uv"),
}


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path_factory):
    """Give each test its own HOME, and no FLASK_*, flaskproto or git settings."""
    home = tmp_path_factory.mktemp("home")
    isolate(monkeypatch, home)
    return home


def _project_names(requirements) -> list[str]:
    """The names of the projects among ``requirements`` given by their directory."""
    names = []
    for requirement in requirements:
        pyproject = Path(re.sub(r"\[[^]]*\]$", "", requirement)) / "pyproject.toml"
        if not requirement.startswith("-") and pyproject.is_file():
            names.append(tomllib.loads(pyproject.read_text())["project"]["name"])
    return names


@dataclass
class Venv:
    """A virtualenv the tests install generated services into."""

    path: Path

    def bin(self, name: str) -> str:
        return str(self.path / "bin" / name)

    def run(
        self,
        *args: str,
        cwd: Path | None = None,
        timeout: float = 600,
        env: dict[str, str] | None = None,
    ):
        return subprocess.run(
            list(args),
            cwd=cwd,
            env={**os.environ, **PIP_ENV, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def pip(self, *args: str, cwd: Path | None = None):
        """``uv pip install`` ``args`` here: pip's install, in a fraction of its time.

        A project given by its directory is built and installed afresh each
        time, as pip does; uv would otherwise keep an earlier build of it.
        """
        afresh = [f"--reinstall-package={name}" for name in _project_names(args)]
        result = self.run(
            str(UV),
            *("pip", "install", "--quiet", "--python", self.bin("python")),
            *afresh,
            *args,
            cwd=cwd,
        )
        assert result.returncode == 0, result.stderr
        return result

    def install_service(self, project: Path) -> None:
        """Install a generated service quickly, its dependencies being present."""
        self.pip("--no-deps", "--no-build-isolation", str(project))


@pytest.fixture(scope="session")
def projects(tmp_path_factory) -> list[Path]:
    """Every valid feature combination, rendered, each in a directory of its own."""
    return render_every_combination(tmp_path_factory.mktemp("combinations"))


@pytest.fixture(scope="session")
def distinct_files(projects, tmp_path_factory) -> Path:
    """Each distinct version of each file of ``projects`` once (see rendered.py)."""
    return distinct_versions(projects, tmp_path_factory.mktemp("distinct"))


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory) -> Venv:
    """A virtualenv with flaskproto installed from a wheel built from this tree."""
    path = tmp_path_factory.mktemp("venv") / "env"
    venv.create(path, with_pip=True)
    env = Venv(path)
    env.pip(str(REPO), "hatchling")
    return env


@pytest.fixture(scope="session")
def service_venv(fresh_venv, tmp_path_factory) -> Venv:
    """``fresh_venv`` plus a generated service installed with its test extra.

    This is the first install of a generated service, done as a user does it:
    from its own pyproject.toml, dependencies and all.
    """
    where = tmp_path_factory.mktemp("first-service")
    result = fresh_venv.run(fresh_venv.bin("flaskproto"), "new", "First", cwd=where)
    assert result.returncode == 0, result.stderr
    fresh_venv.pip(f"{where / 'first'}[test]")
    return fresh_venv


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL server on a free 127.0.0.1 port."""
    from postgres import PostgresServer

    server = PostgresServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def services(request, service_venv, tmp_path_factory):
    """Generated services served by gunicorn on first use, stopped at the end."""
    from serving import Services

    services = Services(
        service_venv, tmp_path_factory, lambda: request.getfixturevalue("postgres")
    )
    yield services
    services.close()


@pytest.fixture
def run_flaskproto():
    """Run the flaskproto of this test environment as a separate process."""

    def run(*args: str, cwd: Path, timeout: float = 60, env: dict | None = None):
        return subprocess.run(
            [sys.executable, "-m", "flaskproto", *args],
            cwd=cwd,
            env={**os.environ, **PIP_ENV, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
