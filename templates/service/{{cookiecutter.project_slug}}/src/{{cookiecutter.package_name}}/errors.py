"""JSON bodies for every HTTP error."""

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    """Answer every HTTP error, including unhandled exceptions, as JSON."""
    app.register_error_handler(HTTPException, _as_json)


def _as_json(error: HTTPException) -> Response:
    # Start from the exception's own response so headers such as Allow on 405
    # survive. Unhandled exceptions arrive here as a generic 500: Flask has
    # logged them, and no detail of them reaches the client.
    response = error.get_response()
    response.data = json.dumps(
        {"error": error.name, "status": error.code, "message": error.description}
    )
    response.content_type = "application/json"
    return response
