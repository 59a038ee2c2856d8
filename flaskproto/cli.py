"""The ``flaskproto`` command line: parse options, call the library, print."""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING, NoReturn

import click

from . import __version__

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from .check import CheckReport, Step

from .cli_resource import add, remove
from .cli_update import check_update_command, update
from .clitools import complete_features, echo_json, exit_codes_epilog, reports_errors
from .output import Progress, status, styled

#: Exit codes of flaskproto check, and of flaskproto new --check.
CHECK_EXIT_CODES = {
    8: "a check failed",
    9: "no check failed, but one could not run (pytest, ruff or gunicorn missing)",
}


def _complete_templates(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Complete bundled template names; paths and URLs are the shell's to complete."""
    from click.shell_completion import CompletionItem

    from .templates import bundled_template_names

    names = [n for n in bundled_template_names() if n.startswith(incomplete)]
    return [CompletionItem(name) for name in names]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, prog_name="flaskproto", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Start a Flask microservice that runs, is tested and is ready to deploy."""


@cli.command(
    short_help="Create a new service.", epilog=exit_codes_epilog(CHECK_EXIT_CODES)
)
@click.argument("name")
@click.option(
    "-o",
    "--output-dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory to create the project in; it is made if missing.",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="KEY=VALUE",
    help="Set a template variable, e.g. --set description='Orders API'. Repeatable.",
)
@click.option(
    "--with",
    "features",
    multiple=True,
    metavar="FEATURE[,FEATURE...]",
    shell_complete=complete_features,
    help="Add features, e.g. --with db,api; what they require comes too."
    " Repeatable. See: flaskproto features.",
)
@click.option(
    "--template",
    default="service",
    show_default=True,
    metavar="NAME|PATH|GIT-URL",
    shell_complete=_complete_templates,
    help="A bundled template (see flaskproto templates), a cookiecutter template"
    " directory, or a git URL of one.",
)
@click.option(
    "--replay",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Make the service with the features and --set values recorded in another"
    " project's .flaskproto.json; --with and --set add to them.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Render into an existing directory, replacing the template's own files"
    " and leaving every other file alone.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="List the files that would be written; write nothing.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout."
)
@click.option(
    "--git/--no-git",
    default=None,
    help="Make a git repository with an initial commit. Default: when git is on"
    " PATH and the output directory is not in a repository already.",
)
@click.option(
    "--install",
    is_flag=True,
    help="Then create .venv in the project and install it, editable, with its"
    " test extra (uv when on PATH, else venv and pip).",
)
@click.option(
    "--check",
    "run_check",
    is_flag=True,
    help="Then check the new service as flaskproto check does (for CI smoke jobs).",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Print only the new project's path: no progress, no next steps.",
)
@click.option(
    "--no-input",
    is_flag=True,
    help="Ask no questions, even at a terminal. Without a terminal nothing is"
    " asked and stdin is never read.",
)
@reports_errors
def new(
    name: str,
    output_dir: str,
    assignments: tuple[str, ...],
    features: tuple[str, ...],
    template: str,
    replay: str | None,
    force: bool,
    dry_run: bool,
    as_json: bool,
    git: bool | None,
    install: bool,
    run_check: bool,
    quiet: bool,
    no_input: bool,
) -> None:
    """Create the service NAME in --output-dir.

    NAME is a human name such as "Order Service": it gives the directory and
    distribution name (order-service) and the Python package (order_service).
    """
    from .context import parse_assignments
    from .create import create_project
    from .features import split_names

    context = parse_assignments(assignments)
    wanted = split_names(features)
    if replay is not None:
        from .replay import load_answers

        answers = load_answers(replay)
        context = {**answers.overrides, **context}
        wanted = [*answers.features, *wanted]
    # Questions only for a person at a terminal: never in CI, pipes or --no-input.
    interactive = not (no_input or quiet or as_json or dry_run) and _at_a_terminal()
    if interactive:
        from .prompts import ask

        context, wanted = ask(name, context, wanted)
    progress = Progress(quiet)
    try:
        result = create_project(
            name,
            output_dir,
            context=context,
            features=wanted,
            template=template,
            force=force,
            dry_run=dry_run,
            git=git,
            install=install,
            progress=progress,
        )
    finally:
        progress.done()
    report = None
    if run_check and not result.dry_run:
        report = _check(result.path, quiet=as_json or quiet)
    if as_json:
        data = result.to_dict()
        if report is not None:
            data["check"] = report.to_dict()
        echo_json(data)
        _exit_for(report)
        return
    if quiet:
        click.echo(str(result.path))
        _exit_for(report)
        return
    names = result.names
    what = (
        f"{names.project_name}"
        f" (directory {names.project_slug}, package {names.package_name})"
    )
    features_line = _describe_features(result.features.names, result.features.added)
    if result.dry_run:
        click.echo(f"Would create {what} at {result.path}, {len(result.files)} files:")
        click.echo(features_line)
        for path in result.files:
            click.echo(f"  {path}")
        git_state = (
            "would be initialised" if result.git == "initialised" else result.git
        )
        click.echo(f"git: {git_state}")
        return
    click.echo(f"{styled('Created', 'green', bold=True)} {what} at {result.path}")
    click.echo(f"  {features_line}")
    click.echo(f"  {len(result.files)} files; git: {result.git}")
    if result.installed_with is not None:
        click.echo(f"  installed into .venv with {result.installed_with}")
    click.echo("\nNext steps:")
    for step in result.next_steps:
        click.echo(f"  {step}")
    if interactive:
        click.echo("\nThe same again, without questions:")
        click.echo(f"  {result.command}")
    _exit_for(report)


def _check(path: str | os.PathLike[str], quiet: bool) -> CheckReport:
    from .check import check_project

    def start(report: CheckReport) -> None:
        environment = report.environment
        click.echo(
            f"Checking {report.path} with {environment.kind} ({environment.python})"
        )

    def show(step: Step) -> None:
        click.echo(
            f"{status(f'{step.status:<8}')} {step.name:<7} {step.seconds:7.2f}s"
            f"  {step.detail}"
        )

    report = check_project(
        path, on_step=None if quiet else show, on_start=None if quiet else start
    )
    if not quiet:
        counts: dict[str, int] = {}
        for step in report.steps:
            counts[step.status] = counts.get(step.status, 0) + 1
        total = sum(step.seconds for step in report.steps)
        summary = ", ".join(f"{n} {status}" for status, n in counts.items())
        click.echo(f"{summary} in {total:.2f}s")
    return report


def _exit_for(report: CheckReport | None) -> None:
    if report is None or report.passed:
        return
    failed = any(step.status == "failed" for step in report.steps)
    sys.exit(8 if failed else 9)


@cli.command(
    short_help="Check a generated service.", epilog=exit_codes_epilog(CHECK_EXIT_CODES)
)
@click.argument("path", default=".", type=click.Path(file_okay=False, exists=True))
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout."
)
@reports_errors
def check(path: str, as_json: bool) -> None:
    """Check the service at PATH (default: here) as installed: in its .venv, else
    in the active virtualenv when it is installed there, else in a throwaway
    virtualenv (uv when on PATH); the first line says which. Import its app
    factory, run its tests, run ruff when installed, serve it with gunicorn on a
    free 127.0.0.1 port and request /, /healthz and /readyz. One line per step,
    then a summary."""
    report = _check(path, quiet=as_json)
    if as_json:
        echo_json(report.to_dict())
    _exit_for(report)


def _at_a_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _describe_features(names: list[str], added: dict[str, str]) -> str:
    if not names:
        return "features: none (add some with --with; see flaskproto features)"
    notes = [f"{name} for {added[name]}" for name in names if name in added]
    extra = f" (added: {', '.join(notes)})" if notes else ""
    return f"features: {', '.join(names)}{extra}"


@cli.command("templates", short_help="List the bundled templates.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout."
)
@reports_errors
def templates_command(as_json: bool) -> None:
    """List the templates that ship with flaskproto, for --template. Any other
    cookiecutter template works too, by path or git URL."""
    from .features import catalogue
    from .templates import bundled_template_names, load_template

    found = [load_template(name) for name in bundled_template_names()]
    rows = [
        {
            "name": t.name,
            "description": str(t.variables.get("_description", "")),
            "features": list(catalogue(t)),
        }
        for t in found
    ]
    if as_json:
        echo_json({"templates": rows})
        return
    for row in rows:
        click.echo(f"{row['name']}  {row['description']}")


@cli.command("features", short_help="List the features --with can add.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout."
)
@reports_errors
def features_command(as_json: bool) -> None:
    """List each feature of the service template: what it does, the packages it
    adds and the features it requires."""
    from .features import catalogue
    from .templates import load_template

    features = catalogue(load_template())
    if as_json:
        data = {"features": [feature.to_dict() for feature in features.values()]}
        echo_json(data)
        return
    width = max((len(name) for name in features), default=0)
    for feature in features.values():
        click.echo(f"{feature.name:<{width}}  {feature.help}")
        details = [f"adds {', '.join(feature.packages)}"] if feature.packages else []
        if feature.requires:
            details.append(f"requires {', '.join(feature.requires)}")
        if details:
            click.echo(f"{'':<{width}}  ({'; '.join(details)})")


def _terminate(signum: int, frame: object) -> NoReturn:
    # SIGTERM unwinds like Ctrl-C, so partial output is cleaned up on the way out.
    raise KeyboardInterrupt


def main() -> None:
    """Entry point of the ``flaskproto`` console script."""
    signal.signal(signal.SIGTERM, _terminate)
    # One name however it starts (console script or python -m), for usage
    # lines and for shell completion's _FLASKPROTO_COMPLETE variable.
    cli(prog_name="flaskproto")


cli.add_command(update)
cli.add_command(check_update_command)
cli.add_command(add)
cli.add_command(remove)
