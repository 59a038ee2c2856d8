"""The ``flaskproto add`` and ``flaskproto remove`` commands: grow a service."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .clitools import echo_json, exit_codes_epilog, reports_errors

if TYPE_CHECKING:
    from .resource import ResourceResult

_FIELD_HELP = (
    "A field as NAME:TYPE, repeatable. TYPE is str (the default), text, int,"
    " float, decimal, bool, date, datetime or uuid; a trailing ? makes the field"
    " optional (null allowed), =VALUE gives a default: total:decimal,"
    " note:text?, paid:bool=false."
)
_PATH_HELP = "The service, or a directory inside it (default: here)."
_JSON_HELP = "Print one JSON object on stdout, the diff included."


_dry_run_option = click.option(
    "--dry-run",
    is_flag=True,
    help="Print the diff of what would change; write nothing.",
)


@click.group(short_help="Add a part to a service: a REST resource.")
def add() -> None:
    """Add a part to the service made by flaskproto new that holds the
    current directory."""


@click.group(short_help="Take back a part that flaskproto add added.")
def remove() -> None:
    """Take back a part that flaskproto add added to a service."""


@add.command(
    "resource",
    short_help="Add a REST resource: routes, model, migration, tests.",
    epilog=exit_codes_epilog("add resource"),
)
@click.argument("name")
@click.option("--field", "-f", "fields", multiple=True, help=_FIELD_HELP)
@click.option("--path", default=".", type=click.Path(file_okay=False), help=_PATH_HELP)
@_dry_run_option
@click.option("--json", "as_json", is_flag=True, help=_JSON_HELP)
@reports_errors
def add_resource_command(
    name: str, fields: tuple[str, ...], path: str, dry_run: bool, as_json: bool
) -> None:
    """Add the REST resource NAME (singular, such as order or line_item) to a
    service: routes at /api/<plural> to list (paginated), create, get, update
    and delete, JSON in and out, 422 with the errors of each field. With the
    service's features: a SQLAlchemy model and a migration (db), schemas in
    /openapi.json (api), sign-in for writes (auth). Tests for every route join
    the service's suite. All files are written, or none."""
    from .fields import parse_fields
    from .resource import add_resource

    result = add_resource(path, name, parse_fields(fields), dry_run=dry_run)
    _report(result, as_json, "Added")


@remove.command(
    "resource",
    short_help="Remove a resource that flaskproto add resource added.",
    epilog=exit_codes_epilog("remove resource"),
)
@click.argument("name")
@click.option("--path", default=".", type=click.Path(file_okay=False), help=_PATH_HELP)
@click.option(
    "--force", is_flag=True, help="Remove the resource's files even if edited since."
)
@_dry_run_option
@click.option("--json", "as_json", is_flag=True, help=_JSON_HELP)
@reports_errors
def remove_resource_command(
    name: str, path: str, force: bool, dry_run: bool, as_json: bool
) -> None:
    """Remove the resource NAME: delete the module and tests flaskproto add
    resource made and, with db, add a migration that drops its table. Files
    edited since are kept, and nothing changes, unless --force."""
    from .resource import remove_resource

    result = remove_resource(path, name, force=force, dry_run=dry_run)
    _report(result, as_json, "Removed")


def _report(result: ResourceResult, as_json: bool, done: str) -> None:
    if as_json:
        echo_json(result.to_dict())
        return
    if result.dry_run:
        click.echo(result.diff, nl=False)
        return
    from .output import styled

    click.echo(f"{styled(done, 'green', bold=True)} {result.resource} ({result.url})")
    for kind in ("created", "changed", "deleted"):
        for path in result.files(kind):
            click.echo(f"  {kind:<8} {path}")
    click.echo("\nNext steps:")
    for step in result.next_steps:
        click.echo(f"  {step}")
