"""A service's life with a database that keeps its rows: made, migrated, used,
grown by a resource and by features added later, migrated again each time.

On SQLite here; FLASKPROTO_JOURNEYS=full (make test-journeys) walks it on
PostgreSQL too, a server whose TimeZone is not UTC.
"""

import json
import os
import secrets
import subprocess
import tempfile
from pathlib import Path

import pytest
from helpers import (
    assert_suite_passes,
    make_service_before_feature_migrations,
    request,
    serving,
)

from flaskproto import add_resource, create_project
from flaskproto.update import update_project

FULL = os.environ.get("FLASKPROTO_JOURNEYS") == "full"
DATABASES = ["sqlite", "postgresql"] if FULL else ["sqlite"]
FIELDS = ["label:str", "made:datetime?"]
PASSWORD = secrets.token_urlsafe(16)

# Prints the schema of the database at argv[1] as JSON: tables, their columns
# (with their types as the database names them, a timestamp's zone and all),
# keys, indexes and unique constraints. Alembic's table is left out: it holds
# the head revision, whose name depends on the order of the revisions.
SCHEMA = """
import json, sys
import sqlalchemy as sa

engine = sa.create_engine(sys.argv[1])
inspector = sa.inspect(engine)
schema = {}
for table in sorted(inspector.get_table_names()):
    if table == "alembic_version":
        continue
    schema[table] = {
        "columns": [
            [c["name"], c["type"].compile(engine.dialect), c["nullable"]]
            for c in inspector.get_columns(table)
        ],
        "primary": inspector.get_pk_constraint(table)["constrained_columns"],
        "foreign": sorted(
            [f["constrained_columns"], f["referred_table"], f["referred_columns"]]
            for f in inspector.get_foreign_keys(table)
        ),
        "indexes": sorted(
            [i["name"], i["column_names"], bool(i["unique"])]
            for i in inspector.get_indexes(table)
        ),
        "unique": sorted(
            sorted(u["column_names"]) for u in inspector.get_unique_constraints(table)
        ),
    }
print(json.dumps(schema, sort_keys=True))
"""


def git(*args, cwd):
    subprocess.run(
        ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org", *args],
        cwd=cwd,
        capture_output=True,
        check=True,
    )


class Service:
    """A generated service installed in a virtualenv, with its database."""

    def __init__(self, venv, path, package, url, tmp_path):
        self.venv, self.path, self.package, self.tmp = venv, path, package, tmp_path
        self.env = {
            "FLASK_SECRET_KEY": secrets.token_hex(32),
            "FLASK_SQLALCHEMY_DATABASE_URI": url,
        }
        self.url = url

    def install(self):
        """Install the service as it is now, as a user would after a change."""
        self.venv.pip("--no-build-isolation", f"{self.path}[postgres,test]")

    def flask(self, *args, stdin=None):
        result = subprocess.run(
            [self.venv.bin("flask"), "--app", self.package, *args],
            cwd=self.path,
            env={**os.environ, **self.env},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def upgrade(self):
        """Migrate to the head, then check the models match the migrations."""
        self.flask("db", "upgrade")
        self.flask("db", "check")

    def serve(self):
        env = {**os.environ, **self.env, "WEB_CONCURRENCY": "2"}
        command = [self.venv.bin("gunicorn"), f"{self.package}:create_app()"]
        log = Path(tempfile.mkdtemp(dir=self.tmp)) / "gunicorn.log"
        return serving(command, cwd=self.path, env=env, log=log)

    def schema(self):
        result = self.venv.run(self.venv.bin("python"), "-c", SCHEMA, self.url)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture(params=DATABASES)
def database(request, tmp_path):
    """Return a function making a new, empty database's URL."""
    if request.param == "sqlite":
        return lambda name: f"sqlite:///{tmp_path / name}.sqlite"
    postgres = request.getfixturevalue("postgres")
    return lambda name: postgres.create_database(f"{name}_{secrets.token_hex(4)}")


def test_features_and_resources_added_later_keep_the_rows(
    service_venv, tmp_path, database
):
    made = create_project("Order Service", tmp_path / "a", features=["db", "api"])
    service = Service(
        service_venv, made.path, "order_service", database("journey"), tmp_path
    )
    service.install()
    service.upgrade()
    with service.serve() as base:
        for name in ("bolt", "nut"):
            status, _ = request(f"{base}/api/items", "POST", {"name": name})
            assert status == 201

    add_resource(made.path, "widget", FIELDS)
    git("add", "--all", cwd=made.path)
    git("commit", "-q", "-m", "Add widgets", cwd=made.path)
    service.install()
    service.upgrade()
    with service.serve() as base:
        status, _ = request(f"{base}/api/widgets", "POST", {"label": "cog"})
        assert status == 201

    updated = update_project(made.path, features=["auth", "admin"])
    assert updated.status == "updated"
    service.install()
    service.upgrade()
    created = service.flask(
        "user", "create", "ada@example.org", "--admin", "--password", PASSWORD
    )
    assert "Created user ada@example.org." in created
    with service.serve() as base:
        status, items = request(f"{base}/api/items")
        assert status == 200
        assert [item["name"] for item in items["items"]] == ["bolt", "nut"]
        status, widgets = request(f"{base}/api/widgets")
        assert [w["label"] for w in widgets["items"]] == ["cog"], widgets
        credentials = {"email": "ada@example.org", "password": PASSWORD}
        status, login = request(f"{base}/auth/login", "POST", credentials)
        assert status == 200, login
        bearer = {"Authorization": f"Bearer {login['token']}"}
        status, me = request(f"{base}/auth/me", headers=bearer)
        assert (status, me["email"], me["is_admin"]) == (200, "ada@example.org", True)

    suite_env = {"TEST_DATABASE_URL": database("suite")}
    assert_suite_passes(service_venv, made.path, env=suite_env)

    # The same service made with every feature at once, and the same resource.
    at_once = create_project(
        "Order Desk", tmp_path / "b", features=["db", "api", "auth", "admin"]
    )
    add_resource(at_once.path, "widget", FIELDS)
    other = Service(
        service_venv, at_once.path, "order_desk", database("at_once"), tmp_path
    )
    other.install()
    other.upgrade()
    assert other.schema() == service.schema()


def test_a_service_made_before_feature_migrations_updates_and_keeps_the_rows(
    service_venv, tmp_path, database
):
    # Made when one 0001_initial.py created every feature's tables: updates
    # must neither run the items table's creation again nor edit that 0001.
    path = make_service_before_feature_migrations(
        "Order Service", tmp_path / "a", ["db", "api"]
    )
    service = Service(service_venv, path, "order_service", database("old"), tmp_path)
    service.install()
    service.upgrade()
    with service.serve() as base:
        for name in ("bolt", "nut"):
            status, _ = request(f"{base}/api/items", "POST", {"name": name})
            assert status == 201
    initial = path / "src/order_service/migrations/versions/0001_initial.py"
    shipped = initial.read_bytes()

    assert update_project(path).status == "updated"
    service.install()
    service.upgrade()
    assert update_project(path, features=["auth", "admin"]).status == "updated"
    service.install()
    service.upgrade()

    assert initial.read_bytes() == shipped
    created = service.flask(
        "user", "create", "ada@example.org", "--admin", "--password", PASSWORD
    )
    assert "Created user ada@example.org." in created
    with service.serve() as base:
        status, items = request(f"{base}/api/items")
        assert status == 200
        assert [item["name"] for item in items["items"]] == ["bolt", "nut"]
        credentials = {"email": "ada@example.org", "password": PASSWORD}
        status, login = request(f"{base}/auth/login", "POST", credentials)
        assert status == 200, login
        bearer = {"Authorization": f"Bearer {login['token']}"}
        status, me = request(f"{base}/auth/me", headers=bearer)
        assert (status, me["email"], me["is_admin"]) == (200, "ada@example.org", True)
    suite_env = {"TEST_DATABASE_URL": database("suite")}
    assert_suite_passes(service_venv, path, env=suite_env)

    # The same schema as a service made today with every feature at once.
    at_once = create_project(
        "Order Desk", tmp_path / "b", features=["db", "api", "auth", "admin"]
    )
    other = Service(
        service_venv, at_once.path, "order_desk", database("at_once"), tmp_path
    )
    other.install()
    other.upgrade()
    assert other.schema() == service.schema()


def test_a_token_made_before_time_zone_aware_timestamps_keeps_its_age(
    service_venv, tmp_path, database
):
    # Made when tokens.created_at was a timestamp without time zone: on
    # PostgreSQL it holds the wall-clock time of the server's zone, New York
    # here, five hours behind UTC, which the service read as UTC. Tokens stop
    # working after three hours: one read five hours old is refused.
    path = make_service_before_feature_migrations(
        "Order Service", tmp_path / "a", ["db", "api", "auth", "admin"]
    )
    service = Service(service_venv, path, "order_service", database("old"), tmp_path)
    service.env["FLASK_TOKEN_MAX_AGE"] = str(3 * 3600)
    service.install()
    service.upgrade()
    service.flask("user", "create", "ada@example.org", "--password", PASSWORD)
    credentials = {"email": "ada@example.org", "password": PASSWORD}
    with service.serve() as base:
        status, login = request(f"{base}/auth/login", "POST", credentials)
        assert status == 200, login
    bearer = {"Authorization": f"Bearer {login['token']}"}
    naive = {"sqlite": "DATETIME", "postgresql": "TIMESTAMP WITHOUT TIME ZONE"}
    aware = {"sqlite": "DATETIME", "postgresql": "TIMESTAMP WITH TIME ZONE"}
    dialect = service.url.partition(":")[0].partition("+")[0]
    assert created_at_type(service.schema()) == naive[dialect]

    assert update_project(path).status == "updated"
    service.install()
    service.upgrade()

    assert created_at_type(service.schema()) == aware[dialect]
    with service.serve() as base:
        status, me = request(f"{base}/auth/me", headers=bearer)
        assert status == 200, me
        assert me["email"] == "ada@example.org"
    suite_env = {"TEST_DATABASE_URL": database("suite")}
    assert_suite_passes(service_venv, path, env=suite_env)

    # The same schema as a service made today with the same features.
    at_once = create_project(
        "Order Desk", tmp_path / "b", features=["db", "api", "auth", "admin"]
    )
    other = Service(
        service_venv, at_once.path, "order_desk", database("at_once"), tmp_path
    )
    other.install()
    other.upgrade()
    assert other.schema() == service.schema()


def created_at_type(schema):
    """The type of the tokens' created_at in ``schema``, as the database names it."""
    return next(c[1] for c in schema["tokens"]["columns"] if c[0] == "created_at")


def test_in_memory_items_are_the_same_for_every_request_under_gunicorn(
    service_venv, tmp_path
):
    # api without db keeps items in memory: under gunicorn's default settings
    # every request must see the same ones, whichever worker answers.
    made = create_project("Memo", tmp_path, features=["api"], git=False)
    service_venv.pip("--no-build-isolation", str(made.path))
    env = {**os.environ, "FLASK_SECRET_KEY": secrets.token_hex(32)}
    env.pop("WEB_CONCURRENCY", None)
    command = [service_venv.bin("gunicorn"), "memo:create_app()"]
    log = tmp_path / "gunicorn.log"
    with serving(command, cwd=made.path, env=env, log=log) as base:
        status, _ = request(f"{base}/api/items", "POST", {"name": "bolt"})
        assert status == 201
        totals = [
            request(f"{base}/api/items")[1]["pagination"]["total"] for _ in range(12)
        ]
    assert totals == [1] * 12
