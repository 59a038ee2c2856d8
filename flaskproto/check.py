"""Check a generated service: it imports, its tests pass, it lints, and it serves."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .errors import NotAService
from .install import VENV, make_virtualenv
from .process import last_line, run_quietly
from .service import Service
from .templates import MICRO
from .workspace import Workspace

PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"
#: Endpoints requested from the running service, and the status each must give.
PROBES = (("/", 200), ("/healthz", 200), ("/readyz", 200))
#: The micro template has /readyz only with mqtt, where it needs the broker.
MICRO_PROBES = PROBES[:2]
#: How long a server may take to start and answer, generous for a loaded machine.
SERVE_TIMEOUT = 60.0
#: The lines in which waitress and gunicorn name the address they listen on.
WAITRESS_SERVING = re.compile(r"Serving on http://127\.0\.0\.1:(\d+)")
GUNICORN_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


@dataclass
class Step:
    """The outcome of one check."""

    name: str
    status: str
    seconds: float
    detail: str = ""


@dataclass(frozen=True)
class Environment:
    """The Python a check runs the service with, and which one it is."""

    python: str
    #: "the service's .venv", "the active virtualenv" or "a throwaway virtualenv".
    kind: str


@dataclass
class CheckReport:
    """Every step of ``check_project``, in order."""

    path: Path
    environment: Environment
    steps: list[Step] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(step.status == PASSED for step in self.steps)

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "environment": self.environment.kind,
            "python": self.environment.python,
            "passed": self.passed,
            "steps": [step.__dict__ for step in self.steps],
        }


def check_project(
    path: str | os.PathLike[str] = ".",
    *,
    on_step: Callable[[Step], object] | None = None,
    on_start: Callable[[CheckReport], object] | None = None,
) -> CheckReport:
    """Check the service at ``path``, or the one holding it, as installed.

    It runs with the Python of the service's ``.venv``; else of the active
    virtualenv when the service is installed there; else of a throwaway
    virtualenv made for the check (with uv when on PATH), removed afterwards.
    ``on_start`` is called with the report once the environment is chosen.
    The steps: import the app factory, run the service's tests, run ruff when
    it is installed, and serve the app with gunicorn on a free 127.0.0.1 port
    while requesting ``/``, ``/healthz`` and ``/readyz``. A micro service is
    imported as ``package.app`` and served by waitress, asked for ``/`` and
    ``/healthz``. A step that cannot run is reported as not run, never as passed.
    """
    service = Service.find(path)
    root, package = service.root, service.package
    with _environment(root, service.slug) as environment:
        report = CheckReport(root, environment)
        if on_start is not None:
            on_start(report)
        _run_checks(report, package, service.template == MICRO, on_step)
    return report


def check_services(
    path: str | os.PathLike[str] = ".",
    *,
    on_step: Callable[[Step], object] | None = None,
    on_start: Callable[[CheckReport], object] | None = None,
    on_report: Callable[[CheckReport], object] | None = None,
) -> tuple[Path, list[CheckReport]]:
    """Check the service holding ``path``, or else every service in the folder.

    Returns the folder checked (the service's own directory for one service)
    and a report per service, in name order; ``on_report`` is called with each
    when done. NotAService when ``path`` is neither in a service nor a folder
    of services.
    """
    try:
        service = Service.find(path)
    except NotAService as err:
        workspace = Workspace.at(path)
        if not workspace.services:
            raise NotAService(f"{err}, nor a folder of services") from None
        roots = [service.root for service in workspace.services]
        top = workspace.root
    else:
        roots, top = [service.root], service.root
    reports = []
    for root in roots:
        report = check_project(root, on_step=on_step, on_start=on_start)
        reports.append(report)
        if on_report is not None:
            on_report(report)
    return top, reports


def _run_checks(
    report: CheckReport,
    package: str,
    micro: bool,
    on_step: Callable[[Step], object] | None,
) -> None:
    root, python = report.path, report.environment.python
    # The src layout imports without an install, given its dependencies.
    source = str(root / "src")
    pythonpath = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath}
    if micro:
        # A micro service refuses to import without a strong secret key.
        env.setdefault("FLASK_SECRET_KEY", secrets.token_hex(32))
    importer, server = (_import_micro, _serve_micro) if micro else (_import, _serve)
    checks: list[tuple[str, Callable[[], tuple[str, str]]]] = [
        ("import", lambda: importer(python, package, root, env)),
        ("tests", lambda: _tests(python, root, env)),
        ("ruff", lambda: _ruff(python, root, env)),
        ("serve", lambda: server(python, package, root, env)),
    ]
    for name, run in checks:
        start = time.perf_counter()
        status, detail = run()
        step = Step(name, status, round(time.perf_counter() - start, 3), detail)
        report.steps.append(step)
        if on_step is not None:
            on_step(step)


@contextmanager
def _environment(root: Path, distribution: str) -> Iterator[Environment]:
    own = root / VENV / "bin" / "python"
    if own.exists():
        yield Environment(str(own), f"the service's {VENV}")
        return
    active = _active_python()
    if active is not None and _installed(active, distribution, root):
        yield Environment(active, "the active virtualenv")
        return
    with tempfile.TemporaryDirectory(prefix="flaskproto-check-") as scratch:
        venv = Path(scratch) / "venv"
        tool = make_virtualenv(venv, root, "test", editable=False)
        python = str(venv / "bin" / "python")
        yield Environment(python, f"a throwaway virtualenv ({tool})")


def _active_python() -> str | None:
    """The Python of the activated virtualenv, or of the one flaskproto runs in."""
    prefix = os.environ.get("VIRTUAL_ENV") or (
        sys.prefix if sys.prefix != sys.base_prefix else None
    )
    if prefix is None:
        return None
    python = Path(prefix) / "bin" / "python"
    return str(python) if python.exists() else None


def _installed(python: str, distribution: str, root: Path) -> bool:
    code = f"import importlib.metadata as m; m.distribution({distribution!r})"
    return _run([python, "-c", code], root, dict(os.environ)).returncode == 0


def _run(command: list[str], root: Path, env: dict[str, str], timeout: float = 900):
    return run_quietly(command, root, env, timeout)


def _import(python: str, package: str, root: Path, env: dict[str, str]):
    code = f"import {package}; {package}.create_app({{'TESTING': True}})"
    result = _run([python, "-c", code], root, env)
    if result.returncode != 0:
        return FAILED, last_line(result.stderr)
    return PASSED, f"{package}.create_app()"


def _import_micro(python: str, package: str, root: Path, env: dict[str, str]):
    result = _run([python, "-c", f"from {package} import app"], root, env)
    if result.returncode != 0:
        return FAILED, last_line(result.stderr)
    return PASSED, f"{package}.app"


def _tests(python: str, root: Path, env: dict[str, str]):
    result = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], root, env)
    summary = last_line(result.stdout) or last_line(result.stderr)
    if result.returncode == 0:
        return PASSED, summary
    if "No module named pytest" in result.stderr:
        return NOT_RUN, "pytest is not installed"
    return FAILED, summary


def _ruff(python: str, root: Path, env: dict[str, str]):
    ruff = shutil.which("ruff", path=str(Path(python).parent)) or shutil.which("ruff")
    if ruff is None:
        return NOT_RUN, "ruff is not installed"
    for args in (["check", "."], ["format", "--check", "."]):
        result = _run([ruff, *args], root, env)
        if result.returncode != 0:
            return FAILED, f"ruff {args[0]}: {last_line(result.stdout)}"
    return PASSED, "ruff check and ruff format --check"


def _serve(python: str, package: str, root: Path, env: dict[str, str]):
    probe = _run([python, "-c", "import gunicorn"], root, env)
    if probe.returncode != 0:
        return NOT_RUN, "gunicorn is not installed"
    server_env = {
        **env,
        "BIND": "127.0.0.1:0",
        "WEB_CONCURRENCY": "1",
        "FLASK_SECRET_KEY": env.get("FLASK_SECRET_KEY") or secrets.token_hex(32),
    }
    command = [python, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    return _serve_and_probe(
        [*command, f"{package}:create_app()"],
        root,
        server_env,
        GUNICORN_LISTENING,
        "gunicorn",
        PROBES,
    )


def _serve_micro(python: str, package: str, root: Path, env: dict[str, str]):
    probe = _run([python, "-c", "import waitress"], root, env)
    if probe.returncode != 0:
        return NOT_RUN, "waitress is not installed"
    command = [python, "-m", "waitress", "--host=127.0.0.1", "--port=0"]
    return _serve_and_probe(
        [*command, f"{package}:app"],
        root,
        env,
        WAITRESS_SERVING,
        "waitress",
        MICRO_PROBES,
    )


def _serve_and_probe(
    command: list[str],
    root: Path,
    env: dict[str, str],
    listening: re.Pattern[str],
    name: str,
    probes: tuple[tuple[str, int], ...],
):
    """Start a server on port 0, read the port it got from its log, probe it.

    Binding port 0 lets the kernel choose a free port, so no other program
    can take the port between choosing it and binding it.
    """
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )

        def output() -> str:
            log.seek(0)
            return log.read()

        try:
            deadline = time.monotonic() + SERVE_TIMEOUT
            while not (found := listening.search(output())):
                if server.poll() is not None:
                    return FAILED, f"{name} exited: {last_line(output())}"
                if time.monotonic() > deadline:
                    return FAILED, f"no answer within {SERVE_TIMEOUT:.0f}s"
                time.sleep(0.05)
            return _probe(f"http://127.0.0.1:{found[1]}", server, probes, output, name)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _probe(
    base: str,
    server: subprocess.Popen[str],
    probes: tuple[tuple[str, int], ...],
    output: Callable[[], str],
    name: str,
):
    deadline = time.monotonic() + SERVE_TIMEOUT
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            if server.poll() is not None:
                return FAILED, f"{name} exited: {last_line(output())}"
            if time.monotonic() > deadline:
                return FAILED, f"no answer within {SERVE_TIMEOUT:.0f}s"
            time.sleep(0.05)
    answers = []
    for path, expected in probes:
        try:
            with urllib.request.urlopen(base + path, timeout=5) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:
            return FAILED, f"GET {path}: {error}"
        answers.append(f"GET {path} {status}")
        if status != expected:
            return FAILED, f"GET {path} answered {status}, expected {expected}"
    return PASSED, ", ".join(answers)
