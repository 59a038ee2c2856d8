"""Jinja filters that write template variables as literals, never as code.

Each filter turns any string into a literal of one target language that reads back
as exactly that string: ``py_str`` for Python, ``toml_str`` for TOML and
``md_text`` for Markdown prose.
"""

import re

from jinja2.ext import Extension

_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n"}
_TOML_ESCAPES.update({"\f": "\\f", "\r": "\\r"})
_MD_INLINE = re.compile(r"([\\`*_{}\[\]<>|#!~&])")
# A line starts after \n, \r or both (CommonMark line endings). An ordered
# list marker is escaped at its "." or ")": a backslash before a digit is literal.
_MD_LINE_START = re.compile(r"(?:^|(?<=\r))(\s*)([-+=]|\d+[.)])", re.MULTILINE)


def py_str(value: str) -> str:
    """Return a Python string literal quoted the way ``ruff format`` quotes it.

    ``repr`` escapes backslashes and control characters; the quote is then chosen
    as the formatter would: double, unless the text holds more double quotes.
    """
    value = str(value)
    body = repr(value)
    if body.startswith("'"):
        body = body[1:-1].replace("\\'", "'")
    else:
        body = body[1:-1]
    quote = "'" if value.count('"') > value.count("'") else '"'
    return quote + body.replace(quote, "\\" + quote) + quote


def toml_str(value: str) -> str:
    """Return a TOML basic string."""
    out = []
    for char in str(value):
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def md_text(value: str) -> str:
    """Return Markdown that renders as the plain text given."""
    escaped = _MD_INLINE.sub(r"\\\1", str(value))
    return _MD_LINE_START.sub(_escape_marker, escaped)


def _escape_marker(match: re.Match) -> str:
    space, marker = match.groups()
    if marker[0].isdigit():
        return f"{space}{marker[:-1]}\\{marker[-1]}"
    return f"{space}\\{marker}"


class LiteralExtension(Extension):
    """Register the literal filters with cookiecutter's Jinja environment."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters.update(py_str=py_str, toml_str=toml_str, md_text=md_text)
