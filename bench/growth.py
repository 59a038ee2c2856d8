"""How adding resources scales: `flaskproto add resource` time, and the grown
service's own test time, after 1, 5 and 20 resources; writes bench/GROWTH.md.

    .venv/bin/python bench/growth.py            # what `make bench-growth` runs
    .venv/bin/python bench/growth.py --quick    # up to 5 resources, one suite run each

One service (db and api, so each resource brings a model, a migration, schemas
and tests) grows resource by resource; every `add` is timed as a whole process.
The service's suite runs at each size in `bench/.venv-growth`. Growth is linear
when the cost of each further resource stays the same: the report gives that
marginal cost over each stretch and their ratio. Timing is never a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from measure import FLASKPROTO, REPO, WORK, env_without_flask, fresh_dir, run, timed

GROWTH = REPO / "bench" / "GROWTH.md"
VENV = REPO / "bench" / ".venv-growth"
FEATURES = "db,api"
FIELDS = ["-f", "name", "-f", "amount:decimal?", "-f", "day:date=2024-01-01"]


def service_venv(service: Path) -> Path:
    """A virtualenv with the service's dependencies and test extra installed."""
    python = VENV / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", VENV])
    run([python, "-m", "pip", "install", "-q", f"{service}[test]"], timeout=900)
    return python


def suite_seconds(python: Path, service: Path) -> tuple[float, int]:
    """Install the service as it is now and time its test suite: seconds, tests."""
    run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--force-reinstall",
            service,
        ]
    )
    start = time.perf_counter()
    result = run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=service,
        env=env_without_flask(),
        timeout=3600,
    )
    seconds = time.perf_counter() - start
    summary = result.stdout.strip().splitlines()[-1]
    return seconds, int(summary.split()[0])


def slope(xs: dict[int, float], a: int, b: int) -> float:
    return (xs[b] - xs[a]) / (b - a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 5 resources only")
    parser.add_argument("--runs", type=int, default=2, help="suite runs per size")
    args = parser.parse_args()
    sizes = [1, 5] if args.quick else [1, 5, 20]
    runs = 1 if args.quick else args.runs
    started = time.perf_counter()
    load = os.getloadavg()[0]
    WORK.mkdir(exist_ok=True)
    with fresh_dir("growth") as where:
        run(
            [FLASKPROTO, "new", "svc", "--with", FEATURES, "--no-git", "--no-input"],
            cwd=where,
        )
        service = where / "svc"
        print("bench: installing the service's dependencies ...", file=sys.stderr)
        python = service_venv(service)
        adds: list[float] = []
        suites: dict[int, float] = {}
        tests: dict[int, int] = {}
        suites[0], tests[0] = min(
            (suite_seconds(python, service) for _ in range(runs)), key=lambda r: r[0]
        )
        for size in sizes:
            while len(adds) < size:
                name = f"thing{len(adds) + 1}"
                adds.append(
                    timed([FLASKPROTO, "add", "resource", name, *FIELDS], cwd=service)
                )
            print(f"bench: suite with {size} resources ...", file=sys.stderr)
            suites[size], tests[size] = min(
                (suite_seconds(python, service) for _ in range(runs)),
                key=lambda r: r[0],
            )
    write(sizes, adds, suites, tests, runs, load, time.perf_counter() - started)
    print(f"bench: wrote {GROWTH.relative_to(REPO)}", file=sys.stderr)


def write(
    sizes: list[int],
    adds: list[float],
    suites: dict[int, float],
    tests: dict[int, int],
    runs: int,
    load: float,
    took: float,
) -> None:
    last = sizes[-1]
    first_adds = adds[1:5]  # the first pays for cold caches
    last_adds = adds[-5:]
    add_ratio = statistics.median(last_adds) / statistics.median(first_adds)
    lines = [
        "# Growth: adding resources",
        "",
        f"Written by `bench/growth.py` in {took / 60:.1f} min; 1-minute load average"
        f" {load:.2f} at the start, on {os.cpu_count()} cores. One service with"
        f" `--with {FEATURES}` grows to {last} resources, each with three fields"
        " (`name`, `amount:decimal?`, `day:date=2024-01-01`). Timing is never a"
        " pass/fail test.",
        "",
        *(
            [
                "**The machine was loaded**: the figures are provisional, and the"
                " ratios, measured in the same run, say more than the seconds.",
                "",
            ]
            if load > 0.5 * (os.cpu_count() or 1)
            else []
        ),
        "## `flaskproto add resource`, as a whole process",
        "",
        "| Resource number | Seconds |",
        "| --- | --- |",
        *(f"| {i} | {seconds:.3f} |" for i, seconds in enumerate(adds, start=1)),
        "",
        f"Median of adds {len(adds) - len(last_adds) + 1}–{len(adds)}"
        f" {statistics.median(last_adds):.3f} s against adds 2–5"
        f" {statistics.median(first_adds):.3f} s: **{add_ratio:.2f}×**"
        " (1× = each add costs the same however many resources the service has,"
        " so the total grows linearly).",
        "",
        f"## The service's own test suite (best of {runs})",
        "",
        "| Resources | Tests | Seconds | Seconds per test |",
        "| --- | --- | --- | --- |",
        *(
            f"| {n} | {tests[n]} | {suites[n]:.1f} | {suites[n] / tests[n]:.3f} |"
            for n in [0, *sizes]
        ),
        "",
        "Marginal cost of one more resource, in suite seconds:",
        "",
        "| Stretch | Seconds per resource |",
        "| --- | --- |",
    ]
    stretches = list(zip([0, *sizes[:-1]], sizes, strict=True))
    for a, b in stretches:
        lines.append(f"| {a} → {b} | {slope(suites, a, b):.2f} |")
    a, b = stretches[0]
    c, d = stretches[-1]
    ratio = slope(suites, c, d) / slope(suites, a, b)
    lines += [
        "",
        f"Ratio of the last stretch's marginal cost to the first's: **{ratio:.2f}×**"
        " (about 1× is linear growth; a ratio growing with the size, such as 4× for"
        " 5 → 20 against 0 → 1, would be quadratic).",
        "",
    ]
    GROWTH.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
