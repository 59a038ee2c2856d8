"""The micro template: Flask's hello world for devices, clean and tested."""

from helpers import assert_fully_rendered, assert_ruff_clean, assert_suite_passes

from flaskproto import create_project
from flaskproto.templates import bundled_template_names


def test_micro_is_listed():
    assert "micro" in bundled_template_names()


def test_micro_passes_its_own_tests(service_venv, tmp_path):
    result = create_project("Sensor Hub", tmp_path, template="micro", git=False)
    project = result.path
    assert_ruff_clean(project)
    assert_fully_rendered(project)
    source = (project / "src" / "sensor_hub" / "__init__.py").read_text()
    assert '@app.route("/")\ndef hello():\n    return "Hello World!"\n' in source
    service_venv.pip("--no-build-isolation", f"{project}[test]")
    # Its suite boots waitress on 127.0.0.1 and verifies the systemd unit.
    assert_suite_passes(service_venv, project, minimum=11)


def test_micro_refuses_features(run_flaskproto, tmp_path):
    result = run_flaskproto(
        "new",
        "Sensor Hub",
        "--template",
        "micro",
        "--with",
        "db",
        "--no-input",
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert not (tmp_path / "sensor-hub").exists()
