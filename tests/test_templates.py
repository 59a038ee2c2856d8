"""--template: a bundled template by name, or any template by path or URL."""

import json
import os
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
        ("failing-hook", "hook post_gen_project failed (exit status: 1)"),
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


def plain_template(root, variables, top):
    """A template with ``variables`` whose project directory is named ``top``."""
    (root / top).mkdir(parents=True)
    (root / "cookiecutter.json").write_text(json.dumps(variables))
    (root / top / "README.md").write_text("{{ cookiecutter | jsonify }}\n")
    return root


@pytest.mark.parametrize(
    ("variables", "top", "filled", "directory"),
    [
        (
            {"project_name": "P", "app_name": "{{ cookiecutter.project_name|lower }}"},
            "{{cookiecutter.app_name}}",
            "project_name",
            "cake shop",
        ),
        (
            {"app_name": "a", "package_name": "b"},
            "{{ cookiecutter.app_name }}",
            "app_name",
            "Cake Shop",
        ),
        (
            {"pyhooks": "fake"},
            "input{{cookiecutter.pyhooks}}",
            "pyhooks",
            "inputCake Shop",
        ),
    ],
    ids=["project-name", "top-directory", "inside-a-name"],
)
def test_name_fills_project_name_or_the_top_directory_variable(
    tmp_path, variables, top, filled, directory
):
    template = plain_template(tmp_path / "t", variables, top)
    result = invoke(
        "new", "Cake Shop", "--template", str(template), "-o", str(tmp_path / "out"),
        "--no-git", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{tmp_path / 'out' / directory}\n"
    context = json.loads((tmp_path / "out" / directory / "README.md").read_text())
    assert context[filled] == "Cake Shop"
    # NAME is the variable itself: --set cannot give it too.
    again = invoke(
        "new", "Cake Shop", "--template", str(template), "-o", str(tmp_path / "again"),
        "--set", f"{filled}=x",
    )  # fmt: skip
    assert again.exit_code == 2
    assert again.stderr == (
        f"Error: --set {filled}=... is not allowed: {filled} is NAME itself\n"
    )


@pytest.mark.parametrize(
    ("variables", "top"),
    [
        ({"app": "x", "slug": "y"}, "{{cookiecutter.app}}-{{cookiecutter.slug}}"),
        ({"app": "x"}, "{{cookiecutter.missing}}"),
        ({"app": ["x", "y"]}, "{{cookiecutter.app}}"),
    ],
    ids=["two-variables", "not-a-variable", "a-choice"],
)
def test_a_template_without_a_name_variable_is_refused_with_the_rule(
    tmp_path, variables, top
):
    template = plain_template(tmp_path / "t", variables, top)
    output = tmp_path / "out"
    result = invoke("new", "x1", "--template", str(template), "-o", str(output))
    assert result.exit_code == 5
    assert result.stderr == (
        f"Error: template {str(template)!r}: NAME fills the template's project_name"
        " variable, or else the variable its top directory is named after"
        " ({{cookiecutter.<variable>}}); this template has neither\n"
    )
    assert not output.exists()


def test_a_template_whose_top_directory_is_not_templated_says_what_it_needs(
    tmp_path,
):
    template = plain_template(tmp_path / "t", {"project_name": "x"}, "src")
    output = tmp_path / "out"
    result = invoke("new", "x1", "--template", str(template), "-o", str(output))
    assert result.exit_code == 5
    assert result.stderr == (
        f"Error: template {str(template)!r} has no project directory: cookiecutter"
        " renders the top-level directory whose name holds 'cookiecutter' inside"
        " {{ }}, such as {{cookiecutter.project_slug}}, and there is none\n"
    )
    assert not output.exists()


def cookiecutter_json(root, variables):
    (root / "cookiecutter.json").write_text(json.dumps(variables))


def test_set_values_are_checked_as_cookiecutter_checks_them(tmp_path):
    template = plain_template(
        tmp_path / "t",
        {"project_name": "P", "license": ["MIT", "BSD"], "use_docker": False},
        "{{cookiecutter.project_name}}",
    )
    (template / "{{cookiecutter.project_name}}" / "docker.txt").write_text(
        "{% if cookiecutter.use_docker %}docker{% else %}none{% endif %}\n"
    )

    def new(*args):
        return invoke(
            "new", "Cake", "--template", str(template), "-o", str(tmp_path / "out"),
            "--no-git", "--force", "-q", *args,
        )  # fmt: skip

    wrong = new("--set", "license=WTFPL")
    assert wrong.exit_code == 2
    assert wrong.stderr == (
        "Error: --set license=WTFPL: not one of the template's choices: MIT, BSD\n"
    )
    maybe = new("--set", "use_docker=maybe")
    assert maybe.exit_code == 2
    assert maybe.stderr == (
        "Error: --set use_docker=maybe: not a yes/no value; yes is one of 1, true,"
        " t, yes, y, on, no one of 0, false, f, no, n, off\n"
    )
    assert not (tmp_path / "out").exists()
    docker = tmp_path / "out" / "Cake" / "docker.txt"
    for value, rendered in [("no", "none"), ("false", "none"), ("YES", "docker")]:
        result = new("--set", f"use_docker={value}", "--set", "license=BSD")
        assert result.exit_code == 0, result.stderr
        assert docker.read_text() == f"{rendered}\n", value
        context = json.loads((tmp_path / "out" / "Cake" / "README.md").read_text())
        assert context["license"] == "BSD"


def test_defaults_are_rendered_and_cookiecutter_variables_provided(tmp_path):
    template = plain_template(
        tmp_path / "t",
        {
            "project_name": "Cake Shop",
            "flavour": ["{{ cookiecutter.project_name|lower }} special", "plain"],
            "sizes": {"small": "{{ cookiecutter.project_name }} S", "n": 2},
            "__slug": "{{ cookiecutter.project_name|lower|replace(' ', '-') }}",
            "_kept": "{{ not rendered }}",
            "description": "{{ cookiecutter.__slug }} sells {{ cookiecutter.flavour }}",
        },
        "{{cookiecutter.__slug}}",
    )
    result = invoke(
        "new", "Bake House", "--template", str(template), "-o", str(tmp_path / "out"),
        "--no-git", "-q", "--set", "flavour=plain",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    context = json.loads((tmp_path / "out" / "bake-house" / "README.md").read_text())
    assert context["description"] == "bake-house sells plain"
    assert context["sizes"] == {"small": "Bake House S", "n": "2"}
    assert context["_kept"] == "{{ not rendered }}"
    assert context["_template"] == str(template)
    assert context["_output_dir"] == str(tmp_path / "out")
    assert context["_repo_dir"] == str(template)
    assert context["_checkout"] is None


def hooked_template(root, hooks):
    """A template whose hooks are ``hooks`` (name: Python source)."""
    template = plain_template(
        root, {"project_name": "P"}, "{{cookiecutter.project_name}}"
    )
    (template / "hooks").mkdir()
    for name, source in hooks.items():
        (template / "hooks" / f"{name}.py").write_text(source)
    return template


ECHOING = {
    "pre_prompt": "print('pre_prompt says hi')\n",
    "pre_gen_project": "print('pre_gen says {{ cookiecutter.project_name }}')\n",
    "post_gen_project": "print('post_gen says bye')\n",
}


@pytest.mark.parametrize("contract", ["--json", "-q"])
def test_hook_output_goes_to_stderr(tmp_path, run_flaskproto, contract):
    template = hooked_template(tmp_path / "t", ECHOING)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = run_flaskproto(
        "new", "Cake", "--template", str(template), "-o", str(tmp_path / "out"),
        "--no-git", contract, cwd=tmp_path, env={"TMPDIR": str(scratch)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert os.listdir(scratch) == []
    project = tmp_path / "out" / "Cake"
    if contract == "--json":
        assert json.loads(result.stdout)["path"] == str(project)
    else:
        assert result.stdout == f"{project}\n"
    said = [line for line in result.stderr.splitlines() if " says " in line]
    assert said == ["pre_prompt says hi", "pre_gen says Cake", "post_gen says bye"]


def test_a_dry_run_runs_no_hook_and_says_so(tmp_path, run_flaskproto):
    canary = tmp_path / "ran"
    hooks = {
        name: f"open({str(canary / name)!r}, 'w').close()\n"
        for name in ("pre_prompt", "pre_gen_project", "post_gen_project")
    }
    canary.mkdir()
    template = hooked_template(tmp_path / "t", hooks)
    args = ["new", "Cake", "--template", str(template), "-o", str(tmp_path / "out")]
    listed = run_flaskproto(*args, "--dry-run", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[-1] == (
        "hooks: not run in a dry run (pre_prompt, pre_gen_project,"
        " post_gen_project); what they would add or remove is not listed"
    )
    as_json = run_flaskproto(*args, "--dry-run", "--json", cwd=tmp_path)
    assert json.loads(as_json.stdout)["hooks_not_run"] == [
        "pre_prompt",
        "pre_gen_project",
        "post_gen_project",
    ]
    assert os.listdir(canary) == []
    assert not (tmp_path / "out").exists()
    made = run_flaskproto(*args, "--no-git", "-q", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert sorted(os.listdir(canary)) == sorted(hooks)


@pytest.mark.parametrize("hook", ["pre_prompt", "pre_gen_project", "post_gen_project"])
def test_a_failing_hook_is_its_output_then_one_error_line(
    tmp_path, run_flaskproto, hook
):
    template = hooked_template(
        tmp_path / "t",
        {hook: "import sys\nprint('no cakes today')\nsys.exit(3)\n"},
    )
    output = tmp_path / "out"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = run_flaskproto(
        "new", "Cake", "--template", str(template), "-o", str(output), "--json",
        cwd=tmp_path, env={"TMPDIR": str(scratch)},
    )  # fmt: skip
    assert result.returncode == 5
    # Neither the template's copy for pre_prompt nor a rendered hook is left.
    assert os.listdir(scratch) == []
    assert result.stdout == ""
    # After the progress line: the hook's own words, then flaskproto's one line.
    assert result.stderr.splitlines()[-2:] == [
        "no cakes today",
        f"Error: template {str(template)!r}: hook {hook} failed (exit status: 3);"
        " nothing was written",
    ]
    assert result.stderr.count("Error") == 1
    assert not output.exists()


def test_empty_directories_are_kept(tmp_path):
    template = plain_template(
        tmp_path / "t", {"project_name": "P"}, "{{cookiecutter.project_name}}"
    )
    (template / "{{cookiecutter.project_name}}" / "data" / "raw").mkdir(parents=True)
    (
        template
        / "{{cookiecutter.project_name}}"
        / "{{cookiecutter.project_name}}_logs"
    ).mkdir()
    result = invoke(
        "new", "Cake", "--template", str(template), "-o", str(tmp_path / "out"),
        "--no-git", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    project = tmp_path / "out" / "Cake"
    assert (project / "data" / "raw").is_dir()
    assert (project / "Cake_logs").is_dir()


def git(*args, cwd):
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repository(tmp_path):
    """A git repository holding a template in templates/cake, tagged v1 then changed."""
    repo = tmp_path / "repo"
    template = plain_template(
        repo / "templates" / "cake",
        {"project_name": "P"},
        "{{cookiecutter.project_name}}",
    )
    readme = template / "{{cookiecutter.project_name}}" / "README.md"
    readme.write_text("version one\n")
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "one", cwd=repo)
    git("tag", "v1", cwd=repo)
    readme.write_text("version two\n")
    git("commit", "-q", "-am", "two", cwd=repo)
    return f"file://{repo}"


def test_a_template_in_a_repository_directory_at_a_checkout(tmp_path, repository):
    output = tmp_path / "out"

    def new(*args):
        return invoke(
            "new", "Cake", "--template", repository, "--directory", "templates/cake",
            "-o", str(output), "--no-git", "--force", "-q", *args,
        )  # fmt: skip

    assert new().exit_code == 0
    assert (output / "Cake" / "README.md").read_text() == "version two\n"
    at_v1 = new("--checkout", "v1")
    assert at_v1.exit_code == 0, at_v1.stderr
    assert (output / "Cake" / "README.md").read_text() == "version one\n"
    record = json.loads((output / "Cake" / ".flaskproto.json").read_text())
    assert "--directory templates/cake --checkout v1" in record["command"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--checkout", "nosuch"],
            5,
            "cannot check out 'nosuch' of the template @URL@: invalid reference:"
            " nosuch",
        ),
        (
            ["--directory", "templates/pie"],
            5,
            "--directory 'templates/pie' of the template '@URL@' holds no"
            " cookiecutter.json",
        ),
        (
            ["--directory", "../elsewhere"],
            2,
            "--directory '../elsewhere' must be a relative path inside the template's"
            " repository or directory",
        ),
        (
            ["--checkout", "--orphan"],
            2,
            "--checkout '--orphan' is not a branch, tag or commit",
        ),
    ],
    ids=["no-such-ref", "no-such-directory", "climbing-directory", "option-ref"],
)
def test_repository_errors_name_what_was_given(
    tmp_path, repository, args, code, message
):
    output = tmp_path / "out"
    result = invoke(
        "new", "Cake", "--template", repository, "-o", str(output), *args,
    )  # fmt: skip
    assert result.exit_code == code
    assert result.stderr == f"Error: {message.replace('@URL@', repository)}\n"
    assert not output.exists()


def test_an_unreachable_repository_gives_gits_whole_reason(tmp_path):
    missing = f"file://{tmp_path / 'nowhere'}"
    result = invoke("new", "Cake", "--template", missing, "-o", str(tmp_path / "o"))
    assert result.exit_code == 5
    assert result.stderr == (
        f"Error: cannot get the template {missing}: '{tmp_path / 'nowhere'}' does"
        " not appear to be a git repository; Could not read from remote"
        " repository.; Please make sure you have the correct access rights; and"
        " the repository exists.\n"
    )


def test_new_help_states_the_name_rule_and_the_repository_options():
    result = invoke("new", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert (
        "With another --template, NAME fills its project_name variable, or else the"
        " variable its top directory is named after ({{cookiecutter.app_name}} makes"
        " NAME the app_name); a template with neither is refused." in text
    )
    assert "--directory DIR The template's folder inside" in text
    assert "--checkout REF The branch, tag or commit of a --template git URL" in text


def test_a_dry_run_imports_no_extension_of_the_template(tmp_path, run_flaskproto):
    canary = tmp_path / "imported"
    template = plain_template(
        tmp_path / "t",
        {"project_name": "P", "_extensions": ["cake_filters.Icing"]},
        "{{cookiecutter.project_name}}",
    )
    (template / "cake_filters.py").write_text(
        f"open({str(canary)!r}, 'w').close()\n"
        "from jinja2.ext import Extension\n\n\n"
        "class Icing(Extension):\n    pass\n"
    )
    args = ["new", "Cake", "--template", str(template), "-o", str(tmp_path / "out")]
    result = run_flaskproto(*args, "--dry-run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"Error: --dry-run runs no code of the template, and {str(template)!r}"
        " renders with Jinja extensions of its own (cake_filters.Icing); render it"
        " into a scratch --output-dir instead\n"
    )
    assert not canary.exists()
    made = run_flaskproto(*args, "--no-git", "-q", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert canary.exists()


def test_update_finds_a_template_in_a_repository_again(tmp_path, repository):
    """A service made from a template without project_name, in a folder of a
    repository at a tag, is current with it, and check-update finds it again."""
    repo = tmp_path / "repo"
    cookiecutter_json(
        repo / "templates" / "cake", {"app_name": "a", "flavour": ["plain", "nut"]}
    )
    cake = repo / "templates" / "cake"
    (cake / "{{cookiecutter.project_name}}").rename(cake / "{{cookiecutter.app_name}}")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "app_name", cwd=repo)
    git("tag", "v2", cwd=repo)
    made = invoke(
        "new", "cake_app", "--template", repository, "--directory", "templates/cake",
        "--checkout", "v2", "--set", "flavour=nut", "-o", str(tmp_path / "out"), "-q",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    project = tmp_path / "out" / "cake_app"
    record = json.loads((project / ".flaskproto.json").read_text())
    assert record["name_variable"] == "app_name"
    assert record["answers"]["directory"] == "templates/cake"
    assert record["answers"]["checkout"] == "v2"
    current = invoke("check-update", str(project), "--json")
    assert current.exit_code == 0, current.stderr
    assert json.loads(current.stdout)["current"] is True


def test_a_dictionary_variable_takes_a_json_object_as_data(tmp_path):
    template = plain_template(
        tmp_path / "t",
        {"project_name": "P", "sizes": {"small": "S", "large": "{{ 'L' * 2 }}"}},
        "{{cookiecutter.project_name}}",
    )
    given = '{"small": "{{ 6*7 }}", "tiny\\nline": "t"}'
    result = invoke(
        "new", "Cake", "--template", str(template), "-o", str(tmp_path / "out"),
        "--no-git", "-q", "--set", f"sizes={given}",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    context = json.loads((tmp_path / "out" / "Cake" / "README.md").read_text())
    # As cookiecutter merges a dictionary given in its extra context.
    assert context["sizes"] == {"small": "{{ 6*7 }}", "large": "LL", "tiny\nline": "t"}
