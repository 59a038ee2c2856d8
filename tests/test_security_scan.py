"""Every valid feature combination, rendered and scanned for security problems.

Rendering needs no install, so all combinations are checked, not a sample:
ruff's S rules (flake8-bandit), bandit itself, and a search for anything that
looks like a secret written into the generated files.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import RUFF
from rendered import COMBINATIONS


def test_every_valid_combination_is_rendered(projects):
    assert len(projects) == len(set(COMBINATIONS)) > 100
    assert all((project / "pyproject.toml").is_file() for project in projects)


def test_ruff_security_rules_find_nothing(projects):
    # Each project is checked with its own pyproject.toml, which lets tests
    # assert (S101) and nothing else.
    result = subprocess.run(
        [RUFF, "check", "--no-cache", "--select", "S", "--output-format", "json"]
        + [str(project) for project in projects],
        capture_output=True,
        text=True,
    )
    assert json.loads(result.stdout) == []
    assert result.returncode == 0, result.stderr


def test_bandit_finds_nothing(projects, distinct_files):
    bandit = shutil.which("bandit", path=str(Path(sys.executable).parent))
    assert bandit, "bandit is part of the test extra"
    config = projects[0] / "pyproject.toml"
    result = subprocess.run(
        [bandit, "-c", str(config), "-r", str(distinct_files), "-f", "json", "-q"],
        capture_output=True,
        text=True,
    )
    report = json.loads(result.stdout)
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
    ]
    assert findings == []
    assert report["errors"] == []
    assert result.returncode == 0, result.stderr
    # It read the code: every distinct Python file, asserts in tests allowed.
    scanned = [name for name in report["metrics"] if name.endswith(".py")]
    assert len(scanned) == len(list(distinct_files.rglob("*.py")))
    assert report["metrics"]["_totals"]["loc"] > 5_000


#: What a written-down secret looks like: a long random-looking quoted literal,
#: a private key, a password in a URL, or a secret setting with a value.
#: Placeholders (user:pass@, an empty FLASK_SECRET_KEY=) are not secrets.
SECRET_PATTERNS = {
    "long hex or base64 literal": re.compile(r"[\"']([A-Za-z0-9+/_-]{32,}={0,2})[\"']"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "password in a URL": re.compile(
        r"://[^/\s:@]+:(?!\$|(?i:password)@)([^/\s@]{8,})@"
    ),
    "secret setting": re.compile(
        r"(?i)\b\w*(secret|password|passwd|token|api_?key)\w*[\"']?\s*[:=]\s*"
        r"[\"'](?!\$\{)([^\"'\s]{8,})[\"']"
    ),
    "secret in an env file": re.compile(
        r"(?m)^\w*(SECRET|PASSWORD|TOKEN|API_?KEY)\w*=(?!\$\{)(\S+)"
    ),
}


def _random_looking(text: str) -> bool:
    """Whether a long run of letters and digits mixes them like a key does."""
    return (
        any(c.isdigit() for c in text)
        and any(c.isalpha() for c in text)
        and len(set(text)) >= 12
    )


def test_no_secret_is_written_in_any_combination(distinct_files):
    found = []
    for path in sorted(distinct_files.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for kind, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                value = match.group()
                if kind.startswith("long") and not _random_looking(match[1]):
                    continue
                found.append(f"{path.relative_to(distinct_files)}: {kind}: {value}")
    assert found == []
    env_files = list(distinct_files.glob("v*/.env.example"))
    assert env_files
    for env_file in env_files:
        assert "\nFLASK_SECRET_KEY=\n" in env_file.read_text()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('SECRET_KEY = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"', "secret setting"),
        ("x = 'c2VjcmV0LWtleS1mb3ItdGhlLXNlcnZpY2UxMjM0'", "long hex or base64"),
        ("postgresql://app:hunter22@db/app", "password in a URL"),
        ("FLASK_SECRET_KEY=changeme", "secret in an env file"),
        ("-----BEGIN RSA PRIVATE KEY-----", "private key"),
    ],
    ids=["setting", "literal", "url", "env-file", "pem"],
)
def test_the_secret_search_finds_a_planted_secret(text, kind):
    hits = [
        name
        for name, pattern in SECRET_PATTERNS.items()
        if any(
            not name.startswith("long") or _random_looking(m[1])
            for m in pattern.finditer(text)
        )
    ]
    assert any(name.startswith(kind) for name in hits), hits


def test_deployment_files_of_every_combination_pass_their_validators(distinct_files):
    def run(name: str, *args: str) -> subprocess.CompletedProcess:
        path = shutil.which(name, path=str(Path(sys.executable).parent))
        assert path, f"{name} is part of the test extra"
        return subprocess.run(
            [path, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL
        )

    dockerfiles = sorted(map(str, distinct_files.glob("v*/Dockerfile")))
    composes = sorted(map(str, distinct_files.glob("v*/compose.yaml")))
    manifests = sorted(
        str(path)
        for path in distinct_files.glob("v*/deploy/k8s/*.yaml")
        if path.name != "kustomization.yaml"
    )
    assert dockerfiles and composes and manifests
    # hadolint fails on any finding, down to style and info.
    result = run("hadolint", "--no-color", *dockerfiles)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run(
        "check-jsonschema", "--builtin-schema", "vendor.compose-spec", *composes
    )
    assert result.returncode == 0, result.stdout + result.stderr
    result = run("kubernetes-validate", "--strict", *manifests)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(" passed for resource ") == len(manifests), result.stdout
