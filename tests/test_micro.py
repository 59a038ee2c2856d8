"""The micro template: Flask's hello world for devices, clean and tested."""

import itertools
import json

import pytest
from helpers import (
    assert_fully_rendered,
    assert_hadolint_clean,
    assert_ruff_clean,
    assert_suite_passes,
)

from flaskproto import create_project
from flaskproto.features import catalogue, refusals
from flaskproto.naming import MAX_SLUG_LENGTH
from flaskproto.templates import bundled_template_names, load_template

MICRO = load_template("micro")
FEATURES = list(catalogue(MICRO))


def test_micro_is_listed():
    assert "micro" in bundled_template_names()


#: Every combination of the micro template's features, none included.
COMBINATIONS = [
    combo
    for size in range(len(FEATURES) + 1)
    for combo in itertools.combinations(FEATURES, size)
]


@pytest.mark.parametrize(
    "features", COMBINATIONS, ids=["+".join(c) or "base" for c in COMBINATIONS]
)
def test_micro_passes_its_own_tests(features, service_venv, tmp_path):
    result = create_project(
        "Sensor Hub", tmp_path, template="micro", features=features, git=False
    )
    project = result.path
    assert_ruff_clean(project)
    assert_fully_rendered(project)
    source = (project / "src" / "sensor_hub" / "__init__.py").read_text()
    assert '@app.route("/")\ndef hello():\n    return "Hello World!"\n' in source
    service_venv.pip("--no-build-isolation", f"{project}[test]")
    # Its suite boots waitress on 127.0.0.1 and verifies the systemd unit; with
    # mqtt it starts mosquitto, restarts it, and stops waitress both ways.
    assert_suite_passes(service_venv, project, minimum=11)


def test_micro_longest_names_with_every_feature_are_clean(tmp_path):
    name = "x" * MAX_SLUG_LENGTH
    result = create_project(
        name, tmp_path, template="micro", features=FEATURES, git=False
    )
    assert len(result.names.package_name) == MAX_SLUG_LENGTH
    assert_ruff_clean(result.path)
    assert_fully_rendered(result.path)


@pytest.mark.parametrize(
    ("template", "feature"),
    [("micro", name) for name in refusals(MICRO)]
    + [("service", name) for name in refusals(load_template("service"))],
)
def test_refused_features_say_why_in_one_line(
    run_flaskproto, tmp_path, template, feature
):
    result = run_flaskproto(
        "new",
        "Sensor Hub",
        "--template",
        template,
        "--with",
        feature,
        "--no-input",
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"Error: the {template} template has no {feature!r} feature:"
        f" {refusals(load_template(template))[feature]}"
    ]
    assert not (tmp_path / "sensor-hub").exists()


def test_micro_container_recipe_lints_clean(tmp_path):
    project = create_project("Sensor Hub", tmp_path, template="micro", git=False).path
    lines = [line.strip() for line in (project / "Dockerfile").read_text().splitlines()]
    # python:3.12-slim is published for amd64, arm64 and arm/v7; nothing else
    # in the image is built for one platform.
    stages = [line for line in lines if line.startswith("FROM ")]
    assert [stage.split()[1] for stage in stages] == ["python:3.12-slim"] * 2
    assert [line for line in lines if line.startswith("USER ")] == ["USER 10001:10001"]
    assert "STOPSIGNAL SIGINT" in lines
    cmd = json.loads(next(line for line in lines if line.startswith("CMD "))[4:])
    assert cmd[0] == "waitress-serve" and cmd[-1] == "sensor_hub:app"
    readme = (project / "README.md").read_text()
    assert "--platform linux/amd64,linux/arm64,linux/arm/v7" in readme
    assert_hadolint_clean(project)


def test_update_adds_a_feature_to_a_micro_service_and_refuses_others(
    run_flaskproto, tmp_path
):
    project = create_project("Sensor Hub", tmp_path, template="micro").path
    refused = run_flaskproto("update", "--with", "k8s", cwd=project)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith("Error: the micro template has no 'k8s' feature")
    assert len(refused.stderr.strip().splitlines()) == 1
    result = run_flaskproto("update", "--with", "metrics", cwd=project, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (project / "src" / "sensor_hub" / "metrics.py").is_file()
    source = (project / "src" / "sensor_hub" / "__init__.py").read_text()
    assert "metrics.init_app(app)" in source
    record = json.loads((project / ".flaskproto.json").read_text())
    assert record["template"] == "micro" and record["features"] == ["metrics"]
    assert_ruff_clean(project)


def test_add_resource_refuses_a_micro_service_in_one_line(run_flaskproto, tmp_path):
    project = create_project("Sensor Hub", tmp_path, template="micro").path
    result = run_flaskproto(
        "add", "resource", "item", "--field", "name:str", cwd=project
    )
    assert result.returncode == 10, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "made from the template 'micro'" in lines[0], lines
    assert not (project / "src" / "sensor_hub" / "resources").exists()


def test_micro_unit_is_sandboxed_and_keeps_the_secret_out(tmp_path):
    project = create_project("Sensor Hub", tmp_path, template="micro", git=False).path
    unit = (project / "deploy" / "sensor-hub.service").read_text()
    settings = dict(
        line.split("=", 1)
        for line in unit.splitlines()
        if line and not line.startswith(("#", "["))
    )
    assert settings["DynamicUser"] == "yes"
    assert settings["ProtectSystem"] == "strict"
    assert settings["PrivateTmp"] == settings["NoNewPrivileges"] == "yes"
    assert settings["Restart"] == "on-failure"
    assert settings["KillSignal"] == "SIGINT"
    assert settings["EnvironmentFile"] == "/etc/sensor-hub/env"
    assert "SECRET" not in unit.replace("FLASK_SECRET_KEY=...", "")
