"""JSON bodies for every HTTP error."""

{% if cookiecutter.with_api -%}
from apiflask import HTTPError
{% endif -%}
from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException
{%- if cookiecutter.with_api %}
from werkzeug.http import HTTP_STATUS_CODES
{%- endif %}


def init_app(app: Flask) -> None:
    """Answer every HTTP error, including unhandled exceptions, as JSON."""
{%- if cookiecutter.with_api %}
    # APIFlask raises its own HTTPError for input that fails validation: the
    # same body, plus the messages for each field in "detail". Registering the
    # processor also routes Werkzeug's errors to it, so the handler below,
    # which keeps their descriptions, comes after.
    app.error_processor(_api_error)  # type: ignore[attr-defined]
{%- endif %}
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
{%- if cookiecutter.with_api %}


def _api_error(error: HTTPError) -> tuple[dict, int, dict]:
    body = {
        "error": HTTP_STATUS_CODES.get(error.status_code, "Error"),
        "status": error.status_code,
        "message": error.message,
        "detail": error.detail,
    }
    return body, error.status_code, dict(error.headers or {})
{%- endif %}
