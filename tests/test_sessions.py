"""Sign-in on a generated service under gunicorn: signing out, and a new
password, end sessions on the server, whichever worker answers.

A browser's session cookie and an API client's bearer token are kept and
sent again, as someone who copied them would.
"""

import secrets

import pytest

pytestmark = pytest.mark.slow

COMBO = "db+api+auth"


@pytest.fixture(scope="module")
def account(services):
    """A user of its own, so that changing its password leaves others alone."""
    installed = services.install(COMBO)
    email, password = "sessions@example.com", secrets.token_urlsafe(16)
    flask = [services.venv.bin("flask"), "--app", installed.package]
    created = services.venv.run(
        *flask, "user", "create", email, "--password", password,
        cwd=installed.project, env=installed.env,
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    return email, password


def sign_in(served, email, password):
    """Sign in; return the session cookie's header and the token's, apart."""
    response = served.login(email, password)
    assert response.status == 200, response.body
    cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    token = response.json()["token"]
    return {"Cookie": cookie}, {"Authorization": f"Bearer {token}"}


def me(served, headers) -> int:
    return served.request("GET", "/auth/me", headers=headers).status


def test_a_cookie_replayed_after_signing_out_is_refused(services, account):
    served = services.start(COMBO)
    cookie, token = sign_in(served, *account)
    assert me(served, cookie) == 200

    assert served.request("POST", "/auth/logout", headers=cookie).status == 204

    assert me(served, cookie) == 401
    # The token of that sign-in ended with it.
    assert me(served, token) == 401


def test_a_new_password_ends_the_old_sessions_and_tokens(services, account):
    served = services.start(COMBO)
    email, password = account
    old_cookie, old_token = sign_in(served, email, password)
    _, current = sign_in(served, email, password)
    assert (me(served, old_cookie), me(served, old_token)) == (200, 200)
    new = password + "-changed"

    changed = served.request(
        "POST", "/auth/password", {"password": password, "new_password": new}, current
    )

    assert changed.status == 200, changed.body
    assert me(served, old_cookie) == 401
    assert me(served, old_token) == 401
    assert me(served, current) == 401
    fresh = {"Authorization": f"Bearer {changed.json()['token']}"}
    assert me(served, fresh) == 200
    assert served.login(email, password).status == 401
    assert served.login(email, new).status == 200
