"""Every feature combination generates clean code whose own test suite passes.

Every valid combination is rendered and checked with ruff here. Their suites
run for a set chosen by FLASKPROTO_MATRIX: by default each feature alone (with
what it requires) and all features together; ``pairwise`` (make test-pairs)
adds every pair; ``full`` (make test-matrix) runs every valid combination.
"""

import itertools
import os
import subprocess
import sys

import pytest
from helpers import (
    RUFF,
    assert_fully_rendered,
    assert_ruff_clean,
    assert_suite_passes,
    tree,
)

from flaskproto import create_project
from flaskproto.features import catalogue, select
from flaskproto.naming import MAX_NAME_LENGTH, MAX_SLUG_LENGTH
from flaskproto.service import METADATA_FILE
from flaskproto.templates import load_template

TEMPLATE = load_template()
FEATURES = list(catalogue(TEMPLATE))


def combo_name(features) -> str:
    """A short name unique to the combination: each feature's catalogue index."""
    return "Combo " + "".join(str(FEATURES.index(f)) for f in features)


def closure(names) -> tuple[str, ...]:
    return tuple(select(TEMPLATE, list(names)).names)


#: How many features the combinations of each set combine, all features aside.
SIZES = {"singles": (1,), "pairwise": (1, 2), "full": range(1, len(FEATURES) + 1)}


def combinations(matrix: str) -> list[tuple[str, ...]]:
    sizes = SIZES[matrix]
    combos = {closure(c) for r in sizes for c in itertools.combinations(FEATURES, r)}
    combos.add(closure(FEATURES))
    return sorted(combos, key=lambda combo: (len(combo), combo))


MATRIX = os.environ.get("FLASKPROTO_MATRIX", "singles")
COMBINATIONS = combinations(MATRIX)


def test_pairwise_set_covers_every_feature_and_pair():
    combos = combinations("pairwise")
    together = {
        frozenset(pair) for c in combos for pair in itertools.combinations(c, 2)
    }
    assert {frozenset(pair) for pair in itertools.combinations(FEATURES, 2)} <= together
    assert {closure([feature]) for feature in FEATURES} <= set(combos)


def test_every_combination_is_ruff_clean(projects):
    # One run over every rendered combination; each project is checked with
    # the settings of its own pyproject.toml.
    paths = [str(project) for project in projects]
    for args in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [RUFF, *args, "--no-cache", *paths], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


#: Combinations whose suites also run on PostgreSQL; the full matrix runs all.
ON_POSTGRES = {closure(["db"]), closure(FEATURES)} if "db" in FEATURES else set()


@pytest.mark.parametrize(
    "features", COMBINATIONS, ids=["+".join(c) for c in COMBINATIONS]
)
def test_combination_passes_its_own_tests(features, service_venv, tmp_path, request):
    result = create_project(
        combo_name(features), tmp_path, features=features, git=False
    )
    project = result.path
    assert_ruff_clean(project)
    assert_fully_rendered(project)
    assert_plain_cookiecutter_agrees(result, tmp_path / "plain")
    extras = "[postgres]" if "db" in features else ""
    service_venv.pip("--no-build-isolation", f"{project}{extras}")
    # As CI runs it: with coverage, which must reach the project's floor.
    assert_suite_passes(service_venv, project, args=("--cov",))
    if "db" in features and (MATRIX == "full" or features in ON_POSTGRES):
        postgres = request.getfixturevalue("postgres")
        url = postgres.create_database(result.names.package_name)
        assert_suite_passes(service_venv, project, env={"TEST_DATABASE_URL": url})
        # The suite migrated this database up and back down: only Alembic's
        # bookkeeping table is left, empty.
        tables = postgres.query(
            result.names.package_name,
            "SELECT string_agg(tablename, ',') FROM pg_tables"
            " WHERE schemaname = 'public'",
        )
        assert tables == "alembic_version"


@pytest.mark.parametrize(
    "prefix",
    ['Big "Quoted" Service\'s ', "Big \"Quoted\" Service's' "],
    ids=["literal-fits-the-line", "literal-in-parentheses"],
)
def test_longest_names_with_every_feature_are_clean(tmp_path, prefix):
    # The names appear in generated code: at their longest, with quotes to
    # escape, every line must still fit ruff's limits. Trailing punctuation
    # lengthens the project name without lengthening the package name.
    filler = "x" * (MAX_SLUG_LENGTH - len("big-quoted-service-s-"))
    name = (prefix + filler).ljust(MAX_NAME_LENGTH, "!")
    result = create_project(name, tmp_path, features=FEATURES, git=False)
    assert len(result.names.package_name) == MAX_SLUG_LENGTH
    assert len(result.names.project_name) == MAX_NAME_LENGTH
    assert_ruff_clean(result.path)
    assert_fully_rendered(result.path)


def assert_plain_cookiecutter_agrees(result, output) -> None:
    """Plain cookiecutter, given the features as variables, renders the same files."""
    switches = [f"with_{name}=yes" for name in result.features.names]
    plain = subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            str(TEMPLATE.path),
            "--no-input",
            "-o",
            str(output),
            f"project_name={result.names.project_name}",
            *switches,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert plain.returncode == 0, plain.stderr
    expected = tree(result.path)
    del expected[METADATA_FILE]
    assert tree(output / result.names.project_slug) == expected


def test_plain_cookiecutter_renders_every_feature(tmp_path):
    result = create_project("All In", tmp_path / "ours", features=FEATURES, git=False)
    assert_plain_cookiecutter_agrees(result, tmp_path / "plain")
