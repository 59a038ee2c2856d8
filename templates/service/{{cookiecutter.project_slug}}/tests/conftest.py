{% if cookiecutter.with_db -%}
import os
{% endif -%}
{% if cookiecutter.with_auth -%}
import secrets
{% endif -%}
{% if cookiecutter.with_db %}
{% endif -%}
import pytest
{%- if cookiecutter.with_db %}
from flask_migrate import downgrade, upgrade
{%- endif %}

from {{ cookiecutter.package_name }} import create_app
{%- if cookiecutter.with_auth %}
from {{ cookiecutter.package_name }}.auth import User
{%- endif %}
{%- if cookiecutter.with_db %}
from {{ cookiecutter.package_name }}.db import db
{%- endif %}
{%- if cookiecutter.with_auth %}

# A new password on each run: no password is written in the code.
PASSWORD = secrets.token_urlsafe(16)
{%- endif %}
{% if cookiecutter.with_db %}

@pytest.fixture
def app(tmp_path):
    # A fresh SQLite file per test, or the database in TEST_DATABASE_URL (for
    # example a PostgreSQL one), brought to the latest revision by the real
    # migrations and taken back down afterwards.
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite'}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-" * 8,
            "SQLALCHEMY_DATABASE_URI": url,
{%- if cookiecutter.with_auth %}
            # Still a salted hash, with fewer rounds: the default, scrypt, is
            # slow on purpose. test_auth checks the default on its own.
            "HASH_METHOD": "pbkdf2:sha256:1000",
{%- endif %}
        }
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
{%- else %}

@pytest.fixture
def app():
    return create_app({"TESTING": True, "SECRET_KEY": "test-" * 8})
{%- endif %}


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
{%- if cookiecutter.with_auth %}


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(app):
    with app.app_context():
        user = User(email="ada@example.com")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user.to_dict()


@pytest.fixture
def auth_headers(app, user):
    """Headers of a signed-in API client, from a client of its own."""
    response = app.test_client().post(
        "/auth/login", json={"email": user["email"], "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {response.json['token']}"}
{%- endif %}
