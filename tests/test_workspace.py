"""A folder of services: free ports, no clashing names, flaskproto services."""

import json
import runpy
import shutil

import pytest
import yaml
from click.testing import CliRunner
from dotenv import dotenv_values

from flaskproto.cli import cli
from flaskproto.service import METADATA_FILE, Service
from flaskproto.workspace import Workspace


def invoke(*args):
    return CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)


def new(folder, name, *args):
    result = invoke("new", name, "-o", folder, "-q", *args)
    assert result.exit_code == 0, result.stderr
    return folder / name


def listens_on(service, monkeypatch):
    """The gunicorn and flask run ports the service uses when nothing is set."""
    monkeypatch.delenv("BIND", raising=False)
    bind = runpy.run_path(str(service / "gunicorn.conf.py"))["bind"]
    flask_run = dotenv_values(service / ".flaskenv")["FLASK_RUN_PORT"]
    return bind, flask_run


def test_a_service_alone_keeps_the_usual_ports(tmp_path, monkeypatch):
    service = new(tmp_path, "orders", "--no-git")
    assert listens_on(service, monkeypatch) == ("127.0.0.1:8000", "5000")
    record = json.loads((service / METADATA_FILE).read_text())
    assert (record["context"]["port"], record["context"]["dev_port"]) == (
        "8000",
        "5000",
    )
    # The defaults are not answers: the command that makes it again has none.
    assert "port" not in record["command"]


def test_services_side_by_side_get_ports_of_their_own(tmp_path, monkeypatch):
    orders = new(tmp_path, "orders", "--with", "db,api", "--no-git")
    payments = new(tmp_path, "payments", "--with", "db,api,auth,compose")
    storefront = new(tmp_path, "storefront", "--with", "web,compose")

    assert listens_on(orders, monkeypatch) == ("127.0.0.1:8000", "5000")
    assert listens_on(payments, monkeypatch) == ("127.0.0.1:8001", "5001")
    assert listens_on(storefront, monkeypatch) == ("127.0.0.1:8002", "5002")
    compose = yaml.safe_load((storefront / "compose.yaml").read_text())
    # Named after the service, published on its own port.
    assert compose["services"]["storefront"]["ports"] == ["127.0.0.1:8002:8000"]
    assert (
        "payments"
        in yaml.safe_load((payments / "compose.yaml").read_text())["services"]
    )
    assert [s.port for s in Workspace.at(tmp_path).services] == [8000, 8001, 8002]


def test_a_port_left_free_between_services_is_taken_first(tmp_path, monkeypatch):
    new(tmp_path, "orders", "--no-git")
    new(tmp_path, "payments", "--set", "port=8001", "--set", "dev_port=5002")
    third = new(tmp_path, "storefront")
    assert listens_on(third, monkeypatch) == ("127.0.0.1:8002", "5001")


def test_replay_of_a_sibling_gets_free_ports(tmp_path, monkeypatch):
    orders = new(tmp_path, "orders", "--with", "api", "--no-git")
    new(tmp_path, "payments", "--with", "api")
    again = new(tmp_path, "billing", "--replay", tmp_path / "payments")
    assert listens_on(again, monkeypatch) == ("127.0.0.1:8002", "5002")
    assert Service.at(again).features == Service.at(orders).features == ["api"]


def test_a_service_made_before_ports_were_recorded_keeps_its_own(tmp_path):
    old = new(tmp_path, "orders", "--no-git")
    record = json.loads((old / METADATA_FILE).read_text())
    for key in ("port", "dev_port"):
        del record["context"][key]
    (old / METADATA_FILE).write_text(json.dumps(record))
    newer = Service.at(new(tmp_path, "payments"))
    assert (newer.port, newer.dev_port) == (8001, 5001)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["order-api", "--set", "package_name=orders"],
            "the package and database name 'orders' is taken by the service in",
        ),
        (["other", "--set", "port=8000"], "port 8000 is taken by the service in"),
        (["other", "--set", "dev_port=5000"], "dev_port 5000 is taken by the"),
    ],
    ids=["package", "port", "dev-port"],
)
def test_a_clash_with_a_sibling_exits_14_and_writes_nothing(tmp_path, args, message):
    new(tmp_path, "orders", "--no-git")
    before = sorted(tmp_path.iterdir())
    result = invoke("new", *args, "-o", tmp_path)
    assert result.exit_code == 14
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert sorted(tmp_path.iterdir()) == before


def test_a_renamed_sibling_still_holds_its_names(tmp_path):
    shutil.move(new(tmp_path, "orders", "--no-git"), tmp_path / "orders-old")
    result = invoke("new", "orders", "-o", tmp_path)
    assert result.exit_code == 14
    assert "the directory and compose service name 'orders' is taken" in (result.stderr)
    assert not (tmp_path / "orders").exists()


def test_a_bad_port_is_refused(tmp_path):
    result = invoke("new", "orders", "-o", tmp_path, "--set", "port=80")
    assert result.exit_code == 2
    assert "port '80' is not a port from 1024 to 65535" in result.stderr


def test_beside_other_services_outside_git_no_repository_is_nested(tmp_path):
    new(tmp_path, "orders", "--no-git")
    result = invoke("new", "payments", "-o", tmp_path, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["git"].startswith(
        "skipped: the folder holds other services and is not a git repository"
    )
    assert not (tmp_path / "payments" / ".git").exists()


def test_services_lists_each_service_with_ports_and_update(tmp_path):
    new(tmp_path, "orders", "--with", "db,api", "--no-git")
    new(tmp_path, "payments", "--with", "auth")

    listed = invoke("services", tmp_path / "payments" / "src", "--json")

    assert listed.exit_code == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["workspace"] == str(tmp_path)
    rows = {row["directory"]: row for row in data["services"]}
    assert set(rows) == {"orders", "payments"}
    assert rows["orders"]["features"] == ["db", "api"]
    assert rows["payments"]["features"] == ["db", "auth"]
    assert (rows["payments"]["port"], rows["payments"]["dev_port"]) == (8001, 5001)
    assert rows["orders"]["template"] == "service"
    assert rows["orders"]["template_version"] == "1"
    # Not in git: whether an update waits cannot be told, and it says why.
    assert rows["orders"]["update"] == "unknown"
    assert "not a git repository" in rows["orders"]["update_detail"]

    text = invoke("services", tmp_path)
    assert text.exit_code == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].split() == [
        "SERVICE", "PORT", "FLASK", "RUN", "TEMPLATE", "FEATURES", "UPDATE"
    ]  # fmt: skip
    assert lines[1].split() == [
        "orders", "8000", "5000", "service", "1", "db,", "api", "unknown"
    ]  # fmt: skip
    assert lines[2].split()[:3] == ["payments", "8001", "5001"]


def test_services_of_a_service_in_its_own_repository_is_current(tmp_path):
    new(tmp_path, "orders", "--git")
    result = invoke("services", tmp_path, "--json")
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)["services"]
    assert row["update"] == "current"


def test_services_in_an_empty_folder_says_so(tmp_path):
    result = invoke("services", tmp_path)
    assert result.exit_code == 0
    assert result.stdout == f"No services made by flaskproto in {tmp_path}.\n"
