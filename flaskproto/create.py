"""Create a project: render a template beside the target, then move it into place."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, gitrepo
from . import templatebranch as branch
from .context import (
    build_context,
    extension_path,
    name_variable,
    project_template_dir,
    render_steps,
)
from .errors import (
    GitError,
    InstallError,
    InvalidInput,
    OutputError,
    TargetExists,
    TemplateError,
)
from .features import Selection, select
from .generate import generate, own_extensions, prompted, template_hooks
from .install import VENV, install_project, lock_project
from .naming import Names, derive_names
from .replay import Answers, answers_for, command_line
from .service import write_record
from .templates import DEFAULT_TEMPLATE, Template, open_template
from .workspace import Workspace
from .workspacefiles import WorkspaceFiles, refresh

_JINJA_MARKERS = ("{{", "{%", "{#")
#: The git plan of a project made inside a repository: no repository of its
#: own, a template branch for its folder (templatebranch.start).
_IN_REPOSITORY = "in the repository"


@dataclass
class ProjectResult:
    """What ``create_project`` made, or would make in a dry run."""

    path: Path
    names: Names
    template: str
    #: Paths relative to ``path``, POSIX style, sorted; the git directory aside.
    files: list[str]
    #: "initialised" ("would be initialised" in a dry run), or why not.
    git: str
    #: Features switched on, in catalogue order, and those added as requirements.
    features: Selection = field(default_factory=lambda: Selection([]))
    dry_run: bool = False
    #: Commands that install the project, and those that come after.
    install_steps: list[str] = field(default_factory=list)
    later_steps: list[str] = field(default_factory=list)
    #: The tool that installed the project into .venv (``install=True``).
    installed_with: str | None = None
    #: The commands that pinned the dependencies after installing them.
    locked_with: list[str] = field(default_factory=list)
    #: The flaskproto new command that makes this project again.
    command: str = ""
    #: The template's hooks a dry run did not run.
    hooks_not_run: list[str] = field(default_factory=list)
    #: The workspace's own files written again with the project among them.
    workspace_files: WorkspaceFiles | None = None

    @property
    def next_steps(self) -> list[str]:
        """What to type next, from the project's parent directory."""
        cd = f"cd {shlex.quote(_display_path(self.path))}"
        if self.installed_with is not None:
            return [cd, f". {VENV}/bin/activate", *self.later_steps]
        return [cd, *self.install_steps, *self.later_steps]

    def to_dict(self) -> dict[str, object]:
        """Return the result as plain JSON-ready data."""
        return {
            "path": str(self.path),
            "project_name": self.names.project_name,
            "project_slug": self.names.project_slug,
            "package_name": self.names.package_name,
            "template": self.template,
            "features": self.features.names,
            "added_features": self.features.added,
            "files": self.files,
            "git": self.git,
            "dry_run": self.dry_run,
            "installed_with": self.installed_with,
            "locked_with": self.locked_with,
            "command": self.command,
            "next_steps": self.next_steps,
            "hooks_not_run": self.hooks_not_run,
            "workspace_files": (
                None if self.workspace_files is None else self.workspace_files.to_dict()
            ),
        }


def create_project(
    name: str,
    output_dir: str | os.PathLike[str] = ".",
    *,
    context: Mapping[str, str] | None = None,
    features: Iterable[str] = (),
    template: str = DEFAULT_TEMPLATE,
    directory: str | None = None,
    checkout: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    git: bool | None = None,
    install: bool = False,
    progress: Callable[[str], object] | None = None,
) -> ProjectResult:
    """Render ``template`` into ``output_dir/<project-slug>`` for project ``name``.

    ``context`` sets template variables; ``features`` switches on features of
    the template, with what they require. The project appears whole or not at
    all: it is rendered in a temporary directory next to the target and moved in.
    With ``force`` an existing directory is rendered into, replacing the
    template's files and leaving every other file alone. ``git=None`` makes an
    initial commit when git is available and the target is not already inside
    a repository; ``True`` requires it, ``False`` skips it. ``install`` then
    installs the project into ``.venv`` with its test extra (InstallError if
    that fails: the project stays, the virtualenv does not). ``progress`` is
    called with a line before each slow step. ``template`` is a bundled
    template's name, a template directory or a git URL; ``directory`` the
    template's folder inside it and ``checkout`` the git branch, tag or commit.

    Any template renders as ``cookiecutter --no-input`` renders it, hooks and
    all, with NAME in ``project_name`` or else in the variable the template's
    top directory is named after. A dry run runs none of the template's hooks.
    """
    from .jinjacache import compiled_cache

    with (
        compiled_cache(),
        open_template(template, directory=directory, checkout=checkout) as opened,
        prompted(opened, run_hooks=not dry_run) as tmpl,
    ):
        return _create(
            tmpl,
            name,
            output_dir,
            context=context or {},
            features=list(features),
            force=force,
            dry_run=dry_run,
            git=git,
            install=install,
            progress=progress,
        )


@dataclass(frozen=True)
class Plan:
    """What a project is rendered from: its names, features, values and answers."""

    names: Names
    selection: Selection
    #: The public variables with their values, as .flaskproto.json records them.
    values: dict[str, object]
    answers: Answers
    #: What cookiecutter renders the template with (``build_context``).
    context: dict[str, Any]
    #: The flaskproto new command that makes this project again.
    command: str


def plan_project(
    tmpl: Template, name: str, context: Mapping[str, str], features: list[str]
) -> Plan:
    """Check the inputs for project ``name`` and return what it renders from."""
    names = derive_names(name)
    selection = select(tmpl, features)
    full = build_context(tmpl, names, context, selection.names)
    variables = full["cookiecutter"]
    values = {k: v for k, v in variables.items() if not k.startswith("_")}
    if tmpl.bundled:
        slug, package = str(values["project_slug"]), str(values["package_name"])
    else:
        slug, package = (
            _project_dir_name(tmpl, full),
            str(values.get("package_name", "")),
        )
    names = Names(names.project_name, slug, package)
    answers = answers_for(tmpl, names, selection, values, context, name_variable(tmpl))
    command = command_line(names.project_name, answers)
    return Plan(names, selection, values, answers, full, command)


def check_new_target(
    tmpl: Template,
    name: str,
    output_dir: str | os.PathLike[str],
    context: Mapping[str, str],
    features: list[str],
    force: bool = False,
) -> Path:
    """Raise as ``create_project`` would for these inputs and their target; return it.

    Lets a caller that asks questions find a bad name or an existing target
    before the first one.
    """
    output = Path(os.path.abspath(os.fspath(output_dir)))
    plan = place_project(tmpl, name, output, context, features)
    target = output / plan.names.project_slug
    _check_target(target, force)
    return target


def place_project(
    tmpl: Template,
    name: str,
    output: Path,
    context: Mapping[str, str],
    features: list[str],
) -> Plan:
    """Plan project ``name`` beside the services already in ``output``.

    The ports not given are the lowest its siblings leave free; WorkspaceClash
    if one of its names or ports is a sibling's.
    """
    plan = plan_project(tmpl, name, context, features)
    workspace = Workspace.at(output)
    target = output / plan.names.project_slug
    placed = workspace.placement(tmpl.public_variables, context, target)
    if placed:
        plan = plan_project(tmpl, name, {**placed, **context}, features)
    workspace.check_new(
        plan.names.project_slug, plan.names.package_name, plan.values, target
    )
    return plan


def render_project(
    tmpl: Template,
    plan: Plan,
    into: Path,
    output_dir: Path | None = None,
    *,
    run_hooks: bool = True,
) -> Path:
    """Render the project with its .flaskproto.json under ``into``; return its path.

    ``output_dir`` is where the project goes in the end (cookiecutter's
    ``_output_dir``), ``into`` when not given. Without ``run_hooks`` no code of
    the template runs.
    """
    context = provided_context(tmpl, plan.context, output_dir or into)
    rendered = generate(tmpl, context, into, run_hooks=run_hooks)
    write_record(rendered, metadata(tmpl, plan))
    return rendered


def metadata(tmpl: Template, plan: Plan) -> dict[str, object]:
    """Return the record of .flaskproto.json that rendering ``plan`` writes."""
    answers: dict[str, object] = {
        "features": plan.answers.features,
        "overrides": plan.answers.overrides,
    }
    # Where in its repository the template is, for update to find it again.
    if plan.answers.directory is not None:
        answers["directory"] = plan.answers.directory
    if plan.answers.checkout is not None:
        answers["checkout"] = plan.answers.checkout
    record: dict[str, object] = {
        "flaskproto_version": __version__,
        "template": tmpl.name,
        "template_version": template_version(tmpl),
        "features": plan.selection.names,
        # What to give flaskproto new to make this project again (--replay).
        "command": plan.command,
        "answers": answers,
        "context": plan.values,
    }
    name_key = name_variable(tmpl)
    if name_key != "project_name":
        record["name_variable"] = name_key  # the variable that holds NAME
    return record


def provided_context(
    tmpl: Template, context: Mapping[str, Any], output_dir: Path
) -> dict[str, Any]:
    """Return ``context`` with the variables cookiecutter adds before rendering."""
    variables = dict(context["cookiecutter"])
    variables["_template"] = tmpl.source
    variables["_output_dir"] = os.path.abspath(output_dir)
    variables["_repo_dir"] = tmpl.repo_dir
    variables["_checkout"] = tmpl.checkout
    return {**context, "cookiecutter": variables}


def template_version(tmpl: Template) -> str | None:
    """Return the version a template declares in ``_template_version``, if any."""
    version = tmpl.variables.get("_template_version")
    return None if version is None else str(version)


def _create(
    tmpl: Template,
    name: str,
    output_dir: str | os.PathLike[str],
    *,
    context: Mapping[str, str],
    features: list[str],
    force: bool,
    dry_run: bool,
    git: bool | None,
    install: bool,
    progress: Callable[[str], object] | None,
) -> ProjectResult:
    if dry_run and not tmpl.bundled and own_extensions(tmpl):
        raise InvalidInput(
            f"--dry-run runs no code of the template, and {tmpl.name!r} renders"
            f" with Jinja extensions of its own ({', '.join(own_extensions(tmpl))});"
            " render it into a scratch --output-dir instead"
        )
    output = Path(os.path.abspath(os.fspath(output_dir)))
    if any(marker in str(output) for marker in _JINJA_MARKERS):
        raise InvalidInput(
            f"--output-dir {str(output)!r} contains template markers ({{{{, {{% or {{#)"
        )
    if output.exists() and not output.is_dir():
        raise OutputError(f"--output-dir {output} is not a directory")
    plan = place_project(tmpl, name, output, context, features)
    names, selection, values = plan.names, plan.selection, plan.values
    target = output / names.project_slug
    existing = _check_target(target, force)
    siblings = Workspace.at(output).others(target)
    git_plan = _plan_git(git, existing, output, bool(siblings))
    install_steps = render_steps(tmpl, "_install_steps", plan.context["cookiecutter"])
    later_steps = render_steps(tmpl, "_next_steps", plan.context["cookiecutter"])

    result = ProjectResult(
        target,
        names,
        tmpl.name,
        [],
        git_plan,
        selection,
        dry_run,
        install_steps,
        later_steps,
        command=plan.command,
    )
    if dry_run:
        # The same rendering as a real run, record included, into scratch. No
        # code of another template runs: its hooks are named, not run. The
        # bundled templates' hooks are flaskproto's own, and run.
        if not tmpl.bundled:
            result.hooks_not_run = template_hooks(tmpl)
        with tempfile.TemporaryDirectory(prefix="flaskproto-dry-run-") as dry:
            rendered = render_project(
                tmpl, plan, Path(dry), output, run_hooks=tmpl.bundled
            )
            result.files = _list_files(rendered)
        if git_plan == "initialised":
            result.git = "would be initialised"
        elif git_plan == _IN_REPOSITORY:
            result.git = (
                "in the repository around it, with a template branch of its own"
            )
        return result

    created_dirs: list[Path] = []
    scratch: Path | None = None
    try:
        # A signal between making a directory and noting it down would leave
        # it behind; SIGINT and SIGTERM wait for these few steps to finish.
        with _signals_held():
            created_dirs = _make_dirs(output)
            scratch = _make_scratch(output, names.project_slug)
        if progress is not None:
            progress(f"Rendering the {tmpl.name} template")
        rendered = render_project(tmpl, plan, scratch, output)
        result.files = files = _list_files(rendered)
        # Only the bundled templates are sure to have an author.
        author = (
            str(values.get("author_name") or "flaskproto"),
            str(values.get("author_email") or "flaskproto@localhost"),
        )
        if git_plan == "initialised":
            if progress is not None:
                progress("Making the initial git commit")
            gitrepo.initial_commit(rendered, *author)
        elif git_plan == _IN_REPOSITORY:
            message = f"Render the {tmpl.name} template for {names.project_slug}"
            made = branch.start(output, names.project_slug, rendered, author, message)
            result.git = (
                f"in the repository around it: commit it there; updates merge"
                f" from the branch {made}"
            )
        if existing:
            _merge_into(rendered, target, files)
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            with _signals_held():
                _move_into_place(rendered, target)
                shutil.rmtree(scratch, ignore_errors=True)
    except BaseException:
        with _signals_held():
            if scratch is not None:
                _remove_tree(scratch)
            for directory in reversed(created_dirs):
                _remove_if_empty(directory)
        raise
    # Beside other services, the workspace's compose, Kubernetes and CI
    # files take the new one in.
    try:
        result.workspace_files = refresh(output)
    except (OutputError, TemplateError) as err:
        raise type(err)(
            f"{err}; {target} was made, the workspace's files were not"
        ) from err
    if install:
        if progress is not None:
            progress(f"Installing {names.project_slug} into {VENV} with its test extra")
        try:
            result.installed_with = install_project(target)
        except InstallError as err:
            raise InstallError(f"{err}; {target} was made, without {VENV}") from err
        lock_steps = render_steps(tmpl, "_lock_steps", plan.context["cookiecutter"])
        if lock_steps:
            if progress is not None:
                progress(f"Pinning the dependencies: {'; '.join(lock_steps)}")
            try:
                lock_project(target, lock_steps)
            except InstallError as err:
                raise InstallError(
                    f"{err}; {target} was made and installed into {VENV}, its"
                    " dependencies not pinned"
                ) from err
            result.locked_with = lock_steps
    return result


def _project_dir_name(tmpl: Template, context: Mapping[str, Any]) -> str:
    """Return the name a template gives its project directory, checked."""
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.utils import create_env_with_context
    from jinja2 import TemplateError as JinjaError

    top = project_template_dir(tmpl).name
    try:
        with extension_path(tmpl):
            env = create_env_with_context(dict(context))
            name = env.from_string(top).render(**context)
    except (CookiecutterException, JinjaError) as err:
        raise TemplateError(
            f"template {tmpl.name!r} cannot name its project directory {top!r}: {err}"
        ) from err
    if (
        not name
        or name.startswith(".")
        or any(c in name for c in "/\\\0")
        or any(marker in name for marker in _JINJA_MARKERS)
    ):
        raise TemplateError(
            f"template {tmpl.name!r} names its project directory {name!r},"
            " which is not a plain directory name"
        )
    return name


def _check_target(target: Path, force: bool) -> bool:
    """Return whether ``target`` holds files; raise unless they may be kept."""
    if target.is_symlink():
        raise TargetExists(
            f"{target} is a symbolic link; remove it or choose another name"
        )
    if not target.exists():
        return False
    if not target.is_dir():
        raise TargetExists(
            f"{target} exists and is not a directory; remove it or rename"
        )
    try:
        with os.scandir(target) as entries:
            has_files = any(entries)
    except OSError as err:
        raise OutputError(f"cannot read {target}: {err.strerror}") from err
    if has_files and not force:
        raise TargetExists(
            f"{target} already exists and is not empty; choose another name or"
            " --output-dir, or pass --force to render into it"
        )
    return has_files


def _plan_git(git: bool | None, existing: bool, output: Path, siblings: bool) -> str:
    """Return "initialised" if a repository will be made, _IN_REPOSITORY, or why not.

    Beside other services outside git, a service gets no repository of its
    own: ``git init`` at the top of the folder later keeps them all in one,
    which nested repositories would prevent.
    """
    if git is False:
        return "skipped: --no-git"
    if not gitrepo.git_available():
        if git:
            raise GitError("git is not on PATH; install it or pass --no-git")
        return "skipped: git is not on PATH"
    if existing:
        return "skipped: the target directory already existed"
    if git is None and output.is_dir() and gitrepo.inside_work_tree(output):
        if gitrepo.Repository(output).succeeds("check-ignore", "--quiet", "."):
            return "skipped: the output directory is ignored by its git repository"
        return _IN_REPOSITORY
    if git is None and siblings:
        return (
            "skipped: the folder holds other services and is not a git repository"
            " (git init there keeps them all in one)"
        )
    return "initialised"


def _list_files(root: Path) -> list[str]:
    files: list[str] = []
    for directory, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not (directory == str(root) and d == ".git")]
        base = Path(directory).relative_to(root)
        files.extend((base / name).as_posix() for name in names)
    return sorted(files)


def _move_into_place(rendered: Path, target: Path) -> None:
    # rename() is atomic and replaces only an empty directory, so a target
    # that filled up in the meantime is refused, never merged into.
    try:
        os.rename(rendered, target)
    except OSError as err:
        if target.exists():
            raise TargetExists(
                f"{target} appeared while the project was rendered; nothing was written"
            ) from err
        raise OutputError(f"cannot create {target}: {err.strerror}") from err


def _merge_into(rendered: Path, target: Path, files: list[str]) -> None:
    """Move the rendered files into an existing ``target`` (``--force``)."""
    for rel in files:
        destination = target / rel
        for parent in Path(rel).parents:
            directory = target / parent
            if directory.is_symlink() or (
                directory.exists() and not directory.is_dir()
            ):
                raise OutputError(
                    f"--force would write through {directory}, which is not a plain"
                    " directory; move it away first"
                )
        if destination.is_dir() and not destination.is_symlink():
            raise OutputError(f"--force would replace the directory {destination}")
    try:
        for rel in files:
            destination = target / rel
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(rendered / rel, destination)
    except OSError as err:
        raise OutputError(f"cannot write into {target}: {err}") from err


def _make_dirs(path: Path) -> list[Path]:
    """Create ``path`` and missing parents; return those created, outermost first."""
    missing = []
    for candidate in [path, *path.parents]:
        if candidate.exists():
            break
        missing.append(candidate)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create {path}: {err.strerror}") from err
    return list(reversed(missing))


def _make_scratch(output: Path, slug: str) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix=f".{slug}-", dir=output))
    except OSError as err:
        raise OutputError(f"cannot write in {output}: {err.strerror}") from err


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block is done, then deliver them.

    Only the main thread receives them; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _remove_tree(path: Path) -> None:
    """Remove ``path``, again if a process that was just killed still added to it."""
    for _ in range(5):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            return
        time.sleep(0.05)


def _remove_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):
        directory.rmdir()


def _display_path(path: Path) -> str:
    """Return ``path`` relative to the working directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
