"""The ``intently`` command: thin commands over the library, one module per command group.

Exit codes: 0 success, 1 a failure the user can fix (bad input, missing file, invalid policy),
2 a usage error. Each command module adds its commands through ``register(app)`` and imports only
:mod:`intently.cli.common` from this package, so there is no cycle.
"""

from __future__ import annotations

import gc
import sys

import typer
from rich.markup import escape

from intently.cli import data, demo, policy, serve, sync, users, zendesk_app
from intently.cli.common import err
from intently.errors import IntentlyError

app = typer.Typer(
    name="intently",
    help="Where intentional collaboration on a support ticket ends and drive-by collaboration begins.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
policy.register(app)
demo.register(app)
data.register(app)
sync.register(app)
serve.register(app)
users.register(app)
zendesk_app.register(app)


def main() -> None:
    """Entry point: user-fixable failures print a clear message and exit 1; usage errors exit 2 (click)."""
    # A run streams millions of small, acyclic objects (events, judgements): reference counting frees
    # them. With CPython's default thresholds the cyclic collector rescans the survivors over and over
    # (about 40% of a 50,000-ticket run); collecting less often removes that cost.
    gc.set_threshold(100_000, 50, 100)
    try:
        app()
    except IntentlyError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(1)


if __name__ == "__main__":
    main()
