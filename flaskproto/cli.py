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

from .cli_config import config_command
from .cli_resource import add, remove
from .cli_up import up_command
from .cli_update import check_update_command, update
from .cli_workspace import services_command
from .clitools import (
    echo_json,
    exit_codes_epilog,
    features_option,
    json_option,
    path_argument,
    reports_errors,
)
from .errors import CHECK_FAILED, CHECK_NOT_RUN
from .output import Progress, status, styled


def _complete_templates(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Complete bundled template names and the config file's aliases.

    Paths and URLs are the shell's to complete.
    """
    from click.shell_completion import CompletionItem

    from .templates import bundled_template_names
    from .userconfig import ConfigError, load_config

    try:
        aliases = list(load_config().aliases)
    except ConfigError:
        aliases = []  # completion stays quiet; new and config say what is wrong
    names = [
        n for n in [*bundled_template_names(), *aliases] if n.startswith(incomplete)
    ]
    return [CompletionItem(name) for name in names]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, prog_name="flaskproto", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Start a Flask microservice that runs, is tested and is ready to deploy."""


class _NewCommand(click.Command):
    """flaskproto new, whose --help lists the service template's variables."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from .prompts import variable_rows
        from .templates import load_template

        rows = variable_rows(load_template())
        with formatter.section("Variables of the service template (--set KEY=VALUE)"):
            formatter.write_dl(rows)
        super().format_epilog(ctx, formatter)


@cli.command(
    cls=_NewCommand, short_help="Create a new service.", epilog=exit_codes_epilog("new")
)
@click.argument("name", required=False)
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
@features_option(
    "Add features, e.g. --with db,api; what they require comes too."
    " Repeatable. See: flaskproto features."
)
@click.option(
    "--template",
    metavar="NAME|PATH|GIT-URL",
    shell_complete=_complete_templates,
    help="A bundled template (see flaskproto templates), a cookiecutter template"
    " directory, or a git URL of one. Default: the --replay project's, else"
    " service.",
)
@click.option(
    "--directory",
    metavar="DIR",
    help="The template's folder inside the --template repository or directory,"
    " for one that holds several templates.",
)
@click.option(
    "--checkout",
    metavar="REF",
    help="The branch, tag or commit of a --template git URL to render.",
)
@click.option(
    "--replay",
    metavar="PROJECT",
    type=click.Path(),
    help="Make the service with the template, features and --set values recorded"
    " in another project (its directory or its .flaskproto.json); --with and"
    " --set add to them.",
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
    help="List the files that would be written; write nothing and run none of"
    " the template's hooks.",
)
@json_option
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
    " test extra (uv when on PATH, else venv and pip), and pin its"
    " dependencies as its template says (the service's requirements.txt).",
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
    name: str | None,
    output_dir: str,
    assignments: tuple[str, ...],
    features: tuple[str, ...],
    template: str | None,
    directory: str | None,
    checkout: str | None,
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
    At a terminal, what was not given is asked for, NAME first.

    With another --template, NAME fills its project_name variable, or else the
    variable its top directory is named after ({{cookiecutter.app_name}} makes
    NAME the app_name); a template with neither is refused. The template
    renders as cookiecutter --no-input renders it, hooks and all; what hooks
    print goes to stderr.
    """
    from .context import parse_assignments
    from .create import create_project
    from .features import split_names

    given = parse_assignments(assignments)
    # Questions only for a person at a terminal: never in CI, pipes or --no-input.
    interactive = not (no_input or quiet or as_json or dry_run) and _at_a_terminal()
    if name is None and not interactive:
        raise click.UsageError(
            "Missing argument 'NAME': give the service's name, such as"
            ' flaskproto new "Order Service"; it is asked for only at a terminal.'
        )
    name, template, context, wanted = _prepare(
        name,
        output_dir,
        given,
        split_names(features) if features else None,
        template=template,
        directory=directory,
        checkout=checkout,
        replay=replay,
        force=force,
        interactive=interactive,
    )
    progress = Progress(quiet)
    try:
        result = create_project(
            name,
            output_dir,
            context=context,
            features=wanted,
            template=template,
            directory=directory,
            checkout=checkout,
            force=force,
            dry_run=dry_run,
            git=git,
            install=install,
            progress=progress,
        )
    finally:
        progress.done()
    if result.workspace_files is not None:
        for note in result.workspace_files.notes:
            click.echo(f"Note: {note}", err=True)
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
        click.echo(f"git: {result.git}")
        if result.hooks_not_run:
            hooks = ", ".join(result.hooks_not_run)
            click.echo(
                f"hooks: not run in a dry run ({hooks}); what they would add or"
                " remove is not listed"
            )
        return
    click.echo(f"{styled('Created', 'green', bold=True)} {what} at {result.path}")
    click.echo(f"  {features_line}")
    click.echo(f"  {len(result.files)} files; git: {result.git}")
    if result.installed_with is not None:
        click.echo(f"  installed into .venv with {result.installed_with}")
    for step in result.locked_with:
        click.echo(f"  dependencies pinned: {step}")
    if result.workspace_files is not None and result.workspace_files.written:
        written = ", ".join(result.workspace_files.written)
        click.echo(f"  workspace files written: {written}")
    click.echo("\nNext steps:")
    for step in result.next_steps:
        click.echo(f"  {step}")
    if interactive:
        click.echo("\nThe same again, without questions:")
        click.echo(f"  {result.command}")
    _exit_for(report)


def _prepare(
    name: str | None,
    output_dir: str,
    given: dict[str, str],
    features: list[str] | None,
    *,
    template: str | None,
    directory: str | None,
    checkout: str | None,
    replay: str | None,
    force: bool,
    interactive: bool,
) -> tuple[str, str, dict[str, str], list[str]]:
    """Return NAME, the template and the --set values and features to make it with.

    They come from the command line, the --replay project, the user's config
    file and git, in that order; at a terminal the person is then asked for
    NAME when not given, and for the template's variables and features. The
    name and its target directory are checked before any other question.
    """
    from pathlib import Path

    from .create import check_new_target
    from .defaults import choose_template, resolve
    from .gitrepo import user_identity
    from .replay import load_answers
    from .templates import open_template
    from .userconfig import load_config

    config = load_config()
    answers = load_answers(replay) if replay is not None else None
    chosen = choose_template(template, answers, config)
    spec = str(chosen.value)
    with open_template(spec, directory=directory, checkout=checkout) as tmpl:
        defaults = resolve(
            tmpl,
            chosen,
            given=given,
            features=features,
            replay=answers,
            config=config,
            git=user_identity(Path.cwd()),
        )
        # A --set key the template lacks stays, for the error that names it.
        context = {**defaults.overrides, **given}
        wanted = defaults.feature_names
        if interactive:
            from .prompts import ask, ask_name

            def check(candidate: str) -> object:
                return check_new_target(
                    tmpl, candidate, output_dir, context, wanted, force
                )

            if name is None:
                name = ask_name(check)
            else:
                check(name)
            context, wanted = ask(tmpl, name, context, wanted)
    if name is None:  # only a terminal asks for it; new refuses before
        raise click.UsageError("Missing argument 'NAME'.")
    return name, spec, context, wanted


def _check(path: str | os.PathLike[str], quiet: bool) -> CheckReport:
    from .check import check_project

    if quiet:
        return check_project(path)
    report = check_project(path, on_step=_show_step, on_start=_show_start)
    click.echo(_summary(report))
    return report


def _show_start(report: CheckReport) -> None:
    environment = report.environment
    click.echo(f"Checking {report.path} with {environment.kind} ({environment.python})")


def _show_step(step: Step) -> None:
    click.echo(
        f"{status(f'{step.status:<8}')} {step.name:<7} {step.seconds:7.2f}s"
        f"  {step.detail}"
    )


def _summary(report: CheckReport) -> str:
    counts: dict[str, int] = {}
    for step in report.steps:
        counts[step.status] = counts.get(step.status, 0) + 1
    total = sum(step.seconds for step in report.steps)
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    return f"{summary} in {total:.2f}s"


def _exit_for(report: CheckReport | None) -> None:
    _exit_for_all([] if report is None else [report])


def _exit_for_all(reports: list[CheckReport]) -> None:
    if all(report.passed for report in reports):
        return
    steps = [step for report in reports for step in report.steps]
    failed = any(step.status == "failed" for step in steps)
    sys.exit(CHECK_FAILED if failed else CHECK_NOT_RUN)


@cli.command(
    short_help="Check a generated service, or every one of a folder.",
    epilog=exit_codes_epilog("check"),
)
@path_argument
@json_option
@reports_errors
def check(path: str, as_json: bool) -> None:
    """Check the service at PATH (default: here) as installed: in its .venv, else
    in the active virtualenv when it is installed there, else in a throwaway
    virtualenv (uv when on PATH); the first line says which. Import its app
    factory, run its tests, run ruff when installed, serve it with gunicorn on a
    free 127.0.0.1 port and request /, /healthz and /readyz. One line per step,
    then a summary.

    PATH may be a folder of services: each is checked in turn, then comes one
    line per service and a last one for all. --json then prints one object
    with a report per service."""
    from .check import check_services

    def done(report: CheckReport) -> None:
        click.echo(_summary(report))

    quiet = as_json
    top, reports = check_services(
        path,
        on_step=None if quiet else _show_step,
        on_start=None if quiet else _show_start,
        on_report=None if quiet else done,
    )
    several = [report.path for report in reports] != [top]
    if as_json:
        if several:
            passed = all(report.passed for report in reports)
            services = [report.to_dict() for report in reports]
            echo_json({"path": str(top), "passed": passed, "services": services})
        else:
            echo_json(reports[0].to_dict())
    elif several:
        click.echo(f"\nSummary of {len(reports)} services in {top}:")
        width = max(len(report.path.name) for report in reports)
        for report in reports:
            verdict = "passed" if report.passed else _verdict(report)
            click.echo(
                f"  {status(f'{verdict:<8}')} {report.path.name:<{width}}"
                f"  {_summary(report)}"
            )
        count = sum(report.passed for report in reports)
        click.echo(f"{count} of {len(reports)} services passed every check")
    _exit_for_all(reports)


def _verdict(report: CheckReport) -> str:
    failed = any(step.status == "failed" for step in report.steps)
    return "failed" if failed else "not run"


def _at_a_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _describe_features(names: list[str], added: dict[str, str]) -> str:
    if not names:
        return "features: none (add some with --with; see flaskproto features)"
    notes = [f"{name} for {added[name]}" for name in names if name in added]
    extra = f" (added: {', '.join(notes)})" if notes else ""
    return f"features: {', '.join(names)}{extra}"


@cli.command(
    "templates",
    short_help="List the bundled templates.",
    epilog=exit_codes_epilog("templates"),
)
@json_option
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


@cli.command(
    "features",
    short_help="List the features --with can add.",
    epilog=exit_codes_epilog("features"),
)
@json_option
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
cli.add_command(config_command)
cli.add_command(check_update_command)
cli.add_command(add)
cli.add_command(remove)
cli.add_command(up_command)
cli.add_command(services_command)
