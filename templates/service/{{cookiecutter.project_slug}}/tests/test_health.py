from {{ cookiecutter.package_name }}.health import add_readiness_check


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "service": {{ cookiecutter.project_name|py_str }}}


def test_readyz_without_checks_is_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {}}


def test_readyz_is_503_while_a_check_fails(app, client):
    def database_down():
        raise ConnectionError("database unreachable")

    add_readiness_check(app, "cache", lambda: None)
    add_readiness_check(app, "database", database_down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "checks": {"cache": "ok", "database": "unavailable"},
    }
    assert "database unreachable" not in response.text
