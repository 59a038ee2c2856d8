"""The recorded command and --replay make a project again the same way."""

import json
import shlex

import pytest
from click.testing import CliRunner
from helpers import tree

from flaskproto.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def original(tmp_path):
    result = invoke(
        "new",
        "Order Service",
        "-o",
        str(tmp_path / "first"),
        "--no-git",
        "--with",
        "auth,api",
        "--set",
        'description=Takes "orders" & more',
        "--set",
        "author_name=Ada",
    )
    assert result.exit_code == 0, result.stderr
    return tmp_path / "first" / "order-service"


def test_the_recorded_command_makes_the_same_project(original, tmp_path):
    record = json.loads((original / ".flaskproto.json").read_text())
    assert record["command"] == (
        "flaskproto new 'Order Service' --with api,auth"
        " --set 'description=Takes \"orders\" & more' --set author_name=Ada"
    )
    words = shlex.split(record["command"])
    again = invoke(*words[1:], "-o", str(tmp_path / "again"), "--no-git")
    assert again.exit_code == 0, again.stderr
    assert tree(tmp_path / "again" / "order-service") == tree(original)


def test_replay_gives_a_new_name_the_same_answers(original, tmp_path):
    result = invoke(
        "new",
        "Billing",
        "--replay",
        str(original / ".flaskproto.json"),
        "--with",
        "cors",
        "--set",
        "author_name=Grace",
        "-o",
        str(tmp_path),
        "--json",
        "--no-git",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["features"] == ["db", "api", "auth", "cors"]
    record = json.loads((tmp_path / "billing" / ".flaskproto.json").read_text())
    assert record["context"]["description"] == 'Takes "orders" & more'
    assert record["context"]["author_name"] == "Grace"
    assert record["context"]["package_name"] == "billing"


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "No such file"), ("{}", "not a .flaskproto.json"), ("[", "not a .flask")],
    ids=["missing", "not-ours", "not-json"],
)
def test_a_bad_replay_file_exits_2(tmp_path, content, message):
    path = tmp_path / "answers.json"
    if content is not None:
        path.write_text(content)
    result = CliRunner().invoke(
        cli, ["new", "x1", "--replay", str(path), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_replay_takes_the_project_directory(original, tmp_path):
    result = invoke(
        "new", "Billing", "--replay", str(original), "-o", str(tmp_path), "--json"
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["features"] == ["db", "api", "auth"]
    record = json.loads((tmp_path / "billing" / ".flaskproto.json").read_text())
    assert record["context"]["author_name"] == "Ada"


def test_replay_of_a_directory_without_a_record_names_the_file(tmp_path):
    result = CliRunner().invoke(
        cli, ["new", "x1", "--replay", str(tmp_path), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: --replay {tmp_path / '.flaskproto.json'}: No such file or directory\n"
    )


def test_replay_uses_the_recorded_template(tmp_path):
    first = invoke("new", "Dev Box", "--template", "micro", "-o", str(tmp_path))
    assert first.exit_code == 0, first.stderr
    result = invoke(
        "new", "Other Box", "--replay", str(tmp_path / "dev-box"), "-o", str(tmp_path)
    )
    assert result.exit_code == 0, result.stderr
    record = json.loads((tmp_path / "other-box" / ".flaskproto.json").read_text())
    assert record["template"] == "micro"
