"""The workspace's own files: one compose.yaml, kustomization.yaml and CI workflow.

Five services of different features are made with flaskproto new in a folder
that is a git repository and in one that is not; what new writes at the top
is checked offline by the validators (no Docker engine, no cluster, no
GitHub): check-jsonschema with its vendored Compose and workflow schemas,
kubernetes-validate --strict. The database script runs on a real PostgreSQL.
"""

import json
import re
import shutil
import subprocess

import pytest
import yaml
from click.testing import CliRunner
from helpers import (
    actionlint,
    assert_compose_valid,
    assert_k8s_valid,
    check_schema,
    isolate,
    validate_compose,
)

from flaskproto.cli import cli
from flaskproto.service import Service
from flaskproto.workspace import url_setting
from flaskproto.workspacefiles import RECORD_FILE, SERVICE_WORKFLOW

#: The five services, in name order, with their features.
SERVICES = {
    "inventory": "db,k8s,metrics",
    "notify": "cors",
    "orders": "db,api,auth",
    "payments": "db,compose,k8s",
    "storefront": "web,k8s",
}
WITH_DB = ["inventory", "orders", "payments"]
WITH_K8S = ["inventory", "payments", "storefront"]
GIT = ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org"]


def new(folder, name, *args):
    result = CliRunner().invoke(
        cli, ["new", name, "-o", str(folder), *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return result


def git(where, *args):
    return subprocess.run(
        [*GIT, *args], cwd=where, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The five services, by flaskproto new, in a git repository and outside one."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, tmp_path_factory.mktemp("home"))
        repository = tmp_path_factory.mktemp("in-git") / "hack"
        repository.mkdir()
        git(repository, "init", "-q")
        git(repository, "commit", "-q", "--allow-empty", "-m", "Start")
        plain = tmp_path_factory.mktemp("outside-git") / "hack"
        for name, features in SERVICES.items():
            new(repository, name, "--with", features, "-q")
            new(plain, name, "--with", features, "-q", "--no-git")
        yield {"git": repository, "plain": plain}


@pytest.fixture
def workspace(made, tmp_path, request):
    """A copy of a made workspace to change: ``request.param`` is git or plain."""
    copy = tmp_path / "hack"
    shutil.copytree(made[request.param], copy, symlinks=True)
    return copy


def load(path):
    return yaml.safe_load(path.read_text())


def test_a_service_alone_gets_none_of_them(tmp_path):
    new(tmp_path, "orders", "--with", "db,k8s", "--no-git", "-q")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders"]


@pytest.mark.parametrize("kind", ["git", "plain"])
def test_compose_runs_every_service_on_one_postgres(made, kind):
    compose = made[kind] / "compose.yaml"
    assert_compose_valid(compose)
    services = load(compose)["services"]
    migrations = [f"{name}-migrate" for name in WITH_DB]
    assert set(services) == {*SERVICES, *migrations, "db", "databases"}

    postgres = [
        s for s in services.values() if s.get("image", "").startswith("postgres:")
    ]
    assert [s.get("command") for s in postgres] == [
        None,
        services["databases"]["command"],
    ]
    assert services["db"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    databases = services["databases"]
    assert databases["depends_on"] == {"db": {"condition": "service_healthy"}}
    [config] = databases["configs"]
    script = load(compose)["configs"][config["source"]]["content"]
    assert databases["command"][-1] == f"--file={config['target']}"
    assert re.findall(r"\('(\w+)'\)", script) == WITH_DB

    for name in SERVICES:
        app = services[name]
        record = Service.at(made[kind] / name)
        assert app["build"] == f"./{name}"
        assert app["ports"] == [f"127.0.0.1:{record.port}:8000"]
        env = app["environment"]
        # Each service has a key of its own, which compose asks for.
        assert env["FLASK_SECRET_KEY"].startswith(f"${{{name.upper()}_SECRET_KEY:?")
        # The others' base URLs, named as flaskproto up names them.
        peers = {url_setting(o): f"http://{o}:8000" for o in SERVICES if o != name}
        assert {k: v for k, v in env.items() if k.endswith("_URL")} == peers
        if name in WITH_DB:
            url = env["FLASK_SQLALCHEMY_DATABASE_URI"]
            assert re.fullmatch(
                rf"postgresql://app:\$\{{POSTGRES_PASSWORD:\?[^}}]*\}}@db:5432/{name}",
                url,
            )
            migrate = services[f"{name}-migrate"]
            assert app["depends_on"] == {
                f"{name}-migrate": {"condition": "service_completed_successfully"}
            }
            assert migrate["command"] == ["flask", "--app", name, "db", "upgrade"]
            assert migrate["environment"]["FLASK_SQLALCHEMY_DATABASE_URI"] == url
            assert migrate["depends_on"] == {
                "databases": {"condition": "service_completed_successfully"}
            }
        else:
            assert "FLASK_SQLALCHEMY_DATABASE_URI" not in env
            assert "depends_on" not in app


def test_the_database_script_makes_each_database_once(made, postgres):
    compose = load(made["plain"] / "compose.yaml")
    script = postgres.base / "databases.sql"
    script.write_text(compose["configs"]["databases"]["content"])
    wanted = "SELECT datname FROM pg_database WHERE datname IN ('{}') ORDER BY 1"
    try:
        postgres.run_file("postgres", script)
        # Again, as compose runs it at every start: it makes only what is missing.
        postgres.run_file("postgres", script)
        found = postgres.query("postgres", wanted.format("', '".join(WITH_DB)))
        assert found.split() == WITH_DB
    finally:
        for name in WITH_DB:
            postgres.query("postgres", f'DROP DATABASE IF EXISTS "{name}"')


def applied(resource: dict, patch: list[dict]) -> dict:
    """``resource`` with the JSON patch's appends (RFC 6902 add at /-) made."""
    for operation in patch:
        assert operation["op"] == "add" and operation["path"].endswith("/-")
        target = resource
        for key in operation["path"].split("/")[1:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target.append(operation["value"])
    return resource


@pytest.mark.parametrize("kind", ["git", "plain"])
def test_kustomization_takes_in_every_k8s_service(made, kind, tmp_path):
    root = load(made[kind] / "kustomization.yaml")
    assert root["kind"] == "Kustomization"
    assert root["resources"] == [f"{name}/deploy/k8s" for name in WITH_K8S]
    files = []
    for folder in root["resources"]:
        own = made[kind] / folder
        files += [own / name for name in load(own / "kustomization.yaml")["resources"]]
    names = [(load(f)["kind"], load(f)["metadata"]["name"]) for f in files]
    assert len(names) == len(set(names)) == 4 * len(WITH_K8S)

    # Each Deployment gets the others' URLs, named as in compose.yaml, and
    # stays valid with them.
    patches = {p["target"]["name"]: yaml.safe_load(p["patch"]) for p in root["patches"]}
    assert {p["target"]["kind"] for p in root["patches"]} == {"Deployment"}
    assert sorted(patches) == WITH_K8S
    for name in WITH_K8S:
        own = made[kind] / name / "deploy" / "k8s" / "deployment.yaml"
        deployment = applied(load(own), patches[name])
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        urls = {e["name"]: e["value"] for e in container["env"] if "value" in e}
        peers = {url_setting(o): f"http://{o}" for o in WITH_K8S if o != name}
        assert {k: v for k, v in urls.items() if k.endswith("_URL")} == peers
        files.remove(own)
        files.append(tmp_path / f"{name}-deployment.yaml")
        files[-1].write_text(yaml.safe_dump(deployment))
    assert_k8s_valid(*files)


def test_outside_git_there_is_no_workflow(made):
    assert not (made["plain"] / ".github").exists()
    record = json.loads((made["plain"] / RECORD_FILE).read_text())
    assert sorted(record["files"]) == ["compose.yaml", "kustomization.yaml"]


def test_the_workflow_runs_each_services_ci_when_its_folder_changes(made):
    workflows = made["git"] / ".github" / "workflows"
    check_schema("vendor.github-workflows", sorted(workflows.glob("*.yml")))
    assert actionlint(sorted(workflows.glob("*.yml"))) == []
    top = load(workflows / "services.yml")
    jobs = top["jobs"]
    assert set(jobs) == {"changes", *SERVICES}
    filters = yaml.safe_load(
        next(s for s in jobs["changes"]["steps"] if "paths-filter" in s.get("uses", ""))
        ["with"]["filters"]
    )  # fmt: skip
    for name in SERVICES:
        job = jobs[name]
        assert job["needs"] == "changes"
        assert job["if"] == f"needs.changes.outputs.{name} == 'true'"
        assert jobs["changes"]["outputs"][name] == (
            f"${{{{ steps.filter.outputs.{name} }}}}"
        )
        called = f".github/workflows/services-{name}.yml"
        assert job["uses"] == f"./{called}"
        assert filters[name] == [f"{name}/**", called]
        # The service's own jobs, run in its folder, called from this one.
        own = load(made["git"] / name / SERVICE_WORKFLOW)
        copy = load(made["git"] / called)
        assert copy[True] == {"workflow_call": None}  # YAML 1.1 reads on: as True
        assert copy["defaults"] == {"run": {"working-directory": name}}
        assert copy["jobs"] == own["jobs"]


@pytest.mark.parametrize("workspace", ["git", "plain"], indirect=True)
def test_a_sixth_service_is_taken_in(workspace):
    before = json.loads((workspace / RECORD_FILE).read_text())["files"]
    result = new(workspace, "billing", "--with", "db,k8s", "--json")
    assert "Note:" not in result.stderr
    written = json.loads(result.stdout)["workspace_files"]
    assert written["kept"] == [] and written["notes"] == []
    assert {"compose.yaml", "kustomization.yaml"} <= set(written["written"])

    compose = workspace / "compose.yaml"
    assert_compose_valid(compose)
    services = load(compose)["services"]
    assert services["billing"]["ports"] == ["127.0.0.1:8005:8000"]
    assert services["orders"]["environment"]["BILLING_URL"] == "http://billing:8000"
    assert "('billing')" in load(compose)["configs"]["databases"]["content"]
    assert "billing/deploy/k8s" in load(workspace / "kustomization.yaml")["resources"]
    after = json.loads((workspace / RECORD_FILE).read_text())["files"]
    assert after["compose.yaml"] != before["compose.yaml"]
    if (workspace / ".git").exists():
        workflows = workspace / ".github" / "workflows"
        check_schema("vendor.github-workflows", sorted(workflows.glob("*.yml")))
        assert "billing" in load(workflows / "services.yml")["jobs"]
        assert (workflows / "services-billing.yml").is_file()


@pytest.mark.parametrize("workspace", ["git"], indirect=True)
def test_an_edited_file_is_left_as_it_is_with_a_note(workspace):
    compose = workspace / "compose.yaml"
    edited = compose.read_text().replace("restart: unless-stopped", "restart: always")
    compose.write_text(edited)

    result = new(workspace, "billing", "--with", "db")
    assert result.stderr.count("Note:") == 1
    assert (
        "Note: compose.yaml was changed since flaskproto wrote it; left as it is\n"
        in result.stderr
    )
    assert compose.read_text() == edited
    assert "billing" not in load(compose)["services"]
    # The others take the new service in.
    workflow = workspace / ".github" / "workflows" / "services.yml"
    assert "billing" in load(workflow)["jobs"]
    # It stays the user's at the next service too.
    again = new(workspace, "shipping", "-q")
    assert "Note: compose.yaml was changed since" in again.stderr
    assert compose.read_text() == edited


def test_a_file_flaskproto_did_not_write_is_kept(tmp_path):
    new(tmp_path, "orders", "--no-git", "-q")
    own = "services:\n  mine:\n    image: nginx\n"
    (tmp_path / "compose.yaml").write_text(own)
    result = new(tmp_path, "payments", "-q")
    assert "Note: compose.yaml was not written by flaskproto; left as it is" in (
        result.stderr
    )
    assert (tmp_path / "compose.yaml").read_text() == own
    assert validate_compose(tmp_path / "compose.yaml").returncode == 0


def test_a_service_named_as_the_files_name_something_else_stops_them(tmp_path):
    new(tmp_path, "db", "--no-git", "-q")
    result = new(tmp_path, "orders", "--with", "db", "-q")
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "Note: the workspace's files were not written: the service in"
    )
    assert "names the PostgreSQL service; rename the service" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db", "orders"]


@pytest.mark.parametrize("workspace", ["git"], indirect=True)
def test_a_service_whose_workflow_cannot_be_run_is_left_out_of_the_ci(workspace):
    own = workspace / "notify" / SERVICE_WORKFLOW
    own.write_text(own.read_text() + "\ndefaults:\n  run:\n    shell: bash\n")
    result = new(workspace, "billing", "-q")
    assert result.stderr == (
        "Note: notify is left out of the workspace's CI: its"
        f" {SERVICE_WORKFLOW} has no top-level on: and jobs:, or has defaults: of"
        " its own\n"
    )
    workflows = workspace / ".github" / "workflows"
    check_schema("vendor.github-workflows", [workflows / "services.yml"])
    jobs = load(workflows / "services.yml")["jobs"]
    assert set(jobs) == {"changes", "billing", *SERVICES} - {"notify"}
    assert "notify" not in jobs["changes"]["outputs"]


def test_a_workspace_in_a_folder_of_a_repository_has_its_workflow_at_the_top(
    tmp_path,
):
    git(tmp_path, "init", "-q")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "Start")
    backend = tmp_path / "backend"
    new(backend, "orders", "--with", "db", "-q")
    new(backend, "payments", "-q")
    assert_compose_valid(backend / "compose.yaml")
    assert not (backend / ".github").exists()
    workflows = tmp_path / ".github" / "workflows"
    assert sorted(p.name for p in workflows.iterdir()) == [
        "backend-services-orders.yml",
        "backend-services-payments.yml",
        "backend-services.yml",
    ]
    check_schema("vendor.github-workflows", sorted(workflows.iterdir()))
    assert actionlint(sorted(workflows.iterdir())) == []
    top = load(workflows / "backend-services.yml")
    assert top["jobs"]["orders"]["uses"] == (
        "./.github/workflows/backend-services-orders.yml"
    )
    assert "backend/orders/**" in top["jobs"]["changes"]["steps"][1]["with"]["filters"]
    called = load(workflows / "backend-services-orders.yml")
    assert called["defaults"] == {"run": {"working-directory": "backend/orders"}}
    record = json.loads((backend / RECORD_FILE).read_text())["files"]
    assert "../.github/workflows/backend-services.yml" in record


def test_files_that_cannot_be_written_leave_the_others_as_they_were(tmp_path):
    new(tmp_path, "orders", "--with", "k8s", "--no-git", "-q")
    (tmp_path / "compose.yaml").mkdir()
    result = CliRunner().invoke(
        cli, ["new", "payments", "--with", "k8s", "-o", str(tmp_path), "-q"]
    )
    assert result.exit_code == 4
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: cannot read {tmp_path / 'compose.yaml'}")
    assert result.stderr.endswith(
        f"; {tmp_path / 'payments'} was made, the workspace's files were not\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "compose.yaml",
        "orders",
        "payments",
    ]
