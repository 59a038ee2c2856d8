"""The root route: Flask's hello world."""

from flask import Blueprint

bp = Blueprint("hello", __name__)


@bp.get("/")
def index() -> tuple[str, dict[str, str]]:
    """Say hello."""
    return "Hello World!", {"Content-Type": "text/plain; charset=utf-8"}
