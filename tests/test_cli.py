"""The command line: exit codes, messages on stderr, --json, --dry-run, --force."""

import json
import os
import signal
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from helpers import PATIENCE, cli_in_new_process, wait_for

from flaskproto import __version__
from flaskproto.cli import cli
from flaskproto.errors import COMMAND_EXIT_CODES, EXIT_CODES


@pytest.fixture
def invoke(tmp_path):
    def invoke(*args: str):
        return CliRunner().invoke(cli, [*args], catch_exceptions=False)

    return invoke


def test_version(invoke):
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"flaskproto {__version__}\n"


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_load_nothing_the_commands_load_when_they_run(option):
    # Every start pays for what the command line imports before it parses
    # its arguments: the commands' own machinery waits until one runs.
    _, loaded = cli_in_new_process(option)
    assert "flaskproto.cli" in loaded
    heavy = {"pathlib", "json", "subprocess", "tempfile", "jinja2", "cookiecutter"}
    assert loaded & heavy == set()
    # The command line's own modules, and none that a command imports to run.
    command_line = {"cli", "cli_config", "cli_resource", "cli_up", "cli_update"}
    command_line |= {"cli_workspace", "clitools", "errors", "output"}
    ours = {name for name in loaded if name.startswith("flaskproto.")}
    assert ours <= {f"flaskproto.{name}" for name in command_line}


def leaf_commands(group=cli, path=()):
    """Every command that runs something, as its words on the command line."""
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


COMMANDS = dict(leaf_commands())


@pytest.mark.parametrize("args", [[], *[name.split() for name in COMMANDS]])
def test_help(invoke, args):
    result = invoke(*args, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout


def test_every_command_has_its_exit_codes_in_the_one_table():
    assert set(COMMANDS) == set(COMMAND_EXIT_CODES)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_lists_exactly_the_commands_exit_codes(invoke, name):
    text = invoke(*name.split(), "--help").stdout
    listed = text[text.index("Exit codes:") :].splitlines()[1:]
    codes = [int(line.split()[0]) for line in listed if line.strip()]
    assert codes == sorted(COMMAND_EXIT_CODES[name])
    for code in codes:
        assert f"  {code:<4} {EXIT_CODES[code]}" in text


def test_help_of_each_command_fits_it(invoke):
    check = invoke("check", "--help").stdout
    assert "target directory exists" not in check and "--install" not in check
    assert "merge conflicts" not in invoke("add", "resource", "--help").stdout
    assert "records it" not in invoke("check-update", "--help").stdout
    assert "records it" in invoke("update", "--help").stdout


def test_new_help_lists_the_template_variables(invoke):
    text = " ".join(invoke("new", "--help").stdout.split())
    assert "Variables of the service template (--set KEY=VALUE):" in text
    assert "author_email The author's e-mail address (default: you@example.com)" in (
        text
    )
    assert "package_name Python package name (import name) (derived from NAME)" in text
    variables = text.split("Variables of the service template (--set KEY=VALUE):")[1]
    assert "project_name" not in variables and "with_db" not in variables


def test_new_prints_where_and_next_steps(invoke, tmp_path):
    result = invoke("new", "Order Service", "-o", str(tmp_path), "--no-git")
    assert result.exit_code == 0, result.stderr
    assert f"at {tmp_path / 'order-service'}" in result.stdout
    assert "directory order-service, package order_service" in result.stdout
    assert "Next steps:" in result.stdout
    assert "pytest" in result.stdout
    assert result.stderr == "Rendering the service template...\n"
    assert (tmp_path / "order-service" / "src" / "order_service").is_dir()


def test_json_prints_one_object_and_nothing_else(invoke, tmp_path):
    result = invoke("new", "Order Service", "-o", str(tmp_path), "--json", "--no-git")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["path"] == str(tmp_path / "order-service")
    assert data["project_name"] == "Order Service"
    assert data["package_name"] == "order_service"
    assert data["dry_run"] is False
    assert data["git"] == "skipped: --no-git"
    assert "pyproject.toml" in data["files"]
    assert data["next_steps"][0] == f"cd {tmp_path / 'order-service'}"


def test_set_reaches_the_project(invoke, tmp_path):
    result = invoke(
        "new",
        "Order Service",
        "-o",
        str(tmp_path),
        "--no-git",
        "--set",
        "description=Takes orders.",
        "--set",
        "author_name=Ada",
    )
    assert result.exit_code == 0
    pyproject = (tmp_path / "order-service" / "pyproject.toml").read_text()
    assert 'description = "Takes orders."' in pyproject
    assert 'name = "Ada"' in pyproject


def test_dry_run_lists_files_and_writes_nothing(invoke, tmp_path):
    result = invoke("new", "Order Service", "-o", str(tmp_path / "out"), "--dry-run")
    assert result.exit_code == 0
    assert "Would create" in result.stdout
    assert "  src/order_service/__init__.py\n" in result.stdout
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "features", [[], ["--with", "db,web,k8s"]], ids=["plain", "features"]
)
def test_dry_run_lists_exactly_what_a_real_run_writes(invoke, tmp_path, features):
    args = ["new", "Order Service", "-o", str(tmp_path), "--git", *features]
    dry = json.loads(invoke(*args, "--dry-run", "--json").stdout)
    assert list(tmp_path.iterdir()) == []
    real = json.loads(invoke(*args, "--json").stdout)
    project = tmp_path / "order-service"
    written = sorted(
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts[:1]
    )
    assert ".flaskproto.json" in written
    assert dry["files"] == real["files"] == written
    assert (dry["git"], real["git"]) == ("would be initialised", "initialised")
    text = invoke(*args, "--dry-run", "-o", str(tmp_path / "again")).stdout
    assert f", {len(written)} files:\n" in text
    assert text.endswith("git: would be initialised\n")


def test_dry_run_json(invoke, tmp_path):
    result = invoke("new", "x1", "-o", str(tmp_path), "--dry-run", "--json")
    data = json.loads(result.stdout)
    assert data["dry_run"] is True
    assert "src/x1/hello.py" in data["files"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["new", "class"], 2, "Python keyword"),
        (["new", "a/b"], 2, "looks like a path"),
        (["new", "x1", "--set", "nope"], 2, "KEY=VALUE"),
        (["new", "x1", "--set", "descripton=x"], 2, "did you mean 'description'"),
        (["new", "x1", "--set", "version=banana"], 2, "not a release number"),
    ],
    ids=["keyword", "path", "malformed-set", "unknown-variable", "bad-version"],
)
def test_bad_input_exits_2_with_one_line(invoke, tmp_path, args, code, message):
    result = invoke(*args, "-o", str(tmp_path))
    assert result.exit_code == code
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_unknown_option_is_a_usage_error(invoke):
    result = invoke("new", "x1", "--colour")
    assert result.exit_code == 2
    assert "No such option" in result.stderr


def test_existing_directory_exits_3_and_force_renders_into_it(invoke, tmp_path):
    target = tmp_path / "order-service"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    refused = invoke("new", "Order Service", "-o", str(tmp_path))
    assert refused.exit_code == 3
    assert "--force" in refused.stderr
    assert [p.name for p in target.iterdir()] == ["keep.txt"]

    forced = invoke("new", "Order Service", "-o", str(tmp_path), "--force")
    assert forced.exit_code == 0
    assert (target / "keep.txt").read_text() == "mine"
    assert (target / "pyproject.toml").is_file()
    assert "git: skipped: the target directory already existed" in forced.stdout


def test_output_dir_that_is_a_file_exits_4(invoke, tmp_path):
    (tmp_path / "f").write_text("")
    result = invoke("new", "x1", "-o", str(tmp_path / "f" / "sub"))
    assert result.exit_code == 4
    assert result.stderr.startswith("Error: cannot create")


def test_python_dash_m_and_no_stdin(tmp_path):
    # stdin is a pipe that is never written to or closed: a prompt would hang.
    process = subprocess.Popen(
        [sys.executable, "-m", "flaskproto", "new", "Order Service", "--json"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=PATIENCE)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert json.loads(stdout)["git"] == "initialised"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["int", "term"])
def test_signal_during_generation_leaves_nothing(tmp_path, signum):
    # A git that hangs holds generation at its last step until the signal comes.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    started = tmp_path / "git-started"
    (bin_dir / "git").write_text(f"#!/bin/sh\ntouch {started}\nexec sleep {PATIENCE}\n")
    (bin_dir / "git").chmod(0o755)
    output = tmp_path / "out"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flaskproto",
            "new",
            "Order Service",
            "-o",
            str(output),
            "--git",
        ],
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(started.exists), "generation never reached git"
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=PATIENCE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert stderr.splitlines()[-1] == (
        "Error: interrupted; nothing half-made was left behind"
    )
    assert stderr.count("Error") == 1
    assert not output.exists()


def test_subprocess_error_message_has_no_traceback(tmp_path, run_flaskproto):
    result = run_flaskproto("new", "flask", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr == (
        "Error: the project name 'flask' gives the package name 'flask', which would"
        " shadow a package installed with the generated service: choose another"
        " project name\n"
    )


def test_progress_goes_to_stderr_as_plain_lines(tmp_path):
    result = CliRunner().invoke(cli, ["new", "x1", "-o", str(tmp_path), "--git"])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "Rendering the service template...",
        "Making the initial git commit...",
    ]
    assert "Rendering" not in result.stdout


def test_quiet_prints_only_the_path(tmp_path):
    result = CliRunner().invoke(cli, ["new", "x1", "-o", str(tmp_path), "-q"])
    assert result.exit_code == 0
    assert result.stdout == f"{tmp_path / 'x1'}\n"
    assert result.stderr == ""


def test_errors_stay_one_line_with_progress(tmp_path):
    result = CliRunner().invoke(cli, ["new", "flask", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("no_color", [None, "1"], ids=["colour", "no-color"])
def test_colour_follows_no_color(tmp_path, monkeypatch, no_color):
    if no_color:
        monkeypatch.setenv("NO_COLOR", no_color)
    result = CliRunner().invoke(
        cli, ["new", "x1", "-o", str(tmp_path), "--no-git"], color=True
    )
    assert result.exit_code == 0
    assert ("\x1b[" in result.stdout) is (no_color is None)


def test_colour_is_dropped_when_stdout_is_not_a_terminal(tmp_path):
    result = CliRunner().invoke(cli, ["new", "x1", "-o", str(tmp_path), "--no-git"])
    assert "\x1b[" not in result.stdout


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ([], "NAME"),
        (["x1", "--set", "version=banana"], "version"),
        (["x1", "--with", "nope"], "nope"),
    ],
    ids=["missing-name", "invalid-value", "unknown-feature"],
)
def test_without_a_terminal_bad_input_exits_2_and_never_waits(tmp_path, args, names):
    # stdin is an open pipe that never sends anything: a question would hang.
    process = subprocess.Popen(
        [sys.executable, "-m", "flaskproto", "new", *args, "-o", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, stderr = process.communicate(timeout=PATIENCE)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 2
    assert names in stderr
    assert list(tmp_path.iterdir()) == []
