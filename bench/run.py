"""Measure flaskproto against its floor and its peers; write bench/RESULTS.md.

Every figure is the median and range of interleaved runs (A, B, A, B, ...), each
against a baseline measured in the same run. Nothing here passes or fails on
timing: a target missed is reported, with a profile of what bounds it.

    .venv/bin/python bench/run.py            # what `make bench` runs
    .venv/bin/python bench/run.py --quick    # fewer runs, shorter load, for development
    .venv/bin/python bench/run.py --quick --only 1,2
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import pstats
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TEMPLATE = REPO / "templates" / "service"
WORK = BENCH / ".work"
RESULTS = BENCH / "RESULTS.md"

VENV = REPO / ".venv" / "bin"  # flaskproto, cookiecutter and jinja2
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


# --- Results ----------------------------------------------------------------


@dataclass
class Target:
    what: str
    ratio: float
    op: str  # "<=", "<" or ">="
    bound: float

    @property
    def met(self) -> bool:
        if self.op == "<=":
            return self.ratio <= self.bound
        if self.op == "<":
            return self.ratio < self.bound
        return self.ratio >= self.bound

    @property
    def text(self) -> str:
        return f"{self.op} {self.bound:g}×"


@dataclass
class Section:
    title: str
    intro: str = ""
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def target(self, what: str, ratio: float, op: str, bound: float) -> str:
        """Record a target and return its cell for the table."""
        target = Target(what, ratio, op, bound)
        self.targets.append(target)
        return f"{target.text}: {'met' if target.met else '**not met**'}"


def fmt_time(seconds: float) -> str:
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds * 1000:.1f} ms"


def fmt_range(values: list[float], fmt: Callable[[float], str] = fmt_time) -> str:
    return f"{fmt(min(values))} – {fmt(max(values))}"


def ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(a) / statistics.median(b)


def time_row(
    name: str,
    values: list[float],
    baseline: tuple[str, list[float]] | None,
    target: str = "",
) -> list[str]:
    """A table row: name, median, range, ratio to the baseline, target."""
    cell = ""
    if baseline is not None:
        cell = f"{ratio(values, baseline[1]):.2f}× {baseline[0]}"
    return [name, fmt_time(statistics.median(values)), fmt_range(values), cell, target]


TIME_HEADERS = ["What", "Median", "Range (min – max)", "Ratio (medians)", "Target"]


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += [
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
        for row in rows
    ]
    return "\n".join(lines)


# --- Environment ------------------------------------------------------------


def dist_version(python: Path, dist: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    try:
        return run([python, "-c", code]).stdout.strip()
    except (BenchError, OSError):
        return "not installed"


def machine() -> list[list[str]]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        ["CPU", model],
        ["Cores", str(os.cpu_count())],
        ["Kernel", f"{platform.system()} {platform.release()}"],
        ["Load average at start (1, 5, 15 min)", load],
    ]


def versions() -> list[list[str]]:
    python = VENV / "python"
    serve = SERVE_VENVS["base"] / "bin" / "python"
    try:  # wrk -v prints its version, then its usage, and exits 1
        probe = subprocess.run(
            ["wrk", "-v"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=10,
        )
        match = re.search(r"wrk (\S+)", probe.stdout + probe.stderr)
        wrk = match.group(1) if match else "unknown"
    except OSError:
        wrk = "not installed"
    return [
        [
            "Python",
            run(
                [python, "-c", "import platform; print(platform.python_version())"]
            ).stdout.strip(),
        ],
        ["flaskproto", run([VENV / "flaskproto", "--version"]).stdout.split()[-1]],
        ["cookiecutter", dist_version(python, "cookiecutter")],
        ["jinja2", dist_version(python, "jinja2")],
        ["click", dist_version(python, "click")],
        ["Flask (serving)", dist_version(serve, "flask")],
        ["gunicorn (serving)", dist_version(serve, "gunicorn")],
        ["Django", dist_version(PEERS / "python", "django")],
        ["wrk", wrk],
    ]


# --- Figure 1: CLI start ----------------------------------------------------


def figure_cli_start(cfg: Config) -> Section:
    python = VENV / "python"
    cases = {
        "python -c pass": lambda: timed([python, "-c", "pass"]),
        'python -c "import click"': lambda: timed([python, "-c", "import click"]),
        "flaskproto --help": lambda: timed([VENV / "flaskproto", "--help"]),
        "flaskproto --version": lambda: timed([VENV / "flaskproto", "--version"]),
    }
    s = interleave(cases, cfg.runs)
    section = Section(
        "1. CLI start",
        "Whole process, from the console script in `.venv`; the baseline is the same "
        "interpreter importing click and nothing else.",
        TIME_HEADERS,
    )
    click = ("import click", s['python -c "import click"'])
    section.rows.append(time_row("python -c pass", s["python -c pass"], click))
    section.rows.append(
        time_row('python -c "import click"', click[1], None, "baseline")
    )
    for name in ("flaskproto --help", "flaskproto --version"):
        cell = section.target(
            name + " vs import click", ratio(s[name], click[1]), "<=", 1.3
        )
        section.rows.append(time_row(name, s[name], click, cell))
    return section


# --- Figure 2: generation ---------------------------------------------------


def cookiecutter_env() -> dict[str, str]:
    """cookiecutter with its replay and clone directories kept in bench/.work."""
    WORK.mkdir(exist_ok=True)
    config = WORK / "cookiecutterrc.yaml"
    config.write_text(
        f"replay_dir: {WORK / 'cookiecutter-replay'}\n"
        f"cookiecutters_dir: {WORK / 'cookiecutters'}\n",
        encoding="utf-8",
    )
    return {**os.environ, "COOKIECUTTER_CONFIG": str(config)}


def tree(root: Path, ignore: set[str] = frozenset()) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root``: relative path -> (content, permission bits)."""
    files = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel not in ignore and not rel.startswith(".git/"):
            files[rel] = (path.read_bytes(), path.stat().st_mode & 0o777)
    return files


def verify_floor(features: list[str]) -> tuple[Path, str]:
    """Render one project with flaskproto and with the floor; compare the trees.

    Returns the floor's context file and a sentence saying whether they match.
    """
    WORK.mkdir(exist_ok=True)
    label = "all" if features else "base"
    context_file = WORK / f"context-{label}.json"
    with fresh_dir("verify") as where:
        run(
            [
                VENV / "flaskproto",
                "new",
                "x",
                "--no-input",
                "--no-git",
                "-o",
                where / "fp",
                *features,
            ]
        )
        made = where / "fp" / "x"
        record = json.loads((made / ".flaskproto.json").read_text(encoding="utf-8"))
        context_file.write_text(json.dumps(record["context"]), encoding="utf-8")
        run([VENV / "python", BENCH / "floor.py", context_file, where / "floor"])
        ours = tree(made, ignore={".flaskproto.json"})
        floor = tree(where / "floor" / "x")
    if ours == floor:
        return (
            context_file,
            f"{label}: the floor's tree equals flaskproto's"
            f" ({len(ours)} files, contents and modes).",
        )
    only_ours = sorted(set(ours) - set(floor))
    only_floor = sorted(set(floor) - set(ours))
    differ = sorted(k for k in set(ours) & set(floor) if ours[k] != floor[k])
    raise BenchError(
        f"{label}: the floor's tree differs from flaskproto's:"
        f" only flaskproto {only_ours}, only the floor {only_floor},"
        f" different {differ}"
    )


def figure_generation(cfg: Config) -> Section:
    section = Section(
        "2. Generation",
        "Whole process, a fresh output directory each run, project `x`. "
        "Floor: `bench/floor.py`, jinja2 only, same template, context and files. "
        "cookiecutter: its CLI, `cookiecutter --no-input`, on the same template "
        "(it runs the template's post-generation hook). "
        "The git step is `--git` minus `--no-git`, per round. Ratios are of medians.",
        [
            "What",
            "Median",
            "Range (min – max)",
            "× floor",
            "× cookiecutter CLI",
            "× django-admin",
        ],
    )
    cc_env = cookiecutter_env()
    cases: dict[str, Callable[[], float]] = {}
    for label, features in (("base", []), ("all features", WITH_ALL)):
        context_file, verdict = verify_floor(features)
        section.notes.append("Floor check, " + verdict)
        cc_vars = [f"with_{name}=yes" for name in ALL_FEATURES] if features else []
        cases[f"floor, {label}"] = timed_in_fresh_dir(
            "floor",
            lambda d, c=context_file: [VENV / "python", BENCH / "floor.py", c, d],
        )
        for git in ("--no-git", "--git"):
            cases[f"flaskproto new {git}, {label}"] = timed_in_fresh_dir(
                "new",
                lambda d, g=git, f=features: [
                    VENV / "flaskproto",
                    "new",
                    "x",
                    "--no-input",
                    g,
                    *f,
                ],
            )
        cases[f"cookiecutter --no-input, {label}"] = timed_in_fresh_dir(
            "cc",
            lambda d, v=cc_vars: [
                VENV / "cookiecutter",
                "--no-input",
                TEMPLATE,
                "project_name=x",
                *v,
            ],
            env=cc_env,
        )
        if not features:
            cases["django-admin startproject"] = timed_in_fresh_dir(
                "django", lambda d: [PEERS / "django-admin", "startproject", "x"]
            )
    s = interleave(cases, cfg.runs)

    def row(name: str, values: list[float], *ratios: str) -> list[str]:
        return [name, fmt_time(statistics.median(values)), fmt_range(values), *ratios]

    def against(
        values: list[float],
        baseline: list[float],
        what: str = "",
        op: str = "",
        bound: float = 0.0,
    ) -> str:
        value = ratio(values, baseline)
        if not what:
            return f"{value:.2f}×"
        return f"{value:.2f}× ({section.target(what, value, op, bound)})"

    for label in ("base", "all features"):
        ours = s[f"flaskproto new --no-git, {label}"]
        with_git = s[f"flaskproto new --git, {label}"]
        floor = s[f"floor, {label}"]
        cc = s[f"cookiecutter --no-input, {label}"]
        django = s["django-admin startproject"]
        step = [g - n for g, n in zip(with_git, ours, strict=True)]
        section.rows += [
            row(f"**{label}**: floor (jinja2 only)", floor, "baseline", "", ""),
            row(
                "flaskproto new --no-git",
                ours,
                against(ours, floor, f"new --no-git vs floor, {label}", "<=", 1.6),
                against(
                    ours, cc, f"new --no-git vs cookiecutter CLI, {label}", "<=", 0.7
                ),
                against(
                    ours, django, "new --no-git vs django-admin startproject", "<", 1.0
                )
                if label == "base"
                else against(ours, django),
            ),
            row(
                "flaskproto new --git",
                with_git,
                against(with_git, floor),
                against(with_git, cc),
                against(with_git, django),
            ),
            row("git step alone (--git minus --no-git)", step, "", "", ""),
            row(
                "cookiecutter --no-input",
                cc,
                against(cc, floor),
                "baseline",
                against(cc, django),
            ),
        ]
    section.rows.append(
        row(
            "django-admin startproject",
            django,
            against(django, s["floor, base"]) + " (base floor)",
            "",
            "baseline",
        )
    )
    return section


# --- Figure 3: many projects in one process ----------------------------------


def figure_many(cfg: Config) -> Section:
    counts = (1, 10, 50)
    calls: dict[int, list[list[float]]] = {n: [] for n in counts}

    def case(n: int) -> Callable[[], float]:
        def measure() -> float:
            with fresh_dir("many") as where:
                out = run([VENV / "python", BENCH / "many.py", str(n), where]).stdout
            data = json.loads(out)
            calls[n].append(data["calls"])
            return data["total"] / n

        return measure

    s = interleave({f"{n} projects": case(n) for n in counts}, cfg.runs)
    for n in counts:
        del calls[n][0]  # the warm-up round
    section = Section(
        "3. Many projects in one process",
        "`flaskproto.create_project(name, dir, git=False)` called N times in one "
        "process (`bench/many.py`), timed inside the process from the first call "
        "(which pays the renderer's lazy imports) to the last. "
        "Steady cost: the mean of calls 2–10 at N=10 and of calls 41–50 at N=50.",
        [
            "What",
            "Median per project",
            "Range (min – max)",
            "Ratio (medians)",
            "Target",
        ],
    )
    one = ("N=1", s["1 projects"])
    for n in counts:
        section.rows.append(
            time_row(f"N={n}, total / N", s[f"{n} projects"], None if n == 1 else one)
        )
    early = [statistics.mean(c[1:10]) for c in calls[10]]
    late = [statistics.mean(c[40:50]) for c in calls[50]]
    section.rows.append(
        time_row("steady cost, calls 2–10 of N=10", early, None, "baseline")
    )
    cell = section.target(
        "per-project cost, calls 41–50 of N=50 vs 2–10 of N=10",
        ratio(late, early),
        "<=",
        1.1,
    )
    section.rows.append(
        time_row("steady cost, calls 41–50 of N=50", late, ("calls 2–10", early), cell)
    )
    return section


# --- Servers ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(
        FLASK_SECRET_KEY=secrets.token_hex(32),
        WEB_CONCURRENCY=WORKERS,
        BIND=f"127.0.0.1:{port}",
    )
    return env


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
        with open(self.log_path, "ab") as log:
            start = time.perf_counter()
            self.proc = subprocess.Popen(
                [str(c) for c in self.app.command(self.port)],
                cwd=self.app.cwd,
                env=service_env(self.port),
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


@dataclass
class Load:
    rps: float
    p50: float  # seconds
    p99: float
    errors: str


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def wrk(url: str, duration: int) -> Load:
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


def install_service(label: str) -> Path:
    """Generate the service ``svc`` (base or all features) and install it, with
    its test extra, into its bench virtualenv. Returns the project directory."""
    venv = SERVE_VENVS[label]
    python = venv / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", venv])
        run([python, "-m", "pip", "install", "--quiet", "hatchling"])
    where = WORK / f"service-{label}"
    shutil.rmtree(where, ignore_errors=True)
    features = WITH_ALL if label == "all" else []
    run(
        [
            VENV / "flaskproto",
            "new",
            SERVICE,
            "--no-input",
            "--no-git",
            "-o",
            where,
            *features,
        ]
    )
    project = where / SERVICE
    run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-build-isolation",
            f"{project}[test]",
        ]
    )
    return project


def served_apps(project: Path) -> dict[str, ServedApp]:
    bin_dir = SERVE_VENVS["base"] / "bin"
    gunicorn = [bin_dir / "gunicorn", "-c", project / "gunicorn.conf.py"]

    def dev(app: str) -> Callable[[int], list]:
        return lambda port: [
            bin_dir / "flask",
            "--app",
            app,
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--with-threads",
            "--no-reload",
            "--no-debugger",
        ]

    return {
        "bare": ServedApp(
            "bare app, gunicorn", BENCH, lambda port: [*gunicorn, "bare_app:app"]
        ),
        "svc": ServedApp(
            "generated service, gunicorn",
            project,
            lambda port: [*gunicorn, f"{SERVICE}:create_app()"],
        ),
        "bare-dev": ServedApp("bare app, flask run", BENCH, dev("bare_app")),
        "svc-dev": ServedApp(
            "generated service, flask run", project, dev(f"{SERVICE}:create_app")
        ),
    }


# --- Figure 4: serving --------------------------------------------------------


def figure_serving(cfg: Config, project: Path) -> Section:
    apps = served_apps(project)
    duration = cfg.wrk_seconds
    section = Section(
        "4. Serving",
        f"`wrk -t2 -c32 -d{duration}s --latency` on 127.0.0.1, GET `/`. Both"
        " gunicorn runs use the generated `gunicorn.conf.py` (`-c`),"
        f" WEB_CONCURRENCY={WORKERS}, access log to a file; the bare app is"
        " `bench/bare_app.py`. `flask run` is Flask's development server,"
        " threaded. All four servers run throughout; the load goes to one at a"
        " time, interleaved. wrk shares the machine's cores with the server.",
        [
            "What",
            "Requests/s, median",
            "Range (min – max)",
            "p50",
            "p99",
            "Ratio (medians)",
            "Target",
        ],
    )
    loads: dict[str, list[Load]] = {key: [] for key in apps}
    with fresh_dir("serve") as logs:
        servers = {key: Server(app, logs) for key, app in apps.items()}
        try:
            for server in servers.values():
                server.start()
            for server in servers.values():  # warm-up, not recorded
                wrk(server.url, 1)
            for _ in range(cfg.runs):
                for key, server in servers.items():
                    loads[key].append(wrk(server.url, duration))
        finally:
            for server in servers.values():
                server.stop()
    bare = [x.rps for x in loads["bare"]]
    for key, app in apps.items():
        rps = [x.rps for x in loads[key]]
        cell = "baseline" if key == "bare" else ""
        if key == "svc":
            cell = section.target(
                "generated service vs bare app, gunicorn, requests/s",
                ratio(rps, bare),
                ">=",
                0.9,
            )
        section.rows.append(
            [
                app.name,
                f"{statistics.median(rps):,.0f}",
                fmt_range(rps, lambda v: f"{v:,.0f}"),
                fmt_time(statistics.median(x.p50 for x in loads[key])),
                fmt_time(statistics.median(x.p99 for x in loads[key])),
                "" if key == "bare" else f"{ratio(rps, bare):.2f}× bare app, gunicorn",
                cell,
            ]
        )
        problems = sorted({x.errors for x in loads[key] if x.errors})
        if problems:
            section.notes.append(f"{app.name}: wrk reported {'; '.join(problems)}")
    dev = [x.rps for x in loads["bare-dev"]]
    section.notes.append(
        f"gunicorn serves the bare app at {ratio(bare, dev):.2f}× the requests/s"
        " of the development server."
    )
    return section


# --- Figure 5: start to first 200 --------------------------------------------


def figure_first_200(cfg: Config, project: Path) -> Section:
    apps = served_apps(project)

    def case(key: str) -> Callable[[], float]:
        def measure() -> float:
            with fresh_dir("start") as logs:
                server = Server(apps[key], logs)
                try:
                    return server.start()
                finally:
                    server.stop()

        return measure

    s = interleave({"bare": case("bare"), "svc": case("svc")}, cfg.runs)
    section = Section(
        "5. Process start to first 200",
        "From starting gunicorn (generated `gunicorn.conf.py`,"
        f" WEB_CONCURRENCY={WORKERS}) to the first 200 on GET `/`, polled every"
        " 2 ms.",
        TIME_HEADERS,
    )
    bare = ("bare app", s["bare"])
    section.rows.append(time_row(apps["bare"].name, s["bare"], None, "baseline"))
    cell = section.target(
        "generated service vs bare app, start to first 200",
        ratio(s["svc"], bare[1]),
        "<=",
        1.2,
    )
    section.rows.append(time_row(apps["svc"].name, s["svc"], bare, cell))
    return section


# --- Figure 6: the generated project's tests, and zero to serving -------------


def figure_tests_and_zero(cfg: Config, projects: dict[str, Path]) -> Section:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}

    def suite(label: str) -> Callable[[], float]:
        python = SERVE_VENVS[label] / "bin" / "python"
        return lambda: timed(
            [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=projects[label],
            env=env,
            timeout=900,
        )

    # Each suite runs for seconds and starts its own interpreters: no warm-up round.
    s = interleave(
        {"base": suite("base"), "all": suite("all")}, cfg.runs, warm_up=False
    )
    section = Section(
        "6. The generated project's tests, and zero to serving",
        "`python -m pytest -q` in the generated project, installed with its test extra "
        "in its bench virtualenv (SQLite), whole process; no warm-up round.",
        TIME_HEADERS,
    )
    section.rows.append(time_row("test suite, base", s["base"], None))
    section.rows.append(
        time_row("test suite, all features", s["all"], ("base", s["base"]))
    )

    help_text = run([VENV / "flaskproto", "new", "--help"]).stdout
    if "--install" not in help_text:
        section.rows.append(
            [
                "zero to serving",
                "not measured: flaskproto new has no --install yet",
                "",
                "",
                "",
            ]
        )
        return section
    uv = shutil.which("uv")
    installer = f"uv ({uv})" if uv else "venv + pip"
    section.notes.append(
        "Zero to serving: `flaskproto new svc --install --no-git`, then gunicorn"
        " from the service's `.venv` to the first 200; installer:"
        f" {installer}, package cache warm (one unrecorded round first)."
    )
    install: list[float] = []

    def zero() -> float:
        with fresh_dir("zero") as where:
            start = time.perf_counter()
            run(
                [
                    VENV / "flaskproto",
                    "new",
                    SERVICE,
                    "--install",
                    "--no-input",
                    "--no-git",
                ],
                cwd=where,
                timeout=900,
            )
            installed = time.perf_counter() - start
            project = where / SERVICE
            gunicorn = project / ".venv" / "bin" / "gunicorn"
            app = ServedApp(
                "zero",
                project,
                lambda port: [
                    gunicorn,
                    "-c",
                    project / "gunicorn.conf.py",
                    f"{SERVICE}:create_app()",
                ],
            )
            server = Server(app, where)
            try:
                served = server.start()
            finally:
                server.stop()
            install.append(installed)
            return installed + served

    totals = interleave({"zero": zero}, cfg.runs)["zero"]
    section.rows.append(time_row("flaskproto new --install", install[1:], None))
    section.rows.append(
        time_row("zero to serving (new --install, then first 200)", totals, None)
    )
    return section


# --- What bounds the unmet targets --------------------------------------------


def import_times(cmd: list, cwd: Path, top: int) -> list[list[str]]:
    """The ``top`` slowest imports of ``cmd`` (run with ``-X importtime``)."""
    err = run([VENV / "python", "-X", "importtime", *cmd], cwd=cwd).stderr
    entries = []
    for line in err.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            self_us, cumulative_us, indent, name = match.groups()
            entries.append((int(cumulative_us), int(self_us), len(indent) // 2, name))
    entries.sort(reverse=True)
    return [
        [f"{'· ' * depth}{name}", f"{cum / 1000:.1f} ms", f"{own / 1000:.1f} ms"]
        for cum, own, depth, name in entries[:top]
    ]


def profile_new(top: int) -> tuple[list[list[str]], list[list[str]], float, float]:
    """Profile ``flaskproto new x --no-git``: top functions, cumulative and own."""
    with fresh_dir("profile") as where:
        stats_file = where / "new.prof"
        run(
            [
                VENV / "python",
                "-m",
                "cProfile",
                "-o",
                stats_file,
                "-m",
                "flaskproto",
                "new",
                "x",
                "--no-input",
                "--no-git",
            ],
            cwd=where,
        )
        stats = pstats.Stats(str(stats_file), stream=io.StringIO())
    total = stats.total_tt
    raw = stats.stats  # {(file, line, func): (cc, nc, tt, ct, callers)}

    def name(key: tuple[str, int, str]) -> str:
        file, line, func = key
        file = re.sub(r".*/(site-packages|lib/python3\.\d+)/", "", file)
        file = file.replace(str(REPO) + "/", "")
        return f"`{func}` {file}:{line}" if file != "~" else f"`{func}`"

    # Interpreter and click plumbing frames enclose everything; leave them out
    # of the cumulative ranking, and give the import machinery's total instead.
    plumbing = ("<frozen", "<string>", "click/core.py", "flaskproto/__main__.py")

    def shown(key: tuple[str, int, str], index: int) -> bool:
        return index == 2 or not (
            key[0] == "~"
            or key[0].startswith(plumbing[:2])
            or key[0].endswith(plumbing[2:])
        )

    def rows(index: int) -> list[list[str]]:
        candidates = [item for item in raw.items() if shown(item[0], index)]
        ranked = sorted(candidates, key=lambda item: item[1][index], reverse=True)[:top]
        return [
            [
                name(key),
                str(value[1]),
                f"{value[2] * 1000:.1f} ms",
                f"{value[3] * 1000:.1f} ms",
            ]
            for key, value in ranked
        ]

    imports = max(
        (v[3] for k, v in raw.items() if k[2] == "_find_and_load"), default=0.0
    )
    return rows(3), rows(2), total, imports


def bounds_section(targets: list[Target]) -> str:
    unmet = [t for t in targets if not t.met]
    lines = ["## What bounds the unmet targets", ""]
    if unmet:
        lines.append("Not met in this run:")
        lines += [f"- {t.what}: {t.ratio:.2f}× (target {t.text})" for t in unmet]
    else:
        lines.append(
            "Every target was met in this run; the profiles below are for reference."
        )
    lines += ["", "These profiles are taken afresh on every run.", ""]
    try:
        lines += [
            "### `python -X importtime -m flaskproto --version`: slowest imports",
            "",
        ]
        lines.append(
            markdown_table(
                ["Module (· per nesting level)", "Cumulative", "Self"],
                import_times(["-m", "flaskproto", "--version"], REPO, 12),
            )
        )
        with fresh_dir("importtime") as where:
            new_imports = import_times(
                ["-m", "flaskproto", "new", "x", "--no-input", "--no-git"], where, 15
            )
        lines += [
            "",
            "### `python -X importtime -m flaskproto new x --no-git`: slowest imports",
            "",
        ]
        lines.append(
            markdown_table(
                ["Module (· per nesting level)", "Cumulative", "Self"], new_imports
            )
        )
        cumulative, own, total, imports = profile_new(15)
        headers = ["Function", "Calls", "Own time", "Cumulative"]
        lines += ["", "### cProfile of `flaskproto new x --no-git`", ""]
        lines += [
            f"{total * 1000:.0f} ms profiled (the profiler slows the run), of which "
            f"{imports * 1000:.0f} ms ({imports / total:.0%}) in imports.",
            "",
        ]
        lines += [
            "By cumulative time (interpreter and click frames left out):",
            "",
            markdown_table(headers, cumulative),
            "",
        ]
        lines += ["By own time:", "", markdown_table(headers, own[:12])]
    except BenchError as err:
        lines.append(f"Profiling failed: {err}")
    return "\n".join(lines) + "\n"


# --- Report -----------------------------------------------------------------


@dataclass
class Config:
    runs: int
    wrk_seconds: int
    quick: bool
    only: set[int]


def write_results(
    cfg: Config, started: float, machine_rows, version_rows, sections: list[Section]
) -> None:
    targets = [t for section in sections for t in section.targets]
    load_start = float(machine_rows[-1][1].split(",")[0])
    cores = os.cpu_count() or 1
    minutes = (time.perf_counter() - started) / 60
    out = [
        "# flaskproto benchmarks",
        "",
        f"Written by `bench/run.py{' --quick' if cfg.quick else ''}` on"
        f" {time.strftime('%Y-%m-%d %H:%M %Z')}, in {minutes:.1f} min."
        f" Each figure: the median and range of {cfg.runs} interleaved runs"
        " (A, B, A, B, …, after one unrecorded warm-up round unless said"
        " otherwise) and the ratio of medians against a baseline measured in"
        " the same run. Timing is never a pass/fail test.",
        "",
    ]
    load_end = os.getloadavg()[0]
    if max(load_start, load_end) > 0.5 * cores:
        out += [
            "**The machine was loaded** (1-minute load average"
            f" {load_start:.2f} at the start, {load_end:.2f} at the end, on"
            f" {cores} cores): the figures are provisional.",
            "",
        ]
    if cfg.quick:
        out += ["**Quick run** (`--quick`): too few runs for final figures.", ""]
    out += ["## Machine", "", markdown_table(["", ""], machine_rows), ""]
    out += ["## Versions", "", markdown_table(["", ""], version_rows), ""]
    out += ["## Targets", ""]
    if targets:
        out.append(
            markdown_table(
                ["Target", "Ratio", "Bound", "Met"],
                [
                    [t.what, f"{t.ratio:.2f}×", t.text, "yes" if t.met else "**no**"]
                    for t in targets
                ],
            )
        )
    else:
        out.append("No target was measured.")
    out.append("")
    for section in sections:
        out += [f"## {section.title}", ""]
        if section.intro:
            out += [section.intro, ""]
        if section.rows:
            out += [markdown_table(section.headers, section.rows), ""]
        out += [f"- {note}" for note in section.notes]
        if section.notes:
            out.append("")
    out.append(bounds_section(targets))
    RESULTS.write_text("\n".join(out), encoding="utf-8")


def measure(
    number: int, title: str, cfg: Config, func: Callable[[], Section]
) -> Section:
    """Run one figure; a failure is reported in RESULTS.md, not raised."""
    if cfg.only and number not in cfg.only:
        return Section(title, "Not run (`--only`).")
    print(f"bench: {title} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        section = func()
    except (BenchError, subprocess.TimeoutExpired, OSError) as err:
        traceback.print_exc()
        return Section(title, f"Not measured: {err}")
    print(
        f"bench: {title} done in {time.perf_counter() - start:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 runs and 2 s of load: for development"
    )
    parser.add_argument(
        "--runs", type=int, help="interleaved runs per figure (default 5, --quick 2)"
    )
    parser.add_argument(
        "--only", default="", help="comma-separated figure numbers, e.g. 1,2"
    )
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 5)
    only = {int(n) for n in args.only.split(",") if n.strip()}
    cfg = Config(
        runs=runs, wrk_seconds=2 if args.quick else 5, quick=args.quick, only=only
    )

    started = time.perf_counter()
    machine_rows = machine()
    WORK.mkdir(exist_ok=True)
    projects: dict[str, Path] = {}

    def install_all() -> dict[str, Path]:
        if not projects:
            for label in SERVE_VENVS:
                projects[label] = install_service(label)
        return projects

    sections = [
        measure(1, "1. CLI start", cfg, lambda: figure_cli_start(cfg)),
        measure(2, "2. Generation", cfg, lambda: figure_generation(cfg)),
        measure(3, "3. Many projects in one process", cfg, lambda: figure_many(cfg)),
        measure(
            4, "4. Serving", cfg, lambda: figure_serving(cfg, install_all()["base"])
        ),
        measure(
            5,
            "5. Process start to first 200",
            cfg,
            lambda: figure_first_200(cfg, install_all()["base"]),
        ),
        measure(
            6,
            "6. The generated project's tests, and zero to serving",
            cfg,
            lambda: figure_tests_and_zero(cfg, install_all()),
        ),
    ]
    write_results(cfg, started, machine_rows, versions(), sections)
    print(f"bench: wrote {RESULTS.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
