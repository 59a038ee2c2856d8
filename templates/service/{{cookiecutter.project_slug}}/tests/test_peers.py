import json
import socket
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from flask import g

from {{ cookiecutter.package_name }} import peers


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def echo(environ, start_response):
    """A service that answers with what it was sent."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    answer = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "request_id": environ.get("HTTP_X_REQUEST_ID"),
        "body": json.loads(environ["wsgi.input"].read(length) or "null"),
    }
    status = "404 Not Found" if environ["PATH_INFO"] == "/missing" else "200 OK"
    start_response(status, [("Content-Type", "application/json")])
    return [json.dumps(answer).encode()]


@pytest.fixture
def echo_service(monkeypatch):
    server = make_server("127.0.0.1", 0, echo, handler_class=QuietHandler)
    # serve_forever checks for shutdown() every poll_interval: 0.5 s unless told.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    monkeypatch.setenv("ECHO_SERVICE_URL", f"http://127.0.0.1:{server.server_port}/")
    yield
    server.shutdown()
    server.server_close()


def test_a_call_forwards_the_request_id_and_the_json_body(app, echo_service):
    with app.test_request_context():
        g.request_id = "trace-42"
        status, answer = peers.call(
            "echo-service", "/orders", method="POST", body={"total": 3}
        )
    assert status == 200
    assert answer == {
        "method": "POST",
        "path": "/orders",
        "request_id": "trace-42",
        "body": {"total": 3},
    }


def test_an_error_status_is_returned_not_raised(app, echo_service):
    with app.app_context():
        status, answer = peers.call("echo-service", "/missing")
    assert status == 404
    assert answer["request_id"] is None  # no request being served, no ID to pass


def test_a_service_that_never_answers_times_out(app, monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        monkeypatch.setenv("SILENT_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        with app.app_context(), pytest.raises(peers.PeerError, match="did not answer"):
            peers.call("silent", "/", timeout=0.2)


@pytest.mark.parametrize(
    ("value", "message"),
    [(None, "SHIPPING_URL is not set"), ("file:///etc/passwd", "not an http")],
)
def test_a_service_without_a_usable_url_is_refused(monkeypatch, value, message):
    if value is None:
        monkeypatch.delenv("SHIPPING_URL", raising=False)
    else:
        monkeypatch.setenv("SHIPPING_URL", value)
    with pytest.raises(peers.PeerError, match=message):
        peers.url_of("shipping")
