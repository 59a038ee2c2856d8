"""Security headers, session cookies
{%- if cookiecutter.with_web %}, and CSRF checks on form posts{% endif %}."""

from flask import Flask, Request, Response
{%- if cookiecutter.with_api or cookiecutter.with_admin %}, request{% endif %}
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
{%- if cookiecutter.with_web %}
from flask_wtf.csrf import CSRFProtect

# Every POST, PUT, PATCH and DELETE must carry the token of the user's session:
# a form's csrf_token field, or an X-CSRFToken header. Views that browsers do
# not call with the session cookie, such as a token-authenticated JSON API,
# opt out with csrf.exempt(view_or_blueprint).
csrf = CSRFProtect()
{%- endif %}

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
{%- if cookiecutter.with_web %}
    # Browsers send the Referer to this origin only: Flask-WTF requires it on
    # HTTPS form posts, and other sites still learn nothing from it.
    "Referrer-Policy": "same-origin",
    # The pages load their stylesheet and icon from, and post their forms to,
    # this origin; nothing else: no scripts, fonts, frames or other origins.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
        " base-uri 'none'; frame-ancestors 'none'"
    ),
{%- else %}
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
{%- endif %}
}

{%- if cookiecutter.with_api %}
# The API docs at /docs load Swagger UI's scripts and styles from this origin
# and fetch /openapi.json from it; Swagger UI draws some icons as data: URLs.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self';"
    " img-src 'self' data:; connect-src 'self'; base-uri 'none';"
    " form-action 'self'; frame-ancestors 'none'"
)
{%- endif %}
{%- if cookiecutter.with_admin %}
# The admin site (Flask-Admin) serves its own scripts, styles and fonts, and
# has inline scripts and styles.
ADMIN_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline';"
    " style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:;"
    " form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
{%- endif %}


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookies, opened only for requests that send one.

    Most requests to a service carry no session cookie; making the cookie's
    signer for each of them would be a good part of a small request's cost.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Add the headers to each response that does not set its own."""
    app.session_interface = SessionCookies()
    app.after_request(_add_headers)
{%- if cookiecutter.with_web %}
    csrf.init_app(app)  # an unsafe request without a valid token gets 400
{%- endif %}


def _add_headers(response: Response) -> Response:
{%- if cookiecutter.with_api %}
    if request.endpoint == "docs.index":
        response.headers.setdefault("Content-Security-Policy", DOCS_POLICY)
{%- endif %}
{%- if cookiecutter.with_admin %}
    if request.path == "/admin" or request.path.startswith("/admin/"):
        response.headers.setdefault("Content-Security-Policy", ADMIN_POLICY)
{%- endif %}
    # One look at the names the response has: Headers.setdefault would raise
    # and catch an exception for each header it adds, on every request.
    present = set(response.headers.keys(lower=True))
    for name, value in HEADERS.items():
        if name.lower() not in present:
            response.headers.add(name, value)
    return response
