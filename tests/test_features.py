"""The feature catalogue, --with, and what a feature leaves out when not chosen."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from flaskproto import create_project
from flaskproto.cli import cli
from flaskproto.errors import InvalidInput, TemplateError
from flaskproto.features import catalogue, select, split_names
from flaskproto.templates import Template, load_template


def fake_template(features: dict) -> Template:
    variables = {f"with_{name}": False for name in features}
    return Template("fake", Path("/nonexistent"), {**variables, "_features": features})


CHAIN = fake_template(
    {
        "db": {"help": "database"},
        "api": {"help": "api"},
        "auth": {"help": "auth", "requires": ["db"]},
        "admin": {"help": "admin", "requires": ["auth"]},
    }
)


@pytest.mark.parametrize(
    ("requested", "names", "added"),
    [
        ([], [], {}),
        (["api"], ["api"], {}),
        (["admin"], ["db", "auth", "admin"], {"auth": "admin", "db": "auth"}),
        (["db", "admin"], ["db", "auth", "admin"], {"auth": "admin"}),
        (["admin", "api", "db"], ["db", "api", "auth", "admin"], {"auth": "admin"}),
    ],
    ids=["none", "one", "chain", "explicit-requirement", "catalogue-order"],
)
def test_select_resolves_requirements(requested, names, added):
    selection = select(CHAIN, requested)
    assert selection.names == names
    assert selection.added == added


def test_unknown_feature_names_the_nearest():
    with pytest.raises(InvalidInput) as info:
        select(CHAIN, ["auht"])
    assert str(info.value) == (
        "unknown feature 'auht' (did you mean 'auth'?); known features: db, api,"
        " auth, admin"
    )


def test_every_unknown_feature_is_named():
    with pytest.raises(InvalidInput) as info:
        select(CHAIN, ["echo", "db", "foo", "apii"])
    assert str(info.value) == (
        "unknown features 'echo', 'foo', 'apii' (did you mean 'api'?); known"
        " features: db, api, auth, admin"
    )


def test_split_names_accepts_commas_and_repeats():
    assert split_names(["db,api", " auth ", "db", ",API,"]) == ["db", "api", "auth"]


def test_a_feature_without_its_variable_is_a_template_error():
    broken = Template("fake", Path("/x"), {"_features": {"db": {"help": "x"}}})
    with pytest.raises(TemplateError, match="'with_db'"):
        catalogue(broken)


def test_every_bundled_feature_is_declared_whole():
    template = load_template()
    features = catalogue(template)
    assert features, "the service template offers features"
    for feature in features.values():
        assert feature.help
        assert template.variables[feature.variable] is False
        assert set(feature.requires) <= set(features)
        for package in feature.packages:
            assert re.fullmatch(
                r"[a-z0-9-]+(\[[a-z0-9,-]+\])?>=[\d.]+,<[\d.]+", package
            )


def test_features_command_lists_the_catalogue():
    result = CliRunner().invoke(cli, ["features"])
    assert result.exit_code == 0
    for feature in catalogue(load_template()).values():
        assert f"{feature.name}  " in result.stdout
        assert feature.help in result.stdout


def test_features_command_json():
    result = CliRunner().invoke(cli, ["features", "--json"])
    data = json.loads(result.stdout)
    assert [f["name"] for f in data["features"]] == list(catalogue(load_template()))
    assert {"name", "help", "packages", "requires"} == set(data["features"][0])


def test_new_with_unknown_feature_exits_2(tmp_path):
    result = CliRunner().invoke(
        cli, ["new", "x1", "-o", str(tmp_path), "--with", "echo,foo", "--with", "db"]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: unknown features 'echo', 'foo'; known")
    assert list(tmp_path.iterdir()) == []


def test_set_cannot_switch_a_feature(tmp_path):
    feature = next(iter(catalogue(load_template())))
    result = CliRunner().invoke(
        cli, ["new", "x1", "-o", str(tmp_path), "--set", f"with_{feature}=yes"]
    )
    assert result.exit_code == 2
    assert f"use --with {feature}" in result.stderr


def test_features_are_recorded_and_reported(tmp_path):
    names = list(catalogue(load_template()))
    result = CliRunner().invoke(
        cli,
        [
            "new",
            "x1",
            "-o",
            str(tmp_path),
            "--no-git",
            "--json",
            "--with",
            ",".join(names),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["features"] == names
    record = json.loads((tmp_path / "x1" / ".flaskproto.json").read_text())
    assert record["features"] == names
    assert all(record["context"][f"with_{name}"] is True for name in names)


def distribution_names(packages) -> set[str]:
    return {re.split(r"[\[<>=!~;]", package)[0] for package in packages}


@pytest.mark.parametrize("chosen", [None, *catalogue(load_template())])
def test_features_not_chosen_leave_no_trace(tmp_path, chosen):
    features = catalogue(load_template())
    selection = select(load_template(), [chosen] if chosen else [])
    project = create_project(
        "Trace Check", tmp_path, features=selection.names, git=False
    )
    text = "\n".join(
        p.read_text()
        for p in project.path.rglob("*")
        if p.is_file() and ".git" not in p.parts
    ).lower()
    for name, feature in features.items():
        if name in selection.names:
            continue
        for dist in distribution_names(feature.packages):
            for spelling in {dist, dist.replace("-", "_")}:
                assert spelling not in text, f"{spelling} appears without --with {name}"
