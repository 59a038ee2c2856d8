from flask import current_app

from {{ cookiecutter.package_name }} import create_app


def test_log_lines_carry_the_request_id(capsys):
    app = create_app({"TESTING": True})

    @app.get("/log")
    def log():
        current_app.logger.info("handled")
        return "ok"

    app.test_client().get("/log", headers={"X-Request-ID": "trace-42"})
    lines = [line for line in capsys.readouterr().out.splitlines() if "handled" in line]
    assert len(lines) == 1
    assert "[trace-42]" in lines[0]
    assert " INFO " in lines[0]
