import json

import pytest
from flask import current_app

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import ConfigError


def served_lines(capsys, log_format):
    """The lines logged while a request to /things/7 says "handled"."""
    app = create_app({"TESTING": True, "LOG_FORMAT": log_format})

    @app.get("/things/<int:thing_id>")
    def thing(thing_id):
        current_app.logger.info("handled")
        return "ok"

    app.test_client().get("/things/7", headers={"X-Request-ID": "trace-42"})
    return [line for line in capsys.readouterr().out.splitlines() if "handled" in line]


def test_log_lines_carry_the_request_id(capsys):
    lines = served_lines(capsys, "text")
    assert len(lines) == 1
    assert "[trace-42]" in lines[0]
    assert " INFO " in lines[0]


def test_json_log_lines_are_objects_with_the_request_fields(capsys):
    lines = served_lines(capsys, "json")
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["message"] == "handled"
    assert line["level"] == "INFO"
    assert line["logger"] == "{{ cookiecutter.package_name }}"
    assert line["request_id"] == "trace-42"
    assert line["method"] == "GET"
    assert line["route"] == "/things/<int:thing_id>"
    assert line["time"]


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ConfigError, match="FLASK_LOG_FORMAT is 'xml'"):
        create_app({"TESTING": True, "LOG_FORMAT": "xml"})
