"""JSON bodies for every HTTP error
{%- if cookiecutter.with_api %}, and their schemas in /openapi.json{% endif %}."""

{% if cookiecutter.with_api -%}
from apiflask import HTTPError, Schema
from apiflask.fields import Dict, Integer, List, Nested, String
{% endif -%}
from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException, NotFound
{%- if cookiecutter.with_api %}
from werkzeug.http import HTTP_STATUS_CODES
{%- endif %}


def init_app(app: Flask) -> None:
    """Answer every HTTP error, including unhandled exceptions, as JSON."""
{%- if cookiecutter.with_api %}
    # /openapi.json describes error bodies with these schemas.
    app.config["HTTP_ERROR_SCHEMA"] = ErrorOut
    app.config["VALIDATION_ERROR_SCHEMA"] = ValidationErrorOut
    # APIFlask raises its own HTTPError for input that fails validation: the
    # same body, plus the messages for each field in "detail". Registering the
    # processor also routes Werkzeug's errors to it, so the handler below,
    # which keeps their descriptions, comes after.
    app.error_processor(api_error)  # type: ignore[attr-defined]
{%- endif %}
    app.register_error_handler(HTTPException, _as_json)


def _as_json(error: HTTPException) -> Response:
    # Start from the exception's own response so headers such as Allow on 405
    # survive. Unhandled exceptions arrive here as a generic 500: Flask has
    # logged them, and no detail of them reaches the client.
    response = error.get_response()
    message = error.description
    if isinstance(error, NotFound) and message == NotFound.description:
        # Werkzeug's text speaks of URLs typed by hand; say what was asked.
        message = f"There is nothing at {request.path}."
    response.data = json.dumps(
        {"error": error.name, "status": error.code, "message": message}
    )
    response.content_type = "application/json"
    return response
{%- if cookiecutter.with_api %}


def api_error(error: HTTPError) -> tuple[dict, int, dict]:
    """The JSON answer to an APIFlask error: invalid input, or no signed-in user."""
    body = {
        "error": HTTP_STATUS_CODES.get(error.status_code, "Error"),
        "status": error.status_code,
        "message": error.message,
        "detail": error.detail,
    }
    return body, error.status_code, dict(error.headers or {})


class ErrorOut(Schema):
    error = String(required=True, metadata={"description": "The status's name."})
    status = Integer(required=True, metadata={"description": "The status code."})
    message = String(required=True, metadata={"description": "What went wrong."})
    detail = Dict(metadata={"description": "More about it, when there is more."})


class FieldErrors(Schema):
    """The messages for each field that failed, by where the field was sent."""

    json = Dict(keys=String(), values=List(String()))
    query = Dict(keys=String(), values=List(String()))


class ValidationErrorOut(ErrorOut):
    detail = Nested(FieldErrors, required=True)
{%- endif %}
