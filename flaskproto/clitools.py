"""Pieces the commands share: errors, JSON output, exit-code epilogs, completion."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from .errors import INTERRUPTED, FlaskprotoError, exit_codes_for

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

F = TypeVar("F", bound=Callable[..., object])


#: ``--json``, as every command that has it spells it.
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout."
)
#: The folder of a service (or of several) a command works on; here by default.
path_argument = click.argument(
    "path", default=".", type=click.Path(file_okay=False, exists=True)
)


def features_option(help: str) -> Callable[[F], F]:
    """``--with``, comma-separated and repeatable, completed from the catalogue."""
    return click.option(
        "--with",
        "features",
        multiple=True,
        metavar="FEATURE[,FEATURE...]",
        shell_complete=complete_features,
        help=help,
    )


def exit_codes_epilog(command: str) -> str:
    """The "Exit codes" section of ``command``'s --help, from the one table."""
    codes = exit_codes_for(command)
    lines = [f"  {code:<4} {meaning}" for code, meaning in codes.items()]
    return "\b\nExit codes:\n" + "\n".join(lines)


def echo_json(data: object) -> None:
    # json is imported here, not at the top: --help and --version never need it.
    import json

    click.echo(json.dumps(data, ensure_ascii=False))


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def reports_errors(func: F) -> F:
    """Turn expected failures into one line on stderr and their exit code."""

    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return func(*args, **kwargs)
        except FlaskprotoError as err:
            fail(str(err), err.exit_code)
        except KeyboardInterrupt:
            fail("interrupted; nothing half-made was left behind", INTERRUPTED)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


def complete_features(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Complete the last name of a comma-separated --with value."""
    from click.shell_completion import CompletionItem

    from .features import catalogue
    from .templates import load_template

    done, comma, last = incomplete.rpartition(",")
    taken = set(done.split(","))
    return [
        CompletionItem(f"{done}{comma}{name}", help=feature.help)
        for name, feature in catalogue(load_template()).items()
        if name.startswith(last) and name not in taken
    ]
