"""Generated services under load, faults and hostile input, served by gunicorn.

A representative set of feature combinations is generated, installed and
served by gunicorn with three workers on 127.0.0.1 (api without db: one
worker with three threads, its items being in memory); those with db use a
private PostgreSQL server. Each is then tried: a burst of requests, a worker
killed with SIGKILL, and, with the features that offer them, schemathesis
against the live OpenAPI document, concurrent writes, sign-in limits and
cookies over real HTTP. These tests take minutes: `make test-reliability`
runs them, `make test` does not.
"""

import concurrent.futures
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import PATIENCE, listening_port, wait_for

from flaskproto import create_project
from flaskproto.features import catalogue, select
from flaskproto.templates import load_template

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

TEMPLATE = load_template()
EVERYTHING = list(catalogue(TEMPLATE))
REPRESENTATIVE = {
    "base": [],
    "api": ["api"],
    "db+api+auth": ["db", "api", "auth"],
    "all": EVERYTHING,
}
WORKERS = 3
BURST = 20_000
CONCURRENCY = 64
PASSWORD = secrets.token_urlsafe(16)
EMAIL = "load@example.com"


def features_of(combo: str) -> list[str]:
    return list(select(TEMPLATE, REPRESENTATIVE[combo]).names)


def combos_with(*features: str) -> list[str]:
    return [c for c in REPRESENTATIVE if set(features) <= set(features_of(c))]


def tool(name: str) -> str:
    here = str(Path(sys.executable).parent)
    path = shutil.which(name, path=here) or shutil.which(name)
    assert path, f"{name} is missing: make test-reliability installs it"
    return path


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        assert self.headers.get_content_type() == "application/json", self.body
        return json.loads(self.body)


@dataclass
class Served:
    """A generated service running under gunicorn."""

    features: list[str]
    package: str
    port: int
    process: subprocess.Popen
    log: Path
    worker_count: int
    database: str | None = None

    def request(self, method, path, body=None, headers=None) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            if isinstance(body, dict):
                body = json.dumps(body)
                headers = {"Content-Type": "application/json", **(headers or {})}
            connection.request(method, path, body, headers or {})
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def workers(self) -> set[int]:
        """The process ids of gunicorn's workers: its master's children."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return {int(child) for child in children}

    def login(self, email=EMAIL, password=PASSWORD) -> Response:
        return self.request(
            "POST", "/auth/login", {"email": email, "password": password}
        )

    def token_headers(self) -> dict[str, str]:
        response = self.login()
        assert response.status == 200, response.body
        return {"Authorization": f"Bearer {response.json()['token']}"}


@dataclass
class Installed:
    """A generated service installed in the test virtualenv, ready to serve."""

    features: list[str]
    project: Path
    package: str
    env: dict[str, str]
    database: str | None


@pytest.fixture(scope="module")
def serve(request, service_venv, tmp_path_factory):
    """Start a combination's service on first use; stop them all at the end."""
    installed: dict[str, Installed] = {}
    started: dict[tuple[str, int], Served] = {}

    def install(combo: str) -> Installed:
        features = features_of(combo)
        where = tmp_path_factory.mktemp(combo.replace("+", "-"))
        name = "Sturdy " + combo.replace("+", " ")
        result = create_project(name, where, features=features, git=False)
        project, package = result.path, result.names.package_name
        extras = "[postgres]" if "db" in features else ""
        service_venv.pip("--no-build-isolation", f"{project}{extras}")
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(where),
            "FLASK_SECRET_KEY": secrets.token_hex(32),
        }
        database = None
        if "db" in features:
            postgres = request.getfixturevalue("postgres")
            env["FLASK_SQLALCHEMY_DATABASE_URI"] = postgres.create_database(package)
            database = package
            flask = [service_venv.bin("flask"), "--app", package]
            commands = [["db", "upgrade"]]
            if "auth" in features:
                commands.append(["user", "create", EMAIL, "--password", PASSWORD])
            for args in commands:
                done = service_venv.run(*flask, *args, cwd=project, env=env)
                assert done.returncode == 0, done.stdout + done.stderr
        return Installed(features, project, package, env, database)

    def start(combo: str, workers: int = WORKERS) -> Served:
        if (combo, workers) in started:
            return started[combo, workers]
        if combo not in installed:
            installed[combo] = install(combo)
        service = installed[combo]
        log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    service_venv.bin("gunicorn"),
                    "--config",
                    str(service.project / "gunicorn.conf.py"),
                    f"{service.package}:create_app()",
                ],
                cwd=log.parent,
                env={
                    **service.env,
                    "BIND": "127.0.0.1:0",
                    "WEB_CONCURRENCY": str(workers),
                },
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        # Without db, api's items live in one process: gunicorn.conf.py runs one
        # worker process, with WEB_CONCURRENCY threads.
        in_memory = "api" in service.features and "db" not in service.features
        served = Served(
            service.features,
            service.package,
            listening_port(process, log),
            process,
            log,
            1 if in_memory else workers,
            service.database,
        )
        started[combo, workers] = served

        def answers() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                return served.request("GET", "/healthz").status == 200
            except OSError:
                return False

        assert wait_for(answers), log.read_text()
        processes = served.worker_count
        assert wait_for(lambda: len(served.workers()) == processes), log.read_text()
        return served

    yield start
    for served in started.values():
        served.process.terminate()
    for served in started.values():
        served.process.wait(timeout=PATIENCE)


@pytest.mark.parametrize("combo", REPRESENTATIVE)
def test_a_burst_of_requests_all_succeed_without_worker_restarts(serve, combo):
    served = serve(combo)
    before = served.workers()
    booted = served.log.read_text().count("Booting worker")
    result = subprocess.run(
        [
            tool("ab"),
            "-q",
            "-r",  # count socket errors instead of stopping at the first
            "-s",
            "30",
            "-n",
            str(BURST),
            "-c",
            str(CONCURRENCY),
            f"http://127.0.0.1:{served.port}/",
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    report = result.stdout
    assert result.returncode == 0, report + result.stderr
    assert re.search(rf"^Complete requests:\s+{BURST}$", report, re.M), report
    assert re.search(r"^Failed requests:\s+0$", report, re.M), report
    assert "Non-2xx responses" not in report, report
    assert served.workers() == before
    log = served.log.read_text()
    assert log.count("Booting worker") == booted
    assert "WORKER TIMEOUT" not in log
    assert "Traceback" not in log


@pytest.mark.parametrize("combo", combos_with("api"))
def test_schemathesis_finds_no_server_error_nor_schema_violation(serve, combo):
    served = serve(combo)
    auth = []
    if "auth" in served.features:
        auth = ["-H", f"Authorization: {served.token_headers()['Authorization']}"]
    result = subprocess.run(
        [
            tool("schemathesis"),
            "run",
            f"http://127.0.0.1:{served.port}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "50",
            "--no-color",
            *auth,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert summary and summary[1] == summary[2] and int(summary[1]) > 100, result.stdout
    assert "Traceback" not in served.log.read_text()


@pytest.mark.parametrize("combo", combos_with("api"))
def test_oversized_and_malformed_bodies_get_json_errors(serve, combo):
    served = serve(combo)
    headers = served.token_headers() if "auth" in served.features else {}
    json_type = {"Content-Type": "application/json", **headers}
    big = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = served.request("POST", "/api/items", big, json_type)
    assert (response.status, response.json()["status"]) == (413, 413)
    response = served.request("POST", "/api/items", b'{"name": ', json_type)
    assert (response.status, response.json()["status"]) == (400, 400)


@pytest.mark.parametrize("combo", combos_with("db", "api"))
def test_concurrent_writes_lose_nothing(serve, combo, request):
    served = serve(combo)
    headers = served.token_headers() if "auth" in served.features else {}
    writes = 640

    def create(number: int) -> int:
        body = {"name": f"item {number}", "quantity": number}
        response = served.request("POST", "/api/items", body, headers)
        assert response.status == 201, response.body
        return response.json()["id"]

    postgres = request.getfixturevalue("postgres")
    count = "SELECT count(*) FROM items"
    before = int(postgres.query(served.database, count))
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        ids = list(pool.map(create, range(writes)))
    assert len(set(ids)) == writes
    assert int(postgres.query(served.database, count)) == before + writes
    total = served.request("GET", "/api/items?per_page=1").json()["pagination"]
    assert total["total"] == before + writes


@pytest.mark.parametrize("combo", combos_with("auth"))
def test_sign_in_over_http_is_safe(serve, combo):
    served = serve(combo)
    response = served.login()
    assert response.status == 200
    cookie = [part.strip() for part in response.headers["Set-Cookie"].split(";")]
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= set(cookie)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    token = {"Authorization": f"Bearer {response.json()['token']}"}
    assert served.request("GET", "/auth/me", headers=token).status == 200
    assert served.request("POST", "/auth/logout", headers=token).status == 204
    assert served.request("GET", "/auth/me", headers=token).status == 401

    # An unknown e-mail and a wrong password get the same answer.
    wrong = served.login(password="not the password")
    unknown = served.login(email="nobody@example.com", password="not the password")
    assert (
        (wrong.status, wrong.json())
        == (unknown.status, unknown.json())
        == (
            401,
            wrong.json(),
        )
    )
    assert wrong.json()["message"] == "Wrong e-mail or password."

    # The failures are counted in the database, by whichever worker serves
    # the attempt: the sixth is refused, even with the right password.
    target = "limited@example.com"
    statuses = [served.login(target, "guess").status for _ in range(5)]
    assert statuses == [401] * 5
    refused = served.login(target, "guess")
    assert refused.status == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert refused.json()["status"] == 429


@pytest.mark.parametrize("combo", REPRESENTATIVE)
def test_a_killed_worker_is_replaced_and_no_request_fails(serve, combo):
    served = serve(combo)
    workers = served.workers()
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)

    def replaced() -> bool:
        now = served.workers()
        return victim not in now and len(now) == served.worker_count

    assert wait_for(replaced), served.log.read_text()
    statuses = [served.request("GET", "/").status for _ in range(200)]
    assert statuses == [200] * 200
    assert served.process.poll() is None
