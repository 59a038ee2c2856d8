"""Every valid feature combination, rendered without installing anything.

Rendering is quick, so the tests that need no install check every combination,
not a sample; conftest.py makes them once per session.
"""

import concurrent.futures
import functools
import hashlib
import multiprocessing
from pathlib import Path

import jinja2
from helpers import tree
from test_combinations import combinations

from flaskproto import create_project

COMBINATIONS = combinations("full")
NAME = "Scanned Service"
SLUG = "scanned-service"


def _compile_each_source_once() -> None:
    """Make Jinja compile each template source once in this process.

    cookiecutter makes a new Jinja environment, configured the same way, for
    each project, and so compiles every file again; compiling is most of the
    time a render takes. The rendering itself is cookiecutter's, unchanged.
    """
    compile_source = jinja2.Environment.compile
    if getattr(compile_source, "reuses_code", False):
        return

    @functools.wraps(compile_source)
    def compile_once(self, source, name=None, filename=None, *args, **kwargs):
        if not isinstance(source, str):
            return compile_source(self, source, name, filename, *args, **kwargs)
        key = (source, name, filename, args, tuple(sorted(kwargs.items())))
        if key not in compiled:
            compiled[key] = compile_source(
                self, source, name, filename, *args, **kwargs
            )
        return compiled[key]

    compiled: dict = {}
    compile_once.reuses_code = True  # type: ignore[attr-defined]
    jinja2.Environment.compile = compile_once  # type: ignore[method-assign]


def _render(args: tuple[Path, tuple[str, ...]]) -> Path:
    """Render one combination; runs in a worker process of its own."""
    _compile_each_source_once()
    where, features = args
    return create_project(NAME, where, features=features, git=False).path


def render_every_combination(root: Path) -> list[Path]:
    """Every valid combination, each in its own directory, all with one name."""
    jobs = [
        (root / str(index), features) for index, features in enumerate(COMBINATIONS)
    ]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        return list(pool.map(_render, jobs, chunksize=8))


def distinct_versions(projects: list[Path], root: Path) -> Path:
    """Each distinct version of each file once, at its path in a project.

    With one name for every project, most files are the same in many
    combinations: version N of a file goes to vN/<its path>.
    """
    seen: dict[str, set[str]] = {}
    for project in projects:
        for path, content in tree(project).items():
            versions = seen.setdefault(path, set())
            digest = hashlib.sha256(content).hexdigest()
            if digest not in versions:
                target = root / f"v{len(versions)}" / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                versions.add(digest)
    return root
