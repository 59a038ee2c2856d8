"""Check the settings the service reads, without serving:

    python -m {{ cookiecutter.package_name }}

exits with 1, and the reason on one line, when the service would refuse to
serve with them. gunicorn.conf.py runs it before any worker starts.
"""

import sys

from . import check_settings
from .config import ConfigError


def main() -> int:
    try:
        check_settings()
    except ConfigError as err:
        print(f"Error: {err.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
