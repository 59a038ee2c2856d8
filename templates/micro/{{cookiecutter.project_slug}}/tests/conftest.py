import os
import secrets

import pytest

# The application module reads its secret key when it is imported.
os.environ.setdefault("FLASK_SECRET_KEY", secrets.token_hex(32))

from {{ cookiecutter.package_name }} import app as flask_app  # noqa: E402


@pytest.fixture()
def client():
    return flask_app.test_client()
