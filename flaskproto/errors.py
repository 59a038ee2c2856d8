"""The errors a user can cause, each with its documented exit code."""


class FlaskprotoError(Exception):
    """Base of every error flaskproto reports without a traceback."""

    exit_code = 1


class InvalidInput(FlaskprotoError):
    """A name, option or template variable is not acceptable."""

    exit_code = 2


class TargetExists(FlaskprotoError):
    """The project directory exists and is not empty."""

    exit_code = 3


class OutputError(FlaskprotoError):
    """The project cannot be written where it was asked to go."""

    exit_code = 4


class TemplateError(FlaskprotoError):
    """The template is missing or cannot be rendered."""

    exit_code = 5


class GitError(FlaskprotoError):
    """git is missing or failed, or the repository lacks what update needs."""

    exit_code = 6


class InstallError(FlaskprotoError):
    """The new project was made, but installing it into .venv failed."""

    exit_code = 7


class NotAService(FlaskprotoError):
    """The directory is not a service made by flaskproto (no .flaskproto.json)."""

    exit_code = 10


class LocalChanges(FlaskprotoError):
    """Uncommitted or edited files stand in the way; commit them, or --force."""

    exit_code = 11


class MergeConflict(FlaskprotoError):
    """An update merged with conflicts, left as markers for the user to resolve."""

    exit_code = 12


class WorkspaceClash(FlaskprotoError):
    """A new service would take a name or port of another in its workspace."""

    exit_code = 14


class ServiceStopped(FlaskprotoError):
    """A service run by flaskproto up failed to start or stopped by itself."""

    exit_code = 15


#: flaskproto check (and new --check): a check failed, or one could not run.
CHECK_FAILED = 8
CHECK_NOT_RUN = 9
#: flaskproto check-update: the template has changes for update to merge.
UPDATE_AVAILABLE = 13
INTERRUPTED = 130

#: Every exit code of flaskproto and what it means: the one table each
#: command's --help and the reference are generated from.
EXIT_CODES = {
    0: "success",
    1: "unexpected internal error (a bug: please report it with the traceback)",
    InvalidInput.exit_code: "bad usage or input: an argument, option or value refused",
    TargetExists.exit_code: "the target directory exists and is not empty",
    OutputError.exit_code: "the output cannot be written (permissions, disk, path)",
    TemplateError.exit_code: "the template is missing or cannot be rendered",
    GitError.exit_code: "git failed, or the repository is not one update can use",
    InstallError.exit_code: "--install failed; the project was made, .venv was not",
    CHECK_FAILED: "a check failed",
    CHECK_NOT_RUN: "no check failed, but one could not run (pytest, ruff or gunicorn"
    " missing)",
    NotAService.exit_code: "not a service made by flaskproto (no .flaskproto.json)",
    LocalChanges.exit_code: "edited or uncommitted files in the way; commit or --force",
    MergeConflict.exit_code: "the update left merge conflicts to resolve (listed)",
    UPDATE_AVAILABLE: "an update is waiting: flaskproto update merges it",
    WorkspaceClash.exit_code: "a name or port of the new service is another service's"
    " in the same folder",
    ServiceStopped.exit_code: "a service failed to start or stopped; all were stopped",
    INTERRUPTED: "interrupted (Ctrl-C or SIGTERM); nothing half-made was left behind",
}

#: The exit codes each command can return, by its name on the command line.
_ALWAYS = (0, 1, InvalidInput.exit_code, INTERRUPTED)
_SERVICE = (NotAService.exit_code, OutputError.exit_code, TemplateError.exit_code)
COMMAND_EXIT_CODES: dict[str, tuple[int, ...]] = {
    "new": (*_ALWAYS, 3, 4, 5, 6, 7, CHECK_FAILED, CHECK_NOT_RUN, 14),
    "check": (*_ALWAYS, CHECK_FAILED, CHECK_NOT_RUN, NotAService.exit_code),
    "update": (*_ALWAYS, *_SERVICE, 6, 11, 12),
    "check-update": (*_ALWAYS, *_SERVICE, 6, UPDATE_AVAILABLE),
    "add resource": (*_ALWAYS, *_SERVICE, 11),
    "remove resource": (*_ALWAYS, *_SERVICE, 11),
    "templates": (*_ALWAYS, TemplateError.exit_code),
    "features": (*_ALWAYS, TemplateError.exit_code),
    "config": (*_ALWAYS, TemplateError.exit_code),
    "up": (*_ALWAYS, NotAService.exit_code, 7, ServiceStopped.exit_code),
    "services": _ALWAYS,
}


def exit_codes_for(command: str) -> dict[int, str]:
    """Return the exit codes ``command`` can return, in order, with their meaning."""
    return {code: EXIT_CODES[code] for code in sorted(COMMAND_EXIT_CODES[command])}
