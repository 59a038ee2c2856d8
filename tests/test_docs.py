"""The README and the reference in docs/: links that lead somewhere, whole pages."""

import re

from conftest import REPO

from flaskproto.errors import EXIT_CODES


def test_every_link_of_the_readme_leads_to_a_file():
    links = re.findall(r"\]\(([^)#]+)\)", (REPO / "README.md").read_text())
    assert "docs/commands.rst" in links
    assert [link for link in links if not (REPO / link).is_file()] == []


def test_every_docs_page_is_in_the_table_of_contents():
    index = (REPO / "docs" / "index.md").read_text()
    pages = {
        path.stem
        for path in (REPO / "docs").iterdir()
        if path.suffix in (".md", ".rst") and path.stem != "index"
    }
    listed = set(re.findall(r"^([a-z-]+)$", index, re.MULTILINE))
    assert pages == listed


def test_the_readme_copies_no_table_the_code_owns():
    readme = (REPO / "README.md").read_text()
    assert "| Code |" not in readme and "| Option |" not in readme
    assert EXIT_CODES[3] not in readme
