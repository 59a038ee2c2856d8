"""flaskproto up: a workspace's services run together, are ready on their own
ports, and all stop, whether asked to or because one of them fails."""

import os
import re
import signal
import socket
import subprocess
import sys
from contextlib import ExitStack

import pytest
from helpers import PATIENCE, request, reserved_port, wait_for

from flaskproto import create_project
from flaskproto.service import Service

SERVICES = {"orders": ["db", "api"], "payments": ["db", "api", "auth"], "shop": []}
STARTED = re.compile(r"(\S+) started \(pid=(\d+)\)")
PAYMENTS_HEALTH = """

@bp.get("/payments-health")
def payments_health():
    from . import peers

    status, answer = peers.call("payments", "/healthz")
    return {"payments": status, "answer": answer}
"""
URL = re.compile(r"^  (\S+) +(http://127\.0\.0\.1:\d+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def workspace(service_venv, tmp_path_factory):
    """Three services in one folder, each with a .venv of its own.

    The .venv of each is a link to one virtualenv holding all three, so the
    dependencies are installed once.
    """
    root = tmp_path_factory.mktemp("hack")
    for name, features in SERVICES.items():
        path = create_project(name, root, features=features, git=False).path
        if name == "orders":
            # A route of the user's own that asks another service.
            with (path / "src" / "orders" / "hello.py").open("a") as hello:
                hello.write(PAYMENTS_HEALTH)
        service_venv.pip("--no-build-isolation", str(path))
        (path / ".venv").symlink_to(service_venv.path)
    return root


def give_ports(root, ports):
    """Record the port of flask run of each service, as new does in a workspace."""
    for name, port in ports.items():
        service = Service.at(root / name)
        service.write(
            {**service.record, "context": {**service.context, "dev_port": port}}
        )


def start_up(root, log, *args):
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "flaskproto", "up", *args],
            cwd=root,
            env={**os.environ, "FLASK_SECRET_KEY": "s" * 40},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )


def groups_started(text):
    return {name: int(pid) for name, pid in STARTED.findall(text)}


def gone(group):
    """Whether no process of the process group ``group`` runs (zombies aside)."""
    listed = subprocess.run(
        ["ps", "-e", "-o", "pgid=,stat="], capture_output=True, text=True, check=True
    ).stdout
    rows = (line.split() for line in listed.splitlines())
    return not any(int(pgid) == group and stat[0] != "Z" for pgid, stat in rows)


def traced(log, request_id):
    """The services whose lines in ``log`` carry ``request_id``."""
    line = re.compile(rf"^\S+ (\S+) +\| .*\[{re.escape(request_id)}\]", re.MULTILINE)
    return set(line.findall(log.read_text()))


def test_up_serves_every_service_on_its_port_until_sigterm(workspace, tmp_path):
    log = tmp_path / "up.log"
    with ExitStack() as held:
        ports = {name: held.enter_context(reserved_port()) for name in SERVICES}
        give_ports(workspace, ports)
        up = start_up(workspace, log)
        try:
            ready = wait_for(
                lambda: "services are ready" in log.read_text() or up.poll() is not None
            )
            assert ready and up.poll() is None, log.read_text()
            text = log.read_text()
            urls = dict(URL.findall(text))
            assert urls == {n: f"http://127.0.0.1:{p}" for n, p in ports.items()}
            for name, url in urls.items():
                assert request(f"{url}/readyz")[0] == 200, name
            # The databases were brought to the migrations' head before serving.
            assert request(f"{urls['orders']}/api/items")[0] == 200
            assert re.search(
                r"^\S+ payments +\| .*Running upgrade api_0001 -> auth_0001",
                text,
                re.MULTILINE,
            ), text
            # One request followed through two services' logs by its ID.
            status, answer = request(
                f"{urls['orders']}/payments-health",
                headers={"X-Request-ID": "trace-from-orders"},
            )
            assert status == 200, (answer, log.read_text())
            assert answer["payments"] == 200, answer
            assert wait_for(
                lambda: traced(log, "trace-from-orders") >= {"orders", "payments"}
            )
            # Each line of a service's output carries its name.
            assert re.search(r"^\S+ orders +\| ", text, re.MULTILINE), text
        finally:
            up.send_signal(signal.SIGTERM)
            _, errors = up.communicate(timeout=PATIENCE)
    text = log.read_text()
    assert up.returncode == 0, text + errors
    assert errors == ""
    started = groups_started(text)
    assert set(started) == set(SERVICES)
    assert all(gone(pid) for pid in started.values()), text


def test_a_service_that_fails_to_start_stops_the_others(workspace, tmp_path):
    log = tmp_path / "up.log"
    with ExitStack() as held:
        ports = {name: held.enter_context(reserved_port()) for name in SERVICES}
        give_ports(workspace, ports)
        # Another program already serves on the shop's port.
        squatter = held.enter_context(socket.create_server(("127.0.0.1", 0)))
        give_ports(workspace, {"shop": squatter.getsockname()[1]})
        up = start_up(workspace, log)
        try:
            _, errors = up.communicate(timeout=PATIENCE * 2)
        finally:
            if up.poll() is None:
                up.kill()
    text = log.read_text()
    assert up.returncode == 15, text + errors
    assert errors == (
        "Error: shop stopped with exit status 1; the others were stopped\n"
    )
    last = text[text.index("The last lines of shop:") :]
    assert "Address already in use" in last
    started = groups_started(text)
    assert set(started) == set(SERVICES)
    assert all(gone(pid) for pid in started.values()), text


def test_up_names_what_is_missing(workspace, tmp_path, run_flaskproto):
    result = run_flaskproto("up", "nobody", cwd=workspace)
    assert result.returncode == 2
    assert result.stderr == f"Error: no service named nobody in {workspace}\n"
    empty = run_flaskproto("up", cwd=tmp_path)
    assert empty.returncode == 10
    assert empty.stderr.startswith("Error: no service made by flaskproto in ")


def test_up_asks_for_a_virtualenv_it_does_not_have(tmp_path, run_flaskproto):
    create_project("Lonely", tmp_path, git=False)
    result = run_flaskproto("up", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "Error: lonely not installed (no .venv):"
        " run flaskproto up --install, or install each by hand\n"
    )
