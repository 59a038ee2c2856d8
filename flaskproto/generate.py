"""Run a template as cookiecutter does: its pre_prompt hook, its files, its hooks.

cookiecutter runs a hook as a child process that writes to the same standard
output as flaskproto, and reports a failing hook with a logged traceback. Here
a hook writes to stderr, so stdout carries only flaskproto's result, and a
failure is one TemplateError naming the hook and how it ended.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from .confine import check_confined
from .context import extension_path
from .errors import OutputError, TemplateError
from .templates import Template, read_template

#: The hooks cookiecutter runs, in the order it runs them.
HOOKS = ("pre_prompt", "pre_gen_project", "post_gen_project")


def template_hooks(tmpl: Template) -> list[str]:
    """Return the names of the hooks ``tmpl`` has, in the order they run."""
    from cookiecutter.hooks import valid_hook

    hooks_dir = tmpl.path / "hooks"
    if not hooks_dir.is_dir():
        return []
    names = os.listdir(hooks_dir)
    return [h for h in HOOKS if any(valid_hook(name, h) for name in names)]


def own_extensions(tmpl: Template) -> list[str]:
    """Return the Jinja extensions ``tmpl`` loads from its own directory.

    Like hooks, they are code of the template: rendering imports them.
    """
    listed = tmpl.variables.get("_extensions", [])
    own = []
    for extension in listed if isinstance(listed, list) else []:
        top = str(extension).split(".")[0]
        if (tmpl.path / f"{top}.py").is_file() or (tmpl.path / top).is_dir():
            own.append(str(extension))
    return own


@contextlib.contextmanager
def prompted(tmpl: Template, run_hooks: bool = True) -> Iterator[Template]:
    """Yield ``tmpl`` as cookiecutter prompts for it: after its pre_prompt hook.

    cookiecutter runs that hook in a copy of the template, which the hook may
    change (its cookiecutter.json among the rest); the copy is read again and
    removed afterwards. Without the hook, or with ``run_hooks`` false, ``tmpl``
    is yielded as it is.
    """
    if not run_hooks or "pre_prompt" not in template_hooks(tmpl):
        yield tmpl
        return
    from cookiecutter.exceptions import FailedHookException
    from cookiecutter.hooks import find_hook, run_script
    from cookiecutter.utils import create_tmp_repo_dir, work_in

    copy: Path | None = None
    try:
        # cookiecutter's run_pre_prompt_hook, step by step, so that the copy
        # is removed when the hook fails too.
        with _hook_output_on_stderr(), _cookiecutter_log():
            try:
                copy = Path(create_tmp_repo_dir(tmpl.path))
                with work_in(copy):
                    scripts = find_hook("pre_prompt") or []
                for script in scripts:
                    run_script(script, str(copy))
            except FailedHookException as err:
                raise _hook_failed(tmpl, "pre_prompt", err) from err
            except OSError as err:
                raise OutputError(f"cannot copy the template: {err}") from err
        changed = read_template(tmpl.name, copy, bundled=tmpl.bundled)
        yield replace(tmpl, path=copy, variables=changed.variables, repo_dir=str(copy))
    finally:
        if copy is not None:
            # cookiecutter makes the copy inside a directory of its own.
            shutil.rmtree(copy.parent, ignore_errors=True)


def generate(
    tmpl: Template, context: Mapping[str, Any], into: Path, *, run_hooks: bool = True
) -> Path:
    """Render ``tmpl`` with ``context`` into a new directory under ``into``.

    cookiecutter's ``generate_files`` does the work, hooks and all unless
    ``run_hooks`` is false; names that would reach outside the project are
    refused first. Returns the project directory.
    """
    from cookiecutter.exceptions import (
        CookiecutterException,
        FailedHookException,
        UndefinedVariableInTemplate,
    )
    from cookiecutter.generate import generate_files
    from cookiecutter.utils import create_env_with_context
    from jinja2 import TemplateError as JinjaError

    from .jinjacache import compiled_cache

    full = dict(context)
    try:
        with (
            compiled_cache(),
            extension_path(tmpl),
            _hook_output_on_stderr(),
            _temporary_files_in(into),
            _cookiecutter_log() as log,
        ):
            env = create_env_with_context(full)
            check_confined(tmpl.name, tmpl.path, full, env)
            project = generate_files(
                repo_dir=tmpl.path,
                context=full,
                output_dir=into,
                accept_hooks=run_hooks,
            )
    except FailedHookException as err:
        raise _hook_failed(tmpl, _failed_hook(log), err) from err
    except UndefinedVariableInTemplate as err:
        # str(err) would carry the whole context; name the file and the cause.
        hook = _failed_hook(log)
        where = f"hook {hook}" if hook else err.message
        raise TemplateError(
            f"template {tmpl.name!r} failed to render: {where}: {err.error.message}"
        ) from err
    except (CookiecutterException, JinjaError) as err:
        hook = _failed_hook(log)
        where = f" hook {hook}" if hook else ""
        raise TemplateError(
            f"template {tmpl.name!r} failed to render{where}: {err}"
        ) from err
    except OSError as err:
        raise OutputError(f"cannot write the project: {err}") from err
    if tmpl.bundled:
        # pip byte-compiles an installed template's .py files; the caches are
        # not template content and must not reach the project.
        for cache in sorted(Path(project).rglob("__pycache__"), reverse=True):
            shutil.rmtree(cache)
    return Path(project)


def _hook_failed(tmpl: Template, hook: str, err: BaseException) -> TemplateError:
    # cookiecutter says "Hook script failed (exit status: 1)".
    how = str(err).removeprefix("Hook script failed").strip() or "failed"
    return TemplateError(
        f"template {tmpl.name!r}: hook {hook or 'script'} failed {how};"
        " nothing was written"
    )


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _cookiecutter_log() -> Iterator[_Records]:
    """Keep what cookiecutter logs, instead of a traceback on stderr.

    Without a handler of its own, Python prints cookiecutter's warnings and
    logged exceptions to stderr; this one keeps them to find which hook failed.
    """
    logger = logging.getLogger("cookiecutter")
    handler = _Records()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _failed_hook(log: _Records) -> str:
    """Return the hook cookiecutter logged as failed, or ''."""
    for record in log.records:
        if record.msg.startswith("Stopping generation because") and record.args:
            return str(record.args[0])  # type: ignore[index]
    return ""


@contextlib.contextmanager
def _temporary_files_in(directory: Path) -> Iterator[None]:
    """Make temporary files in ``directory`` meanwhile.

    cookiecutter writes each hook, rendered, to a temporary file it never
    removes; made in the render's own scratch directory, they go with it.
    """
    saved = tempfile.tempdir
    tempfile.tempdir = str(directory)
    try:
        yield
    finally:
        tempfile.tempdir = saved


@contextlib.contextmanager
def _hook_output_on_stderr() -> Iterator[None]:
    """Send what child processes write to stdout to stderr meanwhile.

    Hooks inherit the process's file descriptor 1; pointing it at stderr keeps
    stdout for flaskproto's own result (--json, -q). This holds for the whole
    process, so two renders must not overlap in threads.
    """
    with contextlib.suppress(ValueError, OSError):
        sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
