"""How the benchmark measures: paths, timed processes, rounds, servers, wrk."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TEMPLATE = REPO / "templates" / "service"
WORK = BENCH / ".work"
RESULTS = BENCH / "RESULTS.md"

VENV = REPO / ".venv" / "bin"  # flaskproto, cookiecutter and jinja2
PYTHON = VENV / "python"
FLASKPROTO = VENV / "flaskproto"
UV = VENV / "uv"  # the test extra's; figure 6 puts it on PATH to install with it
PEERS = BENCH / ".venv-peers" / "bin"  # django-admin
SERVE_VENVS = {"base": BENCH / ".venv-serve", "all": BENCH / ".venv-serve-all"}

ALL_FEATURES = list(
    json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))[
        "_features"
    ]
)
WITH_ALL = ["--with", ",".join(ALL_FEATURES)]
SERVICE = "svc"  # the generated service's name, directory and package
WORKERS = "2"  # WEB_CONCURRENCY for every gunicorn run
STARTUP_DEADLINE = 30.0  # seconds a server may take to answer its first 200


class BenchError(Exception):
    """A step of the benchmark failed; the figure is reported as not measured."""


@dataclass
class Config:
    runs: int
    wrk_seconds: int
    quick: bool
    only: set[int]


# --- Timing -----------------------------------------------------------------


def run(
    cmd: list[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` to completion with no stdin; raise BenchError if it fails."""
    result = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise BenchError(
            f"{' '.join(map(str, cmd))} exited {result.returncode}: {tail}"
        )
    return result


def timed(cmd: list[str | os.PathLike[str]], **kwargs) -> float:
    """Return the wall time, in seconds, of running ``cmd`` as a whole process."""
    start = time.perf_counter()
    run(cmd, **kwargs)
    return time.perf_counter() - start


def interleave(
    cases: dict[str, Callable[[], float]], runs: int, *, warm_up: bool = True
) -> dict[str, list[float]]:
    """Measure every case ``runs`` times in rounds A, B, ..., A, B, ...

    One unrecorded round first warms the file cache and the interpreters.
    """
    if warm_up:
        for measure in cases.values():
            measure()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, measure in cases.items():
            samples[name].append(measure())
    return samples


@contextlib.contextmanager
def fresh_dir(label: str) -> Iterator[Path]:
    """A new, empty directory under bench/.work, removed afterwards."""
    WORK.mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=WORK))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def timed_in_fresh_dir(
    label: str, make_cmd: Callable[[Path], list], **kwargs
) -> Callable[[], float]:
    """A case that times ``make_cmd(dir)`` run in a new output directory."""

    def measure() -> float:
        with fresh_dir(label) as where:
            return timed(make_cmd(where), cwd=where, **kwargs)

    return measure


def env_without_flask() -> dict[str, str]:
    """This process's environment minus every ``FLASK_*`` variable."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}


# --- Servers ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServedApp:
    """How to start one app on a given port."""

    name: str
    cwd: Path
    command: Callable[[int], list]


class Server:
    """One server process on a free 127.0.0.1 port, stopped by its PID."""

    def __init__(self, app: ServedApp, log_dir: Path):
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_dir / f"{re.sub(r'[^a-z0-9]+', '-', app.name.lower())}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start the server; return the seconds until it first answered 200."""
        env = env_without_flask()
        env.update(
            FLASK_SECRET_KEY=secrets.token_hex(32),
            WEB_CONCURRENCY=WORKERS,
            BIND=f"127.0.0.1:{self.port}",
        )
        with open(self.log_path, "ab") as log:
            start = time.perf_counter()
            self.proc = subprocess.Popen(
                [str(c) for c in self.app.command(self.port)],
                cwd=self.app.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = start + STARTUP_DEADLINE
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"{self.app.name} exited {self.proc.returncode};"
                    f" see {self.log_path}"
                )
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - start
            time.sleep(0.002)
        self.stop()
        raise BenchError(f"{self.app.name} gave no 200 within {STARTUP_DEADLINE:.0f} s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def time_to_first_200(app: ServedApp, log_dir: Path) -> float:
    """Start ``app``, return the seconds to its first 200, and stop it."""
    server = Server(app, log_dir)
    try:
        return server.start()
    finally:
        server.stop()


# --- Load -------------------------------------------------------------------


@dataclass
class Load:
    rps: float
    p50: float  # seconds
    p99: float
    errors: str


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def wrk(url: str, duration: int) -> Load:
    """Load ``url`` with wrk for ``duration`` seconds; parse what it reports."""
    out = run(
        ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency", url],
        timeout=duration + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {}
    for pct in ("50", "99"):
        value, unit = re.search(
            rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M
        ).groups()
        latency[pct] = float(value) * _UNITS[unit]
    problems = re.findall(
        r"^\s*(Socket errors:.*|Non-2xx or 3xx responses:.*)$", out, re.M
    )
    return Load(rps, latency["50"], latency["99"], "; ".join(problems))
