"""Run the command line with ``python -m flaskproto``."""

from .cli import main

main()
