"""The ``flaskproto services`` command: the services of a workspace at a glance."""

from __future__ import annotations

import click

from .clitools import (
    echo_json,
    exit_codes_epilog,
    json_option,
    path_argument,
    reports_errors,
)

_HEADINGS = ("SERVICE", "PORT", "FLASK RUN", "TEMPLATE", "FEATURES", "UPDATE")


@click.command(
    "services",
    short_help="List the services of this folder, with ports and updates.",
    epilog=exit_codes_epilog("services"),
)
@path_argument
@json_option
@reports_errors
def services_command(path: str, as_json: bool) -> None:
    """List the services made by flaskproto in the folder PATH (default: here;
    inside a service, the folder holding it): each one's directory, the ports
    gunicorn and flask run listen on by default, its template and version, its
    features, and whether flaskproto update has changes for it (current,
    available, or unknown with the reason, such as no git repository)."""
    from .workspace import Workspace

    workspace = Workspace.find(path)
    statuses = workspace.statuses()
    for folder, why in workspace.unreadable:
        click.echo(f"Warning: {folder} is left out: {why}", err=True)
    if as_json:
        echo_json(
            {
                "workspace": str(workspace.root),
                "services": [status.to_dict() for status in statuses],
            }
        )
        return
    if not statuses:
        click.echo(f"No services made by flaskproto in {workspace.root}.")
        return
    rows = [_HEADINGS]
    for status in statuses:
        service = status.service
        version = f" {service.template_version}" if service.template_version else ""
        rows.append(
            (
                service.root.name,
                _port(service.port),
                _port(service.dev_port),
                f"{service.template}{version}",
                ", ".join(service.features) or "-",
                status.update,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADINGS))]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        click.echo("  ".join(cells).rstrip())
    for status in statuses:
        if status.update == "unknown":
            click.echo(f"{status.service.root.name}: {status.detail}")


def _port(port: int | None) -> str:
    return "-" if port is None else str(port)
