"""The user's defaults: config file, git's user, and their precedence in new."""

import json
import subprocess

import pytest
from click.testing import CliRunner

from flaskproto.cli import cli
from flaskproto.templates import templates_root


@pytest.fixture(autouse=True)
def elsewhere(monkeypatch, tmp_path):
    """Run from a directory outside any repository, whose git config would count."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def config_file(isolated_environment):
    """Write ~/.config/flaskproto/config.toml; return its path."""
    path = isolated_environment / ".config" / "flaskproto" / "config.toml"

    def write(text: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return write


def git_user(name: str, email: str) -> None:
    for key, value in (("user.name", name), ("user.email", email)):
        subprocess.run(["git", "config", "--global", key, value], check=True)


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def made(tmp_path, *args):
    result = invoke("new", *args, "-o", str(tmp_path / "out"), "--json", "--no-git")
    assert result.exit_code == 0, result.stderr
    path = json.loads(result.stdout)["path"]
    with open(f"{path}/.flaskproto.json") as record:
        return json.load(record)


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        ([], "Your Name"),
        (["git"], "Git Name"),
        (["git", "config"], "Config Name"),
        (["git", "config", "replay"], "Replay Name"),
        (["git", "config", "replay", "command"], "Command Name"),
    ],
    ids=["template", "git", "config-over-git", "replay-over-config", "command-line"],
)
def test_precedence_command_line_replay_config_git_template(
    tmp_path, config_file, layers, expected
):
    args = []
    if "replay" in layers:
        replayed = made(tmp_path / "first", "First", "--set", "author_name=Replay Name")
        args += ["--replay", str(tmp_path / "first" / "out" / "first")]
        assert replayed["context"]["author_name"] == "Replay Name"
    if "git" in layers:
        git_user("Git Name", "git@example.org")
    if "config" in layers:
        config_file('[set]\nauthor_name = "Config Name"\n')
    if "command" in layers:
        args += ["--set", "author_name=Command Name"]
    record = made(tmp_path, "Order Service", *args)
    assert record["context"]["author_name"] == expected
    # What the user's setup gave is recorded, so the command makes it anywhere.
    if layers:
        assert f"--set 'author_name={expected}'" in record["command"]


def test_git_gives_the_author_and_its_email(tmp_path):
    git_user("Grace Hopper", "grace@example.org")
    context = made(tmp_path, "Order Service")["context"]
    assert (context["author_name"], context["author_email"]) == (
        "Grace Hopper",
        "grace@example.org",
    )


def test_a_git_email_the_template_refuses_is_not_used(tmp_path):
    git_user("Grace Hopper", "grace@localhost")
    context = made(tmp_path, "Order Service")["context"]
    assert context["author_email"] == "you@example.com"
    assert context["author_name"] == "Grace Hopper"


def test_config_gives_template_features_and_values(tmp_path, config_file):
    config_file(
        'template = "service"\nwith = ["metrics"]\n'
        '[set]\ndescription = "Orders."\npython_version = "3.13"\n'
    )
    record = made(tmp_path, "Order Service")
    assert record["features"] == ["metrics"]
    assert record["context"]["description"] == "Orders."
    # --with replaces the config file's features; --set wins over its values.
    record = made(
        tmp_path / "2", "Order Service", "--with", "db", "--set", "description=X."
    )
    assert record["features"] == ["db"]
    assert record["context"]["description"] == "X."
    assert record["context"]["python_version"] == "3.13"


def test_an_alias_names_a_template(tmp_path, config_file):
    micro = templates_root() / "micro"
    config_file(f'template = "box"\n[templates]\nbox = "{micro}"\n')
    record = made(tmp_path, "Dev Box")
    assert record["template"] == str(micro)
    assert "python_version" not in record["context"]


def test_the_config_file_is_found_by_xdg_and_by_flaskproto_config(
    tmp_path, monkeypatch
):
    xdg = tmp_path / "xdg"
    (xdg / "flaskproto").mkdir(parents=True)
    (xdg / "flaskproto" / "config.toml").write_text('[set]\ndescription = "XDG."\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    assert made(tmp_path, "One")["context"]["description"] == "XDG."
    other = tmp_path / "other.toml"
    other.write_text('[set]\ndescription = "Pointed."\n')
    monkeypatch.setenv("FLASKPROTO_CONFIG", str(other))
    assert made(tmp_path, "Two")["context"]["description"] == "Pointed."


def test_config_shows_each_value_and_its_source(tmp_path, config_file):
    git_user("Git Name", "git@example.org")
    path = config_file(
        'with = ["db"]\n[set]\nauthor_name = "Config Name"\nautor = "typo"\n'
        '[templates]\nacme = "gh:acme/flask-service-template"\n'
    )
    result = invoke("config")
    assert result.exit_code == 0, result.stderr
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert lines[0] == f"Config file: {path}"
    assert "template service (template)" in lines
    assert "with db (user config)" in lines
    assert "package_name derived from NAME (template)" in lines
    assert "author_name Config Name (user config)" in lines
    assert "author_email git@example.org (git user.email)" in lines
    assert "version 0.1.0 (template)" in lines
    assert "alias acme = gh:acme/flask-service-template" in lines
    assert lines[-1] == "[set] keys template service has no variable for: autor"
    data = json.loads(invoke("config", "--json").stdout)
    assert data["settings"]["author_email"] == {
        "value": "git@example.org",
        "source": "git user.email",
    }
    assert data["config_file_found"] is True


def test_config_without_a_file_says_where_it_would_be(isolated_environment):
    result = invoke("config")
    assert result.exit_code == 0
    where = isolated_environment / ".config" / "flaskproto" / "config.toml"
    assert result.stdout.splitlines()[0] == f"Config file: {where} (none there)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('with = [\n"db"\n[set]\n', "line 3: not valid TOML: unclosed array"),
        ('template = "service"\ncolour = "red"\n', "line 2: unknown setting 'colour'"),
        ("[set]\nversion = 1.0\n", "line 2: version in [set] must be a string in"),
        (
            '\n[set]\n\nauthor_email = "nobody"\n',
            "line 4: author_email 'nobody' is not an e-mail address",
        ),
        ('with = ["db", "nope"]\n', "line 1: with names features template 'service'"),
        ("with = 3\n", "line 1: with must be a list of feature names"),
        ('[templates]\nmicro = "/x"\n', "line 2: alias 'micro' would hide the bundled"),
        ('set = "x"\n', "line 1: set must be a table"),
    ],
    ids=[
        "toml",
        "unknown-key",
        "not-a-string",
        "bad-value",
        "unknown-feature",
        "with-type",
        "alias-hides",
        "set-type",
    ],
)
def test_a_broken_config_is_one_line_naming_file_and_line(
    tmp_path, config_file, text, message
):
    path = config_file(text)
    for args in (["new", "Order Service", "-o", str(tmp_path / "out")], ["config"]):
        result = invoke(*args)
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        assert result.stderr.startswith(f"Error: {path}, {message}")
        assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_a_missing_file_named_by_flaskproto_config_is_an_error(tmp_path):
    missing = tmp_path / "missing.toml"
    result = invoke("config", env={"FLASKPROTO_CONFIG": str(missing)})
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {missing}: no such file (named by $FLASKPROTO_CONFIG)\n"
    )
