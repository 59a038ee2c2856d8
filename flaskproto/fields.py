"""Resource and field names, and field specs such as ``paid:bool=false``."""

from __future__ import annotations

import datetime
import decimal
import keyword
import re
import uuid
from dataclasses import dataclass

from .errors import InvalidInput

#: The field types ``--field NAME:TYPE`` takes; ``str`` when no type is given.
FIELD_TYPES = (
    "str",
    "text",
    "int",
    "float",
    "decimal",
    "bool",
    "date",
    "datetime",
    "uuid",
)
_NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
MAX_RESOURCE_NAME = 24
MAX_FIELD_NAME = 32
MAX_DEFAULT = 40
#: Field names the generated code uses itself: the key, the modules it
#: imports, and attributes of SQLAlchemy models and marshmallow schemas.
RESERVED_FIELDS = frozenset(
    "id datetime decimal uuid fields metadata registry query opts context dump"
    " dumps load loads validate".split()
)
#: Resource names that would shadow a name the generated module uses.
RESERVED_RESOURCES = frozenset(
    "db bp abort request select fields store page data field value name each"
    " query info errors args resources test tests migrations".split()
)


@dataclass(frozen=True)
class Field:
    """One field of a resource."""

    name: str
    type: str
    optional: bool = False
    #: The default, checked and written the one way it is written back.
    default: str | None = None

    @property
    def required(self) -> bool:
        return not self.optional and self.default is None

    @property
    def spec(self) -> str:
        """The ``--field`` value that gives this field."""
        text = f"{self.name}:{self.type}{'?' if self.optional else ''}"
        return text if self.default is None else f"{text}={self.default}"

    def to_context(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type,
            "optional": self.optional,
            "default": self.default,
            "required": self.required,
        }


def check_identifier(kind: str, name: str, longest: int) -> None:
    """Raise InvalidInput unless ``name`` is a lowercase Python identifier."""
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            f"{kind} {name!r} must be lowercase letters, digits and single"
            " underscores, starting with a letter (such as line_item)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise InvalidInput(f"{kind} {name!r} is a Python keyword")
    if len(name) > longest:
        raise InvalidInput(f"{kind} {name!r} is longer than {longest} characters")


def check_resource_name(name: str) -> None:
    check_identifier("resource name", name, MAX_RESOURCE_NAME)
    if name in RESERVED_RESOURCES:
        raise InvalidInput(f"resource name {name!r} is reserved: choose another")


def plural(name: str) -> str:
    """Return the English plural of a snake_case name, by its last word."""
    if re.search(r"(s|x|z|ch|sh)$", name):
        return name + "es"
    if re.search(r"[^aeiou]y$", name):
        return name[:-1] + "ies"
    return name + "s"


def camel_case(name: str) -> str:
    return "".join(word.capitalize() for word in name.split("_"))


def parse_fields(specs: list[str] | tuple[str, ...]) -> list[Field]:
    """Parse ``--field`` values; each name once, at least one field."""
    if not specs:
        raise InvalidInput("give at least one --field NAME:TYPE")
    fields = [parse_field(spec) for spec in specs]
    seen: set[str] = set()
    for field in fields:
        if field.name in seen:
            raise InvalidInput(f"--field {field.name!r} is given twice")
        seen.add(field.name)
    return fields


def parse_field(spec: str) -> Field:
    """Parse ``NAME[:TYPE][?][=DEFAULT]``."""
    head, has_default, default = spec.partition("=")
    optional = head.endswith("?")
    head = head.removesuffix("?")
    name, _, type_ = head.partition(":")
    type_ = type_ or "str"
    check_identifier("field name", name, MAX_FIELD_NAME)
    if name in RESERVED_FIELDS:
        raise InvalidInput(f"field name {name!r} is reserved: choose another")
    if type_ not in FIELD_TYPES:
        raise InvalidInput(
            f"--field {spec!r}: unknown type {type_!r}; known: {', '.join(FIELD_TYPES)}"
        )
    value = _check_default(name, type_, default) if has_default else None
    return Field(name, type_, optional, value)


def _check_default(name: str, type_: str, text: str) -> str:
    """Return the default as it is written back, or raise InvalidInput."""
    problem = f"--field {name}: default {text!r} is not"
    if len(text) > MAX_DEFAULT or "\x00" in text:
        raise InvalidInput(
            f"--field {name}: a default is at most {MAX_DEFAULT} characters of text"
        )
    try:
        if type_ == "int":
            number = int(text)
            if not -(2**31) <= number < 2**31:
                raise ValueError
            return str(number)
        if type_ == "float":
            real = float(text)
            if real != real or real in (float("inf"), float("-inf")):
                raise ValueError
            return repr(real)
        if type_ == "decimal":
            exact = decimal.Decimal(text).quantize(decimal.Decimal("0.01"))
            if not exact.is_finite() or abs(exact) >= 10**10:
                raise ValueError
            return str(exact)
        if type_ == "bool":
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower()
        if type_ == "date":
            return datetime.date.fromisoformat(text).isoformat()
        if type_ == "datetime":
            return datetime.datetime.fromisoformat(text).isoformat()
        if type_ == "uuid":
            return str(uuid.UUID(text))
    except (ValueError, decimal.InvalidOperation):
        kinds = {
            "int": "a 32-bit integer",
            "float": "a finite number",
            "decimal": "a number below 10000000000",
            "bool": "true or false",
            "date": "an ISO 8601 date such as 2024-05-06",
            "datetime": "an ISO 8601 date and time such as 2024-05-06T07:08:09",
            "uuid": "a UUID",
        }
        raise InvalidInput(f"{problem} {kinds[type_]}") from None
    if type_ == "str" and "\n" in text:
        raise InvalidInput(f"{problem} one line of text")
    return text
