"""flaskproto add resource / remove resource: what they write, and that the
grown service passes its own tests and migrations.

The suites of the base and db,api services run here; FLASKPROTO_RESOURCES=full
(make test-resources) also runs db, db,api,auth and every feature, on SQLite and
PostgreSQL, and a service grown to 20 resources.
"""

import json
import os
import secrets
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from conftest import REPO
from helpers import assert_fully_rendered, assert_ruff_clean, assert_suite_passes, tree

from flaskproto import changes, create_project
from flaskproto.cli import cli
from flaskproto.features import catalogue
from flaskproto.fields import (
    MAX_DEFAULT,
    MAX_FIELD_NAME,
    MAX_RESOURCE_NAME,
    Field,
    parse_field,
    plural,
)
from flaskproto.resource import add_resource, remove_resource
from flaskproto.templates import bundled_template_names, load_template

FULL = os.environ.get("FLASKPROTO_RESOURCES") == "full"
ALL_FEATURES = list(catalogue(load_template()))
#: One field of every type; optional ones, defaults, and required ones.
EVERY_TYPE = [
    "customer:str",
    "notes:text?",
    "quantity:int=1",
    "ratio:float?",
    "total:decimal",
    "paid:bool=false",
    "due:date?=2024-12-31",
    "placed_at:datetime",
    "ref:uuid?",
]


def long_fields() -> list[str]:
    """A field of every type at the longest name, most with long defaults."""
    stem = "f" * (MAX_FIELD_NAME - 2) + "_"
    defaults = {
        "str": "=" + "s" * MAX_DEFAULT,
        "text": "=" + "t" * MAX_DEFAULT,
        "int": "=-2147483648",
        "float": "=-1.2345678901234567e-300",
        "decimal": "=-9999999999.99",
        "bool": "=true",
        "date": "=2024-01-01",
        "datetime": "=2024-01-01T10:11:12.123456",
        "uuid": "=12345678-1234-5678-1234-567812345678",
    }
    return [
        f"{stem}{i}:{type_}?{default}"
        for i, (type_, default) in enumerate(defaults.items())
    ] + [f"{stem}r:decimal"]


LONG_NAME = "r" * (MAX_RESOURCE_NAME - 2) + "_y"  # its plural is the longest


def make_service(tmp_path, features, name="Shop"):
    return create_project(name, tmp_path, features=features, git=False).path


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A service with api and auth, for the tests that leave it as it is."""
    return make_service(tmp_path_factory.mktemp("shop"), ["api", "auth"])


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


# --- field specs and names ---------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ("name", Field("name", "str")),
        ("note:text?", Field("note", "text", optional=True)),
        ("paid:bool=False", Field("paid", "bool", default="false")),
        ("total:decimal=1.5", Field("total", "decimal", default="1.50")),
        ("n:int?=07", Field("n", "int", optional=True, default="7")),
        (
            "at:datetime=2024-01-02 03:04",
            Field("at", "datetime", default="2024-01-02T03:04:00"),
        ),
        (
            "ref:uuid=12345678123456781234567812345678",
            Field("ref", "uuid", default="12345678-1234-5678-1234-567812345678"),
        ),
    ],
    ids=["bare", "optional", "bool", "decimal", "int", "datetime", "uuid"],
)
def test_field_specs_parse_and_normalise(spec, field):
    assert parse_field(spec) == field
    assert parse_field(field.spec) == field


@pytest.mark.parametrize(
    ("word", "many"),
    [
        ("order", "orders"),
        ("box", "boxes"),
        ("category", "categories"),
        ("day", "days"),
        ("line_item", "line_items"),
    ],
)
def test_plural(word, many):
    assert plural(word) == many


BAD_INPUT = [
    (["Order", "-f", "x"], "must be lowercase"),
    (["order-line", "-f", "x"], "must be lowercase"),
    (["class", "-f", "x"], "Python keyword"),
    (["r" * (MAX_RESOURCE_NAME + 1), "-f", "x"], "longer than"),
    (["db", "-f", "x"], "reserved"),
    (["order"], "at least one --field"),
    (["order", "-f", "Total:int"], "must be lowercase"),
    (["order", "-f", "for:int"], "Python keyword"),
    (["order", "-f", "id:int"], "reserved"),
    (["order", "-f", "x:money"], "unknown type 'money'"),
    (["order", "-f", "x:int", "-f", "x:str"], "given twice"),
    (["order", "-f", "x:int=many"], "a 32-bit integer"),
    (["order", "-f", "x:bool=maybe"], "true or false"),
    (["order", "-f", "x:date=tomorrow"], "ISO 8601 date"),
    (["order", "-f", "x:decimal=1e20"], "below"),
    (["order", "-f", "x:uuid=nope"], "a UUID"),
    (["order", "-f", "x:float=nan"], "finite"),
    (["order", "-f", "x=" + "y" * (MAX_DEFAULT + 1)], "at most"),
    (["health", "-f", "x"], "clashes with the module"),
    (["item", "-f", "x"], "clashes with the model 'Item'"),
    (["user", "-f", "x"], "clashes with the model 'User'"),
]


@pytest.mark.parametrize(
    ("args", "message"), BAD_INPUT, ids=[" ".join(args) for args, _ in BAD_INPUT]
)
def test_bad_names_and_types_exit_2_with_one_line(shop, args, message):
    service = shop
    before = tree(service)
    result = invoke("add", "resource", *args, "--path", str(service))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert tree(service) == before


def test_outside_a_service_exits_10(tmp_path):
    result = invoke("add", "resource", "order", "-f", "x", "--path", str(tmp_path))
    assert result.exit_code == 10
    assert (
        result.stderr.startswith("Error: ") and "not inside a service" in result.stderr
    )
    result = invoke("remove", "resource", "order", "--path", str(tmp_path))
    assert result.exit_code == 10


def test_a_service_made_before_resources_exits_10(tmp_path):
    service = make_service(tmp_path, [])
    shutil.rmtree(service / "src" / "shop" / "resources")
    result = invoke("add", "resource", "order", "-f", "x", "--path", str(service))
    assert result.exit_code == 10
    assert "could not add resources" in result.stderr


def test_flaskproto_update_brings_resources_to_an_older_service(tmp_path, monkeypatch):
    """A service from a template without the resources package can update, then add."""
    older = tmp_path / "older" / "service"
    shutil.copytree(REPO / "templates" / "service", older)
    package = older / "{{cookiecutter.project_slug}}/src/{{cookiecutter.package_name}}"
    shutil.rmtree(package / "resources")
    factory = package / "__init__.py"
    text = factory.read_text()
    for line in ("    resources,\n", "    resources.init_app(app)\n"):
        assert line in text
        text = text.replace(line, "")
    factory.write_text(text)
    monkeypatch.setenv("GIT_CONFIG_COUNT", "2")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "user.name")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "Ada")
    monkeypatch.setenv("GIT_CONFIG_KEY_1", "user.email")
    monkeypatch.setenv("GIT_CONFIG_VALUE_1", "ada@example.org")
    service = create_project("Shop", tmp_path, template=str(older), git=True).path
    # As if made by an older flaskproto, whose bundled template had no resources.
    metadata = service / ".flaskproto.json"
    record = json.loads(metadata.read_text())
    metadata.write_text(json.dumps({**record, "template": "service"}, indent=2))
    subprocess.run(["git", "commit", "-qam", "Older"], cwd=service, check=True)

    refused = invoke("add", "resource", "order", "-f", "x", "--path", str(service))
    assert refused.exit_code == 10
    assert "flaskproto update brings it" in refused.stderr
    updated = invoke("update", str(service))
    assert updated.exit_code == 0, updated.stderr
    added = invoke(
        "add", "resource", "order", "-f", "total:int", "--path", str(service)
    )
    assert added.exit_code == 0, added.stderr
    assert (service / "src" / "shop" / "resources" / "order.py").is_file()


def test_the_resource_template_is_not_a_project_template():
    assert "resource" not in bundled_template_names()


@pytest.mark.parametrize(
    "command", [["add"], ["add", "resource"], ["remove"], ["remove", "resource"]]
)
def test_help(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.stdout
    if command[-1] == "resource":
        assert "11   edited or uncommitted" in result.stdout


# --- what add writes ---------------------------------------------------------


@pytest.mark.parametrize(
    "features",
    [[], ["db"], ["api"], ["db", "api"], ["db", "api", "auth"], ALL_FEATURES],
    ids=["base", "db", "api", "db+api", "db+api+auth", "all"],
)
def test_every_type_and_the_longest_names_are_ruff_clean(tmp_path, features):
    service = make_service(tmp_path, features)
    add_resource(service, "order", EVERY_TYPE)
    add_resource(service, LONG_NAME, long_fields())
    assert_ruff_clean(service)
    assert_fully_rendered(service)


def test_dry_run_writes_nothing_and_its_diff_is_what_add_writes(tmp_path):
    service = make_service(tmp_path / "a", ["db", "api"])
    before = tree(service)
    result = invoke(
        "add",
        "resource",
        "order",
        *sum((["-f", f] for f in EVERY_TYPE), []),
        "--dry-run",
        "--path",
        str(service),
    )
    assert result.exit_code == 0, result.output
    assert tree(service) == before
    assert "+++ b/src/shop/resources/order.py" in result.stdout
    assert "+++ b/src/shop/migrations/versions/0002_add_orders.py" in result.stdout
    assert "--- a/.flaskproto.json" in result.stdout
    # Applied with git, the diff makes exactly what add makes.
    copy = tmp_path / "b" / "shop"
    shutil.copytree(service, copy)
    subprocess.run(
        ["git", "apply", "-"], input=result.stdout, text=True, cwd=copy, check=True
    )
    add_resource(service, "order", EVERY_TYPE)
    assert tree(copy) == tree(service) != before


def test_add_and_remove_with_json(tmp_path):
    service = make_service(tmp_path, ["db"])
    result = invoke(
        "add",
        "resource",
        "order",
        "-f",
        "total:decimal",
        "--json",
        "--path",
        str(service / "src"),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["url"] == "/api/orders"
    assert data["created"] == [
        "src/shop/migrations/versions/0002_add_orders.py",
        "src/shop/resources/order.py",
        "tests/test_orders.py",
    ]
    assert data["changed"] == [".flaskproto.json"]
    record = json.loads((service / ".flaskproto.json").read_text())
    assert record["resources"]["order"]["fields"] == ["total:decimal"]
    assert record["context"]["package_name"] == "shop"  # the rest is kept
    result = invoke("remove", "resource", "order", "--json", "--path", str(service))
    data = json.loads(result.stdout)
    assert data["deleted"] == ["src/shop/resources/order.py", "tests/test_orders.py"]
    assert data["created"] == ["src/shop/migrations/versions/0003_remove_orders.py"]
    drop = (service / data["created"][0]).read_text()
    assert 'down_revision = "0002"' in drop and 'op.drop_table("orders")' in drop
    assert "resources" in json.loads((service / ".flaskproto.json").read_text())


def test_remove_refuses_edited_files_unless_forced(tmp_path):
    service = make_service(tmp_path, [])
    add_resource(service, "order", ["customer"])
    module = service / "src" / "shop" / "resources" / "order.py"
    module.write_text(module.read_text() + "# mine\n")
    before = tree(service)
    result = invoke("remove", "resource", "order", "--path", str(service))
    assert result.exit_code == 11
    assert "src/shop/resources/order.py" in result.stderr
    assert result.stderr.count("\n") == 1
    assert tree(service) == before
    result = invoke("remove", "resource", "order", "--force", "--path", str(service))
    assert result.exit_code == 0, result.output
    assert not module.exists() and not (service / "tests" / "test_orders.py").exists()
    result = invoke("remove", "resource", "order", "--path", str(service))
    assert result.exit_code == 2 and "no resource 'order'" in result.stderr


def test_add_after_remove_gives_the_same_service(tmp_path):
    service = make_service(tmp_path, [])
    before = tree(service)
    add_resource(service, "order", ["customer"])
    remove_resource(service, "order")
    assert tree(service) == before | {
        ".flaskproto.json": tree(service)[".flaskproto.json"]
    }
    assert set(tree(service)) == set(before)


@pytest.mark.parametrize("failing_call", [1, 3, 5])
def test_applying_is_all_or_nothing_even_on_ctrl_c(tmp_path, monkeypatch, failing_call):
    service = make_service(tmp_path, ["db"])
    before = tree(service)
    real_replace = os.replace
    calls = []

    def interrupted(src, dst, **kwargs):
        # Only the moves into the service count: the compiled-template cache
        # also replaces files, relative to its own directory.
        if not kwargs:
            calls.append(dst)
            if len(calls) == failing_call:
                raise KeyboardInterrupt
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(changes.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        add_resource(service, "order", EVERY_TYPE)
    monkeypatch.setattr(changes.os, "replace", real_replace)
    assert tree(service) == before  # no temporary file either
    assert not (service / "src" / "shop" / "resources" / "order.py").exists()


# --- the grown service passes its own tests ----------------------------------


SUITES = [[], ["db", "api"]]
if FULL:
    SUITES += [["db"], ["db", "api", "auth"], ALL_FEATURES]


TABLES = "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'"


def install(venv, service, features):
    extras = "[postgres]" if "db" in features else ""
    venv.pip("--no-build-isolation", f"{service}{extras}")


def flask_cli(venv, service, *args, env):
    return venv.run(
        venv.bin("flask"),
        "--app",
        service.name.replace("-", "_"),
        *args,
        cwd=service,
        env={"FLASK_SECRET_KEY": secrets.token_hex(32), **env},
    )


@pytest.mark.parametrize(
    "features", SUITES, ids=["+".join(f) or "base" for f in SUITES]
)
def test_added_resources_pass_the_services_suite_and_migrations(
    features, service_venv, tmp_path, request
):
    name = "Grown " + ("".join(f[0] for f in features) or "base")
    service = make_service(tmp_path, features, name)
    package = service.name.replace("-", "_")
    # The command of flaskproto installed from its wheel, templates and all.
    fields = [arg for spec in EVERY_TYPE for arg in ("--field", spec)]
    flaskproto = service_venv.bin("flaskproto")
    result = service_venv.run(
        flaskproto, "add", "resource", "order", *fields, cwd=service
    )
    assert result.returncode == 0, result.stderr
    assert "created  tests/test_orders.py" in result.stdout
    if FULL:
        add_resource(service, LONG_NAME, long_fields())
    install(service_venv, service, features)
    # The resource brings its own tests: CRUD, 404s, 422 per field, paging.
    minimum = 70 if FULL else 45
    assert_suite_passes(service_venv, service, minimum=minimum)
    if "db" not in features:
        return
    sqlite = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    result = flask_cli(
        service_venv,
        service,
        "db",
        "upgrade",
        env={"FLASK_SQLALCHEMY_DATABASE_URI": sqlite},
    )
    assert result.returncode == 0, result.stderr
    assert "-> 0002, Create the orders table" in result.stdout + result.stderr
    postgres = request.getfixturevalue("postgres")
    url = postgres.create_database(package)
    if FULL:
        env = {"TEST_DATABASE_URL": url}
        assert_suite_passes(service_venv, service, minimum=minimum, env=env)
    pg = {"DATABASE_URL": url}
    result = flask_cli(service_venv, service, "db", "upgrade", env=pg)
    assert result.returncode == 0, result.stderr
    assert "orders" in postgres.query(package, TABLES).split(",")
    # Removing the resource drops its table; going back down makes it again.
    remove_resource(service, "order")
    service_venv.install_service(service)
    result = flask_cli(service_venv, service, "db", "upgrade", env=pg)
    assert result.returncode == 0, result.stderr
    assert "orders" not in postgres.query(package, TABLES).split(",")
    result = flask_cli(service_venv, service, "db", "downgrade", env=pg)
    assert result.returncode == 0, result.stderr
    assert "orders" in postgres.query(package, TABLES).split(",")
    if FULL:
        assert_suite_passes(service_venv, service, minimum=minimum - 25)


# Growth: make test-resources; bench/growth.py times it.
if FULL:

    @pytest.mark.parametrize("count", [1, 5, 20])
    def test_a_service_grown_to_many_resources_passes_its_suite(
        count, service_venv, tmp_path
    ):
        features = ["db", "api"]
        service = make_service(tmp_path, features, f"Many {count}")
        for number in range(count):
            add_resource(
                service,
                f"thing{number}",
                ["name", "amount:decimal?", "day:date=2024-01-01"],
            )
        install(service_venv, service, features)
        assert_suite_passes(service_venv, service, minimum=20 + 20 * count)
