"""Sphinx directives that write flaskproto's reference from the code and templates.

The exit codes come from flaskproto.errors, the template variables and
features from each bundled template's cookiecutter.json, and the map of the
package from each module's docstring: the reference cannot drift from them.
"""

from __future__ import annotations

import ast
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives

from flaskproto.errors import COMMAND_EXIT_CODES, EXIT_CODES
from flaskproto.features import catalogue
from flaskproto.prompts import variable_rows
from flaskproto.templates import bundled_template_names, load_template

PACKAGE = Path(__file__).resolve().parents[2] / "flaskproto"


def _table(header: list[str], rows: list[list[str]]) -> nodes.table:
    """A docutils table; cells in ``literal`` columns are shown as code."""
    table = nodes.table()
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    body = nodes.tbody()
    group += body
    for target, cells in ((head, [header]), (body, rows)):
        for cells_of_row in cells:
            row = nodes.row()
            for index, text in enumerate(cells_of_row):
                entry = nodes.entry()
                content = (
                    nodes.literal(text=text)
                    if index == 0 and target is body
                    else nodes.Text(text)
                )
                entry += nodes.paragraph("", "", content)
                row += entry
            target += row
    return table


class ExitCodes(Directive):
    """Every exit code, its meaning and the commands that can return it."""

    def run(self) -> list[nodes.Node]:
        rows = []
        for code, meaning in EXIT_CODES.items():
            commands = [
                name for name, codes in COMMAND_EXIT_CODES.items() if code in codes
            ]
            every = len(commands) == len(COMMAND_EXIT_CODES)
            rows.append([str(code), meaning, "all" if every else ", ".join(commands)])
        return [_table(["Code", "Meaning", "Commands"], rows)]


class TemplateReference(Directive):
    """A section for each bundled template: its variables and features."""

    def run(self) -> list[nodes.Node]:
        sections: list[nodes.Node] = []
        for name in bundled_template_names():
            template = load_template(name)
            section = nodes.section(ids=[f"template-{name}"], names=[name])
            section += nodes.title(text=name)
            description = str(template.variables.get("_description", ""))
            section += nodes.paragraph(text=description)
            rows = [list(row) for row in variable_rows(template)]
            section += _table(["Variable (--set)", "What it is"], rows)
            features = catalogue(template)
            if features:
                rows = [
                    [
                        f.name,
                        f.help,
                        ", ".join(f.packages) or "-",
                        ", ".join(f.requires) or "-",
                    ]
                    for f in features.values()
                ]
                header = ["Feature (--with)", "What it adds", "Packages", "Requires"]
                section += _table(header, rows)
            sections.append(section)
        return sections


class PackageMap(Directive):
    """Each module of the package with the first line of its docstring."""

    def run(self) -> list[nodes.Node]:
        rows = []
        for path in sorted(PACKAGE.glob("*.py")):
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            rows.append([f"flaskproto/{path.name}", doc.splitlines()[0] if doc else ""])
        return [_table(["Module", "What it owns"], rows)]


def setup(app):
    directives.register_directive("flaskproto-exit-codes", ExitCodes)
    directives.register_directive("flaskproto-templates", TemplateReference)
    directives.register_directive("flaskproto-package-map", PackageMap)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
