"""Every feature combination generates clean code whose own test suite passes.

By default: each feature alone, every pair (with what each requires) and all
features together. FLASKPROTO_MATRIX=full (make test-matrix) runs every valid
combination instead.
"""

import itertools
import os
import subprocess
import sys

import pytest
from helpers import assert_fully_rendered, assert_ruff_clean, assert_suite_passes, tree

from flaskproto import create_project
from flaskproto.create import METADATA_FILE
from flaskproto.features import catalogue, select
from flaskproto.templates import load_template

TEMPLATE = load_template()
FEATURES = list(catalogue(TEMPLATE))


def closure(names) -> tuple[str, ...]:
    return tuple(select(TEMPLATE, list(names)).names)


def combinations(matrix: str) -> list[tuple[str, ...]]:
    if matrix == "full":
        sizes = range(1, len(FEATURES) + 1)
    else:
        sizes = (1, 2)
    combos = {closure(c) for r in sizes for c in itertools.combinations(FEATURES, r)}
    combos.add(closure(FEATURES))
    return sorted(combos, key=lambda combo: (len(combo), combo))


COMBINATIONS = combinations(os.environ.get("FLASKPROTO_MATRIX", "pairwise"))


def test_pairwise_set_covers_every_feature_and_pair():
    combos = combinations("pairwise")
    together = {
        frozenset(pair) for c in combos for pair in itertools.combinations(c, 2)
    }
    assert {frozenset(pair) for pair in itertools.combinations(FEATURES, 2)} <= together
    assert {closure([feature]) for feature in FEATURES} <= set(combos)


@pytest.mark.parametrize(
    "features", COMBINATIONS, ids=["+".join(c) for c in COMBINATIONS]
)
def test_combination_passes_its_own_tests(features, service_venv, tmp_path):
    project = create_project(
        "Combo " + " ".join(features), tmp_path, features=features, git=False
    ).path
    assert_ruff_clean(project)
    assert_fully_rendered(project)
    service_venv.pip("--no-build-isolation", str(project))
    assert_suite_passes(service_venv, project)


def test_plain_cookiecutter_renders_every_feature(tmp_path):
    values = [f"with_{name}=yes" for name in FEATURES]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            str(TEMPLATE.path),
            "--no-input",
            "-o",
            str(tmp_path / "plain"),
            "project_name=All In",
            *values,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    ours = create_project("All In", tmp_path / "ours", features=FEATURES, git=False)
    expected = tree(ours.path)
    del expected[METADATA_FILE]
    assert tree(tmp_path / "plain" / "all-in") == expected
