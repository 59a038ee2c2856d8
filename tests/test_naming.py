import json
import keyword
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flaskproto import create_project
from flaskproto.errors import InvalidInput
from flaskproto.features import catalogue
from flaskproto.naming import (
    DEPENDENCY_NAMES,
    LAYOUT_NAMES,
    MAX_NAME_LENGTH,
    MAX_SLUG_LENGTH,
    PACKAGE_RULE,
    PROJECT_NAME_RULE,
    SLUG_RULE,
    STARTUP_NAMES,
    check_package_name,
    check_slug,
    derive_names,
    package_problem,
)
from flaskproto.templates import load_template


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
    ("name", "message"),
    [
        ("", "the project name is empty: " + PROJECT_NAME_RULE),
        ("   ", "the project name is empty: " + PROJECT_NAME_RULE),
        (
            "!!!",
            "the project name '!!!' has no letters or digits: " + PROJECT_NAME_RULE,
        ),
        ("2fast", "the project name '2fast' starts with a digit: " + PROJECT_NAME_RULE),
        (
            "123 go",
            "the project name '123 go' starts with a digit: " + PROJECT_NAME_RULE,
        ),
        ("class", "gives the package name 'class', which is a Python keyword"),
        ("import", "gives the package name 'import', which is a Python keyword"),
        ("json", "which would shadow the standard-library module of that name"),
        ("Logging", "which would shadow the standard-library module of that name"),
        ("flask", "which would shadow a package installed with the generated service"),
        ("Werkzeug", "which would shadow a package installed with the generated"),
        ("jinja2", "which would shadow a package installed with the generated"),
        ("click", "which would shadow a package installed with the generated"),
        ("pytest", "which would shadow a package installed with the generated"),
        ("gunicorn", "which would shadow a package installed with the generated"),
        ("SQLAlchemy", "which would shadow a package installed with the generated"),
        ("conftest", "which is a module name Python or pytest imports from"),
        ("sitecustomize", "which is a module name Python or pytest imports from"),
        ("tests", "which is the name of a directory of the generated layout"),
        ("deploy", "which is the name of a directory of the generated layout"),
        ("test orders", "which is named as pytest names test modules"),
        ("Orders Test", "which is named as pytest names test modules"),
        ("a/b", "looks like a path"),
        ("a\\b", "looks like a path"),
        ("..", "looks like a path"),
        ("x..y", "looks like a path"),
        ("tab\there", "control or invisible"),
        ("new\nline", "control or invisible"),
        ("rtl\u202emark", "control or invisible"),
        ("n" * (MAX_NAME_LENGTH + 1), "characters long; at most 64"),
        ("n" * (MAX_SLUG_LENGTH + 1), "characters long; at most 40"),
    ],
    ids=[
        "empty",
        "blank",
        "punctuation",
        "digit-first",
        "digit-first-words",
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
        "feature-dependency",
        "conftest",
        "sitecustomize",
        "layout",
        "layout-feature",
        "test-prefix",
        "test-suffix",
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
def test_refused_names_say_why(name, message):
    with pytest.raises(InvalidInput) as info:
        derive_names(name)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_refused_package_name_speaks_of_package_names_only():
    with pytest.raises(InvalidInput) as info:
        check_package_name("Cafe-API")
    assert str(info.value) == f"package_name 'Cafe-API' cannot be used: {PACKAGE_RULE}"
    with pytest.raises(InvalidInput) as info:
        check_package_name("conftest")
    assert "project name" not in str(info.value)


def test_a_refused_directory_name_says_the_directory_rule():
    with pytest.raises(InvalidInput) as info:
        check_slug("Cafe_API")
    assert str(info.value) == f"project_slug 'Cafe_API' cannot be used: {SLUG_RULE}"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_every_name_is_refused_in_one_line_or_gives_names_the_rule_accepts(name):
    try:
        names = derive_names(name)
    except InvalidInput as err:
        assert "\n" not in str(err) and str(err)
        return
    check_slug(names.project_slug)
    check_package_name(names.package_name)
    assert names.project_slug.replace("-", "_") == names.package_name
    assert names.package_name.isidentifier() and names.package_name.isascii()


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[a-z][a-z0-9_]{0,39}", fullmatch=True))
def test_an_accepted_package_name_shadows_nothing_around_the_service(package):
    if package_problem(package) is not None:
        return
    assert not keyword.iskeyword(package)
    assert package not in sys.stdlib_module_names
    assert package not in DEPENDENCY_NAMES | STARTUP_NAMES | LAYOUT_NAMES
    assert not package.startswith("test_") and not package.endswith("_test")


#: Every feature of the service template, so the names below come from the
#: rendered layout and the installed packages, not from a list.
ALL_FEATURES = list(catalogue(load_template()))


def test_no_module_or_directory_of_the_layout_can_be_a_package_name(tmp_path):
    project = create_project(
        "Layout Probe", tmp_path, features=ALL_FEATURES, git=False
    ).path
    # What Python could import by name: the top-level directories and modules,
    # and the test modules pytest puts on sys.path by their base names.
    taken = {
        path.name if path.is_dir() else path.stem
        for path in project.iterdir()
        if path.is_dir() or path.suffix == ".py"
    }
    taken |= {path.stem for path in (project / "tests").rglob("*.py")}
    taken = {name for name in taken if name.isidentifier()}
    assert {"conftest", "tests", "src", "deploy", "test_health"} <= taken
    assert [name for name in sorted(taken) if package_problem(name) is None] == []


#: Prints the top-level import names of a distribution and all it requires,
#: extras included, as installed; and of pip and setuptools, which a virtualenv
#: made by python3 -m venv holds.
INSTALLED_NAMES = """
import importlib.metadata as metadata, json, sys
from packaging.requirements import Requirement

def top_level(dist):
    names = set((dist.read_text("top_level.txt") or "").split())
    for file in dist.files or []:
        first = file.parts[0] if file.parts else ""
        if len(file.parts) == 1:
            first = first.removesuffix(".py") if first.endswith(".py") else ""
        names.add(first)
    return names

names, seen = set(), set()
todo = [(sys.argv[1], ("test", "postgres"))]
todo += [("ruff", ()), ("pip", ()), ("setuptools", ())]
while todo:
    name, extras = todo.pop()
    if (name.lower(), extras) in seen:
        continue
    seen.add((name.lower(), extras))
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        continue
    names |= top_level(dist)
    for line in dist.requires or []:
        req = Requirement(line)
        if req.marker is None or any(
            req.marker.evaluate({"extra": extra}) for extra in extras or ("",)
        ):
            todo.append((req.name, tuple(sorted(req.extras))))
print(json.dumps(sorted(n for n in names if n.isidentifier())))
"""


@pytest.mark.slow
def test_nothing_installed_beside_a_service_can_be_its_package_name(
    service_venv, tmp_path
):
    project = create_project(
        "Installed Probe", tmp_path, features=ALL_FEATURES, git=False
    ).path
    service_venv.pip("--no-build-isolation", f"{project}[test,postgres]", "ruff")
    result = service_venv.run(
        service_venv.bin("python"), "-c", INSTALLED_NAMES, "installed-probe"
    )
    assert result.returncode == 0, result.stderr
    installed = set(json.loads(result.stdout))
    assert {"flask", "sqlalchemy", "pytest", "gunicorn", "pip"} <= installed
    unguarded = [
        name
        for name in sorted(installed - {"installed_probe"})
        if not name.startswith("_") and package_problem(name) is None
    ]
    assert unguarded == []
