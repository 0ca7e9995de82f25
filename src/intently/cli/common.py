"""What every command module shares: the options, the two consoles, and the policy, store and progress helpers.

Command modules import this module and nothing else from :mod:`intently.cli`, so the command layer has no cycle.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from intently.model import Id, User
from intently.policy import Policy
from intently.store import DEFAULT_DB, Store

out = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 130)
err = Console(stderr=True, highlight=False, soft_wrap=True)

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
PathArgument = Annotated[
    Path | None,
    typer.Argument(help="A Zendesk export directory or a neutral .jsonl file; without it, the store is used."),
]


def config_path(config: Path | None) -> Path | None:
    if config is not None:
        return config
    env = os.environ.get("INTENTLY_CONFIG")
    if env:
        return Path(env)
    local = Path("intently.yaml")
    return local if local.is_file() else None


def effective_policy(config: Path | None, store: Store | None = None) -> Policy:
    """The effective policy: --config, $INTENTLY_CONFIG, ./intently.yaml, the store's, or the default."""
    return policy_and_source(config, store)[0]


def policy_and_source(config: Path | None, store: Store | None = None) -> tuple[Policy, str, bool]:
    """The effective policy (as :func:`effective_policy`), where it came from in words, and whether that is a file."""
    from intently.policy import load_policy
    from intently.policy.loader import validate_policy

    path = config_path(config)
    if path is not None:
        return load_policy(path), f"file {path}", True
    if store is not None:
        saved = store.saved_policy()
        if saved is not None:
            return validate_policy(saved, f"policy saved in {store.url}"), "saved in the store", False
    return load_policy(), "built-in default", False


def judge_again_if_stale(store: Store, policy: Policy) -> None:
    """Judge the stored tickets again when their judgements were made under another policy than ``policy``
    (its file changed since), so what is read from the store agrees with the policy in force."""
    from intently.policy import fingerprint
    from intently.store.pipeline import classify_store

    tickets = store.ticket_count()
    if tickets and store.judged_policy() != fingerprint(policy):
        with progress(f"Judging {tickets:,} stored tickets under {policy.name} {policy.version}", tickets) as step:
            classify_store(store, policy, progress=step)


def open_store(db: str | None, *, create: bool = False) -> Store:
    return Store.open(db or os.environ.get("INTENTLY_DB") or DEFAULT_DB, create=create)


@contextmanager
def progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


def warn(warnings: list[str], limit: int = 10) -> None:
    for warning in warnings[:limit]:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    if len(warnings) > limit:
        err.print(f"[yellow]warning:[/] … and {len(warnings) - limit} more")


def dataset(path: Path | None, db: str | None, config: Path | None) -> tuple[Any, dict[Id, User], Policy, Any]:
    """(histories, users, policy, source-or-store) from files when PATH is given, else from the store."""
    if path is not None:
        from intently.sources import open_source

        source = open_source(path)
        return source.histories(), source.directory.users, effective_policy(config), source
    store = open_store(db)
    return store.histories(), store.directory().users, effective_policy(config, store), store


def fmt_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


VERDICT_STYLE = {"assignee": "blue", "ownership_change": "magenta", "intentional": "green", "drive_by": "bold red"}


def verdict_markup(verdict: str) -> str:
    return f"[{VERDICT_STYLE.get(verdict, 'white')}]{verdict}[/]"


def parse_id(text: str) -> Id:
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else text


def print_tally(tally: Any) -> None:
    total = tally.judged or 1
    out.print(f"  {tally.judged:,} agent comments judged across {tally.tickets:,} tickets:")
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    table.add_column("verdict")
    table.add_column("comments", justify="right")
    table.add_column("share", justify="right")
    for verdict in ("assignee", "ownership_change", "intentional", "drive_by"):
        count = tally.verdicts.get(verdict, 0)
        table.add_row(verdict_markup(verdict), f"{count:,}", f"{count / total:.1%}")
    out.print(table)


def write_report(
    judgements: Iterable[Any], users: dict[Id, User], policy: Policy, path: Path | None, title: str
) -> Any:
    from intently.policy import RULE_IDS
    from intently.report.html import render_html
    from intently.report.metrics import build_metrics

    metrics = build_metrics(
        judgements,
        users,
        policy_name=policy.name,
        policy_version=policy.version,
        title=title,
        rule_titles={rule_id: policy.rule(rule_id).title for rule_id in RULE_IDS},
    )
    if path is not None:
        path.write_text(render_html(metrics, generated_at=datetime.now(UTC)), encoding="utf-8")
    return metrics
