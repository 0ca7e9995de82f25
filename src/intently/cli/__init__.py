"""The ``intently`` command: thin commands over the library, one module per command group.

Exit codes: 0 success, 1 a failure the user can fix (bad input, missing file, invalid policy),
2 a usage error. Each command module adds its commands through ``register(app)`` and imports only
:mod:`intently.cli.common` from this package, so there is no cycle.
"""

from __future__ import annotations

import gc
import inspect
import sys
from pathlib import Path

import typer
from rich.markup import escape

from intently.cli import data, demo, digest, guide, outcomes, policy, serve, sync, users, zendesk_app
from intently.cli.common import close_stores, err
from intently.errors import IntentlyError

app = typer.Typer(
    name="intently",
    help="Where intentional collaboration on a support ticket ends and drive-by collaboration begins.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


def _show_version(value: bool) -> None:
    if value:
        from intently._version import __version__

        typer.echo(f"intently {__version__}")
        raise typer.Exit()


@app.callback()
def _command(
    context: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Show intently's version and exit."
    ),
) -> None:
    context.call_on_close(close_stores)


policy.register(app)
demo.register(app)
data.register(app)
guide.register(app)
outcomes.register(app)
digest.register(app)
sync.register(app)
serve.register(app)
users.register(app)
zendesk_app.register(app)


def _reflowed(text: str) -> str:
    """A docstring as help text: each paragraph one line, for the terminal to wrap (the line breaks of the source
    would otherwise show mid-sentence in the list of commands)."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in part.splitlines()) for part in paragraphs)


def _reflow_help(group: typer.Typer) -> None:
    for command in group.registered_commands:
        if command.help is None and command.callback is not None and command.callback.__doc__:
            command.help = _reflowed(command.callback.__doc__)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _reflow_help(sub.typer_instance)


_reflow_help(app)


def main() -> None:
    """Entry point: user-fixable failures print a clear message and exit 1; usage errors exit 2 (click)."""
    # A run streams millions of small, acyclic objects (events, judgements): reference counting frees
    # them. With CPython's default thresholds the cyclic collector rescans the survivors over and over
    # (about 40% of a 50,000-ticket run); collecting less often removes that cost.
    gc.set_threshold(100_000, 50, 100)
    try:
        app(prog_name="intently")  # also under `python -m intently`: usage lines name the command users type
    except IntentlyError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(1)
    except OSError as exc:
        if exc.filename is None:  # not about a path the user gave: a bug, shown as one
            raise
        err.print(f"[bold red]error:[/] {escape(path_problem(exc))}")
        sys.exit(1)
    except Exception as exc:
        refused = store_refused(exc)
        if refused is None:
            raise
        # a database refused a write: say so without the statement or its values
        err.print(f"[bold red]error:[/] the store refused the data ({refused}); nothing was stored")
        sys.exit(1)


def store_refused(exc: BaseException) -> str | None:
    """Where a database refused a statement (SQLAlchemy's ``StatementError``), the driver's name for the error; else
    None. SQLAlchemy is looked up only if a store loaded it: a command on files never imports it."""
    errors = sys.modules.get("sqlalchemy.exc")
    if errors is None or not isinstance(exc, errors.StatementError):
        return None
    return type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__


def path_problem(exc: OSError) -> str:
    """A file the command could not read or write, in one line: which, and why."""
    path = Path(exc.filename)
    if isinstance(exc, FileNotFoundError) and not path.parent.is_dir():
        return f"cannot write {path}: the folder {path.parent} does not exist (create it first)"
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {path}"
    if isinstance(exc, IsADirectoryError):
        return f"{path} is a folder: give a file name"
    if isinstance(exc, NotADirectoryError):
        return f"cannot use {path}: a part of that path is a file, not a folder"
    if isinstance(exc, PermissionError):
        return f"no permission to use {path}"
    return f"cannot use {path}: {exc.strerror or type(exc).__name__}"


if __name__ == "__main__":
    main()
