"""The template's filters write any text as a literal that reads back unchanged."""

import ast
import importlib.util
import tomllib

import pytest

from flaskproto.templates import load_template

_spec = importlib.util.spec_from_file_location(
    "literals", load_template("service").path / "local_extensions.py"
)
literals = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(literals)

SAMPLES = [
    "plain",
    "Bob's",
    'say "hi"',
    'both \' and ""',
    "back\\slash\\'",
    "new\nline\r\ttab",
    "nul\x00del\x7fbell\x07",
    "😀 é ü 中文",
    "{{ cookiecutter.project_name }}{% raw %}{# x #}",
    '"""triple""" and \'\'\'',
    "\u202eright-to-left",
]
IDS = [
    "plain",
    "apostrophe",
    "quotes",
    "both",
    "backslash",
    "whitespace",
    "control",
    "unicode",
    "jinja",
    "triple",
    "rtl",
]


@pytest.mark.parametrize("value", SAMPLES, ids=IDS)
def test_py_str_reads_back(value):
    literal = literals.py_str(value)
    assert ast.literal_eval(literal) == value


@pytest.mark.parametrize(
    ("value", "quote"),
    [("x", '"'), ("it's", '"'), ('a "b"', "'"), ("'\"", '"')],
    ids=["plain", "apostrophe", "more-double", "tie"],
)
def test_py_str_quotes_like_ruff_format(value, quote):
    assert literals.py_str(value)[0] == quote


@pytest.mark.parametrize("value", SAMPLES, ids=IDS)
def test_toml_str_reads_back(value):
    assert tomllib.loads(f"key = {literals.toml_str(value)}")["key"] == value


@pytest.mark.parametrize(
    ("value", "markdown"),
    [
        ("plain text.", "plain text."),
        ("*bold* _it_ `code`", "\\*bold\\* \\_it\\_ \\`code\\`"),
        ("<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"),
        ("[link](http://x)", "\\[link\\](http://x)"),
        ("# heading", "\\# heading"),
        ("- item\n1. item", "\\- item\n1\\. item"),
        ("a\r- b\r\n2) c", "a\r\\- b\r\n2\\) c"),
        ("{{ x }}", "\\{\\{ x \\}\\}"),
    ],
    ids=["plain", "emphasis", "html", "link", "heading", "lists", "cr-lists", "braces"],
)
def test_md_text_escapes_markup(value, markdown):
    assert literals.md_text(value) == markdown
