"""Figures 4-6, the generated service: serving, first 200, its tests, from zero."""

from __future__ import annotations

import functools
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from measure import (
    BENCH,
    FLASKPROTO,
    SERVE_VENVS,
    SERVICE,
    UV,
    WITH_ALL,
    WORK,
    WORKERS,
    BenchError,
    Config,
    Load,
    ServedApp,
    Server,
    env_without_flask,
    fresh_dir,
    interleave,
    run,
    time_to_first_200,
    timed_in_fresh_dir,
    wrk,
)
from report import TIME_HEADERS, Section, fmt_range, fmt_time, ratio, time_row
from suite_profile import SLOWEST, suite_profile

# --- The service under test -------------------------------------------------


@functools.cache
def install_service(label: str) -> Path:
    """Generate the service ``svc`` (base or all features) and install it, with
    its test extra, into its bench virtualenv, once per run. Returns the project
    directory."""
    venv = SERVE_VENVS[label]
    python = venv / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", venv])
        run([python, "-m", "pip", "install", "--quiet", "hatchling"])
    where = WORK / f"service-{label}"
    shutil.rmtree(where, ignore_errors=True)
    features = WITH_ALL if label == "all" else []
    run([FLASKPROTO, "new", SERVICE, "--no-input", "--no-git", "-o", where, *features])
    project = where / SERVICE
    pip_install = [python, "-m", "pip", "install", "--quiet", "--no-build-isolation"]
    run([*pip_install, f"{project}[test]"])
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


# --- Figure 4: serving ------------------------------------------------------


def figure_serving(cfg: Config) -> Section:
    apps = served_apps(install_service("base"))
    duration = cfg.wrk_seconds
    section = Section(
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
        against, cell = f"{ratio(rps, bare):.2f}× bare app, gunicorn", ""
        if key == "bare":
            against, cell = "", "baseline"
        elif key == "svc":
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
                against,
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


# --- Figure 5: start to first 200 -------------------------------------------


def figure_first_200(cfg: Config) -> Section:
    apps = served_apps(install_service("base"))

    def case(key: str) -> Callable[[], float]:
        def measure() -> float:
            with fresh_dir("start") as logs:
                return time_to_first_200(apps[key], logs)

        return measure

    s = interleave({"bare": case("bare"), "svc": case("svc")}, cfg.runs)
    section = Section(
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


# --- Figure 6: the generated project's tests, and zero to serving -----------


def figure_tests_and_zero(cfg: Config) -> Section:
    section = Section(
        f"`python -m pytest -q -p no:cacheprovider --durations={SLOWEST}` in the"
        " generated project, installed with its test extra in its bench virtualenv"
        " (SQLite), whole process; no warm-up round.",
        TIME_HEADERS,
    )
    suite_rows(cfg, section)
    if "--install" not in run([FLASKPROTO, "new", "--help"]).stdout:
        section.rows.append(
            ["zero to serving", "not measured: flaskproto new has no --install yet"]
            + [""] * 3
        )
        return section
    zero_rows(cfg, section)
    return section


def suite_rows(cfg: Config, section: Section) -> None:
    """Time the base and all-features suites; profile what bounds the latter."""
    env = env_without_flask()
    projects = {label: install_service(label) for label in ("base", "all")}
    last_all: list[str] = []  # the output of the latest all-features run

    def suite(label: str) -> Callable[[], float]:
        python = SERVE_VENVS[label] / "bin" / "python"
        command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]

        def measure() -> float:
            start = time.perf_counter()
            done = run(
                [*command, f"--durations={SLOWEST}"],
                cwd=projects[label],
                env=env,
                timeout=900,
            )
            if label == "all":
                last_all[:] = [done.stdout]
            return time.perf_counter() - start

        return measure

    # Each suite runs for seconds and starts its own interpreters: no warm-up round.
    s = interleave({label: suite(label) for label in projects}, cfg.runs, warm_up=False)
    section.rows.append(time_row("test suite, base", s["base"], None))
    cell = section.target(
        "generated suite, all features vs base", ratio(s["all"], s["base"]), "<=", 5.0
    )
    median_all = statistics.median(s["all"])
    cell += "; " + section.target(
        "generated suite, all features, on this machine", median_all, "<=", 6, " s"
    )
    section.rows.append(
        time_row("test suite, all features", s["all"], ("base", s["base"]), cell)
    )
    section.profile = suite_profile(projects, cfg.runs, last_all[0], s["all"][-1])


def installer_paths() -> tuple[dict[str, str], list[str]]:
    """PATH for each way flaskproto installs: "pip" with no uv on it, "uv" with
    the test extra's uv first; and the directories left out for having a uv."""
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    with_uv = [d for d in dirs if shutil.which("uv", path=d) is not None]
    without_uv = os.pathsep.join(d for d in dirs if d not in with_uv)
    paths = {"pip": without_uv}
    if UV.exists():
        # A directory holding uv alone: nothing else on PATH changes.
        uv_dir = WORK / "uv-on-path"
        uv_dir.mkdir(parents=True, exist_ok=True)
        link = uv_dir / "uv"
        link.unlink(missing_ok=True)
        link.symlink_to(UV)
        paths["uv"] = f"{uv_dir}{os.pathsep}{without_uv}"
    return paths, with_uv


def zero_rows(cfg: Config, section: Section) -> None:
    """Time `new --install` then the first 200, installing with pip and with uv."""
    paths, left_out = installer_paths()
    section.notes.append(
        "Zero to serving: `flaskproto new svc --install --no-git`, then gunicorn"
        " from the service's `.venv` to the first 200, with PATH holding no uv"
        " (flaskproto installs with venv + pip) and with the uv of flaskproto's"
        " test extra first (it installs with uv), interleaved. Both package"
        " caches are the user's own (HOME unchanged) and warm: one unrecorded"
        " round first."
    )
    if left_out:
        section.notes.append(
            "PATH leaves out, for both, these directories, which hold a uv: "
            + ", ".join(f"`{d}`" for d in left_out)
            + "."
        )
    install: dict[str, list[float]] = {tool: [] for tool in paths}
    served: dict[str, list[float]] = {tool: [] for tool in paths}
    compiled: dict[str, int] = {}  # .pyc files in .venv right after the install
    new = [FLASKPROTO, "new", SERVICE, "--no-input", "--no-git"]

    def zero(tool: str) -> Callable[[], float]:
        env = {**env_without_flask(), "PATH": paths[tool]}

        def measure() -> float:
            with fresh_dir("zero") as where:
                start = time.perf_counter()
                run([*new, "--install"], cwd=where, env=env, timeout=900)
                installed = time.perf_counter() - start
                project = where / SERVICE
                venv = project / ".venv"
                cfg_lines = (venv / "pyvenv.cfg").read_text().splitlines()
                made_by_uv = any(line.startswith("uv = ") for line in cfg_lines)
                if made_by_uv != (tool == "uv"):
                    raise BenchError(f"new --install did not install with {tool}")
                config = project / "gunicorn.conf.py"
                app = ServedApp(
                    f"zero, {tool}",
                    project,
                    lambda port: [
                        venv / "bin" / "gunicorn",
                        "-c",
                        config,
                        f"{SERVICE}:create_app()",
                    ],
                )
                compiled[tool] = sum(1 for _ in venv.rglob("*.pyc"))
                first_200 = time_to_first_200(app, where)
                install[tool].append(installed)
                served[tool].append(first_200)
                return installed + first_200

        return measure

    cases = {tool: zero(tool) for tool in paths}
    # Rendering alone, to tell it from installing and pinning.
    cases["render"] = timed_in_fresh_dir(
        "zero", lambda where: new, env=env_without_flask()
    )
    totals = interleave(cases, cfg.runs)
    render = statistics.median(totals["render"])

    def medians(part: Callable[[str], float]) -> str:
        return ", ".join(f"{tool} {fmt_time(part(tool))}" for tool in paths)

    section.notes.append(
        f"Where the time goes, medians: rendering alone (`new` without `--install`)"
        f" {fmt_time(render)}; installing and pinning after it: "
        + medians(lambda tool: statistics.median(install[tool][1:]) - render)
        + "; from the end of the install to the first 200: "
        + medians(lambda tool: statistics.median(served[tool][1:]))
        + ". Compiled files (`.pyc`) in `.venv` right after the install: "
        + ", ".join(f"{tool} {compiled[tool]:,}" for tool in paths)
        + "; a first start compiles whatever it imports that has none."
    )
    # Each tool's first install was the warm-up round.
    for tool in paths:
        name = f"flaskproto new --install, {tool}"
        section.rows.append(time_row(name, install[tool][1:], None))
    zero_name = "zero to serving, {} (new --install, then first 200)"
    section.rows.append(time_row(zero_name.format("pip"), totals["pip"], None))
    if "uv" not in paths:
        section.notes.append(
            f"Not measured with uv: {UV} is missing (`make .venv/.installed-test`"
            " installs it)."
        )
        return
    median_uv = statistics.median(totals["uv"])
    cell = section.target(
        "zero to serving with uv, warm cache", median_uv, "<=", 4, " s"
    )
    pip = ("pip", totals["pip"])
    section.rows.append(time_row(zero_name.format("uv"), totals["uv"], pip, cell))
