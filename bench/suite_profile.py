"""What bounds the generated suite: loading its app, and its slowest tests."""

from __future__ import annotations

import os
import re
import secrets
import statistics
from pathlib import Path

from measure import SERVE_VENVS, SERVICE, interleave, run, timed
from report import fmt_range, fmt_time, import_times, markdown_table

SLOWEST = 15  # test phases listed by pytest --durations
_DURATION = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+(\S.*)$", re.M)
_PASSED = re.compile(r"(\d+) passed")
APPS = 20  # create_app() calls timed in one process, after one untimed call

# The tests' settings: an in-memory database for the db feature; packages
# without it ignore the key.
SETTINGS = {
    "TESTING": True,
    "SECRET_KEY": "test-" * 8,
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
}
# What each process that serves the app (a gunicorn worker, flask run) does.
_LOAD_APP = f"from {SERVICE} import create_app; create_app({SETTINGS!r})"
# What a test's app fixture does, timed in one process: every test that uses
# the fixture pays it. It prints the mean of a call, and the part of it spent
# in the admin feature's init_app (0 without).
_CREATE_APP = f"""
import importlib.util
import time
from {SERVICE} import create_app
in_admin = [0.0]
if importlib.util.find_spec("{SERVICE}.admin"):
    from {SERVICE} import admin
    init_admin = admin.init_app
    def timed_init(app):
        start = time.perf_counter()
        init_admin(app)
        in_admin[0] += time.perf_counter() - start
    admin.init_app = timed_init
create_app({SETTINGS!r})
in_admin[0] = 0.0
start = time.perf_counter()
for _ in range({APPS}):
    create_app({SETTINGS!r})
print((time.perf_counter() - start) / {APPS}, in_admin[0] / {APPS})
"""


def slowest_phases(pytest_output: str) -> list[tuple[str, str, float]]:
    """(test id, phase, seconds) of each line of pytest's ``--durations`` report."""
    return [
        (test, phase, float(seconds))
        for seconds, phase, test in _DURATION.findall(pytest_output)
    ]


def suite_profile(
    projects: dict[str, Path], runs: int, pytest_output: str, run_seconds: float
) -> list[str]:
    """Markdown lines: the time to load the base and all-features apps and to
    check their settings, the cost of create_app(), the slowest imports of the
    all-features app, and the slowest phases of one all-features run.

    ``pytest_output`` is that run's output, with ``--durations``;
    ``run_seconds`` its wall time.
    """

    # gunicorn.conf.py checks the settings in a process of its own at each
    # start (python -m), with the environment a deployment gives it.
    check_env = {
        **os.environ,
        "FLASK_SECRET_KEY": secrets.token_hex(32),
        "FLASK_SQLALCHEMY_DATABASE_URI": "sqlite://",
    }

    def loading(label: str):
        python = SERVE_VENVS[label] / "bin" / "python"
        return lambda: timed([python, "-c", _LOAD_APP], cwd=projects[label])

    def checking(label: str):
        python = SERVE_VENVS[label] / "bin" / "python"
        return lambda: timed(
            [python, "-m", SERVICE], cwd=projects[label], env=check_env
        )

    cases = {f"load, {label}": loading(label) for label in projects}
    cases |= {f"check, {label}": checking(label) for label in projects}
    s = interleave(cases, runs)
    per_app, in_admin = {}, {}
    for label in projects:
        python = SERVE_VENVS[label] / "bin" / "python"
        out = run([python, "-c", _CREATE_APP], cwd=projects[label]).stdout
        per_app[label], in_admin[label] = map(float, out.split())
    passed = _PASSED.search(pytest_output)
    tests = int(passed[1]) if passed else 0
    python_all = SERVE_VENVS["all"] / "bin" / "python"
    imports = import_times(["-c", _LOAD_APP], projects["all"], 12, python_all)
    phases = slowest_phases(pytest_output)
    lines = [
        "### The generated suite: loading the app, and the slowest tests",
        "",
        "Whole processes in each bench virtualenv, interleaved, after a warm-up"
        f" round: loading the app (`from {SERVICE} import create_app;"
        " create_app(...)` with the tests' settings), as every process that"
        " serves it pays again (each gunicorn worker, `flask run`); and the"
        f" settings check, `python -m {SERVICE}`, that gunicorn.conf.py runs at"
        " each start before any worker:",
        "",
        markdown_table(
            ["Process", "Median", "Range (min – max)"],
            [
                [label, fmt_time(statistics.median(times)), fmt_range(times)]
                for label, times in s.items()
            ],
        ),
        "",
        f"`create_app()` with the tests' settings, the mean of {APPS} calls in one"
        " process: "
        + ", ".join(f"{label} {fmt_time(per_app[label])}" for label in projects)
        + f". The all-features run below passed {tests} tests; each that uses the"
        f" `app` fixture makes one, up to {fmt_time(tests * per_app['all'])} in"
        f" all. Of an all-features app's {fmt_time(per_app['all'])},"
        f" {fmt_time(in_admin['all'])} is the admin feature's init_app"
        " (Flask-Admin's views, each a blueprint of URL rules).",
        "",
        "`python -X importtime`, loading the all-features app: slowest imports",
        "",
        markdown_table(["Module (· per nesting level)", "Cumulative", "Self"], imports),
        "",
    ]
    if not phases:
        return [*lines, "pytest reported no durations."]
    listed = sum(seconds for _, _, seconds in phases)
    return [
        *lines,
        f"The {len(phases)} slowest test phases of one all-features run"
        f" (`--durations={SLOWEST}`, one of the timed runs of figure 6):",
        "",
        markdown_table(
            ["Test", "Phase", "Seconds"],
            [[f"`{test}`", phase, f"{sec:.2f}"] for test, phase, sec in phases],
        ),
        "",
        f"These {len(phases)} phases add up to {fmt_time(listed)} of that run's"
        f" {fmt_time(run_seconds)} (whole process, collection and start-up"
        " included).",
    ]
