"""Run the services of a workspace together for development: ``flaskproto up``.

Each service runs under ``flask run --debug`` (the reloader restarts it when
its code changes) on its own port, after its development database has been
brought to the migrations' head. honcho runs the processes: it starts each in
a process group of its own, prefixes every line with the service's name
(coloured at a terminal), and when one stops, or on Ctrl-C or SIGTERM, stops
the others and waits for them.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import shlex
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from honcho.manager import SYSTEM_PRINTER_NAME, Manager
from honcho.printer import Message, Printer

from .errors import InvalidInput, NotAService, ServiceStopped
from .install import VENV, install_project
from .templates import MICRO
from .workspace import Workspace, url_setting

#: How many of a stopped service's last lines are shown again at the end.
LAST_LINES = 15
#: After this many seconds without an answer, up says who it still waits for.
PATIENCE = 120.0
#: The first port given to a service whose record names none, when no other has one.
FIRST_PORT = 8000
#: honcho's own lines (the "system" process) that up acts on.
_STARTED = re.compile(r"^(?P<name>\S+) started \(pid=(?P<pid>\d+)\)$")
_STOPPED = re.compile(r"^(?P<name>\S+) stopped \(rc=(?P<code>-?\d+)\)$")
#: How long the processes a service started may take to end after it stopped.
GRACE = 10.0
_SIGNALLED = re.compile(r"^SIG(INT|TERM) received$")


@dataclass(frozen=True)
class Runner:
    """How ``up`` runs one service: where, on which port, and what it asks."""

    name: str
    path: Path
    package: str
    port: int
    migrate: bool
    #: The path whose 200 says the service is ready.
    ready_path: str = "/readyz"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def python(self) -> Path:
        return self.path / VENV / "bin" / "python"

    def command(self) -> str:
        """The shell command honcho runs: migrate, then serve in its place."""
        flask = [str(self.python), "-m", "flask", "--app", self.package]
        serve = [*flask, "run", "--debug", "--host", "127.0.0.1"]
        serve += ["--port", str(self.port)]
        steps = [shlex.join([*flask, "db", "upgrade"])] if self.migrate else []
        steps.append("exec " + shlex.join(serve))
        return " && ".join(steps)


def find_runners(start: Path, names: Sequence[str] = ()) -> list[Runner]:
    """The services of the workspace ``start`` is in, or those of them named.

    Each runs on its ``flask run`` port, or on the first port above every
    recorded one when its template records none.
    """
    workspace = Workspace.find(start)
    if not workspace.services:
        raise NotAService(
            f"no service made by flaskproto in {workspace.root} or its folders"
        )
    ports = [p for s in workspace.services for p in (s.port, s.dev_port) if p]
    spare = max(ports, default=FIRST_PORT - 1) + 1
    runners = []
    for service in workspace.services:
        port = service.dev_port
        if port is None:
            port, spare = spare, spare + 1
        runners.append(
            Runner(
                name=service.root.name,
                path=service.root,
                package=service.package,
                port=port,
                migrate=service.has("db"),
                ready_path="/healthz" if service.template == MICRO else "/readyz",
            )
        )
    unknown = set(names) - {r.name for r in runners}
    if unknown:
        raise InvalidInput(
            f"no service named {', '.join(sorted(unknown))} in {workspace.root}"
        )
    return [r for r in runners if not names or r.name in names]


def install_missing(runners: Sequence[Runner], say=print) -> None:
    """Give each service without a virtualenv its own, the project installed."""
    for runner in runners:
        if not runner.python.exists():
            say(f"Installing {runner.name} into {runner.path / VENV}")
            install_project(runner.path)


def check_installed(runners: Sequence[Runner]) -> None:
    missing = [r.name for r in runners if not r.python.exists()]
    if missing:
        raise InvalidInput(
            f"{', '.join(missing)} not installed (no {VENV}):"
            " run flaskproto up --install, or install each by hand"
        )


class _Printer(Printer):
    """honcho's printer, keeping each service's last lines and how it all ended."""

    def __init__(self, output: IO[str], colour: bool) -> None:
        super().__init__(output, colour=colour)
        self.lock = threading.Lock()
        self.last: dict[str, collections.deque[str]] = collections.defaultdict(
            lambda: collections.deque(maxlen=LAST_LINES)
        )
        #: The first service that stopped before anyone asked it to, and its code.
        self.first_stop: tuple[str, int] | None = None
        self.asked_to_stop = False
        #: The process group of each service (honcho starts each in its own).
        self.groups: list[int] = []

    def write(self, message: Message) -> None:
        data = message.data
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        if message.name == SYSTEM_PRINTER_NAME:
            self._note(text.strip())
        else:
            self.last[message.name].extend(text.splitlines())
        with self.lock:
            super().write(message)

    def _note(self, line: str) -> None:
        if started := _STARTED.match(line):
            self.groups.append(int(started["pid"]))
        elif _SIGNALLED.match(line):
            self.asked_to_stop = True
        elif (stopped := _STOPPED.match(line)) and not self.asked_to_stop:
            if self.first_stop is None:
                self.first_stop = (stopped["name"], int(stopped["code"]))

    def say(self, text: str) -> None:
        """Print lines of up's own, unprefixed, between the services' lines."""
        with self.lock:
            print(text, file=self.output, flush=True)


def run(runners: Sequence[Runner], *, output: IO[str] = sys.stdout) -> None:
    """Run ``runners`` until Ctrl-C or SIGTERM, or until one of them stops.

    Raises ServiceStopped, after showing its last lines, when a service
    stopped by itself; returns when up was asked to stop and all have.
    """
    colour = "NO_COLOR" not in os.environ
    printer = _Printer(output, colour)
    manager = Manager(printer)
    urls = {url_setting(r.name): r.url for r in runners}
    for runner in runners:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.update({k: v for k, v in urls.items() if k != url_setting(runner.name)})
        manager.add_process(runner.name, runner.command(), env=env, cwd=runner.path)
    done = threading.Event()
    watcher = threading.Thread(
        target=_announce_when_ready, args=(runners, printer, done), daemon=True
    )
    watcher.start()
    try:
        manager.loop()
    finally:
        done.set()
        watcher.join()
        _wait_for_groups(printer.groups)
    if printer.first_stop is not None:
        name, code = printer.first_stop
        lines = "\n".join(f"  {line}" for line in printer.last[name])
        printer.say(f"\nThe last lines of {name}:\n{lines}")
        raise ServiceStopped(
            f"{name} stopped with exit status {code}; the others were stopped"
        )


def _announce_when_ready(
    runners: Sequence[Runner], printer: _Printer, done: threading.Event
) -> None:
    waiting = {r.name: r for r in runners}
    started = time.monotonic()
    warned = False
    while waiting and not done.wait(0.25):
        for name, runner in list(waiting.items()):
            if _answers(runner.url + runner.ready_path):
                del waiting[name]
        if waiting and not warned and time.monotonic() - started > PATIENCE:
            warned = True
            names = ", ".join(f"{r.name} ({r.ready_path})" for r in waiting.values())
            printer.say(f"Still waiting for an answer from {names}")
    if not waiting and not done.is_set():
        width = max(len(r.name) for r in runners)
        rows = "\n".join(f"  {r.name:<{width}}  {r.url}" for r in runners)
        printer.say(f"\nAll {len(runners)} services are ready:\n{rows}\n")


def _wait_for_groups(groups: Sequence[int]) -> None:
    """Wait until no process of ``groups`` runs; kill what remains after GRACE.

    honcho waits for the process it started; a service's own children (the
    reloader's server, a migration under way) end in their own time.
    """
    deadline = time.monotonic() + GRACE
    while any(map(_group_runs, groups)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for group in groups:
        if _group_runs(group):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)


def _group_runs(group: int) -> bool:
    """Whether a process of ``group`` runs: exited ones awaiting their parent do not."""
    proc = Path("/proc")
    if not proc.is_dir():  # no /proc: ask the kernel, which counts exited ones too
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while being read
        state, process_group = fields[0], int(fields[2])
        if process_group == group and state not in ("Z", "X"):
            return True
    return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:  # refused, reset, or an HTTP error status
        return False
