"""Shell completion: commands, options, template names and feature names."""

import os
import subprocess
import sys

import pytest


def complete(shell: str, words: str, cword: int | str) -> list[str]:
    # bash and zsh give the index of the word being completed; fish the word.
    if shell == "fish":
        cword = words.split(" ")[-1]
    result = subprocess.run(
        [sys.executable, "-m", "flaskproto"],
        env={
            **os.environ,
            "_FLASKPROTO_COMPLETE": f"{shell}_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(cword),
        },
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def values(shell: str, lines: list[str]) -> list[str]:
    if shell == "bash":  # "type,value" per line
        return [line.split(",", 1)[1] for line in lines]
    if shell == "zsh":  # type, value, help: three lines each
        return lines[1::3]
    return [line.split(",", 1)[1].split("\t")[0] for line in lines]  # fish


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completes_commands(shell):
    found = values(shell, complete(shell, "flaskproto ", 1))
    assert {"new", "check", "features", "templates"} <= set(found)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completes_options(shell):
    found = values(shell, complete(shell, "flaskproto new x --w", 3))
    assert found == ["--with"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completes_feature_names_after_a_comma(shell):
    found = values(shell, complete(shell, "flaskproto new x --with db,a", 4))
    assert found == ["db,api", "db,auth", "db,admin"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completes_template_names(shell):
    found = values(shell, complete(shell, "flaskproto new x --template s", 4))
    assert found == ["service"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_source_scripts_exist_for_each_shell(shell):
    result = subprocess.run(
        [sys.executable, "-m", "flaskproto"],
        env={**os.environ, "_FLASKPROTO_COMPLETE": f"{shell}_source"},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 0
    assert "_FLASKPROTO_COMPLETE" in result.stdout


def test_completes_the_config_files_aliases(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[templates]\nacme = "gh:acme/t"\nmine = "/x"\n')
    monkeypatch.setenv("FLASKPROTO_CONFIG", str(config))
    found = values("bash", complete("bash", "flaskproto new x --template ", 4))
    assert found == ["micro", "service", "acme", "mine"]
