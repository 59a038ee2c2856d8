"""Figure 7, small devices: the micro template against Flask's bare hello world
and the service template, and the servers micro could be served by.

    .venv/bin/python bench/figures_devices.py          # its section of RESULTS.md
    .venv/bin/python bench/figures_devices.py --quick  # 2 runs, 2 s of load

`make bench` runs it with the other figures. It installs each app, with the
runtime dependencies a user installs and nothing else, into its own
virtualenv, `bench/.venv-device-<app>`, so the size of each virtualenv is that
of a device's install.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from measure import (
    BENCH,
    FLASKPROTO,
    WORK,
    WORKERS,
    BenchError,
    Config,
    ServedApp,
    Server,
    fresh_dir,
    run,
    wrk,
)
from report import Section, fmt_range, ratio, replace_section

TITLE = "7. Small devices"
DEVICE = "sensor"  # the micro project's name and package
SERVICE = "svc"
THREADS = "2"  # every server: one process, two threads
REQUESTS = 1000  # requests served before resident memory is read
APPS = ("empty", "bare", "micro", "svc")
VENVS = {app: BENCH / f".venv-device-{app}" for app in APPS}
#: The other servers micro was measured under; waitress is its own.
CANDIDATES = ["gunicorn>=23,<28", "cheroot>=10,<12"]
MIB = 1024 * 1024
PROJECTS = WORK / "devices"  # the generated micro and service projects


def venv_bytes(path: Path) -> int:
    """Bytes of every file under ``path``, symbolic links not followed."""
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.lstat(os.path.join(root, name)).st_size for name in files)
    return total


def make_venv(app: str, *requirements: str | Path) -> Path:
    """A new virtualenv holding ``requirements``; returns its bin directory."""
    venv = VENVS[app]
    shutil.rmtree(venv, ignore_errors=True)
    run([sys.executable, "-m", "venv", venv])
    if requirements:
        pip = [venv / "bin" / "python", "-m", "pip", "install", "--quiet"]
        run([*pip, *requirements], timeout=900)
    return venv / "bin"


def install() -> tuple[dict[str, Path], dict[str, int]]:
    """Make the three apps' virtualenvs; return their bin directories and sizes."""
    where = PROJECTS
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    new = [FLASKPROTO, "new", "--no-input", "--no-git", "-o", where]
    run([*new, DEVICE, "--template", "micro"])
    run([*new, SERVICE])
    make_venv("empty")
    bins = {
        "bare": make_venv("bare", "flask>=3.1,<4", "waitress>=3,<4"),
        "micro": make_venv("micro", where / DEVICE),
        "svc": make_venv("svc", where / SERVICE),
    }
    sizes = {app: venv_bytes(VENVS[app]) for app in ("empty", *bins)}
    # Measured as installed; then the servers compared are added.
    run([bins["svc"] / "python", "-m", "pip", "install", "--quiet", "waitress"])
    run([bins["micro"] / "python", "-m", "pip", "install", "--quiet", *CANDIDATES])
    return bins, sizes


def served_apps(bins: dict[str, Path]) -> dict[str, ServedApp]:
    """The three apps under waitress, micro under the other servers, and the
    service as it ships: gunicorn with its own configuration."""

    def waitress(app: str, *target: str) -> Callable[[int], list]:
        return lambda port: [
            bins[app] / "waitress-serve",
            "--host=127.0.0.1",
            f"--port={port}",
            f"--threads={THREADS}",
            *target,
        ]

    micro = bins["micro"]
    return {
        "bare": ServedApp(
            "bare app, waitress", BENCH, waitress("bare", "bare_app:app")
        ),
        "micro": ServedApp("micro, waitress", WORK, waitress("micro", f"{DEVICE}:app")),
        "svc": ServedApp(
            "service, waitress",
            WORK,
            waitress("svc", "--call", f"{SERVICE}:create_app"),
        ),
        "shipped": ServedApp(
            f"service, its gunicorn.conf.py, WEB_CONCURRENCY={WORKERS}",
            PROJECTS / SERVICE,
            lambda port: [
                bins["svc"] / "gunicorn",
                "--config=gunicorn.conf.py",
                f"{SERVICE}:create_app()",
            ],
        ),
        "gunicorn": ServedApp(
            "micro, gunicorn sync, 1 worker",
            WORK,
            lambda port: [
                micro / "gunicorn",
                "--workers=1",
                f"--bind=127.0.0.1:{port}",
                f"{DEVICE}:app",
            ],
        ),
        "gthread": ServedApp(
            f"micro, gunicorn gthread, 1 worker, {THREADS} threads",
            WORK,
            lambda port: [
                micro / "gunicorn",
                "--workers=1",
                "--worker-class=gthread",
                f"--threads={THREADS}",
                f"--bind=127.0.0.1:{port}",
                f"{DEVICE}:app",
            ],
        ),
        "cheroot": ServedApp(
            f"micro, cheroot, {THREADS} threads",
            WORK,
            lambda port: [
                micro / "cheroot",
                f"--bind=127.0.0.1:{port}",
                f"--threads={THREADS}",
                f"--max-threads={THREADS}",
                f"{DEVICE}:app",
            ],
        ),
    }


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process descended from it."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree = [pid]
    for candidate in tree:
        tree.extend(child for child, parent in parents.items() if parent == candidate)
    return tree


def resident_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants (VmRSS, summed)."""
    total = 0
    for member in process_tree(pid):
        for line in Path(f"/proc/{member}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def serve_requests(port: int, count: int) -> None:
    """GET / ``count`` times over one kept-alive connection; each must be 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for _ in range(count):
            connection.request("GET", "/")
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise BenchError(f"GET / answered {response.status} on port {port}")
            if response.will_close:
                connection.close()
    finally:
        connection.close()


def measure_once(app: ServedApp, duration: int) -> tuple[float, float, float, int]:
    """Start ``app``: seconds to first 200, RSS after the requests, requests/s."""
    with fresh_dir("device") as logs:
        server = Server(app, logs)
        try:
            first = server.start()
            serve_requests(server.port, REQUESTS)
            assert server.proc is not None
            rss = resident_bytes(server.proc.pid)
            processes = len(process_tree(server.proc.pid))
            rps = wrk(server.url, duration).rps
        finally:
            server.stop()
    return first, rss, rps, processes


def figure_devices(cfg: Config) -> Section:
    load_start = os.getloadavg()[0]
    bins, sizes = install()
    apps = served_apps(bins)
    samples: dict[str, list[tuple[float, float, float, int]]] = {a: [] for a in apps}
    for app in apps.values():  # warm-up, not recorded
        measure_once(app, 1)
    for _ in range(cfg.runs):
        for key, app in apps.items():
            samples[key].append(measure_once(app, cfg.wrk_seconds))

    def median(key: str, index: int) -> float:
        return statistics.median(s[index] for s in samples[key])

    def column(key: str, index: int) -> list[float]:
        return [s[index] for s in samples[key]]

    section = Section(
        f"Each server runs one process with {THREADS} threads (gunicorn: its"
        " arbiter and one worker, both counted), on 127.0.0.1. Resident memory"
        f" (VmRSS of the server's processes, summed) is read after {REQUESTS:,}"
        " GET `/` on one kept-alive connection; start is the time from starting"
        f" the server to its first 200; requests/s is `wrk -t2 -c32"
        f" -d{cfg.wrk_seconds}s` on GET `/`. The virtualenv sizes are those of"
        " each app with the runtime dependencies it declares (bare: Flask and"
        " waitress), before the servers compared were added.",
        [
            "What",
            "RSS after 1,000 requests",
            "Ratio (medians)",
            "Start to first 200",
            "Requests/s (range)",
            "Virtualenv",
            "Target",
        ],
    )
    empty = sizes["empty"]

    def count(value: float) -> str:
        return f"{value:,.0f}"

    rss_bare = column("bare", 1)
    for key in ("bare", "micro", "svc"):
        cell = "baseline" if key == "bare" else ""
        if key == "micro":
            cell = section.target(
                "micro vs bare app, waitress, resident memory after 1,000 requests",
                ratio(column("micro", 1), rss_bare),
                "<=",
                1.1,
            )
        section.rows.append(
            [
                apps[key].name,
                f"{median(key, 1) / MIB:.1f} MiB",
                f"{ratio(column(key, 1), rss_bare):.2f}× bare",
                f"{median(key, 0):.2f} s",
                f"{median(key, 2):,.0f} ({fmt_range(column(key, 2), count)})",
                f"{sizes[key] / MIB:.1f} MiB ({(sizes[key] - empty) / MIB:.1f} MiB"
                " beyond an empty venv)",
                cell,
            ]
        )
    shipped = apps["shipped"].name
    section.notes.append(
        f"The service as it ships ({shipped}): {median('shipped', 1) / MIB:.1f} MiB"
        f" in {samples['shipped'][0][3]} processes,"
        f" {ratio(column('shipped', 1), rss_bare):.2f}× the bare app under waitress."
    )
    rss_micro = column("micro", 1)
    section.notes.append(f"An empty virtualenv with pip is {empty / MIB:.1f} MiB here.")
    load_end = os.getloadavg()[0]
    loaded = max(load_start, load_end) > 0.5 * (os.cpu_count() or 1)
    section.notes.append(
        f"1-minute load average {load_start:.2f} at the start, {load_end:.2f} at"
        f" the end, on {os.cpu_count()} cores"
        + (": the machine was loaded, the figures are provisional." if loaded else ".")
    )
    for key in ("micro", "gunicorn", "gthread", "cheroot"):
        section.notes.append(
            f"Server for micro: {apps[key].name}: {median(key, 1) / MIB:.1f} MiB in"
            f" {samples[key][0][3]} process(es),"
            f" {ratio(column(key, 1), rss_micro):.2f}× waitress;"
            f" first 200 in {median(key, 0):.2f} s; {median(key, 2):,.0f} requests/s"
        )
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 runs, 2 s of load")
    parser.add_argument("--runs", type=int, help="runs (default 5, --quick 2)")
    args = parser.parse_args()
    cfg = Config(
        runs=args.runs or (2 if args.quick else 5),
        wrk_seconds=2 if args.quick else 5,
        quick=args.quick,
        only=set(),
    )
    replace_section(TITLE, figure_devices(cfg))


if __name__ == "__main__":
    main()
