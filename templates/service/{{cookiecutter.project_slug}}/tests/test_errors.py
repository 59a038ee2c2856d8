from {{ cookiecutter.package_name }} import create_app


def test_not_found_is_json(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.json["status"] == 404
    assert response.json["error"] == "Not Found"
    assert response.json["message"] == "There is nothing at /no-such-page."


def test_method_not_allowed_keeps_the_allow_header(client):
    response = client.delete("/")
    assert response.status_code == 405
    assert response.mimetype == "application/json"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_unhandled_exception_is_a_json_500_without_details(capsys):
    app = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.json["status"] == 500
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert "secret internal detail" in capsys.readouterr().out
