"""The commands over data: ``import`` into the store, ``classify`` every comment, ``explain`` one ticket, ``report``."""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from intently.cli.common import (
    ConfigOption,
    DbOption,
    PathArgument,
    bring_up_to_date,
    config_path,
    dataset,
    effective_policy,
    err,
    fmt_time,
    judging,
    open_store,
    out,
    parse_id,
    print_tally,
    progress,
    shown,
    verdict_markup,
    warn,
    write_report,
)
from intently.errors import IntentlyError
from intently.model import Id, TicketHistory, User
from intently.report.formatting import csv_text
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
    """Import a Zendesk export directory or a neutral .jsonl into the store, and judge it (all in one transaction).
    A policy file given (--config, $INTENTLY_CONFIG, ./intently.yaml) becomes the store's policy."""
    from intently.store.pipeline import import_path

    store = open_store(db, create=True)
    try:
        policy = effective_policy(config, store)
        with progress("Importing", None) as advance:
            outcome = import_path(path, store, policy, progress=advance, save=config_path(config) is not None)
    except BaseException:
        store.discard_if_new()  # a failed first import leaves no empty store file behind
        raise
    from intently.policy.people import unknown_people

    warn(outcome.warnings + unknown_people(policy, store.directory().users))
    out.print(
        f"Imported {outcome.stats.tickets:,} tickets, {outcome.stats.users:,} people and "
        f"{outcome.stats.events:,} events into {store.shown_url}"
    )
    print_tally(outcome.tally)


def classify(
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table, jsonl, json or csv")] = "table",
    limit: Annotated[int, typer.Option(help="Rows in the table format (0: all)")] = 50,
) -> None:
    """Judge every agent comment, from files (PATH) or from the store (under a policy other than the store's: a
    what-if, which leaves the store untouched)."""
    from intently.engine import EXPORT_FIELDS
    from intently.store.pipeline import Tally, judge_all

    if format not in ("table", "jsonl", "json", "csv"):
        raise typer.BadParameter(f"unknown format {format!r}; use table, jsonl, json or csv", param_hint="--format")
    data = dataset(path, db, config)
    users, origin = data.users, data.origin
    bring_up_to_date(origin, data.policy, data.what_if, err if format != "table" else out)
    tally = Tally()
    judgements = (j for result in judge_all(data.histories, users, data.policy, tally) for j in result.judgements)
    if format == "jsonl":
        for judgement in judgements:
            sys.stdout.buffer.write(_json(judgement.to_export()) + b"\n")
    elif format == "json":
        sys.stdout.buffer.write(_json([j.to_export() for j in judgements], orjson.OPT_INDENT_2) + b"\n")
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


_C1 = re.compile(rb"\xc2([\x80-\x9f])")


def _json(value: Any, option: int = 0) -> bytes:
    """JSON for a terminal or a pipe: exactly the data, with the C1 control characters (which JSON leaves as
    they are, and some terminals obey) written as ``\\u0080``-style escapes; the other controls orjson escapes."""
    return _C1.sub(lambda m: b"\\u00%02x" % m.group(1)[0], orjson.dumps(value, option=option))


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_text(value) if isinstance(value, str) else value


def _classify_table(judgements: list[Any], users: dict[Id, User], limit: int) -> None:
    rows = judgements if limit <= 0 else judgements[-limit:]
    table = Table(
        title="Judgements" + (f" (latest {len(rows)} of {len(judgements):,})" if len(rows) < len(judgements) else "")
    )
    for column in ("ticket", "time (UTC)", "author", "kind", "assignee", "verdict", "rule", "region"):
        table.add_column(column)
    for j in rows:
        region = {True: "outside", False: "inside", None: "-"}[j.out_of_region]
        table.add_row(
            shown(j.ticket_id),
            fmt_time(j.created_at),
            shown(users[j.author_id].name if j.author_id in users else str(j.author_id)),
            "public" if j.public else "internal",
            shown(users[j.assignee_id].name if j.assignee_id in users else str(j.assignee_id or "-")),
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
        choice = judging(config, store)
        bring_up_to_date(store, choice.policy, choice.what_if, out)
        directory, policy = store.directory(), choice.policy
        history = store.history(wanted)
    users = directory.users
    if history is None:
        raise IntentlyError(f"ticket {ticket_id} not found in {path or 'the store'}")
    ticket = history.ticket
    assignee = users[ticket.assignee_id].name if ticket.assignee_id in users else (ticket.assignee_id or "nobody")
    out.print(f"[bold]Ticket {shown(ticket.id)}[/]: {shown(ticket.subject)}")
    out.print(
        f"  status {shown(ticket.status or '-')}, priority {shown(ticket.priority or '-')}, "
        f"assignee now {shown(assignee)}; "
        f"policy {policy.name} {policy.version}"
    )
    for entry in timeline(history, users, policy, directory.groups):
        event = entry.event
        out.print(f"[dim]{fmt_time(event.at)}[/]  [bold]{shown(entry.who)}[/]  {shown(entry.what)}")
        if entry.judgement is not None:
            j = entry.judgement
            flags = []
            if j.out_of_region is not None:
                flags.append("outside the preferred region" if j.out_of_region else "inside the preferred region")
            if j.acknowledged is not None:
                flags.append("acknowledged by the assignee" if j.acknowledged else "not acknowledged")
            title = f" ({shown(entry.rule_title)})" if entry.rule_title else ""
            out.print(f"    → {verdict_markup(j.verdict)} by rule [bold]{j.rule}[/]{title}: {shown(j.reason)}")
            if flags:
                out.print(f"      [dim]{'; '.join(flags)}[/]")
        elif entry.not_judged:
            out.print(f"    [dim]{shown(entry.not_judged)}[/]")


def report(
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report here")] = None,
) -> None:
    """Team, engineer, pod and region metrics in the terminal (and as an offline HTML file)."""
    from intently.report.facts import FactsCollector, stored_facts
    from intently.report.terminal import print_report

    data = dataset(path, db, config)
    users, policy, origin = data.users, data.policy, data.origin
    bring_up_to_date(origin, policy, data.what_if, out)
    facts: Callable[[], list[Any]]
    if isinstance(origin, Store) and data.what_if is None:
        judgements: Iterable[Any] = origin.judgements()  # the store's own, up to date
        facts = partial(stored_facts, origin)
    else:
        collector = FactsCollector(data.groups)
        judgements = collector.judgements(data.histories, users, policy)
        facts = collector.facts
    title = "intently report" + ("" if data.what_if is None else f" (what-if: {policy.name} {policy.version})")
    metrics = write_report(judgements, users, policy, html, title=title, facts=facts)
    print_report(metrics, out)
    if html is not None:
        out.print(f"\nHTML report written to {html}")
    warn(getattr(origin, "warnings", []))
