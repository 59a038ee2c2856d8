"""Generated services installed in the tests' virtualenv and served by gunicorn.

A feature combination's service is generated once, with a resource added by
`flaskproto add resource`, installed, migrated on a private PostgreSQL server
when it has db, given a user when it has auth, and served by gunicorn on a
free 127.0.0.1 port.
"""

import http.client
import json
import os
import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from helpers import PATIENCE, listening_port, wait_for

from flaskproto import create_project
from flaskproto.features import catalogue, select
from flaskproto.resource import add_resource
from flaskproto.templates import load_template

TEMPLATE = load_template()
EVERYTHING = list(catalogue(TEMPLATE))
REPRESENTATIVE = {
    "base": [],
    "api": ["api"],
    "db+api+auth": ["db", "api", "auth"],
    "all": EVERYTHING,
}
WORKERS = 3
PASSWORD = secrets.token_urlsafe(16)
EMAIL = "load@example.com"
# The resource every served service has beside its own routes.
RESOURCE = "order"
RESOURCE_FIELDS = [
    "customer:str",
    "notes:text?",
    "quantity:int=1",
    "total:decimal",
    "paid:bool=false",
    "due:date?",
]


def features_of(combo: str) -> list[str]:
    return list(select(TEMPLATE, REPRESENTATIVE[combo]).names)


def combos_with(*features: str) -> list[str]:
    return [c for c in REPRESENTATIVE if set(features) <= set(features_of(c))]


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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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


class Services:
    """Serve each combination on first use; ``close`` stops them all."""

    def __init__(self, venv, tmp_path_factory, postgres: Callable) -> None:
        self.venv = venv
        self.tmp_path_factory = tmp_path_factory
        self.postgres = postgres
        self.installed: dict[str, Installed] = {}
        self.started: dict[tuple[str, int], Served] = {}

    def install(self, combo: str) -> Installed:
        if combo in self.installed:
            return self.installed[combo]
        venv = self.venv
        features = features_of(combo)
        where = self.tmp_path_factory.mktemp(combo.replace("+", "-"))
        name = "Sturdy " + combo.replace("+", " ")
        result = create_project(name, where, features=features, git=False)
        project, package = result.path, result.names.package_name
        add_resource(project, RESOURCE, RESOURCE_FIELDS)
        extras = "[postgres]" if "db" in features else ""
        venv.pip("--no-build-isolation", f"{project}{extras}")
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(where),
            "FLASK_SECRET_KEY": secrets.token_hex(32),
        }
        database = None
        if "db" in features:
            env["FLASK_SQLALCHEMY_DATABASE_URI"] = self.postgres().create_database(
                package
            )
            database = package
            flask = [venv.bin("flask"), "--app", package]
            commands = [["db", "upgrade"]]
            if "auth" in features:
                create_user = ["user", "create", EMAIL, "--password", PASSWORD]
                if "admin" in features:
                    create_user.append("--admin")
                commands.append(create_user)
            for args in commands:
                done = venv.run(*flask, *args, cwd=project, env=env)
                assert done.returncode == 0, done.stdout + done.stderr
        self.installed[combo] = Installed(features, project, package, env, database)
        return self.installed[combo]

    def start(self, combo: str, workers: int = WORKERS) -> Served:
        if (combo, workers) in self.started:
            return self.started[combo, workers]
        service = self.install(combo)
        log = self.tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    self.venv.bin("gunicorn"),
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
        self.started[combo, workers] = served

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

    def close(self) -> None:
        for served in self.started.values():
            served.process.terminate()
        for served in self.started.values():
            served.process.wait(timeout=PATIENCE)
