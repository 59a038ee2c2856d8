"""The floor of generation: render the service template with plain jinja2, nothing else.

Usage: python bench/floor.py CONTEXT_JSON OUTPUT_DIR

CONTEXT_JSON holds the template variables of one project (the ``context`` of a
project's ``.flaskproto.json``). The script walks the template directory, renders
each file name and each file's content with jinja2 under the template's own
``_``-settings and the template's Jinja extensions, skips files whose name renders
empty, and writes the rest under OUTPUT_DIR/<project_slug>. It does what any
renderer of this template must do, and no more: no validation, no hooks, no
atomic move, so its time is the floor a scaffolder can approach.
"""

import json
import os
import shutil
import sys

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), os.pardir, "templates", "service"
)
ROOT_NAME = "{{cookiecutter.project_slug}}"


def render_project(values: dict, output_dir: str) -> str:
    template = os.path.normpath(TEMPLATE)
    with open(os.path.join(template, "cookiecutter.json"), encoding="utf-8") as fh:
        declared = json.load(fh)
    settings = {k: v for k, v in declared.items() if k.startswith("_")}
    context = {"cookiecutter": {**settings, **values}}

    # The template's filters live in its local_extensions module.
    sys.path.insert(0, template)
    env = Environment(
        loader=FileSystemLoader(template),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        extensions=settings.get("_extensions", []),
    )

    project = os.path.join(output_dir, env.from_string(ROOT_NAME).render(context))
    source_root = os.path.join(template, ROOT_NAME)
    for directory, dirs, files in os.walk(source_root):
        dirs.sort()
        rel_dir = os.path.relpath(directory, source_root)
        for name in sorted(files):
            rel_in = os.path.normpath(os.path.join(rel_dir, name))
            rendered_name = env.from_string(rel_in).render(context)
            if not os.path.basename(rendered_name):
                continue  # a file that belongs to a feature not chosen
            source = os.path.join(directory, name)
            target = os.path.join(project, rendered_name)
            # Loader paths are relative to the template and always use "/".
            loader_name = "/".join((ROOT_NAME, *rel_in.split(os.sep)))
            text = env.get_template(loader_name).render(context)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
            shutil.copymode(source, target)
    return project


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    with open(sys.argv[1], encoding="utf-8") as fh:
        values = json.load(fh)
    render_project(values, sys.argv[2])


if __name__ == "__main__":
    main()
