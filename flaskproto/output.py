"""How the command line writes: results on stdout, progress on stderr, colour."""

from __future__ import annotations

import os
import sys

import click

_STATUS_COLOURS = {"passed": "green", "failed": "red", "not run": "yellow"}


def styled(text: str, fg: str, *, bold: bool = False) -> str:
    """``text`` in colour, unless NO_COLOR is set (no-color.org).

    click.echo drops the colour again when its stream is not a terminal.
    """
    if os.environ.get("NO_COLOR"):
        return text
    return click.style(text, fg=fg, bold=bold)


def status(text: str) -> str:
    """A check step's status, coloured by what it means."""
    return styled(text, _STATUS_COLOURS.get(text.strip(), "white"))


class Progress:
    """Tell, on stderr, which slow step runs now.

    On a terminal one line is rewritten in place and cleared at the end; in a
    log each step is a line of its own. ``quiet`` says nothing at all.
    """

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.shown = False

    def __call__(self, step: str) -> None:
        if self.quiet:
            return
        if self.tty:
            click.echo(f"\r\033[K{step}...", err=True, nl=False)
            self.shown = True
        else:
            click.echo(f"{step}...", err=True)

    def done(self) -> None:
        if self.shown:
            click.echo("\r\033[K", err=True, nl=False)
            self.shown = False
