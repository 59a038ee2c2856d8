"""What the benchmark reports: tables, machine and versions, profiles, RESULTS.md."""

from __future__ import annotations

import contextlib
import io
import operator
import os
import platform
import pstats
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from measure import (
    FLASKPROTO,
    PEERS,
    PYTHON,
    REPO,
    RESULTS,
    SERVE_VENVS,
    BenchError,
    Config,
    fresh_dir,
    run,
)

_COMPARE = {"<=": operator.le, "<": operator.lt, ">=": operator.ge}


@dataclass
class Target:
    what: str
    value: float  # a ratio of medians, or a median in seconds
    op: str  # "<=", "<" or ">="
    bound: float
    unit: str = "×"  # "×" for a ratio, " s" for seconds

    @property
    def met(self) -> bool:
        return _COMPARE[self.op](self.value, self.bound)

    @property
    def measured(self) -> str:
        return f"{self.value:.2f}{self.unit}"

    @property
    def text(self) -> str:
        return f"{self.op} {self.bound:g}{self.unit}"


@dataclass
class Section:
    """One figure's part of RESULTS.md, under a title the caller gives it."""

    intro: str = ""
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Markdown lines of a profile of what bounds this figure, measured in the
    # same run; they go under "What bounds the unmet targets".
    profile: list[str] = field(default_factory=list)

    def target(
        self, what: str, value: float, op: str, bound: float, unit: str = "×"
    ) -> str:
        """Record a target and return its cell for the table."""
        target = Target(what, value, op, bound, unit)
        self.targets.append(target)
        return f"{target.text}: {'met' if target.met else '**not met**'}"


# --- Cells and tables -------------------------------------------------------


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


def time_cells(name: str, values: list[float]) -> list[str]:
    """The first cells of a row: name, median, range."""
    return [name, fmt_time(statistics.median(values)), fmt_range(values)]


TIME_HEADERS = ["What", "Median", "Range (min – max)", "Ratio (medians)", "Target"]


def time_row(
    name: str,
    values: list[float],
    baseline: tuple[str, list[float]] | None,
    target: str = "",
) -> list[str]:
    """A row under TIME_HEADERS: name, median, range, ratio to the baseline, target."""
    cell = ""
    if baseline is not None:
        cell = f"{ratio(values, baseline[1]):.2f}× {baseline[0]}"
    return [*time_cells(name, values), cell, target]


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


def machine(load: tuple[float, float, float]) -> list[list[str]]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return [
        ["CPU", model],
        ["Cores", str(os.cpu_count())],
        ["Kernel", f"{platform.system()} {platform.release()}"],
        ["Load average at start (1, 5, 15 min)", ", ".join(f"{x:.2f}" for x in load)],
    ]


def versions() -> list[list[str]]:
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
    python_version = "import platform; print(platform.python_version())"
    return [
        ["Python", run([PYTHON, "-c", python_version]).stdout.strip()],
        ["flaskproto", run([FLASKPROTO, "--version"]).stdout.split()[-1]],
        ["cookiecutter", dist_version(PYTHON, "cookiecutter")],
        ["jinja2", dist_version(PYTHON, "jinja2")],
        ["click", dist_version(PYTHON, "click")],
        ["Flask (serving)", dist_version(serve, "flask")],
        ["gunicorn (serving)", dist_version(serve, "gunicorn")],
        ["Django", dist_version(PEERS / "python", "django")],
        ["wrk", wrk],
    ]


# --- What bounds the unmet targets ------------------------------------------

BOUNDS_HEADING = "## What bounds the unmet targets"

NEW = ["-m", "flaskproto", "new", "x", "--no-input", "--no-git"]
IMPORT_HEADERS = ["Module (· per nesting level)", "Cumulative", "Self"]
PROFILE_HEADERS = ["Function", "Calls", "Own time", "Cumulative"]
# Interpreter and click frames enclose everything: they are left out of the
# cumulative ranking, and the import machinery's total is given instead.
_PLUMBING_PREFIXES = ("<frozen", "<string>")
_PLUMBING_SUFFIXES = ("click/core.py", "flaskproto/__main__.py")


def _plumbing(file: str) -> bool:
    return (
        file == "~"
        or file.startswith(_PLUMBING_PREFIXES)
        or file.endswith(_PLUMBING_SUFFIXES)
    )


def import_times(
    cmd: list, cwd: Path, top: int, python: Path = PYTHON
) -> list[list[str]]:
    """The ``top`` slowest imports of ``python cmd`` (run with ``-X importtime``)."""
    err = run([python, "-X", "importtime", *cmd], cwd=cwd).stderr
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
    """Profile ``flaskproto new x --no-git``: top functions by cumulative and own
    time, the total time profiled and the time spent in imports."""
    with fresh_dir("profile") as where:
        stats_file = where / "new.prof"
        run([PYTHON, "-m", "cProfile", "-o", stats_file, *NEW], cwd=where)
        stats = pstats.Stats(str(stats_file), stream=io.StringIO())
    raw = stats.stats  # {(file, line, func): (cc, nc, tt, ct, callers)}

    def name(key: tuple[str, int, str]) -> str:
        file, line, func = key
        file = re.sub(r".*/(site-packages|lib/python3\.\d+)/", "", file)
        file = file.replace(str(REPO) + "/", "")
        return f"`{func}` {file}:{line}" if file != "~" else f"`{func}`"

    def rows(items: list, index: int) -> list[list[str]]:
        ranked = sorted(items, key=lambda item: item[1][index], reverse=True)[:top]
        return [
            [name(key), str(nc), f"{tt * 1000:.1f} ms", f"{ct * 1000:.1f} ms"]
            for key, (_, nc, tt, ct, _) in ranked
        ]

    everything = list(raw.items())
    own_code = [item for item in everything if not _plumbing(item[0][0])]
    imports = max(
        (v[3] for k, v in raw.items() if k[2] == "_find_and_load"), default=0.0
    )
    return rows(own_code, 3), rows(everything, 2), stats.total_tt, imports


def bounds_section(targets: list[Target], profiles: list[list[str]]) -> str:
    unmet = [t for t in targets if not t.met]
    lines = [BOUNDS_HEADING, ""]
    if unmet:
        lines.append("Not met in this run:")
        lines += [f"- {t.what}: {t.measured} (target {t.text})" for t in unmet]
    else:
        lines.append(
            "Every target was met in this run; the profiles below are for reference."
        )
    lines += ["", "These profiles are taken afresh on every run.", ""]
    try:
        version_imports = import_times(["-m", "flaskproto", "--version"], REPO, 12)
        lines += [
            "### `python -X importtime -m flaskproto --version`: slowest imports",
            "",
            markdown_table(IMPORT_HEADERS, version_imports),
        ]
        with fresh_dir("importtime") as where:
            new_imports = import_times(NEW, where, 15)
        lines += [
            "",
            "### `python -X importtime -m flaskproto new x --no-git`: slowest imports",
            "",
            markdown_table(IMPORT_HEADERS, new_imports),
        ]
        cumulative, own, total, imports = profile_new(15)
        lines += [
            "",
            "### cProfile of `flaskproto new x --no-git`",
            "",
            f"{total * 1000:.0f} ms profiled (the profiler slows the run), of which "
            f"{imports * 1000:.0f} ms ({imports / total:.0%}) in imports.",
            "",
            "By cumulative time (interpreter and click frames left out):",
            "",
            markdown_table(PROFILE_HEADERS, cumulative),
            "",
            "By own time:",
            "",
            markdown_table(PROFILE_HEADERS, own[:12]),
        ]
    except BenchError as err:
        lines.append(f"Profiling failed: {err}")
    for profile in profiles:
        lines += ["", *profile]
    return "\n".join(lines) + "\n"


# --- RESULTS.md -------------------------------------------------------------


def write_results(
    cfg: Config,
    started: float,
    load_start: float,
    machine_rows: list[list[str]],
    version_rows: list[list[str]],
    sections: dict[str, Section],
) -> None:
    """Write RESULTS.md: header, machine, versions, targets, figures, profiles."""
    targets = [t for section in sections.values() for t in section.targets]
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
                ["Target", "Measured", "Bound", "Met"],
                [
                    [t.what, t.measured, t.text, "yes" if t.met else "**no**"]
                    for t in targets
                ],
            )
        )
    else:
        out.append("No target was measured.")
    out.append("")
    for title, section in sections.items():
        out += section_lines(title, section)
    profiles = [section.profile for section in sections.values() if section.profile]
    out.append(bounds_section(targets, profiles))
    RESULTS.write_text("\n".join(out), encoding="utf-8")


def section_lines(title: str, section: Section) -> list[str]:
    """One figure's lines of RESULTS.md: its heading, intro, table and notes."""
    out = [f"## {title}", ""]
    if section.intro:
        out += [section.intro, ""]
    if section.rows:
        out += [markdown_table(section.headers, section.rows), ""]
    out += [f"- {note}" for note in section.notes]
    if section.notes:
        out.append("")
    return out


def replace_section(title: str, section: Section) -> None:
    """Put one figure, measured on its own, in RESULTS.md in place of its last run.

    A new figure goes before the profiles; the Targets table keeps what the
    last full run measured.
    """
    lines = RESULTS.read_text(encoding="utf-8").split("\n")
    heading = f"## {title}"
    if heading in lines:
        start = lines.index(heading)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
            len(lines),
        )
    else:
        start = end = next(
            (i for i, line in enumerate(lines) if line.startswith(BOUNDS_HEADING)),
            len(lines),
        )
    stamp = f"Measured on its own on {time.strftime('%Y-%m-%d %H:%M %Z')}."
    new = section_lines(title, section)
    new[2:2] = [stamp, ""]
    lines[start:end] = new
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
