"""The ``flaskproto config`` command: the defaults new starts from, and why."""

from __future__ import annotations

import click

from .clitools import echo_json, exit_codes_epilog, json_option, reports_errors


@click.command(
    "config",
    short_help="Show the defaults flaskproto new starts from, and their sources.",
    epilog=exit_codes_epilog("config"),
)
@click.option(
    "--template",
    metavar="NAME|PATH|GIT-URL",
    help="Show the defaults for this template (or alias) instead of the default one.",
)
@json_option
@reports_errors
def config_command(template: str | None, as_json: bool) -> None:
    """Show the template, features and variables flaskproto new would start
    from here, each with where it comes from: the user config file, git's
    user.name and user.email, or the template. The config file is
    $FLASKPROTO_CONFIG, else flaskproto/config.toml in $XDG_CONFIG_HOME or
    ~/.config; the command line and --replay come before it."""
    from pathlib import Path

    from .defaults import choose_template, resolve
    from .gitrepo import user_identity
    from .templates import open_template
    from .userconfig import config_path, load_config

    config = load_config()
    chosen = choose_template(template, None, config)
    with open_template(str(chosen.value)) as tmpl:
        defaults = resolve(
            tmpl,
            chosen,
            given={},
            features=None,
            replay=None,
            config=config,
            git=user_identity(Path.cwd()),
        )
        derived = {
            key
            for key, setting in defaults.values.items()
            if setting.source == "template"
            and isinstance(setting.value, str)
            and "{{" in setting.value
        }
    unused = defaults.unused(config)
    if as_json:
        echo_json(
            {
                "config_file": str(config.path or config_path()),
                "config_file_found": config.path is not None,
                "settings": defaults.to_dict(),
                "aliases": config.aliases,
                "unused": unused,
            }
        )
        return
    if config.path is not None:
        click.echo(f"Config file: {config.path}")
    else:
        click.echo(f"Config file: {config_path()} (none there)")
    rows = [
        ("template", str(defaults.template.value), defaults.template.source),
        ("with", ",".join(defaults.feature_names) or "-", defaults.features.source),
    ]
    for key, setting in defaults.values.items():
        shown = "derived from NAME" if key in derived else str(setting.value)
        rows.append((key, shown, setting.source))
    key_width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    for key, value, source in rows:
        click.echo(f"{key:<{key_width}}  {value:<{value_width}}  ({source})")
    for alias, spec in config.aliases.items():
        click.echo(f"alias {alias} = {spec}")
    if unused:
        click.echo(
            f"[set] keys template {defaults.template.value} has no variable for:"
            f" {', '.join(unused)}"
        )
