"""The generated README is a test: its shell commands run as written, in order,
in a fresh copy of the service, from making its virtualenv to serving it.

Servers (`flask run`, `gunicorn`) start in the background, are asked for `/`,
`/healthz` and `/readyz`, and are stopped. Commands of `docker` and `kubectl`
need a container engine or a cluster: they are only parsed. The base service
runs here; FLASKPROTO_README=full (make test-readme) runs the service with
db,api,auth and the one with every feature too.
"""

import os
import re
import shlex
import subprocess
import sys
import textwrap

import pytest
from conftest import PIP_ENV
from helpers import reserved_port

from flaskproto import create_project
from flaskproto.features import catalogue
from flaskproto.templates import load_template

FULL = os.environ.get("FLASKPROTO_README") == "full"
EVERYTHING = tuple(catalogue(load_template()))
FEATURES = [(), ("db", "api", "auth"), EVERYTHING] if FULL else [()]
#: Programs that need what this machine lacks: a Docker engine, a cluster.
ELSEWHERE = {"docker", "kubectl"}
SERVERS = ("flask run", "gunicorn ")
BLOCK = re.compile(r"^( *)```sh\n(.*?)^\1```$", re.MULTILINE | re.DOTALL)

# Polls the server until `/`, `/healthz` and `/readyz` answer 200, within two
# minutes; exits 1 with what it got otherwise.
POLL = """
import sys, time, urllib.request
base, deadline, last = sys.argv[1], time.monotonic() + 120, ""
while time.monotonic() < deadline:
    try:
        for path in ("/", "/healthz", "/readyz"):
            with urllib.request.urlopen(base + path, timeout=5) as response:
                last = f"{path}: {response.status}"
        sys.exit(0)
    except Exception as error:
        last = repr(error)
        time.sleep(0.2)
sys.exit(f"{base} did not answer: {last}")
"""


def commands(readme: str) -> list[str]:
    """The README's shell commands in order, continuation lines joined."""
    found = []
    for _indent, body in BLOCK.findall(readme):
        text = textwrap.dedent(body).replace("\\\n", " ")
        found += [line for line in text.splitlines() if line.strip()]
    return found


def script(lines: list[str], poll: str) -> tuple[str, list[str]]:
    """A bash script running ``lines``; servers in the background, checked, stopped.

    Returns it and the commands it only parses.
    """
    out = ["set -eo pipefail"]
    parsed_only = []
    for number, line in enumerate(lines):
        program = shlex.split(line, comments=True)[0]
        if program in ELSEWHERE:
            parsed_only.append(line)
            out.append(f"bash -n -c {shlex.quote(line)}")
        elif line.startswith(SERVERS):
            port = "$FLASK_RUN_PORT" if line.startswith("flask") else "$SERVER_PORT"
            log = f"server-{number}.log"
            out += [
                f"setsid {line} > {log} 2>&1 &",
                "server=$!",
                f'{sys.executable} {poll} "http://127.0.0.1:{port}"'
                f" || {{ kill -TERM -- -$server; cat {log}; exit 1; }}",
                "kill -TERM -- -$server",
                "wait $server || true",
            ]
        else:
            # Each command reads its own copy of the answers a person would
            # type (flask user create's password, twice): a program reading
            # a shared stdin may buffer more than its own lines.
            out.append(f'{{ {line}\n}} < "$ANSWERS"')
    return "\n".join(out) + "\n", parsed_only


@pytest.mark.parametrize("features", FEATURES, ids=lambda f: "+".join(f) or "base")
def test_readme_commands_run_as_written(tmp_path, features):
    project = create_project("Read Me", tmp_path, features=features, git=False).path
    lines = commands((project / "README.md").read_text())
    poll = tmp_path / "poll.py"
    poll.write_text(POLL)
    text, parsed_only = script(lines, str(poll))
    (tmp_path / "readme.sh").write_text(text)
    # The machine's settings for reaching the package index, as a user has them.
    network = {
        name: value
        for name, value in os.environ.items()
        if name.startswith(("PIP_", "SSL_", "REQUESTS_CA", "HTTP", "NO_PROXY"))
        or name.lower().endswith("_proxy")
    }
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ["HOME"],
        **network,
        **PIP_ENV,
        "WEB_CONCURRENCY": "2",
    }
    # What a person types when asked: a password and its confirmation.
    answers = tmp_path / "answers"
    answers.write_text("correct horse battery staple\n" * 2)
    env["ANSWERS"] = str(answers)
    with reserved_port() as server_port, reserved_port() as run_port:
        env["FLASK_RUN_PORT"] = str(run_port)
        env["SERVER_PORT"] = str(server_port)
        env["BIND"] = f"127.0.0.1:{server_port}"
        result = subprocess.run(
            ["bash", str(tmp_path / "readme.sh")],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=1800,
            start_new_session=True,
        )
    assert result.returncode == 0, text + result.stdout[-5000:] + result.stderr[-5000:]
    programs = {shlex.split(line)[0] for line in parsed_only}
    assert programs <= ELSEWHERE
    assert any(line.startswith("gunicorn ") for line in lines)
