"""Options shared by the commands of every ``cli*`` module (kept apart so any of them can import it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Store: a SQLAlchemy URL or a file path [default: ./intently.db, or $INTENTLY_DB]",
        show_default=False,
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Policy override merged over the default [default: $INTENTLY_CONFIG, else ./intently.yaml if present]",
        show_default=False,
    ),
]
