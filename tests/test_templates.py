"""--template: a bundled template by name, or any template by path or URL."""

import json
import subprocess

import pytest
from click.testing import CliRunner

from flaskproto.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def make_template(
    root,
    *,
    slug="{{ cookiecutter.project_name|lower|replace(' ', '_') }}",
    hook="open('hooked.txt', 'w').write('{{ cookiecutter.flavour }}')",
):
    root.mkdir()
    (root / "cookiecutter.json").write_text(
        json.dumps(
            {
                "project_name": "My Thing",
                "project_slug": slug,
                "flavour": ["vanilla", "chocolate"],
                "use_cream": True,
            }
        )
    )
    project = root / "{{cookiecutter.project_slug}}"
    project.mkdir()
    (project / "README.md").write_text(
        "{{ cookiecutter.project_name }}: {{ cookiecutter.flavour }},"
        " cream {{ cookiecutter.use_cream }}\n"
    )
    (root / "hooks").mkdir()
    (root / "hooks" / "post_gen_project.py").write_text(hook + "\n")
    return root


def test_templates_lists_the_bundled_ones():
    result = invoke("templates", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)["templates"]
    assert [row["name"] for row in rows] == ["micro", "service"]
    assert rows[0]["features"] == ["mqtt", "metrics"]
    assert "db" in rows[1]["features"]
    lines = invoke("templates").stdout.splitlines()
    assert lines[0].startswith("micro  ") and lines[1].startswith("service  ")


def test_a_template_directory_renders_with_its_hooks(tmp_path):
    template = make_template(tmp_path / "cake-template")
    result = invoke(
        "new",
        "Cake Shop",
        "--template",
        str(template),
        "--set",
        "flavour=chocolate",
        "-o",
        str(tmp_path / "out"),
        "--no-git",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    project = tmp_path / "out" / "cake_shop"
    assert json.loads(result.stdout)["path"] == str(project)
    assert (project / "README.md").read_text() == "Cake Shop: chocolate, cream True\n"
    assert (project / "hooked.txt").read_text() == "chocolate"
    record = json.loads((project / ".flaskproto.json").read_text())
    assert record["template"] == str(template)
    assert record["context"]["flavour"] == "chocolate"


def test_a_git_url_is_cloned(tmp_path):
    template = make_template(tmp_path / "cake-template")
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        [
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-q",
            "-m",
            "template",
        ],
    ):
        subprocess.run(["git", *args], cwd=template, check=True, capture_output=True)
    result = invoke(
        "new",
        "Cake Shop",
        "--template",
        f"file://{template}",
        "-o",
        str(tmp_path / "out"),
        "--no-git",
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "cake_shop" / "hooked.txt").read_text() == "vanilla"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no-such-template", "no template 'no-such-template'"),
        ("https://127.0.0.1:9/none.git", "cannot get the template"),
    ],
    ids=["unknown", "unreachable-url"],
)
def test_a_template_that_cannot_be_found_exits_5(tmp_path, spec, message):
    result = invoke("new", "x1", "--template", spec, "-o", str(tmp_path / "out"))
    assert result.exit_code == 5
    assert result.stderr.startswith(f"Error: {message}")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("failing-hook", "failed to render"),
        ("escaping-name", "not a plain directory name"),
    ],
    ids=["failing-hook", "escaping-name"],
)
def test_a_broken_template_leaves_nothing(tmp_path, kind, message):
    if kind == "failing-hook":
        template = make_template(tmp_path / "t", hook="raise SystemExit(1)")
    else:
        template = make_template(tmp_path / "t", slug="../escaped")
    output = tmp_path / "out"
    output.mkdir()
    result = invoke("new", "x1", "--template", str(template), "-o", str(output))
    assert result.exit_code == 5, result.stderr
    assert message in result.stderr
    assert list(output.iterdir()) == []
    assert not (tmp_path / "escaped").exists()


def test_a_template_without_project_name_is_refused(tmp_path):
    template = tmp_path / "t"
    template.mkdir()
    (template / "cookiecutter.json").write_text('{"app": "x"}')
    result = invoke("new", "x1", "--template", str(template), "-o", str(tmp_path))
    assert result.exit_code == 5
    assert "has no project_name variable" in result.stderr
