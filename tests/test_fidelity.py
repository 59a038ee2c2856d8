"""Any cookiecutter template renders as cookiecutter renders it.

Every template of the corpus in tests/fixtures (cookiecutter's own test
fixtures and popular public templates; see fixtures/README.md) is rendered with
plain ``cookiecutter --no-input`` and with ``flaskproto new``, from the same
template path into the same output directory. Where cookiecutter makes a
project, flaskproto makes the same tree: the same files with the same bytes,
executable bits, symbolic links and empty directories, its .flaskproto.json
aside. Where cookiecutter refuses, flaskproto refuses too, in one line with a
documented exit code, and leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import exact_tree

import flaskproto
from flaskproto.errors import EXIT_CODES

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = sorted(
    path.parent.relative_to(FIXTURES).as_posix()
    for path in FIXTURES.rglob("cookiecutter.json")
)

#: The templates of the corpus cookiecutter refuses, with the exit code and
#: the words of flaskproto's one-line error. The test checks this list against
#: cookiecutter itself: a template it renders cannot hide here.
REFUSED = {
    "cookiecutter/fake-nested-templates": (5, "has no project directory"),
    "cookiecutter/fake-nested-templates-old-style": (5, "has no project directory"),
    "cookiecutter/fake-nested-templates-old-style/fake-package": (
        5,
        "has no project directory",
    ),
    "cookiecutter/fake-nested-templates/fake-package": (5, "has no project directory"),
    "cookiecutter/fake-nested-templates/fake-project": (5, "has no project directory"),
    "cookiecutter/fake-repo": (5, "is not valid JSON"),
    "cookiecutter/fake-repo-bad-json": (5, "is not valid JSON"),
    "cookiecutter/fake-repo-pre2": (5, "has no project directory"),
    "cookiecutter/test-extensions/custom-extension-post": (
        5,
        "Unable to load extension: No module named 'hello_extension'",
    ),
    "cookiecutter/test-extensions/custom-extension-pre": (
        5,
        "Unable to load extension: No module named 'hello_extension'",
    ),
    "cookiecutter/test-extensions/unknown": (
        5,
        "Unable to load extension: No module named 'FoobarExtension'",
    ),
    "cookiecutter/test-pyshellhooks": (5, "has no project directory"),
    "cookiecutter/undefined-variable/file-name": (
        5,
        "failed to render the name '{{cookiecutter.foobar}}': 'dict object' has no"
        " attribute 'foobar'",
    ),
    "templates/cookiecutter-django": (
        5,
        "hook post_gen_project failed (exit status: 1); nothing was written",
    ),
}

#: The tools the corpus's hooks may use. Some hooks also run uv, docker or gh
#: when they are on PATH, and those reach the network; with PATH holding only
#: these, every run takes the same way on every machine.
TOOLS = ("git", "sh", "cat", "echo", "touch", "mkdir", "rm", "cp", "mv", "ls")


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    tools = tmp_path_factory.mktemp("bin")
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, f"{tool} is needed by the corpus's hooks"
        (tools / tool).symlink_to(found)
    home = tmp_path_factory.mktemp("home")
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("COOKIECUTTER")},
        "PATH": str(tools),
        "HOME": str(home),
        # cookiecutter-pypackage's post_gen hook asks about GitHub unless told.
        "COOKIECUTTER_PYPACKAGE_GITHUB": "skip",
    }


def run(args, cwd, env):
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


#: Prints the value cookiecutter --no-input gives each variable, as JSON. It
#: runs apart: a template's extensions imported here would shadow others'.
DEFAULTS = """
import json, sys
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config
sys.path.append(sys.argv[1])
context = generate_context(sys.argv[1] + "/cookiecutter.json")
print(json.dumps(prompt_for_config(context, no_input=True), default=str))
"""


def name_for(template: Path, env) -> str:
    """NAME that gives the template its defaults: the value cookiecutter gives
    project_name, or else the variable the top directory is named after."""
    defaults = subprocess.run(
        [sys.executable, "-c", DEFAULTS, str(template)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    values = json.loads(defaults.stdout)
    if "project_name" in values:
        return str(values["project_name"])
    (top,) = (p.name for p in template.iterdir() if "{{" in p.name)
    key = top.split("cookiecutter.")[1].split("}}")[0].strip()
    return str(values[key])


def varying(one: dict[str, tuple], other: dict[str, tuple]) -> dict[str, set[int]]:
    """The line numbers, by file, where two renders of the same template differ."""
    assert one.keys() == other.keys()
    lines = {}
    for rel, entry in one.items():
        if entry != other[rel]:
            first, second = entry[1].splitlines(), other[rel][1].splitlines()
            assert len(first) == len(second), rel
            lines[rel] = {
                n
                for n, pair in enumerate(zip(first, second, strict=True))
                if len(set(pair)) == 2
            }
    return lines


def masked(found: dict[str, tuple], random: dict[str, set[int]]) -> dict[str, tuple]:
    """``found`` with the lines that vary from run to run left out."""
    kept = dict(found)
    for rel, numbers in random.items():
        if rel in kept:
            kind, content, executable = kept[rel]
            lines = [x for n, x in enumerate(content.splitlines()) if n not in numbers]
            kept[rel] = (kind, lines, len(content.splitlines()), executable)
    return kept


def tree(root: Path) -> dict[str, tuple]:
    """``exact_tree`` of ``root``, its .flaskproto.json aside."""
    found = exact_tree(root)
    found.pop(".flaskproto.json", None)
    return found


def cookiecutter(template: Path, output: Path, cwd: Path, env) -> Path | None:
    """Render ``template`` with plain cookiecutter; return the project, if made."""
    plain = run(
        ["cookiecutter", "--no-input", str(template), "-o", str(output)], cwd, env
    )
    if plain.returncode != 0:
        shutil.rmtree(output, ignore_errors=True)
        return None
    (made,) = output.iterdir()
    return made


@pytest.mark.slow
@pytest.mark.parametrize("name", CORPUS)
def test_renders_as_cookiecutter_renders(tmp_path, environment, name):
    template = FIXTURES / name
    output = tmp_path / "out"
    made = cookiecutter(template, output, tmp_path, environment)
    if made is None:
        assert name in REFUSED, f"cookiecutter refuses {name}"
        assert_refused(tmp_path, environment, name, output)
        return
    assert name not in REFUSED, f"cookiecutter renders {name}"
    assert_renders_alike(template, made, tmp_path, environment)


def assert_renders_alike(template: Path, made: Path, tmp_path: Path, environment):
    """flaskproto makes the tree cookiecutter ``made`` from ``template``."""
    output = made.parent
    expected = tree(made)
    shutil.rmtree(output)

    given = name_for(template, environment)
    result = run(
        ["flaskproto", "new", given, "--template", str(template), "-o", str(output),
         "--no-git", "--json"],
        tmp_path,
        environment,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # stdout is the one JSON object; what hooks printed went to stderr.
    assert json.loads(result.stdout)["path"] == str(made)
    assert os.listdir(output) == [made.name]
    found = tree(made)
    if found != expected:
        # Lines a template makes at random (uuid4, random_ascii_string) differ
        # from one cookiecutter run to the next; every other byte must match.
        shutil.rmtree(output)
        again = cookiecutter(template, output, tmp_path, environment)
        assert again == made
        random = varying(expected, tree(again))
        assert random, "cookiecutter renders this template the same every time"
        assert masked(found, random) == masked(expected, random)


def assert_refused(tmp_path, environment, name, output):
    code, words = REFUSED[name]
    result = run(
        ["flaskproto", "new", "Some Name", "--template", str(FIXTURES / name),
         "-o", str(output), "--no-git"],
        tmp_path,
        environment,
    )  # fmt: skip
    assert result.returncode == code, result.stderr
    assert code in EXIT_CODES
    lines = result.stderr.splitlines()
    # What the template's hook printed may come first; flaskproto says one line.
    assert lines[-1].startswith("Error: "), result.stderr
    assert words in lines[-1], result.stderr
    assert sum(line.startswith("Error: ") for line in lines) == 1, result.stderr
    assert not any(_ours(line) for line in lines), result.stderr
    assert result.stdout == ""
    assert os.listdir(tmp_path) == []


def _ours(line: str) -> bool:
    """Whether ``line`` is a traceback line inside cookiecutter or flaskproto."""
    import cookiecutter

    packages = (
        str(Path(flaskproto.__file__).parent),
        str(Path(cookiecutter.__file__).parent),
    )
    return line.lstrip().startswith("File ") and any(p in line for p in packages)


def test_empty_directories_modes_and_links_render_as_cookiecutter_renders(
    tmp_path, environment
):
    template = tmp_path / "template"
    project = template / "{{cookiecutter.project_slug}}"
    (project / "data" / "raw").mkdir(parents=True)
    (project / "{{cookiecutter.project_slug}}_cache").mkdir()
    (project / "run.sh").write_text("#!/bin/sh\necho {{ cookiecutter.project_slug }}\n")
    (project / "run.sh").chmod(0o755)
    (project / "notes.md").write_text("{{ cookiecutter.project_name }}\n")
    (project / "NOTES.md").symlink_to("notes.md")
    (template / "hooks").mkdir()
    (template / "hooks" / "post_gen_project.py").write_text(
        "import os\nos.makedirs('logs')\nos.remove('notes.md')\n"
    )
    (template / "cookiecutter.json").write_text(
        json.dumps(
            {
                "project_name": "Cake Shop",
                "project_slug": "{{ cookiecutter.project_name|lower|replace(' ','') }}",
            }
        )
    )
    made = cookiecutter(template, tmp_path / "out", tmp_path, environment)
    assert made is not None
    assert (made / "data" / "raw").is_dir() and (made / "logs").is_dir()
    assert_renders_alike(template, made, tmp_path, environment)
