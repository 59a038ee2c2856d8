"""The commands that keep a service current with its template: update, check-update."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from .clitools import (
    echo_json,
    exit_codes_epilog,
    features_option,
    json_option,
    path_argument,
    reports_errors,
)
from .errors import UPDATE_AVAILABLE, MergeConflict

if TYPE_CHECKING:
    from .update import UpdateResult

_TEMPLATE_HELP = (
    "Render this template instead of the one recorded in .flaskproto.json"
    " (a bundled name, a directory or a git URL); update records it."
)
_CHECK_TEMPLATE_HELP = (
    "Compare with this template instead of the one recorded in .flaskproto.json"
    " (a bundled name, a directory or a git URL)."
)


@click.command(
    "update",
    short_help="Merge the template's changes into this service.",
    epilog=exit_codes_epilog("update"),
)
@path_argument
@features_option(
    "Add features, e.g. --with db; what they require comes too. Repeatable."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show the diff the update would merge; write nothing.",
)
@click.option(
    "--adopt",
    is_flag=True,
    help="Give a service without the flaskproto/template branch (made with"
    " --no-git, or by plain cookiecutter) one, changing none of its files.",
)
@click.option("--template", metavar="NAME|PATH|GIT-URL", help=_TEMPLATE_HELP)
@json_option
@reports_errors
def update(
    path: str,
    features: tuple[str, ...],
    dry_run: bool,
    adopt: bool,
    template: str | None,
    as_json: bool,
) -> None:
    """Merge what the template changed into the service at PATH (default: here).

    The template of this flaskproto is rendered with the answers recorded in
    .flaskproto.json, committed on the branch flaskproto/template and merged
    into the current branch with git: your edits stay, the template's changes
    arrive. The work tree must be clean. Conflicts are left as markers in the
    files listed; finish with git add and git commit, or git merge --abort.
    """
    from .update import adopt_service, update_project

    if adopt and (features or dry_run):
        raise click.UsageError("--adopt takes neither --with nor --dry-run")
    try:
        if adopt:
            result = adopt_service(path, template=template)
        else:
            result = update_project(
                path, features=features, dry_run=dry_run, template=template
            )
    except MergeConflict as err:
        conflicted = getattr(err, "result", None)
        if conflicted is not None:
            _show(conflicted, as_json)
        raise
    _show(result, as_json)


@click.command(
    "check-update",
    short_help="Tell whether a template update is waiting (for CI).",
    epilog=exit_codes_epilog("check-update"),
)
@path_argument
@click.option("--template", metavar="NAME|PATH|GIT-URL", help=_CHECK_TEMPLATE_HELP)
@json_option
@reports_errors
def check_update_command(path: str, template: str | None, as_json: bool) -> None:
    """Exit 0 when the service at PATH (default: here) is current with the
    installed template, 13 when flaskproto update has changes to merge. Writes
    nothing."""
    from .update import check_update

    result = check_update(path, template=template)
    if as_json:
        echo_json(result.to_dict())
    elif result.current:
        click.echo(f"{result.path} is current{_version(result.to_version)}.")
    else:
        click.echo(f"An update is waiting for {result.path}: {_summary(result)}.")
        for change in result.changes:
            click.echo(f"  {change.status} {change.path}")
        click.echo("Merge it with: flaskproto update (see it first with --dry-run)")
    if not result.current:
        sys.exit(UPDATE_AVAILABLE)


def _show(result: UpdateResult, as_json: bool) -> None:
    if as_json:
        echo_json(result.to_dict())
        return
    where = result.path
    if result.status == "adopted":
        click.echo(
            f"Adopted{_version(result.to_version)} in {where}: the branch"
            " flaskproto/template now holds its render, merged without changing a"
            " file. flaskproto update brings the template's later changes."
        )
        return
    if result.current:
        click.echo(f"{where} is current{_version(result.to_version)}.")
        return
    if result.dry_run:
        click.echo(f"Would update {where}: {_summary(result)}; the diff to merge:")
        click.echo(result.diff)
        return
    if result.conflicts:
        click.echo(f"Merged into {where} with conflicts: {_summary(result)}.")
        click.echo("Conflicts, marked in the files:")
        for name in result.conflicts:
            click.echo(f"  {name}")
        click.echo("\nNext steps:")
        for step in result.next_steps:
            click.echo(f"  {step}")
        return
    commit = (result.commit or "")[:12]
    click.echo(f"Updated {where}: {_summary(result)}; merge commit {commit}.")
    for change in result.changes:
        click.echo(f"  {change.status} {change.path}")


def _version(version: str | None) -> str:
    return f" with template version {version}" if version else ""


def _summary(result: UpdateResult) -> str:
    parts = [f"template {result.template}"]
    if result.from_version != result.to_version:
        parts.append(f"version {result.from_version} to {result.to_version}")
    if result.added_features:
        parts.append(f"adding {', '.join(result.added_features)}")
    count = len(result.changes)
    parts.append(f"{count} file{'' if count == 1 else 's'} changed by the template")
    return ", ".join(parts)
