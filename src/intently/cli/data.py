"""The commands over data: ``import`` into the store, ``classify`` every comment, ``explain`` one ticket, ``report``."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from intently.cli.common import (
    ConfigOption,
    DbOption,
    PathArgument,
    config_path,
    dataset,
    effective_policy,
    fmt_time,
    judge_again_if_stale,
    open_store,
    out,
    parse_id,
    print_tally,
    progress,
    verdict_markup,
    warn,
    write_report,
)
from intently.errors import IntentlyError
from intently.model import Id, TicketHistory, User
from intently.store import Store


def register(app: typer.Typer) -> None:
    """Add ``import``, ``classify``, ``explain`` and ``report`` to the ``intently`` app."""
    app.command("import")(import_)
    app.command()(classify)
    app.command()(explain)
    app.command()(report)


def import_(
    path: Annotated[Path, typer.Argument(help="A Zendesk export directory or a neutral .jsonl file")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Import a Zendesk export directory or a neutral .jsonl into the store, and judge it."""
    from intently.store.pipeline import import_path

    store = open_store(db, create=True)
    policy = effective_policy(config, store)
    with progress("Importing", None) as advance:
        outcome = import_path(path, store, policy, progress=advance)
    if config_path(config) is not None:
        store.save_policy(policy)
    warn(outcome.warnings)
    out.print(
        f"Imported {outcome.stats.tickets:,} tickets, {outcome.stats.users:,} people and "
        f"{outcome.stats.events:,} events into {store.url}"
    )
    print_tally(outcome.tally)


def classify(
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table, jsonl, json or csv")] = "table",
    limit: Annotated[int, typer.Option(help="Rows in the table format (0: all)")] = 50,
) -> None:
    """Judge every agent comment, from files (PATH) or from the store."""
    from intently.engine import EXPORT_FIELDS
    from intently.store.pipeline import Tally, judge_all

    if format not in ("table", "jsonl", "json", "csv"):
        raise typer.BadParameter(f"unknown format {format!r}; use table, jsonl, json or csv", param_hint="--format")
    histories, users, policy, origin = dataset(path, db, config)
    tally = Tally()
    results = judge_all(histories, users, policy, tally)
    if path is None:
        from intently.policy import fingerprint

        results = _stored(origin, results, fingerprint(policy))
    judgements = (j for result in results for j in result.judgements)
    if format == "jsonl":
        for judgement in judgements:
            sys.stdout.buffer.write(orjson.dumps(judgement.to_export()) + b"\n")
    elif format == "json":
        sys.stdout.buffer.write(orjson.dumps([j.to_export() for j in judgements], option=orjson.OPT_INDENT_2) + b"\n")
    elif format == "csv":
        writer = csv.writer(io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=True))
        writer.writerow(EXPORT_FIELDS)
        for judgement in judgements:
            row = judgement.to_export()
            row["evidence"] = orjson.dumps(row["evidence"]).decode()
            writer.writerow([_csv_value(row[key]) for key in EXPORT_FIELDS])
    else:
        _classify_table(list(judgements), users, limit)
        print_tally(tally)
    sys.stdout.flush()
    warn(getattr(origin, "warnings", []) + tally.warnings())


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _stored(store: Store, results: Iterator[Any], policy: str) -> Iterator[Any]:
    """Pass results through while storing them (so the store's judgements follow the latest run)."""
    collected: list[Any] = []
    for result in results:
        collected.append(result)
        yield result
    store.replace_judgements(collected, policy)


def _classify_table(judgements: list[Any], users: dict[Id, User], limit: int) -> None:
    shown = judgements if limit <= 0 else judgements[-limit:]
    table = Table(
        title="Judgements" + (f" (latest {len(shown)} of {len(judgements):,})" if len(shown) < len(judgements) else "")
    )
    for column in ("ticket", "time (UTC)", "author", "kind", "assignee", "verdict", "rule", "region"):
        table.add_column(column)
    for j in shown:
        region = {True: "outside", False: "inside", None: "-"}[j.out_of_region]
        table.add_row(
            str(j.ticket_id),
            fmt_time(j.created_at),
            escape(users[j.author_id].name if j.author_id in users else str(j.author_id)),
            "public" if j.public else "internal",
            escape(users[j.assignee_id].name if j.assignee_id in users else str(j.assignee_id or "-")),
            verdict_markup(j.verdict),
            j.rule,
            region,
        )
    out.print(table)


def explain(
    ticket_id: Annotated[str, typer.Argument(help="The ticket's id")],
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """A ticket's timeline with each judgement and its reason."""
    from intently.engine.explain import timeline

    wanted = parse_id(ticket_id)
    history: TicketHistory | None
    if path is not None:
        from intently.sources import open_source

        source = open_source(path)
        directory, policy = source.directory, effective_policy(config)
        history = next((h for h in source.histories() if h.ticket.id == wanted), None)
    else:
        store = open_store(db)
        directory, policy = store.directory(), effective_policy(config, store)
        history = store.history(wanted)
    users = directory.users
    if history is None:
        raise IntentlyError(f"ticket {ticket_id} not found in {path or 'the store'}")
    ticket = history.ticket
    assignee = users[ticket.assignee_id].name if ticket.assignee_id in users else (ticket.assignee_id or "nobody")
    out.print(f"[bold]Ticket {escape(str(ticket.id))}[/]: {escape(ticket.subject)}")
    out.print(
        f"  status {ticket.status or '-'}, priority {ticket.priority or '-'}, assignee now {escape(str(assignee))}; "
        f"policy {policy.name} {policy.version}"
    )
    for entry in timeline(history, users, policy, directory.groups):
        event = entry.event
        out.print(f"[dim]{fmt_time(event.at)}[/]  [bold]{escape(entry.who)}[/]  {escape(entry.what)}")
        if entry.judgement is not None:
            j = entry.judgement
            flags = []
            if j.out_of_region is not None:
                flags.append("outside the preferred region" if j.out_of_region else "inside the preferred region")
            if j.acknowledged is not None:
                flags.append("acknowledged by the assignee" if j.acknowledged else "not acknowledged")
            out.print(f"    → {verdict_markup(j.verdict)} by rule [bold]{j.rule}[/]: {escape(j.reason)}")
            if flags:
                out.print(f"      [dim]{'; '.join(flags)}[/]")
        elif entry.not_judged:
            out.print(f"    [dim]{entry.not_judged}[/]")


def report(
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report here")] = None,
) -> None:
    """Team, engineer, pod and region metrics in the terminal (and as an offline HTML file)."""
    from intently.report.terminal import print_report
    from intently.store.pipeline import judge_all

    histories, users, policy, origin = dataset(path, db, config)
    if isinstance(origin, Store):
        judge_again_if_stale(origin, policy)  # reports read the stored judgements
        judgements: Iterable[Any] = origin.judgements()
    else:
        judgements = (j for result in judge_all(histories, users, policy) for j in result.judgements)
    metrics = write_report(judgements, users, policy, html, title="intently report")
    print_report(metrics, out)
    if html is not None:
        out.print(f"\nHTML report written to {html}")
    warn(getattr(origin, "warnings", []))
