"""flaskproto new at a terminal: questions through a real pseudo-terminal."""

import json
import os
import shlex
import sys

import pexpect
import pytest
from helpers import tree

from flaskproto.naming import PACKAGE_RULE

#: Every wait on the terminal ends by then, so no test can hang.
TIMEOUT = 60
INTERRUPTED = "Error: interrupted; nothing half-made was left behind"


@pytest.fixture
def terminal():
    """Start ``python -m flaskproto ARGS`` on a pseudo-terminal; stop it after."""
    children = []

    def spawn(*args: str) -> pexpect.spawn:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "flaskproto", *args],
            env={**os.environ, "NO_COLOR": "1"},
            encoding="utf-8",
            timeout=TIMEOUT,
            dimensions=(40, 250),
        )
        children.append(child)
        return child

    yield spawn
    for child in children:
        child.close(force=True)


def answer(child: pexpect.spawn, question: str, text: str) -> None:
    child.expect_exact(question)
    child.sendline(text)


def answer_all(child: pexpect.spawn, until: str) -> None:
    """Accept every default until the question ending in ``until``."""
    while child.expect_exact([until, "]: "]) == 1:
        child.sendline("")


def finish(child: pexpect.spawn) -> list[str]:
    """Wait for the end; return the output's lines, with the exit status checked."""
    child.expect(pexpect.EOF)
    output = child.before
    child.close()
    lines = output.replace("\r\n", "\n").splitlines()
    assert child.exitstatus == 0, output
    return lines


def test_progress_rewrites_one_line_on_a_terminal(terminal, tmp_path):
    child = terminal("new", "Order Service", "-o", str(tmp_path), "--git", "--no-input")
    child.expect(pexpect.EOF)
    raw = child.before
    child.close()
    assert child.exitstatus == 0, raw
    assert "\r\x1b[KRendering the service template..." in raw
    assert "\r\x1b[KMaking the initial git commit..." in raw
    # Two steps on one line, then that line is cleared for the result.
    assert raw.count("\r\x1b[K") == 3
    assert raw.rindex("\r\x1b[K") < raw.index("Created Order Service")


def test_answers_make_the_project_and_the_command_makes_it_again(
    terminal, tmp_path, run_flaskproto
):
    out = tmp_path / "asked"
    child = terminal("new", "Order Service", "-o", str(out), "--no-git")
    child.expect_exact("Directory and distribution name")
    answer(child, "project_slug [order-service]: ", "")
    answer(child, "package_name [order_service]: ", "Cafe-API")
    child.expect_exact(f"Error: package_name 'Cafe-API' cannot be used: {PACKAGE_RULE}")
    answer(child, "package_name [order_service]: ", "")
    answer(child, "description [A Flask microservice.]: ", "Takes orders.")
    answer(child, "author_name [Your Name]: ", "Ada Lovelace")
    answer(child, "author_email [you@example.com]: ", "nobody")
    child.expect_exact("Error: author_email 'nobody' is not an e-mail address")
    answer(child, "author_email [you@example.com]: ", "ada@example.com")
    answer(child, "version [0.1.0]: ", "banana")
    child.expect_exact("Error: version 'banana' is not a release number")
    answer(child, "version [0.1.0]: ", "0.2.0")
    answer(child, "python_version [3.12]: ", "")
    answer(child, "port [8000]: ", "")
    answer(child, "dev_port [5000]: ", "")
    child.expect_exact("3  auth")
    child.expect_exact("(requires db)")
    answer(child, "(Enter: none): ", "apii")
    child.expect_exact("Error: unknown feature 'apii' (did you mean 'api'?); known")
    answer(child, "(Enter: none): ", "2 auth")
    child.expect_exact("Added what they require: db for auth")
    lines = finish(child)

    record = json.loads((out / "order-service" / ".flaskproto.json").read_text())
    assert record["features"] == ["db", "api", "auth"]
    assert record["answers"]["features"] == ["api", "auth"]
    context = record["context"]
    assert context["project_slug"] == "order-service"
    assert context["package_name"] == "order_service"
    assert context["description"] == "Takes orders."
    assert context["author_name"] == "Ada Lovelace"
    assert context["author_email"] == "ada@example.com"
    assert context["version"] == "0.2.0"
    assert context["python_version"] == "3.12"

    assert lines[-2] == "The same again, without questions:"
    command = lines[-1].strip()
    assert command == record["command"]
    words = shlex.split(command)
    assert words[:3] == ["flaskproto", "new", "Order Service"]
    again = tmp_path / "again"
    result = run_flaskproto(*words[1:], "-o", str(again), "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "project_slug" not in result.stdout
    assert tree(again / "order-service") == tree(out / "order-service")


def test_given_values_are_the_defaults(terminal, tmp_path):
    child = terminal(
        "new",
        "Order Service",
        "-o",
        str(tmp_path),
        "--no-git",
        "--with",
        "web",
        "--set",
        "version=2.0.0",
    )
    answer_all(child, "version [2.0.0]: ")
    child.sendline("")
    answer_all(child, "(Enter keeps web, 'none' for none): ")
    child.sendline("")
    finish(child)
    record = json.loads((tmp_path / "order-service" / ".flaskproto.json").read_text())
    assert record["features"] == ["web"]
    assert record["answers"]["overrides"] == {"version": "2.0.0"}


def test_none_drops_the_features_given(terminal, tmp_path):
    child = terminal(
        "new", "Order Service", "-o", str(tmp_path), "--no-git", "--with", "db"
    )
    answer_all(child, "(Enter keeps db, 'none' for none): ")
    child.sendline("none")
    finish(child)
    record = json.loads((tmp_path / "order-service" / ".flaskproto.json").read_text())
    assert record["features"] == []


def test_no_input_on_a_terminal_asks_nothing(terminal, tmp_path):
    child = terminal(
        "new", "Order Service", "-o", str(tmp_path), "--no-git", "--no-input"
    )
    text = "\n".join(finish(child))
    assert "project_slug [" not in text
    assert "The same again" not in text
    assert (tmp_path / "order-service" / ".flaskproto.json").is_file()


def test_without_a_terminal_nothing_is_asked(run_flaskproto, tmp_path):
    result = run_flaskproto(
        "new", "Order Service", "-o", str(tmp_path), "--no-git", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "project_slug [" not in result.stdout
    assert "The same again" not in result.stdout
    assert (tmp_path / "order-service" / ".flaskproto.json").is_file()


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("project_slug [order-service]: ", "\x03"),
        ("(Enter: none): ", "\x03"),
        ("version [0.1.0]: ", "\x04"),
    ],
    ids=["ctrl-c-first-question", "ctrl-c-features", "ctrl-d"],
)
def test_interrupting_a_question_writes_nothing(terminal, tmp_path, question, key):
    child = terminal("new", "Order Service", "-o", str(tmp_path / "out"), "--no-git")
    answer_all(child, question)
    child.send(key)
    child.expect(pexpect.EOF)
    output = child.before.replace("\r\n", "\n")
    child.close()
    assert child.exitstatus == 130, output
    assert [line for line in output.splitlines() if "Error" in line] == [INTERRUPTED]
    assert output.endswith(INTERRUPTED + "\n")
    assert list(tmp_path.iterdir()) == []


def test_name_is_asked_first_when_not_given(terminal, tmp_path):
    (tmp_path / "taken" / "keep.txt").parent.mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine\n")
    child = terminal("new", "-o", str(tmp_path), "--no-git")
    child.expect_exact("The service's name, in words")
    answer(child, "project_name: ", "conftest")
    child.expect_exact(
        "Error: the project name 'conftest' gives the package name 'conftest'"
    )
    answer(child, "project_name: ", "Taken")
    child.expect_exact(f"Error: {tmp_path / 'taken'} already exists and is not empty")
    answer(child, "project_name: ", "Order Service")
    answer_all(child, "(Enter: none): ")
    child.sendline("")
    lines = finish(child)
    assert lines[-1].strip() == "flaskproto new 'Order Service'"
    assert (tmp_path / "order-service" / ".flaskproto.json").is_file()
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine\n"


def test_an_existing_target_is_refused_before_the_first_question(terminal, tmp_path):
    (tmp_path / "order-service").mkdir()
    (tmp_path / "order-service" / "keep.txt").write_text("mine\n")
    child = terminal("new", "Order Service", "-o", str(tmp_path), "--no-git")
    child.expect(pexpect.EOF)
    output = child.before.replace("\r\n", "\n")
    child.close()
    assert child.exitstatus == 3, output
    assert output == (
        f"Error: {tmp_path / 'order-service'} already exists and is not empty;"
        " choose another name or --output-dir, or pass --force to render into it\n"
    )


def test_without_a_terminal_a_missing_name_is_a_usage_error(run_flaskproto, tmp_path):
    result = run_flaskproto("new", "-o", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.endswith(
        "Error: Missing argument 'NAME': give the service's name, such as"
        ' flaskproto new "Order Service"; it is asked for only at a terminal.\n'
    )
    assert list(tmp_path.iterdir()) == []


def test_questions_are_the_chosen_templates(terminal, tmp_path):
    child = terminal("new", "Dev Box", "--template", "micro", "-o", str(tmp_path))
    answer_all(child, "version [0.1.0]: ")
    child.sendline("")
    child.expect_exact("(Enter: none): ")
    features = child.before
    child.sendline("")
    text = "\n".join(finish(child))
    # micro's own questions and features: not service's python_version, nor db.
    assert "python_version [" not in text
    assert "mqtt" in features and "SQLAlchemy" not in features
    assert (tmp_path / "dev-box" / ".flaskproto.json").is_file()
