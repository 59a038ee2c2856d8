"""Compiled templates are kept between runs, never stale, never from others.

Each test runs ``flaskproto new`` as a user does, a process per run, with the
cache directory it is given: cold (empty), warm (after a run) or turned off.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from helpers import exact_tree
from jinja2.bccache import Bucket, bc_magic

REPO = Path(__file__).resolve().parent.parent
SERVICE = REPO / "templates" / "service"
README = SERVICE / "{{cookiecutter.project_slug}}" / "README.md"
ALL_FEATURES = ",".join(
    json.loads((SERVICE / "cookiecutter.json").read_text(encoding="utf-8"))["_features"]
)
#: A user another than the one the tests run as.
NOBODY = 65534


def new(out: Path, *args: str, cache: Path | None, check: bool = True):
    """Run ``flaskproto new x`` into ``out`` with ``cache`` (None: turned off)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASKPROTO_")}
    if cache is None:
        env["FLASKPROTO_NO_CACHE"] = "1"
    else:
        env["FLASKPROTO_CACHE_DIR"] = str(cache)
    result = subprocess.run(
        [sys.executable, "-m", "flaskproto", "new", "x", "--no-git", "-q"]
        + ["-o", str(out), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def entries(cache: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(cache.iterdir())}


@pytest.mark.parametrize(
    "args", [[], ["--with", ALL_FEATURES], ["--template", "micro"]],
    ids=["service base", "service all features", "micro"],
)  # fmt: skip
def test_cold_warm_and_no_cache_make_the_same_project(tmp_path, args):
    cache = tmp_path / "cache"
    new(tmp_path / "cold", *args, cache=cache)
    made = entries(cache)
    assert made, "the cold run compiled nothing into the cache"
    assert (cache.stat().st_mode & 0o777) == 0o700
    new(tmp_path / "warm", *args, cache=cache)
    new(tmp_path / "none", *args, cache=None)

    cold = exact_tree(tmp_path / "cold" / "x")
    assert exact_tree(tmp_path / "warm" / "x") == cold
    # Turned off, nothing of the cache is there to reach the project or its
    # .flaskproto.json: the same tree says none did with it on.
    assert exact_tree(tmp_path / "none" / "x") == cold
    assert ".flaskproto.json" in cold
    # The warm run found everything it needed: it compiled nothing new.
    assert entries(cache) == made


def test_the_cached_project_is_cookiecutters(tmp_path):
    cache = tmp_path / "cache"
    new(tmp_path / "cold", cache=cache)
    new(tmp_path / "warm", cache=cache)
    plain = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", str(SERVICE)]
        + ["project_name=x", "-o", str(tmp_path / "plain")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert plain.returncode == 0, plain.stderr
    warm = exact_tree(tmp_path / "warm" / "x")
    del warm[".flaskproto.json"]
    assert warm == exact_tree(tmp_path / "plain" / "x")


def local_template(root: Path, settings: dict, extension: str) -> Path:
    """A template with a local extension that rewrites sources as it compiles."""
    (root / "{{cookiecutter.project_slug}}").mkdir(parents=True)
    (root / "cookiecutter.json").write_text(
        json.dumps(
            {
                "project_name": "x",
                "project_slug": "{{ cookiecutter.project_name }}",
                "_extensions": ["local_extensions.Greeting"],
                **settings,
            }
        ),
        encoding="utf-8",
    )
    (root / "local_extensions.py").write_text(extension, encoding="utf-8")
    (root / "{{cookiecutter.project_slug}}" / "out.txt").write_text(
        "{% if true %}\nGREETING {{ cookiecutter.project_name }}{% endif %}\n",
        encoding="utf-8",
    )
    return root


GREETING = """
from jinja2.ext import Extension


class Greeting(Extension):
    def preprocess(self, source, name, filename=None):
        return source.replace("GREETING", {word!r})
"""


def test_an_edited_template_is_compiled_again(tmp_path):
    cache = tmp_path / "cache"
    template = local_template(tmp_path / "t", {}, GREETING.format(word="hello"))
    out = template / "{{cookiecutter.project_slug}}" / "out.txt"

    def rendered(run: str) -> str:
        new(tmp_path / run, "--template", str(template), cache=cache)
        return (tmp_path / run / "x" / "out.txt").read_text(encoding="utf-8")

    assert rendered("first") == "\nhello x\n"
    assert rendered("again") == "\nhello x\n"
    # The file itself.
    out.write_text(out.read_text(encoding="utf-8") + "!\n", encoding="utf-8")
    assert rendered("edited") == "\nhello x\n!\n"
    # The same source under other settings of the template's environment.
    settings = json.loads((template / "cookiecutter.json").read_text("utf-8"))
    settings["_jinja2_env_vars"] = {"trim_blocks": True}
    (template / "cookiecutter.json").write_text(json.dumps(settings), "utf-8")
    assert rendered("trimmed") == "hello x!\n"
    # The template's own extension, which changes what the source compiles to.
    (template / "local_extensions.py").write_text(
        GREETING.format(word="bonjour"), encoding="utf-8"
    )
    assert rendered("extension") == "bonjour x!\n"


def poison(cache: Path, source: str) -> None:
    """Make the entry of ``source`` hold code of another user's choosing.

    The checksum Jinja keeps of the source stays right: only the code changes,
    as another user who could write there would change it.
    """
    checksum = hashlib.sha1(source.encode("utf-8")).hexdigest()
    poisoned = 0
    for path in cache.iterdir():
        with path.open("rb") as file:
            if file.read(len(bc_magic)) != bc_magic or pickle.load(file) != checksum:
                continue
        bucket = Bucket(jinja2.Environment(), "", checksum)
        bucket.code = jinja2.Environment().compile("POISONED")
        with path.open("wb") as file:
            bucket.write_bytecode(file)
        poisoned += 1
    assert poisoned == 1


@pytest.mark.parametrize(
    "change",
    [
        pytest.param("world-writable", id="world-writable"),
        pytest.param("group-writable", id="group-writable"),
        pytest.param(
            "another user's",
            id="another user's",
            marks=pytest.mark.skipif(
                os.geteuid() != 0, reason="only root gives a directory away"
            ),
        ),
    ],
)
def test_a_cache_others_can_write_is_not_used(tmp_path, change):
    cache = tmp_path / "cache"
    new(tmp_path / "first", cache=cache)
    poison(cache, README.read_bytes().decode("utf-8"))
    # The poisoned entry is served from a private cache: the check below
    # would see it if the cache were used.
    new(tmp_path / "private", cache=cache)
    assert (tmp_path / "private" / "x" / "README.md").read_text() == "POISONED"

    if change == "world-writable":
        cache.chmod(0o777)
    elif change == "group-writable":
        cache.chmod(0o770)
    else:
        os.chown(cache, NOBODY, NOBODY)
    before = entries(cache)
    new(tmp_path / "refused", cache=cache)
    assert exact_tree(tmp_path / "refused" / "x") == exact_tree(
        tmp_path / "first" / "x"
    )
    assert entries(cache) == before, "a refused cache was written to"


def bwrap(*mounts: str) -> list[str]:
    """The start of a command run with ``mounts`` over the whole file system."""
    found = shutil.which("bwrap")
    if found is None:
        pytest.fail("bwrap is not installed: make test installs Debian's bubblewrap")
    return [
        found, "--bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
        "--die-with-parent", *mounts,
    ]  # fmt: skip


@pytest.mark.parametrize(
    "case", ["read-only home", "read-only cache", "full disk", "not a directory"]
)
def test_a_cache_that_cannot_be_written_is_harmless(tmp_path, case):
    cache = tmp_path / "home" / ".cache" / "flaskproto"
    (tmp_path / "home").mkdir()
    new(tmp_path / "expected", "--with", "db", cache=None)
    prefix: list[str] = []
    if case == "read-only home":
        prefix = bwrap("--ro-bind", str(tmp_path / "home"), str(tmp_path / "home"))
    elif case == "read-only cache":
        new(tmp_path / "warming", cache=cache)  # db's files are not there yet
        prefix = bwrap("--ro-bind", str(cache), str(cache))
    elif case == "full disk":
        # A file system of one page, full after the first entry or two.
        cache.parent.mkdir(parents=True)
        prefix = bwrap("--perms", "0700", "--size", "4096", "--tmpfs", str(cache))
    else:
        cache.parent.mkdir(parents=True)
        cache.parent.joinpath("flaskproto").write_text("a file", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASKPROTO_")}
    env["FLASKPROTO_CACHE_DIR"] = str(cache)
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "flaskproto", "new", "x", "--no-git"]
        + ["--with", "db", "-q", "-o", str(tmp_path / "made")],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert exact_tree(tmp_path / "made" / "x") == exact_tree(
        tmp_path / "expected" / "x"
    )
