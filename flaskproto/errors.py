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


#: Exit codes as documented in ``flaskproto new --help`` and the README.
EXIT_CODES = {
    0: "success",
    1: "unexpected internal error (a bug: please report it with the traceback)",
    InvalidInput.exit_code: "bad usage or input: name, option or --set value",
    TargetExists.exit_code: "the target directory exists and is not empty",
    OutputError.exit_code: "the output cannot be written (permissions, disk, path)",
    TemplateError.exit_code: "the template is missing or cannot be rendered",
    GitError.exit_code: "git failed, or the repository is not one update can use",
    InstallError.exit_code: "--install failed; the project was made, .venv was not",
    130: "interrupted (Ctrl-C or SIGTERM); nothing half-made was left behind",
}

#: The further exit codes of the commands that work inside a service
#: (add, remove, update); their --help shows them with EXIT_CODES.
SERVICE_EXIT_CODES = {
    NotAService.exit_code: "not a service made by flaskproto (no .flaskproto.json)",
    LocalChanges.exit_code: "edited or uncommitted files in the way; commit or --force",
    MergeConflict.exit_code: "the update left merge conflicts to resolve (listed)",
}
