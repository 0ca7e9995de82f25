"""The commands that ask whether the definition serves customers: ``outcomes`` (what happens to tickets by how
they were worked) and ``evaluate`` (did a pilot change anything)."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Any

import orjson
import typer

from intently.cli.common import (
    ConfigOption,
    Dataset,
    DbOption,
    PathArgument,
    bring_up_to_date,
    dataset,
    err,
    is_store,
    out,
    shown,
    warn,
)
from intently.errors import InputError
from intently.report.tables import FitTable

FORMATS = ("table", "json", "csv")
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table, json or csv")]


def register(app: typer.Typer) -> None:
    """Add ``outcomes`` and ``evaluate`` to the ``intently`` app."""
    app.command()(outcomes)
    app.command()(evaluate)


def _date(value: str | None, option: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD", param_hint=option) from None


def _format(value: str) -> str:
    if value not in FORMATS:
        raise typer.BadParameter(f"unknown format {value!r}; use table, json or csv", param_hint="--format")
    return value


def _facts(data: Dataset, console_for_notes: Any) -> list[Any]:
    """Every worked ticket: the store's stored judgements and outcomes, or judged in memory (files, a what-if)."""
    from intently.report.facts import judged_facts, stored_facts

    bring_up_to_date(data.origin, data.policy, data.what_if, console_for_notes)
    if is_store(data.origin) and data.what_if is None:
        return stored_facts(data.origin)
    return judged_facts(data.histories, data.users, data.policy, data.groups)


def _flat(row: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON object as one CSV row: an interval ``[low, high]`` becomes two columns ``NAME_low``/``NAME_high``."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if key.endswith("_ci"):
            low, high = value if value is not None else (None, None)
            flat[f"{key}_low"], flat[f"{key}_high"] = low, high
        elif isinstance(value, list):
            flat[key] = "; ".join(str(item) for item in value)
        elif isinstance(value, dict):
            for inner, item in value.items():
                flat[f"{key}_{inner}"] = item
        else:
            flat[key] = value
    return flat


def _write_csv(rows: Sequence[Mapping[str, Any]]) -> None:
    from intently.report.formatting import csv_text

    flat = [_flat(row) for row in rows]
    columns = list(dict.fromkeys(key for row in flat for key in row))
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(columns)
    for row in flat:
        writer.writerow(
            ["" if row.get(c) is None else (csv_text(row[c]) if isinstance(row[c], str) else row[c]) for c in columns]
        )
    # Through sys.stdout's own buffer (bytes: the CRLF stays as is on every platform), not a second stream on file
    # descriptor 1: output in order with anything already written, and wherever sys.stdout points (in-process runs).
    sys.stdout.flush()
    sys.stdout.buffer.write(text.getvalue().encode("utf-8"))
    sys.stdout.flush()


def _write_json(value: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


def outcomes(
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
    start: Annotated[
        str | None, typer.Option("--from", help="Tickets created on or after this day (YYYY-MM-DD)")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Tickets created on or before this day (YYYY-MM-DD)")] = None,
    region: Annotated[str | None, typer.Option(help="Tickets preferring this region ('unknown': none)")] = None,
    pod: Annotated[str | None, typer.Option(help="Tickets assigned to a member of this pod")] = None,
    group: Annotated[str | None, typer.Option(help="Tickets in this group (name or id)")] = None,
    priority: Annotated[str | None, typer.Option(help="Tickets of this priority")] = None,
    format: FormatOption = "table",
) -> None:
    """What happens to tickets by how they were worked (solo, with intentional help, with a drive-by): satisfaction,
    resolution time, reopens, first reply; and whether a drive-by makes a difference, also after adjusting for
    priority and group. JSON holds everything; CSV the table of classes."""
    from intently.report.facts import TicketFilter
    from intently.report.outcomes import outcomes_by_class

    format = _format(format)
    chosen = TicketFilter(_date(start, "--from"), _date(end, "--to"), region, pod, group, priority)
    if chosen.start is not None and chosen.end is not None and chosen.end < chosen.start:
        raise typer.BadParameter(f"--to {chosen.end} is before --from {chosen.start}", param_hint="--to")
    data = dataset(path, db, config)
    chosen = _known(chosen, data)
    notes = err if format != "table" else out
    origin = data.origin
    if is_store(origin) and data.what_if is None:  # the store's own figures: kept per data version
        from intently.report.kept import kept_outcomes

        bring_up_to_date(origin, data.policy, None, notes)
        result = kept_outcomes(origin, data.policy, data.users, origin.data_version(), chosen)
    else:
        result = outcomes_by_class(chosen.apply(_facts(data, notes), data.policy, data.users))
    if format == "json":
        _write_json(result.to_dict())
    elif format == "csv":
        _write_csv([c.to_dict() for c in result.classes])
    else:
        _print_outcomes(result, chosen)
    warn(getattr(data.origin, "warnings", []))


def _known(chosen: Any, data: Dataset) -> Any:
    """The filter in the policy's words; one naming nothing known is an error listing what is (see
    :meth:`intently.report.facts.TicketFilter.known`)."""
    try:
        return chosen.known(data.policy, data.groups.values())
    except ValueError as exc:
        raise InputError(f"--{exc}") from None


def _print_outcomes(result: Any, chosen: Any) -> None:
    from intently.report.outcome_charts import hours, with_interval
    from intently.report.outcomes import MIN_TICKETS

    scope = ", ".join(f"{name} {shown(value)}" for name, value in chosen.items())
    table = FitTable(
        title=f"Outcomes by how tickets were worked ({result.tickets:,} worked tickets{'; ' + scope if scope else ''})",
        caption="95% intervals in brackets",
    )
    for column in ("", "tickets", "rated", "rated good", "resolved", "median resolution", "reopened", "first reply"):
        table.add_column(column, justify="left" if not column else "right")
    for c in result.classes:
        table.add_row(
            c.label,
            f"{c.tickets:,}",
            f"{c.rated:,}",
            with_interval(c.csat_good_rate, c.csat_good_rate_ci, "rate"),
            f"{c.resolved:,}",
            with_interval(c.median_resolution_hours, c.median_resolution_hours_ci, "hours"),
            with_interval(c.reopened_rate, c.reopened_rate_ci, "rate"),
            hours(c.median_first_reply_hours),
        )
    out.print(table)
    out.print("\n[bold]Does it matter?[/]")
    for comparison in result.comparisons:
        out.print(f"  • {shown(comparison.sentence)}")
    out.print(
        f"\n[dim]Rated good: of tickets rated good or bad. Reopened: of resolved tickets. Resolution and first reply: "
        f"calendar hours from creation. Below {MIN_TICKETS} tickets a figure is too few to tell. See docs/outcomes.md."
        "[/]"
    )


def evaluate(
    pilot: Annotated[str, typer.Option("--pilot", help="The pilot: pod=NAME, group=NAME or region=NAME")],
    start: Annotated[str, typer.Option("--start", help="The day the pilot started (YYYY-MM-DD)")],
    end: Annotated[str | None, typer.Option("--end", help="The last day to count (YYYY-MM-DD); default: all")] = None,
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
    format: FormatOption = "table",
) -> None:
    """Did a pilot work? The pilot's tickets against the others, created before and after the start: drive-by
    share, intentional help, notes acknowledged, satisfaction and resolution time, each with a
    difference-in-differences and its 95% interval."""
    from intently.report.pilot import PILOT_KINDS, choose_pilot, parse_pilot
    from intently.report.pilot import evaluate as evaluate_pilot

    format = _format(format)
    first = _date(start, "--start")
    last = _date(end, "--end")
    if first is None:
        raise typer.BadParameter("the day the pilot started is required: use YYYY-MM-DD", param_hint="--start")
    if last is not None and last < first:
        raise typer.BadParameter(f"--end {last} is before --start {first}", param_hint="--end")
    try:
        kind, name = parse_pilot(pilot)
    except ValueError as problem:
        raise typer.BadParameter(str(problem), param_hint="--pilot") from None
    if kind not in PILOT_KINDS:  # a usage error, found before any data is read (as the dashboard's 400)
        raise typer.BadParameter(
            f"unknown pilot kind {kind!r}: use {', '.join(PILOT_KINDS)} (e.g. pod=NAME)", param_hint="--pilot"
        )
    data = dataset(path, db, config)
    try:
        chosen = choose_pilot(kind, name, data.policy, data.users, data.groups)
    except ValueError as problem:
        raise InputError(f"--pilot {pilot}: {problem}") from None
    facts = _facts(data, err if format != "table" else out)
    result = evaluate_pilot(facts, chosen.covers, first, last, label=chosen.label)
    if format == "json":
        _write_json(result.to_dict())
    elif format == "csv":
        _write_csv([m.to_dict() for m in result.measures])
    else:
        _print_pilot(result)
    warn(getattr(data.origin, "warnings", []))


def _print_pilot(result: Any) -> None:
    from intently.report.outcome_charts import difference, with_interval
    from intently.report.pilot import CAVEAT

    period = f"from {result.start}" + (f" to {result.end}" if result.end else "")
    counts = result.tickets
    table = FitTable(
        title=f"Pilot: {shown(result.label)}, {period}",
        caption=(
            f"Tickets: pilot {counts.get('pilot_before', 0):,} before, {counts.get('pilot_after', 0):,} after; "
            f"others {counts.get('others_before', 0):,} before, {counts.get('others_after', 0):,} after"
        ),
    )
    for column in ("", "pilot before", "pilot after", "others before", "others after", "difference (95% CI)"):
        table.add_column(column, justify="left" if not column else "right")
    for m in result.measures:
        kind = "rate" if m.kind == "rate" else "hours"
        d = m.did
        change = difference(d.estimate, d.ci, m.kind)
        table.add_row(m.title, *(with_interval(cell.value, None, kind) for cell in d.cells), change)
    out.print(table)
    for m in result.measures:
        out.print(f"  • {shown(m.sentence)}")
    out.print(f"\n[dim]{CAVEAT} See docs/outcomes.md.[/]")
