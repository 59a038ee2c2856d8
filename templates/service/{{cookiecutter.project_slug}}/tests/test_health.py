from {{ cookiecutter.package_name }} import __version__
from {{ cookiecutter.package_name }}.health import add_readiness_check


def test_healthz(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "service": app.config["SERVICE_NAME"],
        "version": __version__,
    }


def test_readyz_is_200_while_every_check_passes(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert all(state == "ok" for state in response.json["checks"].values())


def test_readyz_is_503_while_a_check_fails(app, client):
    def upstream_down():
        raise ConnectionError("upstream unreachable")

    add_readiness_check(app, "cache", lambda: None)
    add_readiness_check(app, "upstream", upstream_down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["cache"] == "ok"
    assert response.json["checks"]["upstream"] == "unavailable"
    assert "upstream unreachable" not in response.text
