import pytest

from flaskproto.errors import InvalidInput
from flaskproto.naming import MAX_NAME_LENGTH, MAX_SLUG_LENGTH, derive_names


@pytest.mark.parametrize(
    ("name", "slug", "package"),
    [
        ("Order Service", "order-service", "order_service"),
        ("order-service", "order-service", "order_service"),
        ("order_service", "order-service", "order_service"),
        ("  Order   Service  ", "order-service", "order_service"),
        ("Café API", "cafe-api", "cafe_api"),
        ("Ünïcödé Straße", "unicode-strasse", "unicode_strasse"),
        ('Bob\'s "Quoted" API', "bob-s-quoted-api", "bob_s_quoted_api"),
        ("API v2", "api-v2", "api_v2"),
        ("match", "match", "match"),
    ],
    ids=[
        "spaces",
        "dashes",
        "underscores",
        "padding",
        "accent",
        "german",
        "quotes",
        "digits",
        "soft-keyword",
    ],
)
def test_derive_names(name, slug, package):
    names = derive_names(name)
    assert names.project_name == name.strip()
    assert names.project_slug == slug
    assert names.package_name == package


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("!!!", "no letters or digits"),
        ("2fast", "must start with a"),
        ("class", "Python keyword"),
        ("import", "Python keyword"),
        ("json", "standard-library module"),
        ("Logging", "standard-library module"),
        ("flask", "dependency of the generated service"),
        ("Werkzeug", "dependency of the generated service"),
        ("jinja2", "dependency of the generated service"),
        ("click", "dependency of the generated service"),
        ("pytest", "dependency of the generated service"),
        ("gunicorn", "dependency of the generated service"),
        ("tests", "generated layout"),
        ("a/b", "looks like a path"),
        ("a\\b", "looks like a path"),
        ("..", "looks like a path"),
        ("x..y", "looks like a path"),
        ("tab\there", "control or invisible"),
        ("new\nline", "control or invisible"),
        ("rtl\u202emark", "control or invisible"),
        ("n" * (MAX_NAME_LENGTH + 1), "characters long"),
        ("n" * (MAX_SLUG_LENGTH + 1), "at most 40"),
    ],
    ids=[
        "empty",
        "blank",
        "punctuation",
        "digit-first",
        "keyword",
        "keyword-import",
        "stdlib",
        "stdlib-case",
        "flask",
        "werkzeug",
        "jinja2",
        "click",
        "pytest",
        "gunicorn",
        "layout",
        "slash",
        "backslash",
        "dotdot",
        "inner-dotdot",
        "tab",
        "newline",
        "rtl-mark",
        "too-long",
        "slug-too-long",
    ],
)
def test_refused_names_say_why(name, reason):
    with pytest.raises(InvalidInput, match=reason) as info:
        derive_names(name)
    assert "\n" not in str(info.value)
