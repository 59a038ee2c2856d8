import pytest

from {{ cookiecutter.package_name }}.security import HEADERS


@pytest.mark.parametrize(
    "path", ["/", "/healthz", "/no-such-page"], ids=["ok", "json", "error"]
)
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    for name, value in HEADERS.items():
        assert response.headers[name] == value


def test_a_header_the_view_sets_is_kept(app, client):
    @app.get("/framed")
    def framed():
        return "framed", {"x-frame-options": "SAMEORIGIN"}

    response = client.get("/framed")
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_request_id_is_echoed(client):
    response = client.get("/", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"


def test_request_id_is_generated_when_missing(client):
    first = client.get("/").headers["X-Request-ID"]
    second = client.get("/").headers["X-Request-ID"]
    assert len(first) == 32
    assert first != second


@pytest.mark.parametrize(
    "sent",
    ["line\\nbreak", "x" * 129, "<script>", ""],
    ids=["escape", "long", "markup", "empty"],
)
def test_unsafe_request_id_is_replaced(client, sent):
    received = client.get("/", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
    assert received != sent
    assert len(received) == 32
