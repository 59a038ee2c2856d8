"""create_project(): what it writes, what it refuses, and what it leaves on failure."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from flaskproto import __version__, create_project
from flaskproto.errors import GitError, InvalidInput, OutputError, TargetExists
from flaskproto.service import METADATA_FILE


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root, by relative path, the git directory aside."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_result_describes_the_project(tmp_path):
    result = create_project("Order Service", tmp_path, git=False)
    assert result.path == tmp_path / "order-service"
    assert result.names.package_name == "order_service"
    assert result.files == sorted(tree(result.path))
    assert "src/order_service/__init__.py" in result.files
    assert METADATA_FILE in result.files
    assert result.next_steps[0] == f"cd {result.path}"
    assert "flask --app order_service run --debug" in result.next_steps


def test_metadata_records_how_it_was_made(tmp_path):
    result = create_project(
        "Order Service", tmp_path, context={"description": "Orders."}, git=False
    )
    record = json.loads((result.path / METADATA_FILE).read_text())
    assert record["flaskproto_version"] == __version__
    assert record["template"] == "service"
    assert record["context"]["project_name"] == "Order Service"
    assert record["context"]["description"] == "Orders."
    assert record["features"] == []
    assert {
        "project_name",
        "project_slug",
        "package_name",
        "description",
        "author_name",
        "author_email",
        "version",
        "python_version",
    } <= set(record["context"])
    assert {k for k, v in record["context"].items() if k.startswith("with_")} == {
        k for k, v in record["context"].items() if v is False
    }


def test_nothing_but_the_target_is_written(tmp_path):
    create_project("Order Service", tmp_path, git=False)
    assert [p.name for p in tmp_path.iterdir()] == ["order-service"]


def test_missing_output_directory_is_created(tmp_path):
    result = create_project("x1", tmp_path / "a" / "b", git=False)
    assert (result.path / "pyproject.toml").is_file()


def test_refuses_a_non_empty_target_and_touches_nothing(tmp_path):
    target = tmp_path / "order-service"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(TargetExists, match="--force"):
        create_project("Order Service", tmp_path, git=False)
    assert tree(target) == {"notes.txt": b"mine"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["order-service"]


def test_an_empty_target_directory_is_used(tmp_path):
    (tmp_path / "order-service").mkdir()
    result = create_project("Order Service", tmp_path, git=False)
    assert (result.path / "pyproject.toml").is_file()


@pytest.mark.parametrize("kind", ["file", "symlink"], ids=["file", "symlink"])
def test_refuses_a_target_that_is_not_a_directory(tmp_path, kind):
    target = tmp_path / "order-service"
    if kind == "file":
        target.write_text("x")
    else:
        (tmp_path / "elsewhere").mkdir()
        target.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(
        TargetExists, match="symbolic link" if kind == "symlink" else "not a directory"
    ):
        create_project("Order Service", tmp_path, git=False, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["order-service", "elsewhere"] if kind == "symlink" else ["order-service"]
    )
    if kind == "symlink":
        assert list((tmp_path / "elsewhere").iterdir()) == []


def test_force_replaces_template_files_and_keeps_the_rest(tmp_path):
    first = create_project("Order Service", tmp_path, git=False)
    (first.path / "README.md").write_text("edited")
    (first.path / "notes.txt").write_text("mine")
    (first.path / "src" / "order_service" / "orders.py").write_text("ORDERS = []\n")
    before = tree(first.path)

    create_project("Order Service", tmp_path, git=False, force=True)

    after = tree(first.path)
    assert after["notes.txt"] == b"mine"
    assert after["src/order_service/orders.py"] == b"ORDERS = []\n"
    assert after["README.md"] != b"edited"
    assert set(after) == set(before)
    assert [p.name for p in tmp_path.iterdir()] == ["order-service"]


def test_force_refuses_to_write_through_a_file(tmp_path):
    target = tmp_path / "order-service"
    target.mkdir()
    (target / "src").write_text("not a directory")
    with pytest.raises(OutputError, match="not a plain directory"):
        create_project("Order Service", tmp_path, git=False, force=True)
    assert tree(target) == {"src": b"not a directory"}


def test_dry_run_writes_nothing(tmp_path):
    output = tmp_path / "not-yet"
    result = create_project("Order Service", output, dry_run=True)
    assert result.dry_run
    assert "pyproject.toml" in result.files
    assert METADATA_FILE in result.files
    assert not output.exists()


@pytest.fixture
def unwritable_dir(tmp_path):
    """A directory this process cannot create files in."""
    if os.geteuid() == 0:
        # root writes through permission bits; sysfs refuses it all the same.
        yield Path("/sys/fs")
        return
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    yield locked
    locked.chmod(0o700)


def test_unwritable_output_leaves_nothing(unwritable_dir):
    before = sorted(os.listdir(unwritable_dir))
    with pytest.raises(OutputError, match="cannot write"):
        create_project("Order Service", unwritable_dir, git=False)
    assert sorted(os.listdir(unwritable_dir)) == before


def test_output_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        create_project("Order Service", tmp_path / "file", git=False)


def test_output_dir_with_template_markers_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="template markers"):
        create_project("Order Service", tmp_path / "{{ x }}", git=False)
    assert list(tmp_path.iterdir()) == []


def test_interrupt_during_generation_leaves_nothing(tmp_path, monkeypatch):
    from flaskproto import gitrepo

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(gitrepo, "initial_commit", interrupted)
    output = tmp_path / "new" / "dirs"
    with pytest.raises(KeyboardInterrupt):
        create_project("Order Service", output, git=True)
    assert list(tmp_path.iterdir()) == []


def git(*args, cwd):
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def test_git_repository_with_one_clean_commit(tmp_path):
    result = create_project("Order Service", tmp_path)
    assert result.git == "initialised"
    assert git("log", "--format=%an <%ae>|%s", cwd=result.path).splitlines() == [
        "Your Name <you@example.com>|Create the project with flaskproto"
    ]
    assert git("status", "--porcelain", cwd=result.path) == ""
    committed = git("ls-files", cwd=result.path).split()
    assert committed == result.files


def test_git_uses_the_users_identity_when_set(tmp_path, isolated_environment):
    (isolated_environment / ".gitconfig").write_text(
        "[user]\n\tname = Ada\n\temail = ada@example.org\n"
    )
    result = create_project("Order Service", tmp_path)
    assert git("log", "--format=%an <%ae>", cwd=result.path).strip() == (
        "Ada <ada@example.org>"
    )


def test_inside_a_repository_the_service_gets_a_template_branch_not_a_repo(tmp_path):
    git("init", "-q", cwd=tmp_path)
    result = create_project("Order Service", tmp_path)
    assert result.git == (
        "in the repository around it: commit it there; updates merge from the"
        " branch flaskproto/templates/order-service"
    )
    assert not (result.path / ".git").exists()
    # The branch holds the render in the service's folder, and nothing else.
    listed = git(
        "ls-tree", "-r", "--name-only", "flaskproto/templates/order-service",
        cwd=tmp_path,
    ).split()  # fmt: skip
    assert "order-service/.flaskproto.json" in listed
    assert all(path.startswith("order-service/") for path in listed)
    assert git("status", "--porcelain", cwd=tmp_path) == "?? order-service/\n"


def test_in_a_folder_its_repository_ignores_git_is_skipped(tmp_path):
    git("init", "-q", cwd=tmp_path)
    (tmp_path / ".gitignore").write_text("build/\n")
    (tmp_path / "build").mkdir()
    result = create_project("Order Service", tmp_path / "build")
    assert result.git == (
        "skipped: the output directory is ignored by its git repository"
    )
    assert git("branch", "--list", "flaskproto/*", cwd=tmp_path) == ""


def test_git_required_but_missing_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(GitError, match="not on PATH"):
        create_project("Order Service", tmp_path, git=True)
    assert list(tmp_path.iterdir()) == []


def test_failing_git_leaves_nothing(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text("#!/bin/sh\necho 'fatal: disk on fire' >&2\nexit 128\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    output = tmp_path / "out"
    with pytest.raises(GitError, match="disk on fire"):
        create_project("Order Service", output, git=True)
    assert not output.exists()
