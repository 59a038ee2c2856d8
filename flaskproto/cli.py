"""The ``flaskproto`` command line: parse options, call the library, print."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

import click

from . import __version__
from .errors import EXIT_CODES, FlaskprotoError

F = TypeVar("F", bound=Callable[..., object])


def _exit_codes_epilog() -> str:
    lines = [f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES.items()]
    return "\b\nExit codes:\n" + "\n".join(lines)


def _echo_json(data: object) -> None:
    # json is imported here, not at the top: --help and --version never need it.
    import json

    click.echo(json.dumps(data, ensure_ascii=False))


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _reports_errors(func: F) -> F:
    """Turn expected failures into one line on stderr and their exit code."""

    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return func(*args, **kwargs)
        except FlaskprotoError as err:
            _fail(str(err), err.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted; nothing half-made was left behind", 130)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, prog_name="flaskproto", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Start a Flask microservice that runs, is tested and is ready to deploy."""


@cli.command(short_help="Create a new service.", epilog=_exit_codes_epilog())
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
    help="Add features, e.g. --with db,api; what they require comes too."
    " Repeatable. See: flaskproto features.",
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
    "--no-input",
    is_flag=True,
    help="Never prompt. flaskproto new does not prompt yet, and never waits on stdin.",
)
@_reports_errors
def new(
    name: str,
    output_dir: str,
    assignments: tuple[str, ...],
    features: tuple[str, ...],
    force: bool,
    dry_run: bool,
    as_json: bool,
    git: bool | None,
    install: bool,
    no_input: bool,
) -> None:
    """Create the service NAME in --output-dir.

    NAME is a human name such as "Order Service": it gives the directory and
    distribution name (order-service) and the Python package (order_service).
    """
    from .context import parse_assignments
    from .create import create_project
    from .features import split_names

    result = create_project(
        name,
        output_dir,
        context=parse_assignments(assignments),
        features=split_names(features),
        force=force,
        dry_run=dry_run,
        git=git,
        install=install,
        progress=lambda line: click.echo(f"{line}...", err=True),
    )
    if as_json:
        _echo_json(result.to_dict())
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
    click.echo(f"Created {what} at {result.path}")
    click.echo(f"  {features_line}")
    click.echo(f"  {len(result.files)} files; git: {result.git}")
    if result.installed_with is not None:
        click.echo(f"  installed into .venv with {result.installed_with}")
    click.echo("\nNext steps:")
    for step in result.next_steps:
        click.echo(f"  {step}")


def _describe_features(names: list[str], added: dict[str, str]) -> str:
    if not names:
        return "features: none (add some with --with; see flaskproto features)"
    notes = [f"{name} for {added[name]}" for name in names if name in added]
    extra = f" (added: {', '.join(notes)})" if notes else ""
    return f"features: {', '.join(names)}{extra}"


@cli.command("features", short_help="List the features --with can add.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout."
)
@_reports_errors
def features_command(as_json: bool) -> None:
    """List each feature of the service template: what it does, the packages it
    adds and the features it requires."""
    from .features import catalogue
    from .templates import load_template

    features = catalogue(load_template())
    if as_json:
        data = {"features": [feature.to_dict() for feature in features.values()]}
        _echo_json(data)
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
    cli()
