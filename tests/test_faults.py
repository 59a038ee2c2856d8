"""Faults while a project is made: the target is whole or absent, nothing else touched.

Read-only and full file systems are real where the tests run as root (a
read-only bind mount, a small tmpfs); without root, a directory without write
permission stands in for the first and a simulated ENOSPC for the second. A
vanishing output directory is simulated by removing it between two steps.
Signals and races use real processes. Set FLASKPROTO_HOSTILE=full (make
test-hostile) to repeat the signal and race runs many more times.
"""

import errno
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import tree

from flaskproto import create_project
from flaskproto.cli import cli

FULL = os.environ.get("FLASKPROTO_HOSTILE") == "full"
SIGNAL_RUNS = 100 if FULL else 16
RACE_RUNS = 30 if FULL else 3
NAME = "Order Service"
SLUG = "order-service"
INTERRUPTED = "Error: interrupted; nothing half-made was left behind"


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under ``root`` with its kind and content, to compare before/after."""
    found: dict[str, tuple] = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                found[rel] = ("dir", path.stat().st_mode)
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[rel] = ("file", path.stat().st_mode, digest)
    return found


def flaskproto(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flaskproto", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def assert_one_error_line(stderr: str) -> None:
    assert stderr.startswith("Error: "), stderr
    assert stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    """The tree of NAME as made without any fault (the git directory aside)."""
    where = tmp_path_factory.mktemp("reference")
    return tree(create_project(NAME, where, git=False).path)


# -- read-only output ----------------------------------------------------------


@pytest.fixture
def read_only_dir(tmp_path):
    """A directory this process cannot write in, with a file already in it.

    Root ignores permission bits, so as root it is a read-only bind mount
    (EROFS); otherwise a directory without write permission (EACCES).
    """
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "keep.txt").write_text("kept\n")
    if os.geteuid() == 0:
        subprocess.run(["mount", "--bind", locked, locked], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", locked, locked], check=True)
        yield locked
        subprocess.run(["umount", locked], check=True)
    else:
        locked.chmod(0o555)
        yield locked
        locked.chmod(0o755)


@pytest.mark.parametrize("below", ["", "new/dirs"], ids=["itself", "below-it"])
def test_read_only_output_exits_4_and_writes_nothing(read_only_dir, below):
    before = snapshot(read_only_dir)
    result = invoke("new", NAME, "-o", str(read_only_dir / below), "-q")
    assert result.exit_code == 4, result.stderr
    assert_one_error_line(result.stderr)
    assert snapshot(read_only_dir) == before


# -- the target is in the way --------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["link-to-dir", "link-dangling", "file"], ids=lambda k: k
)
def test_a_target_that_is_a_link_or_file_exits_3_and_is_left_alone(tmp_path, kind):
    output, canary = tmp_path / "out", tmp_path / "canary"
    output.mkdir()
    canary.mkdir()
    (canary / "inside.txt").write_text("mine\n")
    target = output / SLUG
    if kind == "link-to-dir":
        target.symlink_to(canary)
    elif kind == "link-dangling":
        target.symlink_to(canary / "missing")
    else:
        target.write_text("a file\n")
    before = snapshot(tmp_path)
    result = invoke("new", NAME, "-o", str(output), "-q")
    assert result.exit_code == 3, result.stderr
    assert_one_error_line(result.stderr)
    assert snapshot(tmp_path) == before


# -- a full or vanishing file system ---------------------------------------------


@pytest.fixture
def tiny_filesystem(tmp_path):
    """Mount tmpfs file systems of a given size (root only); unmount them after."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; test_enospc_* simulate it")
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        point = tmp_path / f"fs-{size}"
        point.mkdir()
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", point], check=True
        )
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", point], check=True)


#: Sizes that run out at different steps: the scratch directory, the files,
#: the metadata, git's objects.
SIZES = ["4k", "40k", "120k", "200k", "280k", "400k"]


@pytest.mark.parametrize("git", ["--no-git", "--git"])
def test_a_full_filesystem_fails_cleanly_and_leaves_it_empty(tiny_filesystem, git):
    outcomes = []
    for size in SIZES:
        disk = tiny_filesystem(size)
        result = invoke("new", NAME, "-o", str(disk / "out"), git, "-q")
        outcomes.append(result.exit_code)
        if result.exit_code == 0:
            continue
        # Git reports its own failure to write (exit 6); flaskproto's is 4.
        assert result.exit_code in ((4, 6) if git == "--git" else (4,)), (
            size,
            result.stderr,
        )
        assert_one_error_line(result.stderr)
        assert "space" in result.stderr, result.stderr
        assert os.listdir(disk) == [], (size, os.listdir(disk))
    # The sizes reach the failure at more than one step, and one that fits works.
    assert outcomes[0] != 0 and outcomes[-1] == 0, outcomes


@pytest.mark.parametrize("after", [0, 7, 20], ids=lambda n: f"after-{n}-files")
def test_enospc_while_rendering_exits_4_and_leaves_nothing(
    tmp_path, monkeypatch, after
):
    from cookiecutter import generate

    written = []

    def full_disk_open(file, mode="r", *args, **kwargs):
        if "w" in mode:
            if len(written) == after:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), file)
            written.append(file)
        return open(file, mode, *args, **kwargs)

    monkeypatch.setattr(generate, "open", full_disk_open, raising=False)
    output = tmp_path / "out"
    result = invoke("new", NAME, "-o", str(output), "-q")
    assert len(written) == after
    assert result.exit_code == 4, result.stderr
    assert_one_error_line(result.stderr)
    assert "No space left on device" in result.stderr
    assert not output.exists()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("when", ["while-rendering", "before-the-move"])
def test_a_vanishing_output_directory_exits_4(tmp_path, monkeypatch, when):
    from cookiecutter import generate

    from flaskproto import gitrepo

    output = tmp_path / "out"
    if when == "while-rendering":
        real = generate.generate_file
        count = []

        def generate_file(*args, **kwargs):
            count.append(1)
            if len(count) == 10:
                shutil.rmtree(output)
            return real(*args, **kwargs)

        monkeypatch.setattr(generate, "generate_file", generate_file)
    else:
        real_commit = gitrepo.initial_commit

        def initial_commit(path, *args):
            real_commit(path, *args)
            shutil.rmtree(output)

        monkeypatch.setattr(gitrepo, "initial_commit", initial_commit)
    result = invoke("new", NAME, "-o", str(output), "--git", "-q")
    assert result.exit_code == 4, result.stderr
    assert_one_error_line(result.stderr)
    assert os.listdir(tmp_path) == []


# -- signals ---------------------------------------------------------------------

#: Runs ``flaskproto new`` in this process after arranging for it to send
#: itself a signal at one named step of making a project, and writes the step's
#: name to a marker file when it does, so the test knows the step was reached.
SIGNAL_AT_STEP = """
import os, signal, sys, tempfile
from cookiecutter import generate
from flaskproto import cli, create, gitrepo
step, signum, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.argv = ["flaskproto", *sys.argv[4:]]

def signal_now():
    with open(marker, "w") as out:
        out.write(step)
    os.kill(os.getpid(), signum)

def after(module, name, when=lambda count: True):
    real = getattr(module, name)
    calls = []
    def wrapper(*args, **kwargs):
        made = real(*args, **kwargs)
        calls.append(1)
        if when(len(calls)):
            setattr(module, name, real)
            signal_now()
        return made
    setattr(module, name, wrapper)

if step == "scratch-made":
    after(tempfile, "mkdtemp")
elif step == "rendering":
    after(generate, "generate_file", when=lambda count: count == 10)
elif step == "rendered":
    after(create, "render_project")
elif step == "git-commit-running":
    # git commit runs under a shell that signals flaskproto, then becomes git.
    real_run = gitrepo.run_quietly
    def run_quietly(command, *args, **kwargs):
        if "commit" in command:
            with open(marker, "w") as out:
                out.write(step)
            command = ["sh", "-c", 'kill -%d "$PPID"; exec "$@"' % signum, "sh",
                       *command]
        return real_run(command, *args, **kwargs)
    gitrepo.run_quietly = run_quietly
elif step == "moved-into-place":
    after(os, "rename")
else:
    raise SystemExit(f"unknown step {step}")
cli.main()
"""

#: The steps of making a project, in order; a signal after the last one finds
#: the project whole, after any other finds nothing.
STEPS = [
    "scratch-made",
    "rendering",
    "rendered",
    "git-commit-running",
    "moved-into-place",
]


def assert_interrupted(returncode: int, stderr: str) -> None:
    """The run ended as an interrupted command: exit 130 and one Error line.

    CPython exits through SIGINT itself, instead of with the 130 asked for,
    when the KeyboardInterrupt passed through code run by exec() of a string
    (a lazy import building a namedtuple, say) before flaskproto caught it. A
    shell reports both as 130.
    """
    assert returncode in (130, -signal.SIGINT), (returncode, stderr)
    assert stderr.splitlines()[-1:] == [INTERRUPTED], stderr
    assert stderr.count("Error") == 1 and "Traceback" not in stderr, stderr


def assert_whole_or_nothing(output: Path, reference: dict[str, bytes]) -> bool:
    """``output`` is absent or holds the whole project in a clean repository.

    Return whether the project is there.
    """
    left = sorted(os.listdir(output)) if output.exists() else []
    assert left in ([], [SLUG]), (left, sorted(tree(output)))
    if not left:
        return False
    project = output / SLUG
    assert tree(project) == reference
    status = subprocess.run(
        ["git", "status", "--porcelain"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == "", status.stdout
    log = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert log.stdout.strip() == "1", log.stdout
    return True


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["int", "term"])
@pytest.mark.parametrize("step", STEPS)
def test_a_signal_at_each_step_leaves_whole_or_nothing(
    tmp_path, reference, step, signum
):
    """A signal at each named step: before the move nothing is left, after it
    the project is whole; either way the command says it was interrupted."""
    output, marker = tmp_path / "out", tmp_path / "signalled"
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            SIGNAL_AT_STEP,
            step,
            str(int(signum)),
            str(marker),
            *("new", NAME, "-o", str(output), "--git", "-q"),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert marker.read_text() == step, run.stderr
    assert_interrupted(run.returncode, run.stderr)
    assert run.stdout == ""
    assert assert_whole_or_nothing(output, reference) == (step == STEPS[-1])


def test_sigint_and_sigterm_at_random_moments_leave_whole_or_nothing(
    tmp_path, reference
):
    """Signals at random moments over the whole run, git included.

    The moments are random, so which steps they reach is left to chance (the
    test above reaches each step by construction); what must hold at every
    moment is checked: the target is absent or equal to an undisturbed run's,
    with a clean one-commit repository, and no scratch directory stays. While
    the command runs, an interruption exits 130 with one Error line; a signal
    while Python starts or shuts down ends it as signals do.
    """
    start = time.monotonic()
    run = flaskproto("new", NAME, "-o", str(tmp_path / "timing"), "--git", "-q")
    run.communicate(timeout=300)
    assert run.returncode == 0
    duration = time.monotonic() - start
    rng = random.Random(20261130)
    outcomes: dict[str, int] = {}
    for attempt in range(SIGNAL_RUNS):
        signum = (signal.SIGINT, signal.SIGTERM)[attempt % 2]
        output = tmp_path / f"run-{attempt}"
        process = flaskproto("new", NAME, "-o", str(output), "--git", "-q")
        time.sleep(rng.uniform(0, duration * 1.1))
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=300)
        if process.returncode == 0:
            outcome = "finished first"
        elif stderr.splitlines()[-1:] == [INTERRUPTED]:
            outcome = "interrupted"
            assert_interrupted(process.returncode, stderr)
        else:
            # Outside flaskproto's handlers, while Python starts or after it
            # has finished and is shutting down, the signal acts as it does
            # on any program: SIGTERM ends it, SIGINT raises KeyboardInterrupt.
            assert process.returncode in (-signum, 1), (process.returncode, stderr)
            outcome = "stopped outside the command"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        assert_whole_or_nothing(output, reference)
        shutil.rmtree(output, ignore_errors=True)
    print(f"{SIGNAL_RUNS} signal runs: {json.dumps(outcomes)}")


# -- two processes, one target ---------------------------------------------------


def test_two_processes_creating_one_target_one_wins_whole(tmp_path, reference):
    for attempt in range(RACE_RUNS):
        output = tmp_path / f"race-{attempt}"
        both = [
            flaskproto("new", NAME, "-o", str(output), "--git", "-q") for _ in range(2)
        ]
        results = [(p.wait(timeout=120), *p.communicate()) for p in both]
        codes = sorted(code for code, _, _ in results)
        assert codes == [0, 3], results
        loser = next(stderr for code, _, stderr in results if code == 3)
        assert_one_error_line(loser)
        assert os.listdir(output) == [SLUG], os.listdir(output)
        assert tree(output / SLUG) == reference


# -- nothing outside the target --------------------------------------------------


def make_template(root: Path, files: dict[str, str], variables=None) -> Path:
    """A template whose project directory holds ``files`` (path: content)."""
    (root / "{{cookiecutter.project_slug}}").mkdir(parents=True)
    config = {
        "project_name": "My Thing",
        "project_slug": "{{ cookiecutter.project_name|lower|replace(' ', '-') }}",
        "package_name": "{{ cookiecutter.project_slug|replace('-', '_') }}",
        **(variables or {}),
    }
    (root / "cookiecutter.json").write_text(json.dumps(config))
    for rel, content in files.items():
        path = root / "{{cookiecutter.project_slug}}" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


ESCAPES = {
    "file-dotdot": ({"{{ cookiecutter.evil }}": "x"}, {"evil": "../../evil.txt"}, []),
    "file-absolute": ({"{{ cookiecutter.evil }}": "x"}, {"evil": "@CANARY@/abs"}, []),
    "dir-dotdot": ({"{{ cookiecutter.evil }}/f.txt": "x"}, {"evil": "../../d"}, []),
    "nested-dotdot": (
        {"a/b/{{ cookiecutter.evil }}": "x"},
        {"evil": "../../../../e"},
        [],
    ),
    "expression": ({"{{ ('..', '..', 'x')|join('%c' % 47) }}": "x"}, {}, []),
    "set-package-name": (
        {"src/{{ cookiecutter.package_name }}/__init__.py": ""},
        {},
        ["--set", "package_name=../../../pkg"],
    ),
    "copy-only-dir": (
        {"{{ cookiecutter.evil }}/f.txt": "x"},
        {"evil": "../../copied", "_copy_without_render": ["*"]},
        [],
    ),
}


@pytest.fixture
def around(tmp_path):
    """An output directory and a canary beside it, snapshotted with their parent."""
    canary = tmp_path / "canary"
    canary.mkdir()
    (canary / "secret.txt").write_text("do not copy\n")
    (tmp_path / "out").mkdir()
    return tmp_path, canary


@pytest.mark.parametrize("case", ESCAPES, ids=lambda c: c)
def test_template_names_cannot_write_outside_the_target(around, case):
    parent, canary = around
    files, variables, extra = ESCAPES[case]
    variables = {
        k: v.replace("@CANARY@", str(canary)) if isinstance(v, str) else v
        for k, v in variables.items()
    }
    template = make_template(parent / "template", files, variables)
    before = snapshot(parent)
    result = invoke(
        "new", "Esc", "--template", str(template), "-o", str(parent / "out"), *extra
    )
    assert result.exit_code == 5, result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: "), result.stderr
    assert "outside the project; nothing was written" in result.stderr
    assert snapshot(parent) == before


@pytest.mark.parametrize("kind", ["file", "dir", "dangling"])
def test_template_links_out_of_the_template_are_refused(around, kind):
    parent, canary = around
    template = make_template(parent / "template", {"README.md": "hi\n"})
    link = template / "{{cookiecutter.project_slug}}" / "link"
    points_to = {
        "file": canary / "secret.txt",
        "dir": canary,
        "dangling": canary / "missing",
    }[kind]
    link.symlink_to(points_to)
    before = snapshot(parent)
    result = invoke(
        "new", "Esc", "--template", str(template), "-o", str(parent / "out")
    )
    assert result.exit_code == 5, result.stderr
    assert "outside the template" in result.stderr
    assert snapshot(parent) == before


def test_template_links_inside_the_template_are_copied(around):
    parent, _ = around
    template = make_template(parent / "template", {"README.md": "{{ 6*7 }}\n"})
    (template / "{{cookiecutter.project_slug}}" / "COPY.md").symlink_to("README.md")
    result = invoke(
        "new", "Esc", "--template", str(template), "-o", str(parent / "out"), "-q"
    )
    assert result.exit_code == 0, result.stderr
    project = parent / "out" / "esc"
    assert (project / "COPY.md").read_text() == "42\n"
    assert not (project / "COPY.md").is_symlink()


def test_hooks_run_in_the_scratch_directory(around):
    """A template's hooks are programs the user chose to run, and are not
    confined: flaskproto runs them in the new project inside its scratch
    directory, so what they write relative to where they run stays in the
    project or goes away with the scratch directory."""
    parent, _ = around
    template = make_template(parent / "template", {"README.md": "hi\n"})
    (template / "hooks").mkdir()
    (template / "hooks" / "post_gen_project.py").write_text(
        "open('made-by-hook.txt', 'w').write('in')\n"
        "open('../beside-the-project.txt', 'w').write('scratch')\n"
    )
    before = snapshot(parent)
    result = invoke(
        "new",
        "Esc",
        "--template",
        str(template),
        "-o",
        str(parent / "out"),
        "--no-git",
        "-q",
    )
    assert result.exit_code == 0, result.stderr
    after = snapshot(parent)
    assert {p: after[p] for p in before} == before
    assert sorted(set(after) - set(before)) == [
        "out/esc",
        "out/esc/.flaskproto.json",
        "out/esc/README.md",
        "out/esc/made-by-hook.txt",
    ]
