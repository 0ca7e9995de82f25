"""The commands over data: ``import`` into the store, ``classify`` every comment, ``explain`` one ticket, ``report``."""

from __future__ import annotations

import csv
import io
import re
import sys
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import orjson
import typer

from intently.cli.common import (
    ConfigOption,
    DbOption,
    PathArgument,
    SavedConfigOption,
    bring_up_to_date,
    config_path,
    dataset,
    effective_policy,
    err,
    fmt_time,
    is_store,
    one_ticket,
    open_store,
    out,
    print_tally,
    progress,
    shown,
    store_policy,
    verdict_markup,
    warn,
    write_report,
)
from intently.errors import IntentlyError
from intently.files import write_whole
from intently.model import Id, TicketHistory, User, utc
from intently.policy.messages import counted
from intently.report.formatting import csv_text
from intently.report.tables import FitTable


def register(app: typer.Typer) -> None:
    """Add ``import``, ``classify``, ``explain`` and ``report`` to the ``intently`` app."""
    app.command("import")(import_)
    app.command()(classify)
    app.command()(explain)
    app.command()(report)


def import_(
    path: Annotated[Path, typer.Argument(help="A Zendesk export directory or a neutral .jsonl file")],
    db: DbOption = None,
    config: SavedConfigOption = None,
) -> None:
    """Import a Zendesk export directory or a neutral .jsonl into the store, and judge it (all in one transaction).
    A policy file given (--config, $INTENTLY_CONFIG, ./intently.yaml) becomes the store's policy."""
    from intently.policy import fingerprint
    from intently.store.pipeline import import_path

    store = open_store(db, create=True)
    try:
        policy = effective_policy(config, store)
        before, before_source = store_policy(store)
        with progress("Importing", None) as advance:
            outcome = import_path(path, store, policy, progress=advance, save=config_path(config) is not None)
    except KeyboardInterrupt:
        store.discard_if_new()
        err.print("[yellow]interrupted[/]: nothing was imported; the store is as it was (an import is all or nothing)")
        raise typer.Exit(130) from None
    except BaseException:
        store.discard_if_new()  # a failed first import leaves no empty store file behind
        raise
    from intently.policy.people import unknown_people
    from intently.report.kept import keep_figures

    with progress("Computing the report's figures", None):  # kept: the first report and dashboard page read them
        keep_figures(store, policy)
    warn(outcome.warnings + unknown_people(policy, store.directory().users))
    stats = outcome.stats
    out.print(
        f"Imported {counted(stats.tickets, 'ticket')}, {stats.users:,} people and {counted(stats.events, 'event')} "
        f"into {store.shown_url}"
    )
    if fingerprint(policy) != fingerprint(before):
        out.print(
            f"The store's policy is now {policy.name} {policy.version} (from {config_path(config)}), replacing "
            f"{before.name} {before.version} ({before_source}): every stored ticket was judged under it."
        )
    print_tally(outcome.tally)


def classify(
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table, jsonl, json or csv")] = "table",
    limit: Annotated[int, typer.Option(min=0, help="Rows in the table format (0: all)")] = 50,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Processes judging a Zendesk export at once \\[default: every core]"),
    ] = None,
) -> None:
    """Judge every agent comment, from files (PATH) or from the store (under a policy other than the store's: a
    what-if, which leaves the store untouched)."""
    from intently.engine import EXPORT_FIELDS, Tally
    from intently.sources.parallel import default_jobs, in_order

    if format not in ("table", "jsonl", "json", "csv"):
        raise typer.BadParameter(f"unknown format {format!r}; use table, jsonl, json or csv", param_hint="--format")
    jobs = jobs or default_jobs()
    data = dataset(path, db, config, jobs)
    users, origin = data.users, data.origin
    bring_up_to_date(origin, data.policy, data.what_if, err if format != "table" else out)
    work = partial(_classified, users=users, policy=data.policy, format=format)
    if path is not None:  # one ticket after another on every core, in the same order as on one
        results: Iterable[_Classified] = in_order(origin, work, jobs)
    else:
        results = map(work, data.histories)
    tally = Tally()
    kept: deque[Any] | list[Any] = deque(maxlen=limit) if format == "table" and limit > 0 else []
    write = sys.stdout.buffer.write
    if format == "csv":
        write(_csv_lines([EXPORT_FIELDS]))
    for payload, verdicts, rules, skipped in results:
        tally.tickets += 1
        tally.judged += len(verdicts)
        tally.worked += bool(verdicts)
        tally.verdicts.update(verdicts)
        tally.rules.update(rules)
        for ticket_id, author_id in skipped:
            tally.skip(author_id, ticket_id)
        if format in ("jsonl", "csv"):
            write(payload)
        else:
            kept.extend(payload)
    if format == "json":
        write(_json(list(kept), orjson.OPT_INDENT_2) + b"\n")
    elif format == "table":
        _classify_table(list(kept), tally.judged, users, limit)
        print_tally(tally)
    sys.stdout.flush()
    warn(getattr(origin, "warnings", []) + tally.warnings())


_Classified = tuple[Any, tuple[str, ...], tuple[str, ...], tuple[tuple[Id, Id], ...]]
"""One ticket classified: what to write (``jsonl``, ``csv``: bytes; ``json``: the export objects; ``table``: its
rows), then its verdicts, its rules, and (ticket, author) of each comment not judged (for the tally)."""


def _classified(history: TicketHistory, users: dict[Id, User], policy: Any, format: str) -> _Classified:
    """Judge one ticket and write what the format shows of it (in a worker process when judging on every core)."""
    from intently.engine import EXPORT_FIELDS, judge_ticket

    result = judge_ticket(history, users, policy, outcome=False)
    judgements = result.judgements
    payload: Any
    if format == "jsonl":
        payload = b"".join([_json(j.to_export(utc), orjson.OPT_UTC_Z) + b"\n" for j in judgements])
    elif format == "csv":
        rows = []
        for judgement in judgements:
            row = judgement.to_export()
            row["evidence"] = orjson.dumps(row["evidence"]).decode()
            rows.append([_csv_value(row[key]) for key in EXPORT_FIELDS])
        payload = _csv_lines(rows)
    elif format == "json":
        payload = [j.to_export() for j in judgements]
    else:
        payload = [
            _Row(j.ticket_id, j.created_at, j.author_id, j.public, j.assignee_id, j.verdict, j.rule, j.out_of_region)
            for j in judgements
        ]
    return (
        payload,
        tuple(j.verdict for j in judgements),
        tuple(j.rule for j in judgements),
        tuple((s.ticket_id, s.author_id) for s in result.skipped if s.author_id is not None),
    )


class _Row(NamedTuple):
    """What a judgement shows in the table format."""

    ticket_id: Id
    created_at: datetime
    author_id: Id
    public: bool
    assignee_id: Id | None
    verdict: str
    rule: str
    out_of_region: bool | None


def _csv_lines(rows: Iterable[Iterable[Any]]) -> bytes:
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    return text.getvalue().encode("utf-8")


_C1 = re.compile(rb"\xc2([\x80-\x9f])")


def _json(value: Any, option: int = 0) -> bytes:
    """JSON for a terminal or a pipe: exactly the data, with the C1 control characters (which JSON leaves as
    they are, and some terminals obey) written as ``\\u0080``-style escapes; the other controls orjson escapes."""
    data = orjson.dumps(value, option=option)
    if b"\xc2" not in data:
        return data
    return _C1.sub(lambda m: b"\\u00%02x" % m.group(1)[0], data)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_text(value) if isinstance(value, str) else value


def _classify_table(rows: list[Any], total: int, users: dict[Id, User], limit: int) -> None:
    """The table of the latest ``rows`` (the last ``limit`` of ``total`` judgements, or all of them)."""
    table = FitTable(title="Judgements" + (f" (latest {len(rows)} of {total:,})" if len(rows) < total else ""))
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
    from intently.report.formatting import ticket_link

    history, directory, policy, store = one_ticket(ticket_id, path, db, config)
    users = directory.users
    ticket = history.ticket
    assignee = users[ticket.assignee_id].name if ticket.assignee_id in users else (ticket.assignee_id or "nobody")
    out.print(f"[bold]Ticket {shown(ticket.id)}[/]: {shown(ticket.subject)}")
    out.print(
        f"  status {shown(ticket.status or '-')}, priority {shown(ticket.priority or '-')}, "
        f"assignee now {shown(assignee)}; "
        f"policy {policy.name} {policy.version}"
    )
    zendesk = ticket_link(_zendesk_base(path, store), ticket.id)
    if zendesk is not None:
        out.print(f"  in Zendesk: [link={zendesk}]{zendesk}[/link]")
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
            out.print(f"    → {verdict_markup(j.verdict)}, by rule [bold]{j.rule}[/]{title}: {shown(j.reason)}")
            if flags:
                out.print(f"      [dim]{'; '.join(flags)}[/]")
        elif entry.not_judged:
            out.print(f"    [dim]{shown(entry.not_judged)}[/]")


def _zendesk_base(path: Path | None, origin: object) -> str | None:
    """The Zendesk account's address (``https://acme.zendesk.com``) of the data: a store's, or read from an export
    directory's own ticket URLs; None when not known."""
    if is_store(origin):
        return origin.zendesk_base()
    if path is not None:
        from intently.store.pipeline import export_base

        return export_base(path)
    return None


def report(
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report here")] = None,
) -> None:
    """Team, engineer, pod and region metrics in the terminal (and as an offline HTML file)."""
    from intently.report.terminal import print_report

    if html is not None:  # said before any work or output, not after the report is printed
        if html.is_dir():
            raise IntentlyError(f"{html} is a folder: give a file name for --html")
        if not html.parent.is_dir():
            raise IntentlyError(f"cannot write {html}: the folder {html.parent} does not exist (create it first)")
    data = dataset(path, db, config)
    users, policy, origin = data.users, data.policy, data.origin
    bring_up_to_date(origin, policy, data.what_if, out)
    title = "intently report" + ("" if data.what_if is None else f" (what-if: {policy.name} {policy.version})")
    base = _zendesk_base(path, origin)  # each ticket id a link to Zendesk (the account's address from the data)
    if is_store(origin) and data.what_if is None:  # the store's own, up to date: from its rollups
        from intently.report.kept import write_stored_report

        metrics = write_stored_report(origin, users, policy, html, title=title)
    else:
        from intently.report.facts import FactsCollector

        collector = FactsCollector(data.groups)
        judgements = collector.judgements(data.histories, users, policy)
        metrics = write_report(judgements, users, policy, None, title=title)
        if html is not None:
            from datetime import UTC

            from intently.report.html import render_html
            from intently.report.outcomes import outcomes_by_class

            outcomes = outcomes_by_class(collector.facts())
            page = render_html(metrics, generated_at=datetime.now(UTC), outcomes=outcomes, zendesk_base=base)
            write_whole(html, page)
    print_report(metrics, out, zendesk_base=base)
    if html is not None:
        out.print(f"\nHTML report written to {html}")
    warn(getattr(origin, "warnings", []))
