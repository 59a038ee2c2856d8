import pytest

from flaskproto.context import build_context, parse_assignments
from flaskproto.errors import InvalidInput
from flaskproto.naming import derive_names
from flaskproto.templates import load_template


@pytest.fixture
def template():
    return load_template("service")


def values(template, name="Order Service", overrides=None):
    context = build_context(template, derive_names(name), overrides or {})
    return context["cookiecutter"]


def test_defaults_come_from_cookiecutter_json(template):
    context = values(template)
    assert context["project_slug"] == "order-service"
    assert context["package_name"] == "order_service"
    assert context["description"] == template.variables["description"]
    assert set(context) == set(template.variables)


@pytest.mark.parametrize(
    "value",
    [
        "{{ cookiecutter.project_name }} {% if 1 %}x{% endif %}",
        '{{ "\\" }} {% raw %}{% endraw %} \\U0001F600 "quoted" \'single\'',
        "emoji \U0001f600, tab\t, line\nbreak",
    ],
    ids=["jinja", "escapes", "unicode"],
)
def test_overrides_are_kept_as_data(template, value):
    assert values(template, "x1", {"description": value})["description"] == value


def test_package_name_can_be_set_and_is_checked(template):
    assert values(template, overrides={"package_name": "orders"})["package_name"] == (
        "orders"
    )
    names = derive_names("Order Service")
    with pytest.raises(InvalidInput, match="Python keyword"):
        build_context(template, names, {"package_name": "def"})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"descripton": "x"}, "did you mean 'description'"),
        ({"nothing_like_it": "x"}, "no such variable"),
        ({"project_name": "x"}, "NAME itself"),
        ({"version": "one"}, "not a release number"),
        ({"version": "\u0661.\u0662"}, "not a release number"),
        ({"author_email": "nobody"}, "not an e-mail address"),
        ({"author_email": 'a"b\\@example.org'}, "not an e-mail address"),
        ({"author_name": "Ada\nLovelace"}, "one line"),
        ({"author_name": " <.> "}, "needs a character"),
        ({"python_version": "2.7"}, "3.10 or newer"),
        ({"description": "nul\x00byte"}, "NUL"),
        ({"description": "bad \udcff surrogate"}, "not valid Unicode"),
        ({"project_slug": "Not A Slug"}, "starts with a lowercase letter"),
        ({"package_name": "Cafe-API"}, "starts with a lowercase letter"),
    ],
    ids=[
        "typo",
        "unknown",
        "name",
        "version",
        "version-arabic-digits",
        "email",
        "email-metadata-refuses",
        "author-two-lines",
        "author-no-name",
        "python",
        "nul",
        "surrogate",
        "slug",
        "package",
    ],
)
def test_bad_values_are_refused(template, overrides, message):
    with pytest.raises(InvalidInput, match=message):
        build_context(template, derive_names("Order Service"), overrides)


def test_parse_assignments_splits_on_the_first_equals():
    assert parse_assignments(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}


@pytest.mark.parametrize(
    "pair", ["novalue", "=x", " =x"], ids=["no-equals", "no-key", "blank-key"]
)
def test_parse_assignments_refuses_malformed_pairs(pair):
    with pytest.raises(InvalidInput, match="KEY=VALUE"):
        parse_assignments([pair])
