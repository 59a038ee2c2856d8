"""Figures 1-3, the tool itself: CLI start, generation, many projects in one process."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from measure import (
    ALL_FEATURES,
    BENCH,
    FLASKPROTO,
    PEERS,
    PYTHON,
    TEMPLATE,
    VENV,
    WITH_ALL,
    WORK,
    BenchError,
    Config,
    fresh_dir,
    interleave,
    run,
    timed,
    timed_in_fresh_dir,
)
from report import TIME_HEADERS, Section, ratio, time_cells, time_row

# --- Figure 1: CLI start ----------------------------------------------------


# A start of about 60 ms swings by a third from run to run on a shared
# machine: figure 1 takes this many times the runs of the others, for medians
# that hold still. It still takes seconds.
CLI_START_RUNS_FACTOR = 8


def figure_cli_start(cfg: Config) -> Section:
    cases = {
        "python -c pass": lambda: timed([PYTHON, "-c", "pass"]),
        'python -c "import click"': lambda: timed([PYTHON, "-c", "import click"]),
        "flaskproto --help": lambda: timed([FLASKPROTO, "--help"]),
        "flaskproto --version": lambda: timed([FLASKPROTO, "--version"]),
    }
    runs = cfg.runs * CLI_START_RUNS_FACTOR
    s = interleave(cases, runs)
    section = Section(
        "Whole process, from the console script in `.venv`; the baseline is the same "
        f"interpreter importing click and nothing else. {runs} interleaved runs: "
        "a start this short varies too much for fewer.",
        TIME_HEADERS,
    )
    click = ("import click", s['python -c "import click"'])
    section.rows.append(time_row("python -c pass", s["python -c pass"], click))
    section.rows.append(
        time_row('python -c "import click"', click[1], None, "baseline")
    )
    for name in ("flaskproto --help", "flaskproto --version"):
        cell = section.target(
            name + " vs import click", ratio(s[name], click[1]), "<=", 1.2
        )
        section.rows.append(time_row(name, s[name], click, cell))
    return section


# --- Figure 2: generation ---------------------------------------------------


def cookiecutter_env() -> dict[str, str]:
    """cookiecutter with its replay and clone directories kept in bench/.work."""
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
    label = "all" if features else "base"
    context_file = WORK / f"context-{label}.json"
    with fresh_dir("verify") as where:
        new = [FLASKPROTO, "new", "x", "--no-input", "--no-git", "-o", where / "fp"]
        run([*new, *features])
        made = where / "fp" / "x"
        record = json.loads((made / ".flaskproto.json").read_text(encoding="utf-8"))
        context_file.write_text(json.dumps(record["context"]), encoding="utf-8")
        run([PYTHON, BENCH / "floor.py", context_file, where / "floor"])
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
        "Whole process, a fresh output directory each run, project `x`. "
        "Floor: `bench/floor.py`, jinja2 only, same template, context and files, "
        "compiling every template as it goes. flaskproto's cache of compiled "
        "templates is warm unless said otherwise: cold is a cache directory made "
        "by that run, no cache is `FLASKPROTO_NO_CACHE=1`. "
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

    cold_dirs: list[Path] = []

    def cold_cache() -> dict[str, str]:
        # A cache directory not made yet, as on a first run.
        cold_dirs.append(Path(tempfile.mkdtemp(prefix="cache-", dir=WORK)))
        return {**os.environ, "FLASKPROTO_CACHE_DIR": str(cold_dirs[-1] / "cache")}

    def no_cache() -> dict[str, str]:
        return {**os.environ, "FLASKPROTO_NO_CACHE": "1"}

    cases: dict[str, Callable[[], float]] = {}
    new_x = [FLASKPROTO, "new", "x", "--no-input"]
    for label, features in (("base", []), ("all features", WITH_ALL)):
        context_file, verdict = verify_floor(features)
        section.notes.append("Floor check, " + verdict)
        cc_vars = [f"with_{name}=yes" for name in ALL_FEATURES] if features else []
        cases[f"floor, {label}"] = timed_in_fresh_dir(
            "floor", lambda d, c=context_file: [PYTHON, BENCH / "floor.py", c, d]
        )
        for git in ("--no-git", "--git"):
            cases[f"flaskproto new {git}, {label}"] = timed_in_fresh_dir(
                "new", lambda d, g=git, f=features: [*new_x, g, *f]
            )
        for cache, env in (("cold", cold_cache), ("no", no_cache)):
            cases[f"flaskproto new --no-git, {cache} cache, {label}"] = (
                lambda f=features, e=env: timed_in_fresh_dir(
                    "new", lambda d: [*new_x, "--no-git", *f], env=e()
                )()
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
    try:
        s = interleave(cases, cfg.runs)
    finally:
        for directory in cold_dirs:
            shutil.rmtree(directory, ignore_errors=True)

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

    django = s["django-admin startproject"]
    for label in ("base", "all features"):
        ours = s[f"flaskproto new --no-git, {label}"]
        cold = s[f"flaskproto new --no-git, cold cache, {label}"]
        none = s[f"flaskproto new --no-git, no cache, {label}"]
        with_git = s[f"flaskproto new --git, {label}"]
        floor = s[f"floor, {label}"]
        cc = s[f"cookiecutter --no-input, {label}"]
        step = [g - n for g, n in zip(with_git, ours, strict=True)]
        section.rows += [
            [
                *time_cells(f"**{label}**: floor (jinja2 only)", floor),
                "baseline",
                "",
                "",
            ],
            [
                *time_cells("flaskproto new --no-git, warm cache", ours),
                against(
                    ours,
                    floor,
                    f"new --no-git, warm cache, vs floor, {label}",
                    "<=",
                    1.0,
                ),
                against(
                    ours, cc, f"new --no-git vs cookiecutter CLI, {label}", "<=", 0.5
                ),
                against(
                    ours, django, "new --no-git vs django-admin startproject", "<=", 0.8
                )
                if label == "base"
                else against(ours, django),
            ],
            [
                *time_cells("flaskproto new --no-git, cold cache", cold),
                against(
                    cold,
                    floor,
                    f"new --no-git, cold cache, vs floor, {label}",
                    "<=",
                    1.4,
                ),
                against(cold, cc),
                against(cold, django),
            ],
            [
                *time_cells("flaskproto new --no-git, no cache", none),
                against(none, floor),
                against(none, cc),
                against(none, django),
            ],
            [
                *time_cells("flaskproto new --git", with_git),
                against(with_git, floor),
                against(with_git, cc),
                against(with_git, django),
            ],
            [*time_cells("git step alone (--git minus --no-git)", step), "", "", ""],
            [
                *time_cells("cookiecutter --no-input", cc),
                against(cc, floor),
                "baseline",
                against(cc, django),
            ],
        ]
    section.rows.append(
        [
            *time_cells("django-admin startproject", django),
            against(django, s["floor, base"]) + " (base floor)",
            "",
            "baseline",
        ]
    )
    return section


# --- Figure 3: many projects in one process ---------------------------------


def figure_many(cfg: Config) -> Section:
    counts = (1, 10, 50)
    calls: dict[int, list[list[float]]] = {n: [] for n in counts}

    def case(n: int) -> Callable[[], float]:
        def measure() -> float:
            with fresh_dir("many") as where:
                out = run([PYTHON, BENCH / "many.py", str(n), where]).stdout
            data = json.loads(out)
            calls[n].append(data["calls"])
            return data["total"] / n

        return measure

    s = interleave({f"{n} projects": case(n) for n in counts}, cfg.runs)
    for n in counts:
        del calls[n][0]  # the warm-up round
    section = Section(
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
