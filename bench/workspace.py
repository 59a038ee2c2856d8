"""Five services from an empty folder to all ready under ``flaskproto up``.

Usage: python bench/workspace.py [--runs N]

Each round starts from an empty folder: ``flaskproto new`` for each service,
then ``flaskproto up --install`` until it prints that every service is ready,
then a second ``flaskproto up`` with the virtualenvs in place (a restart, as a
team does many times a day). One service, the baseline, and five are measured
in interleaved rounds; the ratio of medians says what the four more cost.
Writes bench/WORKSPACE.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "WORKSPACE.md"
FLASKPROTO = [sys.executable, "-m", "flaskproto"]
#: The hackathon's services and their features; the baseline is the first alone.
SERVICES = {
    "orders": "db,api",
    "payments": "db,api,auth",
    "storefront": "web",
    "inventory": "db,api,metrics",
    "notify": "",
}
READY = "services are ready"
#: The longest a round may take to be ready (installs from the package index).
DEADLINE = 1800.0


def one_round(count: int) -> dict[str, float]:
    """Time one round of ``count`` services; return each phase's seconds."""
    folder = Path(tempfile.mkdtemp(prefix=f"workspace-{count}-"))
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "NO_COLOR": "1"}
    try:
        start = time.perf_counter()
        for name, features in list(SERVICES.items())[:count]:
            with_features = ["--with", features] if features else []
            subprocess.run(
                [*FLASKPROTO, "new", name, "--no-input", *with_features],
                cwd=folder,
                env=env,
                check=True,
                capture_output=True,
            )
        made = time.perf_counter()
        first = _up_until_ready(folder, env, "--install")
        ready = time.perf_counter()
        again = _up_until_ready(folder, env)
        return {
            "new": made - start,
            "up --install to ready": first,
            "empty folder to ready": ready - start,
            "up again to ready": again,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _up_until_ready(folder: Path, env: dict[str, str], *args: str) -> float:
    """Run up; return the seconds until it says all are ready, then stop it."""
    log = folder / "up.log"
    start = time.perf_counter()
    with log.open("w") as out:
        up = subprocess.Popen(
            [*FLASKPROTO, "up", *args],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        while READY not in log.read_text(errors="replace"):
            if up.poll() is not None:
                raise SystemExit(f"up stopped:\n{log.read_text()[-3000:]}")
            if time.perf_counter() - start > DEADLINE:
                raise SystemExit(f"not ready in {DEADLINE:.0f}s")
            time.sleep(0.05)
        return time.perf_counter() - start
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    counts = (1, len(SERVICES))
    rounds: dict[int, list[dict[str, float]]] = {count: [] for count in counts}
    began = time.time()
    load = os.getloadavg()
    for number in range(runs):
        for count in counts:
            rounds[count].append(one_round(count))
            print(f"round {number + 1}, {count} services: {rounds[count][-1]}")
    RESULTS.write_text(_report(rounds, runs, began, load), encoding="utf-8")
    print(f"wrote {RESULTS}")


def _report(rounds, runs, began, load) -> str:
    one, five = (rounds[count] for count in sorted(rounds))
    made = ", ".join(
        f"{name} `{features or 'base'}`" for name, features in SERVICES.items()
    )
    lines = [
        "# A workspace: five services from an empty folder to ready",
        "",
        f"Written by `bench/workspace.py` on"
        f" {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(began))}: the median"
        f" (and range) of {runs} interleaved rounds of one service and of five"
        f" ({made}),"
        " each from an empty folder. Installs come from the package index"
        " through the machine's warm cache; uv is used when it is on PATH.",
        "",
        f"Load average at the start: {', '.join(f'{x:.2f}' for x in load)}"
        f" on {os.cpu_count()} cores; at the end:"
        f" {', '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        "",
        "| Phase | One service | Five services | Five / one |",
        "| --- | --- | --- | --- |",
    ]
    for phase in one[0]:
        a = [r[phase] for r in one]
        b = [r[phase] for r in five]
        lines.append(
            f"| {phase} | {_figure(a)} | {_figure(b)} | {median(b) / median(a):.2f}× |"
        )
    return "\n".join(lines) + "\n"


def _figure(values: list[float]) -> str:
    return f"{median(values):.1f} s ({min(values):.1f}–{max(values):.1f})"


if __name__ == "__main__":
    main()
