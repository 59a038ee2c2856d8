"""Measure flaskproto against its floor and its peers; write bench/RESULTS.md.

Every figure is the median and range of interleaved runs (A, B, A, B, ...), each
against a baseline measured in the same run. Nothing here passes or fails on
timing: a target missed is reported, with a profile of what bounds it.

    .venv/bin/python bench/run.py            # what `make bench` runs
    .venv/bin/python bench/run.py --quick    # fewer runs, shorter load, for development
    .venv/bin/python bench/run.py --quick --only 1,2

This module is the entry point: it parses the options and runs the figures in
order. `measure.py` times things, `figures_tool.py`, `figures_service.py` and
`figures_devices.py` are the seven figures, `report.py` writes RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable

from figures_devices import TITLE as DEVICES_TITLE
from figures_devices import figure_devices
from figures_service import figure_first_200, figure_serving, figure_tests_and_zero
from figures_tool import figure_cli_start, figure_generation, figure_many
from measure import REPO, RESULTS, WORK, BenchError, Config
from report import Section, machine, versions, write_results

# The figures in the order they run and appear; each title starts with its number.
FIGURES: dict[str, Callable[[Config], Section]] = {
    "1. CLI start": figure_cli_start,
    "2. Generation": figure_generation,
    "3. Many projects in one process": figure_many,
    "4. Serving": figure_serving,
    "5. Process start to first 200": figure_first_200,
    "6. The generated project's tests, and zero to serving": figure_tests_and_zero,
    DEVICES_TITLE: figure_devices,
}


def run_figure(
    number: int, title: str, cfg: Config, figure: Callable[[Config], Section]
) -> Section:
    """Run one figure; a failure is reported in RESULTS.md, not raised."""
    if cfg.only and number not in cfg.only:
        return Section("Not run (`--only`).")
    print(f"bench: {title} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        section = figure(cfg)
    except (BenchError, subprocess.TimeoutExpired, OSError) as err:
        traceback.print_exc()
        return Section(f"Not measured: {err}")
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
    cfg = Config(
        runs=args.runs or (2 if args.quick else 5),
        wrk_seconds=2 if args.quick else 5,
        quick=args.quick,
        only={int(n) for n in args.only.split(",") if n.strip()},
    )

    # What a user runs: bytecode written and read as usual, and flaskproto's
    # cache of compiled templates in a directory of the benchmark's own, warm
    # after the first run (figure 2 also times it cold and turned off).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.pop("FLASKPROTO_NO_CACHE", None)
    os.environ["FLASKPROTO_CACHE_DIR"] = str(WORK / "cache")

    started = time.perf_counter()
    load_start = os.getloadavg()
    machine_rows = machine(load_start)
    WORK.mkdir(exist_ok=True)
    sections = {
        title: run_figure(number, title, cfg, figure)
        for number, (title, figure) in enumerate(FIGURES.items(), start=1)
    }
    write_results(cfg, started, load_start[0], machine_rows, versions(), sections)
    print(f"bench: wrote {RESULTS.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
