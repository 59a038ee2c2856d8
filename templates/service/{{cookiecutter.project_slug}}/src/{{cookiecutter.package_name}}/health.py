"""Liveness and readiness probes."""

from collections.abc import Callable

from flask import Blueprint, Flask, current_app

from . import __version__

bp = Blueprint("health", __name__)

Check = Callable[[], object]


class NotReady(Exception):
    """Raised by a readiness check with the reason, which /readyz shows."""


def add_readiness_check(app: Flask, name: str, check: Check) -> None:
    """Make ``/readyz`` call ``check``; the service is not ready while it raises."""
    app.extensions.setdefault("readiness_checks", {})[name] = check


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Answer while the process can serve requests at all."""
    return {
        "status": "ok",
        "service": current_app.config["SERVICE_NAME"],
        "version": __version__,
    }


@bp.get("/readyz")
def readyz() -> tuple[dict[str, object], int]:
    """Answer 200 when every dependency works, 503 while one does not."""
    checks: dict[str, str] = {}
    for name, check in current_app.extensions.get("readiness_checks", {}).items():
        try:
            check()
        except NotReady as reason:
            current_app.logger.warning("Not ready: %s: %s", name, reason)
            checks[name] = str(reason)
        except Exception:
            current_app.logger.exception("Readiness check %r failed", name)
            checks[name] = "unavailable"
        else:
            checks[name] = "ok"
    ready = all(state == "ok" for state in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return body, 200 if ready else 503
