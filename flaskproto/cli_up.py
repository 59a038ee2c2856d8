"""The ``flaskproto up`` command: run a workspace's services together."""

from __future__ import annotations

import click

from .clitools import exit_codes_epilog, reports_errors


@click.command(
    "up",
    short_help="Run the services of a workspace together, for development.",
    epilog=exit_codes_epilog("up"),
)
@click.argument("names", nargs=-1)
@click.option(
    "--path",
    default=".",
    type=click.Path(file_okay=False, exists=True),
    help="The workspace: a folder of services, or one service (default: here).",
)
@click.option(
    "--install",
    is_flag=True,
    help="Make a .venv for each service that has none, the service installed.",
)
@reports_errors
def up_command(names: tuple[str, ...], path: str, install: bool) -> None:
    """Run every service of the workspace, or those NAMES, until Ctrl-C.

    Each service first brings its development database to the migrations'
    head (with db), then runs under flask run --debug on its own port,
    reloading when its code changes. Every line is prefixed with the
    service's name. Once all answer /readyz (/healthz for micro services), a
    table of their URLs is printed. Each service gets the others' base URLs
    as settings: ORDERS_URL for the service orders.

    Ctrl-C or SIGTERM stops them all and waits for them. When one fails to
    start or stops by itself, the others are stopped too, its last lines are
    shown, and up exits with status 15.
    """
    from pathlib import Path

    from .up import check_installed, find_runners, install_missing, run

    runners = find_runners(Path(path).resolve(), names)
    if install:
        install_missing(runners, say=click.echo)
    check_installed(runners)
    run(runners)
