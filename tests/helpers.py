"""Checks shared by the tests that generate projects."""

import shutil
import subprocess
import sys
from pathlib import Path

RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
UNRENDERED = ("{{", "{%", "{#", "cookiecutter")


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root by relative path, the git directory aside."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def assert_ruff_clean(project: Path) -> None:
    for args in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [RUFF, *args, "--no-cache", "."],
            cwd=project,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def assert_fully_rendered(project: Path) -> None:
    for path, content in tree(project).items():
        text = content.decode("utf-8")
        for marker in UNRENDERED:
            assert marker not in text, f"{marker!r} left in {path}"
        if path.endswith(".py"):
            compile(text, path, "exec")


def assert_suite_passes(venv, project: Path, minimum: int = 20) -> None:
    """Run the project's own tests in ``venv``; all must pass, none skipped."""
    result = venv.run(
        venv.bin("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed in " in summary and summary.split()[1] == "passed", summary
    assert int(summary.split()[0]) >= minimum, summary
