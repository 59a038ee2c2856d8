"""The systemd unit in deploy/ is one systemd accepts."""

import shutil
import subprocess
from pathlib import Path

import pytest

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
DEPLOY = Path(__file__).parent.parent / "deploy"
UNIT = DEPLOY / "{{ cookiecutter.project_slug }}.service"


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="needs systemd")
def test_unit_verifies(tmp_path):
    # systemd-analyze checks that ExecStart exists: point it at a stand-in.
    program = tmp_path / "waitress-serve"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    installed = "/opt/{{ cookiecutter.project_slug }}/.venv/bin/waitress-serve"
    text = UNIT.read_text().replace(installed, str(program))
    unit = tmp_path / UNIT.name
    unit.write_text(text)
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", str(unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr
