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
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis
from helpers import wait_for
from serving import REPRESENTATIVE, combos_with

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

BURST = 20_000
CONCURRENCY = 64


def tool(name: str) -> str:
    here = str(Path(sys.executable).parent)
    path = shutil.which(name, path=here) or shutil.which(name)
    assert path, f"{name} is missing: make test-reliability installs it"
    return path


@pytest.fixture(scope="module")
def serve(services):
    return services.start


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


# A request beyond the HTTP server's limits, which negative data can make, is
# refused with 414 or 431, as /openapi.json says: a rejection like those in
# schemathesis's own list.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "414", "415"]
REJECTIONS += ["422", "428", "429", "431", "5xx"]


def schemathesis_config(headers: dict[str, str], logout_headers: dict[str, str]) -> str:
    """Schemathesis's settings: the headers it sends, and its checks' rules.

    POST /auth/logout revokes the token it is sent, so it gets a token of its
    own: the other operations stay signed in through every phase, and the run
    fails if any of them only ever got 401 or 403.
    """
    config = f"""headers = {toml_table(headers)}

[checks.negative_data_rejection]
expected-statuses = {json.dumps(REJECTIONS)}

[warnings]
fail-on = ["missing_auth"]
"""
    if logout_headers:
        config += f"""
[[operations]]
include-name = "POST /auth/logout"
headers = {toml_table(logout_headers)}
"""
    return config


def toml_table(values: dict[str, str]) -> str:
    pairs = ", ".join(f"{key} = {json.dumps(value)}" for key, value in values.items())
    return f"{{ {pairs} }}"


@pytest.mark.clients
@pytest.mark.parametrize("combo", combos_with("api"))
def test_schemathesis_finds_no_server_error_nor_schema_violation(
    serve, combo, tmp_path
):
    served = serve(combo)
    signed_in: list[dict[str, str]] = [{}, {}]
    if "auth" in served.features:
        signed_in = [served.token_headers(), served.token_headers()]
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_config(*signed_in))
    result = subprocess.run(
        [
            tool("schemathesis"),
            "--config-file",
            str(config),
            "run",
            f"http://127.0.0.1:{served.port}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "50",
            "--no-color",
        ],
        cwd=tmp_path,  # where schemathesis keeps its cache of failures
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert summary and summary[1] == summary[2] and int(summary[1]) > 100, result.stdout
    assert "Traceback" not in served.log.read_text()


@pytest.mark.clients
@pytest.mark.parametrize("combo", combos_with("api"))
def test_requests_beyond_the_servers_limits_get_the_documented_refusals(serve, combo):
    served = serve(combo)
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    operation = schema["/api/items"]["GET"]
    # Beyond gunicorn's default limits: 4094 bytes for the request line, 8190
    # for a header.
    long_line = operation.Case(query={"page": "1" * 5000})
    long_header = operation.Case(headers={"X-Padding": "x" * 9000})
    for case, status in [(long_line, 414), (long_header, 431)]:
        response = case.call()
        assert response.status_code == status
        case.validate_response(response)  # its status, type and body


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
