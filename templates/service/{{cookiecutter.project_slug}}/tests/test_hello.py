from flask.cli import cli as flask_cli


def test_index_says_hello(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.text == "Hello World!"


def test_flask_routes_lists_every_route(runner):
    result = runner.invoke(flask_cli, ["routes"])
    assert result.exit_code == 0, result.output
    rules = {line.split()[-1] for line in result.output.splitlines()[2:]}
    assert {"/", "/healthz", "/readyz"} <= rules
