"""flaskproto update and check-update: template changes merged with git."""

import json
import shutil

import pytest
from conftest import REPO
from helpers import (
    assert_suite_passes,
    cli_in_new_process,
    git,
    invoke,
    make_service_before_feature_migrations,
    tree,
)

from flaskproto.service import METADATA_FILE

HELLO = "src/order_service/hello.py"
TEST_HELLO = "tests/test_hello.py"
OLD_DOC = '"""The root route: Flask\'s hello world."""'
NEW_DOC = '"""The root route: Flask\'s hello world, in plain text."""'


def commit_all(project, message="My changes"):
    git("add", "--all", cwd=project)
    git("commit", "-q", "-m", message, cwd=project)


def edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def change_greeting(project):
    """Change the route's answer, and the service's tests that check it."""
    for path in [project / HELLO, *sorted((project / "tests").glob("test_*.py"))]:
        text = path.read_text()
        if "Hello World!" in text:
            path.write_text(text.replace("Hello World!", "Hello Orders!"))


def state(project):
    """What a command that writes nothing must leave as it was."""
    return (
        git("status", "--porcelain", "--untracked-files=all", cwd=project),
        git("show-ref", cwd=project),
        git("count-objects", cwd=project),
        tree(project),
    )


@pytest.fixture(scope="module")
def newer_template(tmp_path_factory):
    """The service template, version 2: a file added, two changed."""
    template = tmp_path_factory.mktemp("template") / "service"
    shutil.copytree(REPO / "templates" / "service", template)
    edit(
        template / "cookiecutter.json",
        '"_template_version": "1"',
        '"_template_version": "2"',
    )
    project = template / "{{cookiecutter.project_slug}}"
    edit(project / "src/{{cookiecutter.package_name}}/hello.py", OLD_DOC, NEW_DOC)
    edit(
        project / ".env.example",
        "# The service reads these from the environment.",
        "# The service reads its settings from the environment.",
    )
    (project / "CHANGELOG.md").write_text("# Changelog\n\nNothing released yet.\n")
    return template


@pytest.fixture
def service(tmp_path):
    """Order Service as flaskproto new makes it, in its git repository."""
    result = invoke("new", "Order Service", "-o", tmp_path, "-q")
    assert result.exit_code == 0, result.stderr
    return tmp_path / "order-service"


def test_new_starts_the_template_branch_at_the_initial_commit(service):
    assert git("rev-parse", "HEAD", cwd=service) == git(
        "rev-parse", "flaskproto/template", cwd=service
    )
    record = json.loads((service / METADATA_FILE).read_text())
    assert record["template_version"] == "1"


def test_update_keeps_user_edits_and_brings_template_changes(service, newer_template):
    # The user changes the route's answer, adds a file and deletes one, and
    # another command keeps its own key in the record.
    change_greeting(service)
    (service / "src/order_service/orders.py").write_text('"""Orders."""\n')
    (service / ".dockerignore").unlink()
    record = json.loads((service / METADATA_FILE).read_text())
    record["resources"] = ["orders"]
    (service / METADATA_FILE).write_text(json.dumps(record, indent=2) + "\n")
    commit_all(service)

    result = invoke("update", service, "--template", newer_template)

    assert result.exit_code == 0, result.stderr
    assert "Updated" in result.stdout and "version 1 to 2" in result.stdout
    hello = (service / HELLO).read_text()
    assert NEW_DOC in hello and "Hello Orders!" in hello
    assert "Hello Orders!" in (service / TEST_HELLO).read_text()
    assert (service / "src/order_service/orders.py").is_file()
    assert not (service / ".dockerignore").exists()
    assert (service / "CHANGELOG.md").read_text().startswith("# Changelog")
    assert "its settings" in (service / ".env.example").read_text()
    record = json.loads((service / METADATA_FILE).read_text())
    assert record["resources"] == ["orders"]
    assert record["template_version"] == "2"
    assert git("status", "--porcelain", cwd=service) == ""
    parents = git("log", "-1", "--format=%P", cwd=service).split()
    assert parents[1] == git("rev-parse", "flaskproto/template", cwd=service).strip()
    # The template is recorded: the service is now current with it.
    assert invoke("check-update", service).exit_code == 0
    again = invoke("update", service, "--json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "current"


def test_an_overlapping_edit_stops_on_a_conflict_the_user_finishes(
    service, newer_template, service_venv
):
    # The same line the template changes, and a file the template changes
    # that the user deleted.
    edit(service / HELLO, OLD_DOC, '"""The orders greeting."""')
    change_greeting(service)
    (service / ".env.example").unlink()
    commit_all(service)

    result = invoke("update", service, "--template", newer_template, "--json")

    assert result.exit_code == 12
    data = json.loads(result.stdout)
    assert data["status"] == "conflicts"
    assert data["conflicts"] == [".env.example", HELLO]
    assert "git merge --abort" in " ".join(data["next_steps"])
    assert result.stderr.startswith("Error: the update left conflicts")
    assert len(result.stderr.splitlines()) == 1
    hello = (service / HELLO).read_text()
    assert "<<<<<<< " in hello and "=======" in hello and ">>>>>>> " in hello
    assert NEW_DOC in hello and '"""The orders greeting."""' in hello
    # What merged cleanly is staged; the record is resolved already.
    staged = git("diff", "--cached", "--name-only", cwd=service).split()
    assert "CHANGELOG.md" in staged
    assert METADATA_FILE not in git(
        "diff", "--name-only", "--diff-filter=U", cwd=service
    )
    assert json.loads((service / METADATA_FILE).read_text())["template_version"] == "2"
    again = invoke("update", service)
    assert again.exit_code == 11
    assert "merge is in progress" in again.stderr

    # The user resolves: their docstring, the file stays deleted.
    lines = hello.splitlines(keepends=True)
    start = lines.index(next(line for line in lines if line.startswith("<<<<<<<")))
    end = lines.index(next(line for line in lines if line.startswith(">>>>>>>")))
    lines[start : end + 1] = ['"""The orders greeting."""\n']
    (service / HELLO).write_text("".join(lines))
    git("add", HELLO, cwd=service)
    git("rm", "-q", ".env.example", cwd=service)
    git("commit", "-q", "--no-edit", cwd=service)

    assert invoke("check-update", service).exit_code == 0
    assert (service / "CHANGELOG.md").is_file()
    service_venv.install_service(service)
    assert_suite_passes(service_venv, service)


def test_update_with_db_gives_what_new_with_db_gives(service, tmp_path):
    (service / "src/order_service/orders.py").write_text('"""Orders."""\n')
    commit_all(service)

    result = invoke("update", service, "--with", "db")

    assert result.exit_code == 0, result.stderr
    assert "adding db" in result.stdout
    made = invoke("new", "Order Service", "--with", "db", "-o", tmp_path / "b", "-q")
    assert made.exit_code == 0, made.stderr
    expected = tree(tmp_path / "b" / "order-service")
    expected["src/order_service/orders.py"] = b'"""Orders."""\n'
    updated = tree(service)
    for files in (expected, updated):
        files[METADATA_FILE] = json.loads(files[METADATA_FILE])
    assert updated == expected
    log = git("log", "--format=%s", "flaskproto/template", cwd=service).splitlines()
    assert log == [
        "Render the service template version 1 with db",
        "Create the project with flaskproto",
    ]


VERSIONS = "src/order_service/migrations/versions"


def revisions(project):
    """Each revision of the service's migrations, with the one it follows."""
    from flaskproto import migrations

    found = migrations.read_revisions(project / VERSIONS)
    return {r.id: sorted(r.downs) for r in found.values()}


@pytest.mark.parametrize(
    ("first", "later", "chain"),
    [
        (
            "db,api",
            "auth,admin",
            {
                "0001": [],
                "api_0001": ["0001"],
                "0002": ["api_0001"],
                "auth_0001": ["0002"],
                "admin_0001": ["auth_0001"],
                "auth_0002": ["admin_0001"],
            },
        ),
        (
            "db,auth",
            "api",
            {
                "0001": [],
                "auth_0001": ["0001"],
                "auth_0002": ["auth_0001"],
                "0002": ["auth_0002"],
                "api_0001": ["0002"],
            },
        ),
    ],
    ids=["later-in-the-catalogue", "earlier-in-the-catalogue"],
)
def test_features_added_later_append_migrations_after_the_head(
    tmp_path, first, later, chain
):
    made = invoke("new", "Order Service", "--with", first, "-o", tmp_path, "-q")
    assert made.exit_code == 0, made.stderr
    service = tmp_path / "order-service"
    added = invoke("add", "resource", "widget", "-f", "label", "--path", service)
    assert added.exit_code == 0, added.stderr
    commit_all(service, "Add widgets")
    before = {p.name: p.read_bytes() for p in (service / VERSIONS).glob("*.py")}

    result = invoke("update", service, "--with", later)

    assert result.exit_code == 0, result.stderr
    after = {p.name: p.read_bytes() for p in (service / VERSIONS).glob("*.py")}
    assert {name: after[name] for name in before} == before
    assert revisions(service) == chain
    assert git("status", "--porcelain", cwd=service) == ""


NOTES_REVISION = '''"""Create the notes table.

Revision ID: db_0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "db_0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("notes", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("notes")
'''


def test_a_template_change_to_the_schema_arrives_after_the_head(tmp_path):
    made = invoke("new", "Order Service", "--with", "db", "-o", tmp_path, "-q")
    assert made.exit_code == 0, made.stderr
    service = tmp_path / "order-service"
    added = invoke("add", "resource", "widget", "-f", "label", "--path", service)
    assert added.exit_code == 0, added.stderr
    commit_all(service, "Add widgets")
    # The next template version adds a table to the db feature: a revision
    # after the template's own head, 0001.
    template = tmp_path / "template"
    shutil.copytree(REPO / "templates" / "service", template)
    versions = template.joinpath(
        "{{cookiecutter.project_slug}}", "src", "{{cookiecutter.package_name}}",
        "migrations", "versions",
    )  # fmt: skip
    name = "{% if cookiecutter.with_db %}db_0002_create_notes.py{% endif %}"
    (versions / name).write_text(NOTES_REVISION)

    result = invoke("update", service, "--template", template)

    assert result.exit_code == 0, result.stderr
    assert revisions(service) == {
        "0001": [],
        "0002": ["0001"],
        "db_0002": ["0002"],
    }
    script = (service / VERSIONS / "db_0002_create_notes.py").read_text()
    assert "Revises: 0002\n" in script


def test_a_service_made_with_features_at_once_has_one_line_of_migrations(tmp_path):
    made = invoke("new", "Order Service", "--with", "api,admin", "-o", tmp_path, "-q")
    assert made.exit_code == 0, made.stderr
    assert revisions(tmp_path / "order-service") == {
        "0001": [],
        "api_0001": ["0001"],
        "auth_0001": ["api_0001"],
        "admin_0001": ["auth_0001"],
        "auth_0002": ["admin_0001"],
    }


def added_lines(diff, path):
    """The text a git diff gives the new file at ``path``."""
    section = diff.split(f"diff --git a/{path} b/{path}\n", 1)[1].split("diff --git")[0]
    body = section.split("@@\n", 1)[1]
    return "".join(line[1:] + "\n" for line in body.splitlines())


def test_dry_run_shows_the_revisions_chained_as_update_writes_them(tmp_path):
    made = invoke("new", "Order Service", "--with", "db,api", "-o", tmp_path, "-q")
    assert made.exit_code == 0, made.stderr
    service = tmp_path / "order-service"
    added = invoke("add", "resource", "widget", "-f", "label", "--path", service)
    assert added.exit_code == 0, added.stderr
    commit_all(service, "Add widgets")

    dry = invoke("update", service, "--with", "auth", "--dry-run", "--json")

    assert dry.exit_code == 0, dry.stderr
    diff = json.loads(dry.stdout)["diff"]
    script = f"{VERSIONS}/auth_0001_create_users.py"
    shown = added_lines(diff, script)
    assert 'down_revision = "0002"\n' in shown and "Revises: 0002\n" in shown
    # The service's own revisions are not in the diff: the merge leaves them.
    assert f"{VERSIONS}/0001_initial.py" not in diff
    result = invoke("update", service, "--with", "auth")
    assert result.exit_code == 0, result.stderr
    assert (service / script).read_text() == shown


@pytest.mark.parametrize(
    ("features", "chain"),
    [
        ("db,api", {"0001": []}),
        # auth_0002, which creates nothing, gives the tokens' created_at of
        # that 0001 its time zone.
        ("db,api,auth,admin", {"0001": [], "auth_0002": ["0001"]}),
    ],
    ids=["api", "api-auth-admin"],
)
def test_a_service_made_before_feature_migrations_keeps_its_one_revision(
    tmp_path, features, chain
):
    # Its 0001_initial.py creates the tables of every feature it was made
    # with; the template's revisions of those features must not come again.
    service = make_service_before_feature_migrations(
        "Order Service", tmp_path, features.split(",")
    )
    initial = (service / VERSIONS / "0001_initial.py").read_bytes()

    dry = invoke("update", service, "--dry-run", "--json")
    result = invoke("update", service)

    assert dry.exit_code == 0, dry.stderr
    diff = json.loads(dry.stdout)["diff"]
    shown = {
        line.split(" b/")[-1] for line in diff.splitlines() if "/versions/" in line
    }
    assert shown <= {f"{VERSIONS}/auth_0002_tokens_created_at_with_zone.py"}
    assert result.exit_code == 0, result.stderr
    assert "Updated" in result.stdout
    assert revisions(service) == chain
    assert (service / VERSIONS / "0001_initial.py").read_bytes() == initial
    assert git("status", "--porcelain", cwd=service) == ""


@pytest.mark.parametrize(
    ("first", "later", "chain"),
    [
        (
            "db,api",
            "auth,admin",
            {
                "0001": [],
                "0002": ["0001"],
                "auth_0001": ["0002"],
                "admin_0001": ["auth_0001"],
                "auth_0002": ["admin_0001"],
            },
        ),
        (
            "db,auth",
            "admin",
            {
                "0001": [],
                "0002": ["0001"],
                "admin_0001": ["0002"],
                "auth_0002": ["admin_0001"],
            },
        ),
    ],
    ids=["auth-admin-to-api", "admin-to-auth"],
)
def test_features_added_to_a_service_made_before_feature_migrations(
    tmp_path, first, later, chain
):
    service = make_service_before_feature_migrations(
        "Order Service", tmp_path, first.split(",")
    )
    added = invoke("add", "resource", "widget", "-f", "label", "--path", service)
    assert added.exit_code == 0, added.stderr
    commit_all(service, "Add widgets")
    before = {p.name: p.read_bytes() for p in (service / VERSIONS).glob("*.py")}

    result = invoke("update", service, "--with", later)

    assert result.exit_code == 0, result.stderr
    after = {p.name: p.read_bytes() for p in (service / VERSIONS).glob("*.py")}
    assert {name: after[name] for name in before} == before
    assert revisions(service) == chain
    assert git("status", "--porcelain", cwd=service) == ""
    # The next update takes in nothing more: what it left out stays out.
    again = invoke("update", service)
    assert again.exit_code == 0, again.stderr
    assert revisions(service) == chain


USERS_REVISION = '''"""Create the users of the orders.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("users")
'''


def test_update_stops_on_a_revision_whose_tables_the_service_has_in_part(tmp_path):
    made = invoke("new", "Order Service", "--with", "db", "-o", tmp_path, "-q")
    assert made.exit_code == 0, made.stderr
    service = tmp_path / "order-service"
    (service / VERSIONS / "0002_create_users.py").write_text(USERS_REVISION)
    commit_all(service, "Add users")
    before = state(service)

    result = invoke("update", service, "--with", "auth")

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: the template's revision auth_0001")
    assert "already create users, users.id of them" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert state(service) == before


def test_check_update_and_dry_run_say_what_is_waiting(service, newer_template):
    current = invoke("check-update", service, "--json")
    assert current.exit_code == 0, current.stderr
    assert json.loads(current.stdout)["current"] is True
    assert (
        "is current with template version 1" in invoke("check-update", service).stdout
    )
    before = state(service)

    behind = invoke("check-update", service, "--template", newer_template)
    assert behind.exit_code == 13
    assert "An update is waiting" in behind.stdout
    assert "A CHANGELOG.md" in behind.stdout
    as_json = invoke("check-update", service, "--template", newer_template, "--json")
    assert as_json.exit_code == 13
    data = json.loads(as_json.stdout)
    assert (data["current"], data["from_version"], data["to_version"]) == (
        False,
        "1",
        "2",
    )
    assert {"status": "A", "path": "CHANGELOG.md"} in data["changes"]

    dry = invoke("update", service, "--template", newer_template, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "+# Changelog" in dry.stdout
    assert f"+{NEW_DOC}" in dry.stdout and f"-{OLD_DOC}" in dry.stdout
    dry_json = invoke(
        "update", service, "--template", newer_template, "--dry-run", "--json"
    )
    assert json.loads(dry_json.stdout)["diff"].startswith("diff --git")
    assert state(service) == before


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("edit", f"({HELLO})"),
        ("untracked", "(notes.txt)"),
        ("several", "(README.md and 2 more)"),
    ],
    ids=["edited-file", "untracked-file", "several"],
)
def test_update_refuses_a_work_tree_with_changes(service, change, named):
    if change == "edit":
        edit(service / HELLO, "Hello World!", "Hello!")
    elif change == "untracked":
        (service / "notes.txt").write_text("todo\n")
    else:
        (service / "README.md").write_text("edited\n")
        (service / "notes.txt").write_text("todo\n")
        (service / "todo.txt").write_text("todo\n")
    before = state(service)
    result = invoke("update", service, "--with", "db")
    assert result.exit_code == 11
    assert result.stderr == (
        f"Error: {service} has uncommitted changes {named}: commit or stash them"
        " first, so the update's merge stays apart from your work\n"
    )
    assert state(service) == before


def test_commands_refuse_a_directory_that_is_not_a_service(tmp_path):
    for command in ("update", "check-update"):
        result = invoke(command, tmp_path)
        assert result.exit_code == 10
        assert result.stderr.startswith("Error: ") and "no .flaskproto.json" in (
            result.stderr
        )


def test_a_service_outside_git_is_told_how_to_adopt(tmp_path):
    assert invoke("new", "Order Service", "-o", tmp_path, "--no-git").exit_code == 0
    result = invoke("update", tmp_path / "order-service")
    assert result.exit_code == 6
    assert "not a git repository" in result.stderr
    assert "git init" in result.stderr and "--adopt" in result.stderr


def test_adopt_a_service_made_without_git(tmp_path, newer_template):
    assert invoke("new", "Order Service", "-o", tmp_path, "--no-git").exit_code == 0
    service = tmp_path / "order-service"
    git("init", "-q", cwd=service)
    commit_all(service, "Start")
    refused = invoke("update", service)
    assert refused.exit_code == 6
    assert "no flaskproto/template branch" in refused.stderr
    before = tree(service)

    adopted = invoke("update", service, "--adopt")

    assert adopted.exit_code == 0, adopted.stderr
    assert "Adopted" in adopted.stdout
    assert tree(service) == before
    assert git("status", "--porcelain", cwd=service) == ""
    assert invoke("check-update", service).exit_code == 0
    assert invoke("update", service, "--adopt").exit_code == 6
    # Later updates bring only what the template changed after adoption.
    updated = invoke("update", service, "--template", newer_template, "--json")
    assert updated.exit_code == 0, updated.stderr
    changed = {c["path"] for c in json.loads(updated.stdout)["changes"]}
    assert changed == {"CHANGELOG.md", ".env.example", HELLO}


def test_adopt_a_service_made_by_plain_cookiecutter(tmp_path):
    from cookiecutter.main import cookiecutter

    cookiecutter(
        str(REPO / "templates" / "service"),
        no_input=True,
        output_dir=str(tmp_path),
        extra_context={"project_name": "Order Service"},
    )
    service = tmp_path / "order-service"
    git("init", "-q", cwd=service)
    commit_all(service, "Start")
    refused = invoke("update", service, "--adopt")
    assert refused.exit_code == 10
    assert "plain cookiecutter" in refused.stderr

    # The way the message gives: the record of the same service, made by flaskproto.
    made = invoke("new", "Order Service", "--no-git", "-o", tmp_path / "same", "-q")
    assert made.exit_code == 0, made.stderr
    shutil.copy(tmp_path / "same" / "order-service" / METADATA_FILE, service)
    commit_all(service, "Record the flaskproto answers")

    adopted = invoke("update", service, "--adopt")
    assert adopted.exit_code == 0, adopted.stderr
    assert invoke("check-update", service).exit_code == 0


def test_adopt_takes_neither_with_nor_dry_run(service):
    result = invoke("update", service, "--adopt", "--dry-run")
    assert result.exit_code == 2
    assert "--adopt takes neither" in result.stderr


def test_update_refuses_to_run_on_the_template_branch(service):
    git("switch", "-q", "flaskproto/template", cwd=service)
    result = invoke("update", service)
    assert result.exit_code == 6
    assert "switch to your own branch" in result.stderr


def test_help_lists_the_exit_codes_and_loads_no_template_engine():
    update_help, loaded = cli_in_new_process("update", "--help")
    for code in ("10", "11", "12"):
        assert f"\n    {code} " in update_help
    assert "\n    13 " not in update_help
    check_help, loaded_too = cli_in_new_process("check-update", "--help")
    assert "\n    13   an update is waiting" in check_help
    for modules in (loaded, loaded_too):
        assert "cookiecutter" not in modules and "jinja2" not in modules


def test_update_refuses_a_branch_without_the_template_in_its_history(service):
    git("checkout", "-q", "--orphan", "elsewhere", cwd=service)
    commit_all(service, "Start again")
    result = invoke("update", service)
    assert result.exit_code == 6
    assert "shares no history with flaskproto/template" in result.stderr
