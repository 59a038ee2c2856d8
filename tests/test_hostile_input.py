"""Hostile names and --set values: a clear error, or a project holding them as data.

Hypothesis draws names and values from every Unicode category (surrogates too)
mixed with the fragments most likely to break a generator: quotes, backslashes,
line breaks, Jinja markers, NUL and other control characters, right-to-left
marks and very long runs. Each example either fails with one ``Error:`` line, a
documented exit code and nothing written, or gives a project whose Python
compiles, whose TOML, JSON and YAML parse, which holds each value exactly as
given, and in which no value was rendered as a template.

The runs are derandomized, so CI sees the same examples every time. Set
FLASKPROTO_HOSTILE=full (make test-hostile) for ten times as many or more.
"""

import ast
import json
import os
import re
import tempfile
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from helpers import assert_suite_passes, package_version
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from flaskproto import create_project
from flaskproto.cli import cli
from flaskproto.errors import EXIT_CODES, FlaskprotoError
from flaskproto.features import catalogue
from flaskproto.service import METADATA_FILE
from flaskproto.templates import load_template

FULL = os.environ.get("FLASKPROTO_HOSTILE") == "full"


def examples(default: int, full: int) -> int:
    """How many examples to try: few in make test, many in make test-hostile."""
    return full if FULL else default


FEATURES = list(catalogue(load_template()))
KEYS = ["description", "author_name", "author_email", "version", "python_version"]

#: What a template expression in a value would turn into, were it ever rendered.
PWNED = Path(tempfile.gettempdir()) / f"flaskproto-pwned-{os.getpid()}"
INJECTIONS = {
    "{{ 8191*8191 }}": "67092481",
    "{% for c in 'xyz' %}<{{ c }}>{% endfor %}": "<x><y><z>",
    "{{ cookiecutter.author_email|upper }}": "YOU@EXAMPLE.COM",
    "{{ cycler.__init__.__globals__.os.system('touch " + str(PWNED) + "') }}": "",
    "{% set w = 'wor' ~ 'ld' %}{{ w * 3 }}": "worldworldworld",
    "{# a comment #}": "",
    "{% raw %}{{ {% endraw %}": "",
}
FRAGMENTS = [
    *INJECTIONS,
    "'",
    '"',
    "\\",
    '"""',
    "'''",
    "\\n",
    "\\u0041",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\u202e",
    "\u200f",
    "\u200b",
    "\ufeff",
    "\ud800",
    "\udcff",
    "é",
    "中文",
    "😀",
    "١٢",
    "１",
    "$(id)",
    "`id`",
    "${HOME}",
    "%s",
    "{0}",
    "<script>",
    "&amp;",
    "# heading",
    "- item",
    "1. item",
    "2) item",
    "    code",
    "[[tool]]",
    "= x",
    "@",
    ".",
]

any_text = st.text(st.characters(exclude_categories=()), max_size=20)
mixed = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), any_text), min_size=1, max_size=8
).map("".join)
long_runs = st.builds(
    lambda piece, count: piece * count,
    st.sampled_from([*FRAGMENTS, "x", "1"]),
    st.integers(min_value=200, max_value=5000),
)
hostile = st.one_of(mixed, any_text, long_runs)
emails = st.builds(lambda user, host: f"{user}@{host}.org", hostile, hostile)
versions = st.one_of(
    hostile,
    st.from_regex(r"\d{1,4}(\.\d{1,4}){0,3}((a|b|rc)\d)?", fullmatch=True),
)
VALUES = {
    "description": hostile,
    "author_name": hostile,
    "author_email": st.one_of(emails, hostile),
    "version": versions,
    "python_version": st.one_of(st.from_regex(r"3\.\d{1,3}", fullmatch=True), hostile),
}
#: Names that pass the naming rules often: letters, digits, punctuation, spaces.
plain_names = st.builds(
    lambda text: "Svc " + text,
    st.text(
        st.characters(categories=["L", "N", "P", "S", "Zs"], exclude_characters="/\\"),
        max_size=30,
    ),
)
names = st.one_of(
    plain_names,
    st.builds(lambda text: "Svc " + text, mixed),
    st.builds(lambda text: "Svc" + text, any_text),
    hostile,
)
assignments = st.one_of(
    *[st.tuples(st.just(key), strategy) for key, strategy in VALUES.items()]
)

SLOW_SETTINGS = {
    "derandomize": True,
    "database": None,
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        # Most hostile values are refused, as they should be; those are cheap.
        HealthCheck.filter_too_much,
    ],
}

#: A Markdown backslash escape: a backslash before ASCII punctuation (CommonMark).
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def markdown_text(markdown: str) -> str:
    """The text Markdown shows for ``markdown``, its backslash escapes undone."""
    return _MD_ESCAPE.sub(r"\1", markdown)


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def assert_holds_values(
    project: Path, name: str, values: dict[str, str], package: str
) -> None:
    """The project parses, holds every value as given, and rendered none of them."""
    texts = {
        p.relative_to(project).as_posix(): read(p)
        for p in project.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(project).parts
    }
    for path, text in texts.items():
        if path.endswith(".py"):
            compile(text, path, "exec")
        elif path.endswith(".toml"):
            tomllib.loads(text)
        elif path.endswith(".json"):
            json.loads(text)
        elif path.endswith((".yaml", ".yml")):
            list(yaml.safe_load_all(text))

    pyproject = tomllib.loads(texts["pyproject.toml"])["project"]
    author = pyproject["authors"][0]
    expected = {
        "description": pyproject["description"],
        "version": package_version(project, package),
        "author_name": author["name"],
        "author_email": author["email"],
    }
    for key, found in expected.items():
        if key in values:
            assert found == values[key], key
    # What pip and hatchling will make of it: a version they accept.
    Version(package_version(project, package))

    record = json.loads(texts[METADATA_FILE])
    assert record["context"]["project_name"] == name
    for key, value in values.items():
        assert record["context"][key] == value, key

    description = values.get("description", "A Flask microservice.")
    readme = markdown_text(texts["README.md"])
    assert readme.startswith(f"# {name}\n\n{description}\n\n"), readme[:200]

    config = ast.parse(texts[f"src/{package}/config.py"])
    defaults = next(
        node.value
        for node in config.body
        if isinstance(node, ast.AnnAssign) and node.target.id == "DEFAULTS"
    )
    assert ast.literal_eval(defaults.values[0]) == name

    given_text = name + "".join(values.values())
    for marker, result in INJECTIONS.items():
        if result and result not in given_text:
            hits = [path for path, text in texts.items() if result in text]
            assert not hits, f"{marker!r} was rendered into {hits}"
    assert not PWNED.exists(), "a value ran code while the project was rendered"


def create_or_refuse(
    name: str, values: dict[str, str], features: list[str]
) -> tuple[FlaskprotoError | None, Path | None]:
    """Create the project in a fresh directory; an error must leave nothing."""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "out"
        try:
            result = create_project(
                name, output, context=values, features=features, git=False
            )
        except FlaskprotoError as err:
            assert err.exit_code in EXIT_CODES, err
            assert str(err) and "\n" not in str(err), str(err)
            assert not output.exists(), os.listdir(output)
            assert os.listdir(scratch) == []
            return err, None
        assert sorted(os.listdir(output)) == [result.names.project_slug]
        # NAME is taken without the blanks around it.
        assert result.names.project_name == name.strip()
        assert_holds_values(
            result.path, name.strip(), values, result.names.package_name
        )
    return None, result.path


ALL_INJECTIONS = " ".join(INJECTIONS)
WORST_NAME = "Svc {{ 8191*8191 }} {% for c in 'xyz' %}<{{ c }}>{% endfor %}"
WORST = {
    "description": ALL_INJECTIONS + " '\"\\\n\r\t\x1b\x7f\u202e\n- item\n1. x",
    "author_name": ALL_INJECTIONS + "\u202e O'Brien \"\\",
    "author_email": "o'brien{{8191*8191}}&{%if%}@example.org",
    "version": "1.0rc1",
    "python_version": "3.13",
}


@settings(max_examples=examples(40, 400), **SLOW_SETTINGS)
@given(
    values=st.fixed_dictionaries({}, optional=VALUES),
    features=st.lists(st.sampled_from(FEATURES), max_size=3, unique=True),
)
@example(values={"version": "\u0661.\u0662"}, features=[]).via("Arabic digits")
def test_set_values_are_refused_or_held_as_data(values, features):
    error, _ = create_or_refuse("Hostile Values", values, features)
    event("refused" if error else "created")


@pytest.mark.parametrize(
    ("name", "values", "features"),
    [
        (WORST_NAME, WORST, FEATURES),
        ("Svc '\" {{ 8191*8191 }}", {"description": "\u202e" * 5000}, []),
        ("Svc", {"description": "{% raw %}" + "\\" * 3000 + "\n" * 3000}, []),
    ],
    ids=["every-injection-every-feature", "long-rtl", "long-backslashes"],
)
def test_worst_values_are_held_as_data(name, values, features):
    error, _ = create_or_refuse(name, values, features)
    assert error is None, error


@settings(max_examples=examples(40, 400), **SLOW_SETTINGS)
@given(name=names)
@example(name="Svc {{ 8191*8191 }}")
@example(name="Svc {% for c in 'xyz' %}<{{ c }}>{% endfor %}")
@example(name="Svc \u202e\u200f mark")
@example(name="Svc\x00nul")
@example(name="Svc '\"\\ quotes")
@example(name="../escape")
@example(name="/tmp/absolute")
@example(name="Svc " + "x" * 10_000)
def test_names_are_refused_or_held_as_data(name):
    error, _ = create_or_refuse(name, {}, [])
    event("refused" if error else "created")


@settings(max_examples=examples(15, 250), **SLOW_SETTINGS)
@given(name=plain_names, assignment=assignments)
@example(name=WORST_NAME, assignment=("author_name", ALL_INJECTIONS + "\n<x>"))
@example(name="Svc", assignment=("description", "\udcff surrogate"))
@example(name="Svc", assignment=("author_email", "a\nb@example.org"))
def test_cli_refuses_in_one_line_or_creates(name, assignment):
    """Through the command line, with git: one Error line and its exit code, or
    the project's path and nothing else."""
    key, value = assignment
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "out"
        result = CliRunner().invoke(
            cli,
            ["new", name, "-o", str(output), "--set", f"{key}={value}", "-q"],
            catch_exceptions=False,
        )
        if result.exit_code != 0:
            event(f"exit {result.exit_code}")
            assert result.exit_code in EXIT_CODES and result.exit_code != 1
            assert result.stdout == ""
            assert result.stderr.startswith("Error: "), result.stderr
            assert result.stderr.count("\n") == 1, result.stderr
            assert "Traceback" not in result.stderr
            assert not output.exists()
            return
        event("created")
        assert result.stderr == ""
        project = Path(result.stdout.rstrip("\n"))
        assert project.parent == output
        record = json.loads(read(project / METADATA_FILE))
        package = record["context"]["package_name"]
        assert_holds_values(project, name.strip(), {key: value}, package)
        assert (project / ".git").is_dir()


@pytest.mark.slow
@settings(max_examples=examples(1, 20), **SLOW_SETTINGS)
@given(
    name=plain_names,
    values=st.fixed_dictionaries(
        {},
        optional={
            "description": hostile,
            "author_name": hostile,
            "author_email": emails,
        },
    ),
)
@example(name=WORST_NAME, values=WORST)
def test_hostile_projects_pass_their_own_tests(service_venv, name, values):
    """The generated service's own suite passes with hostile values in it."""
    with tempfile.TemporaryDirectory() as scratch:
        try:
            result = create_project(name, scratch, context=values, git=False)
        except FlaskprotoError:
            assume(False)
        service_venv.install_service(result.path)
        assert_suite_passes(service_venv, result.path)
