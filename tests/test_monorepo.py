"""Services in folders of one git repository: update, check-update, resources."""

import json
import shutil

import pytest
from conftest import REPO
from helpers import assert_suite_passes, git, invoke


@pytest.fixture(scope="module")
def newer_template(tmp_path_factory):
    """The service template, version 2, with a CHANGELOG.md more."""
    template = tmp_path_factory.mktemp("template") / "service"
    shutil.copytree(REPO / "templates" / "service", template)
    config = template / "cookiecutter.json"
    text = config.read_text()
    assert '"_template_version": "1"' in text
    config.write_text(
        text.replace('"_template_version": "1"', '"_template_version": "2"')
    )
    changelog = template / "{{cookiecutter.project_slug}}" / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\nNothing released yet.\n")
    return template


@pytest.fixture
def monorepo(tmp_path):
    """A repository with a README and two services in folders, all committed."""
    repo = tmp_path / "hack"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    (repo / "README.md").write_text("The hackathon.\n")
    git("add", "README.md", cwd=repo)
    git("commit", "-q", "-m", "Start", cwd=repo)
    for name, features in (("orders", "db,api"), ("payments", "api")):
        made = invoke("new", name, "-o", repo, "--with", features, "--json")
        assert made.exit_code == 0, made.stderr
        assert json.loads(made.stdout)["git"] == (
            "in the repository around it: commit it there; updates merge from the"
            f" branch flaskproto/templates/{name}"
        )
    git("add", "--all", cwd=repo)
    git("commit", "-q", "-m", "Add the services", cwd=repo)
    return repo


@pytest.mark.slow
def test_update_with_a_feature_merges_into_one_folder(monorepo, service_venv):
    orders = monorepo / "orders"
    outside = git("rev-parse", "HEAD:payments", "HEAD:README.md", cwd=monorepo)

    updated = invoke("update", orders, "--with", "metrics", "--json")

    assert updated.exit_code == 0, updated.stderr
    result = json.loads(updated.stdout)
    assert result["status"] == "updated"
    assert result["added_features"] == ["metrics"]
    paths = {change["path"] for change in result["changes"]}
    assert "src/orders/metrics.py" in paths  # named from the service's folder
    assert git("status", "--porcelain", cwd=monorepo) == ""
    assert git("rev-parse", "HEAD:payments", "HEAD:README.md", cwd=monorepo) == outside
    changed = git("diff", "--name-only", "HEAD~2", "HEAD", cwd=monorepo).split()
    assert changed and all(path.startswith("orders/") for path in changed)
    record = json.loads((orders / ".flaskproto.json").read_text())
    assert "metrics" in record["features"]

    assert invoke("check-update", orders).exit_code == 0
    # With what db, api and metrics need.
    service_venv.pip("--no-build-isolation", f"{orders}[test]")
    assert_suite_passes(service_venv, orders)


def test_check_update_reports_each_service(monorepo, newer_template):
    for name in ("orders", "payments"):
        current = invoke("check-update", monorepo / name)
        assert current.exit_code == 0, current.stderr
        assert current.stdout == (
            f"{monorepo / name} is current with template version 1.\n"
        )
    waiting = invoke(
        "check-update", monorepo / "payments", "--template", newer_template, "--json"
    )
    assert waiting.exit_code == 13, waiting.stderr
    assert json.loads(waiting.stdout)["to_version"] == "2"

    listed = json.loads(invoke("services", monorepo, "--json").stdout)["services"]
    assert [(row["directory"], row["update"]) for row in listed] == [
        ("orders", "current"),
        ("payments", "current"),
    ]


def test_a_newer_template_merges_into_its_folder_only(monorepo, newer_template):
    payments = monorepo / "payments"
    updated = invoke("update", payments, "--template", newer_template, "--json")
    assert updated.exit_code == 0, updated.stderr
    assert json.loads(updated.stdout)["to_version"] == "2"
    assert (payments / "CHANGELOG.md").is_file()
    assert not (monorepo / "orders" / "CHANGELOG.md").exists()
    assert not (monorepo / "CHANGELOG.md").exists()
    assert invoke("check-update", monorepo / "orders").exit_code == 0


def test_add_and_remove_a_resource_in_a_folder(monorepo):
    orders = monorepo / "orders"
    added = invoke("add", "resource", "invoice", "-f", "total:int", "--path", orders)
    assert added.exit_code == 0, added.stderr
    assert (orders / "src/orders/resources/invoice.py").is_file()
    removed = invoke("remove", "resource", "invoice", "--path", orders / "src")
    assert removed.exit_code == 0, removed.stderr
    assert not (orders / "src/orders/resources/invoice.py").exists()


def test_adopt_a_service_committed_without_its_branch(monorepo):
    git("branch", "-D", "flaskproto/templates/payments", cwd=monorepo)
    refused = invoke("update", monorepo / "payments")
    assert refused.exit_code == 6
    assert "no flaskproto/templates/payments branch" in refused.stderr

    adopted = invoke("update", monorepo / "payments", "--adopt")

    assert adopted.exit_code == 0, adopted.stderr
    assert git("status", "--porcelain", cwd=monorepo) == ""
    assert invoke("check-update", monorepo / "payments").exit_code == 0


def test_a_folder_of_services_outside_git_is_told_to_init_at_its_top(tmp_path):
    for name in ("orders", "payments"):
        assert invoke("new", name, "-o", tmp_path, "--no-git").exit_code == 0
    result = invoke("update", tmp_path / "payments")
    assert result.exit_code == 6
    assert f"git commit in {tmp_path}, the folder of services," in result.stderr
