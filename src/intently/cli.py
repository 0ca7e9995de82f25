"""The ``intently`` command: thin commands over the library.

Exit codes: 0 success, 1 a failure the user can fix (bad input, missing file, invalid policy),
2 a usage error.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from intently.cli_options import ConfigOption, DbOption
from intently.errors import IntentlyError
from intently.model import Id, TicketHistory, User
from intently.policy import Policy
from intently.store import DEFAULT_DB, Store

app = typer.Typer(
    name="intently",
    help="Where intentional collaboration on a support ticket ends and drive-by collaboration begins.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
policy_app = typer.Typer(help="Show, validate, test, render and compare the policy.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")

out = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 130)
err = Console(stderr=True, highlight=False, soft_wrap=True)

PathArgument = Annotated[
    Path | None,
    typer.Argument(help="A Zendesk export directory or a neutral .jsonl file; without it, the store is used."),
]


# --- shared helpers -------------------------------------------------------------------------------


def _config_path(config: Path | None) -> Path | None:
    if config is not None:
        return config
    env = os.environ.get("INTENTLY_CONFIG")
    if env:
        return Path(env)
    local = Path("intently.yaml")
    return local if local.is_file() else None


def _policy(config: Path | None, store: Store | None = None) -> Policy:
    """The effective policy: --config, $INTENTLY_CONFIG, ./intently.yaml, the store's, or the default."""
    return _policy_and_source(config, store)[0]


def _policy_and_source(config: Path | None, store: Store | None = None) -> tuple[Policy, str, bool]:
    """The effective policy (as :func:`_policy`), where it came from in words, and whether that is a file."""
    from intently.policy import load_policy
    from intently.policy.loader import validate_policy

    path = _config_path(config)
    if path is not None:
        return load_policy(path), f"file {path}", True
    if store is not None:
        saved = store.saved_policy()
        if saved is not None:
            return validate_policy(saved, f"policy saved in {store.url}"), "saved in the store", False
    return load_policy(), "built-in default", False


def _judge_again_if_stale(store: Store, policy: Policy) -> None:
    """Judge the stored tickets again when their judgements were made under another policy than ``policy``
    (its file changed since), so what is read from the store agrees with the policy in force."""
    from intently.pipeline import classify_store
    from intently.policy import fingerprint

    tickets = store.ticket_count()
    if tickets and store.judged_policy() != fingerprint(policy):
        with _progress(f"Judging {tickets:,} stored tickets under {policy.name} {policy.version}", tickets) as step:
            classify_store(store, policy, progress=step)


def _store(db: str | None, *, create: bool = False) -> Store:
    return Store.open(db or os.environ.get("INTENTLY_DB") or DEFAULT_DB, create=create)


@contextmanager
def _progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
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


def _warn(warnings: list[str], limit: int = 10) -> None:
    for warning in warnings[:limit]:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    if len(warnings) > limit:
        err.print(f"[yellow]warning:[/] … and {len(warnings) - limit} more")


def _dataset(path: Path | None, db: str | None, config: Path | None) -> tuple[Any, dict[Id, User], Policy, Any]:
    """(histories, users, policy, source-or-store) from files when PATH is given, else from the store."""
    if path is not None:
        from intently.sources import open_source

        source = open_source(path)
        return source.histories(), source.directory.users, _policy(config), source
    store = _store(db)
    return store.histories(), store.directory().users, _policy(config, store), store


def _fmt_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


VERDICT_STYLE = {"assignee": "blue", "ownership_change": "magenta", "intentional": "green", "drive_by": "bold red"}


def _verdict(verdict: str) -> str:
    return f"[{VERDICT_STYLE.get(verdict, 'white')}]{verdict}[/]"


def _parse_id(text: str) -> Id:
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else text


# --- demo -----------------------------------------------------------------------------------------

DEMO_DAYS = 91


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo's export, store and report")] = Path(
        "intently-demo"
    ),
    tickets: Annotated[int, typer.Option(min=10, max=200_000, help="Number of tickets")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and --until give the same data")] = 7,
    until: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="The day after the demo's quarter (91 days) ends [default: today, UTC]"
        ),
    ] = None,
) -> None:
    """Generate a realistic Zendesk export, import it, judge it, and write a report and the handbook."""
    from intently.demo import generate_export
    from intently.pipeline import import_path
    from intently.policy import load_policy
    from intently.policy.render import render_handbook
    from intently.policy.scenarios import run_suite

    out_dir.mkdir(parents=True, exist_ok=True)
    export_dir = out_dir / "export"
    db_path = out_dir / "intently.db"
    if db_path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    end = until.date() if until is not None else datetime.now(UTC).date()
    start = end - timedelta(days=DEMO_DAYS)
    with _progress("Writing a synthetic Zendesk export", tickets) as advance:
        summary = generate_export(export_dir, tickets=tickets, seed=seed, start=start, days=DEMO_DAYS, progress=advance)
    policy_path = out_dir / "intently.yaml"
    shutil.copyfile(summary.policy_path, policy_path)
    policy = load_policy(policy_path)
    store = Store.open(db_path)
    with _progress("Importing and judging", tickets) as advance:
        outcome = import_path(export_dir, store, policy, progress=advance)
    store.save_policy(policy)
    judgements = list(store.judgements())
    report_path = out_dir / "report.html"
    metrics = _write_report(judgements, store.directory().users, policy, report_path, title="intently demo")
    handbook_path = out_dir / "handbook.md"
    handbook_path.write_text(render_handbook(policy, run_suite(policy)), encoding="utf-8")
    _warn(outcome.warnings)
    last_day = end - timedelta(days=1)
    out.print(f"[bold]intently demo[/] (seed {seed}, {start:%d %b %Y} to {last_day:%d %b %Y})")
    out.print(
        f"  {outcome.stats.tickets:,} tickets, {outcome.stats.users:,} people, "
        f"{outcome.stats.events:,} events imported into {db_path}"
    )
    _print_tally(outcome.tally)
    from intently.report.terminal import print_report

    out.print()
    print_report(metrics, out, details=False)
    out.print(f"  Report:   {report_path}  (open it in a browser; it works offline)")
    out.print(f"  Handbook: {handbook_path}")
    out.print(f"  Policy:   {policy_path} ({policy.name} {policy.version}, with the demo's pods)")
    out.print(f"  Export:   {export_dir}")
    out.print(f"  Next:     intently report --db {db_path}")
    out.print(f"            intently explain {_example_ticket(judgements)} --db {db_path}")
    out.print(f"  Dashboard: intently user add YOU --role admin --db {db_path}")
    out.print(f"             intently serve --db {db_path}   (then open http://127.0.0.1:8000/)")


def _example_ticket(judgements: list[Any]) -> Id:
    drive_bys = [j for j in judgements if j.verdict == "drive_by"]
    return (drive_bys or judgements)[-1].ticket_id if judgements else 1


def _print_tally(tally: Any) -> None:
    total = tally.judged or 1
    out.print(f"  {tally.judged:,} agent comments judged across {tally.tickets:,} tickets:")
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    table.add_column("verdict")
    table.add_column("comments", justify="right")
    table.add_column("share", justify="right")
    for verdict in ("assignee", "ownership_change", "intentional", "drive_by"):
        count = tally.verdicts.get(verdict, 0)
        table.add_row(_verdict(verdict), f"{count:,}", f"{count / total:.1%}")
    out.print(table)


def _write_report(
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


# --- import, classify, explain, report ------------------------------------------------------------


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="A Zendesk export directory or a neutral .jsonl file")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Import a Zendesk export directory or a neutral .jsonl into the store, and judge it."""
    from intently.pipeline import import_path

    store = _store(db, create=True)
    policy = _policy(config, store)
    with _progress("Importing", None) as advance:
        outcome = import_path(path, store, policy, progress=advance)
    if _config_path(config) is not None:
        store.save_policy(policy)
    _warn(outcome.warnings)
    out.print(
        f"Imported {outcome.stats.tickets:,} tickets, {outcome.stats.users:,} people and "
        f"{outcome.stats.events:,} events into {store.url}"
    )
    _print_tally(outcome.tally)


@app.command()
def classify(
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table, jsonl, json or csv")] = "table",
    limit: Annotated[int, typer.Option(help="Rows in the table format (0: all)")] = 50,
) -> None:
    """Judge every agent comment, from files (PATH) or from the store."""
    from intently.engine import EXPORT_FIELDS
    from intently.pipeline import Tally, judge_all

    if format not in ("table", "jsonl", "json", "csv"):
        raise typer.BadParameter(f"unknown format {format!r}; use table, jsonl, json or csv", param_hint="--format")
    histories, users, policy, origin = _dataset(path, db, config)
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
        _print_tally(tally)
    sys.stdout.flush()
    _warn(getattr(origin, "warnings", []) + tally.warnings())


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
            _fmt_time(j.created_at),
            escape(users[j.author_id].name if j.author_id in users else str(j.author_id)),
            "public" if j.public else "internal",
            escape(users[j.assignee_id].name if j.assignee_id in users else str(j.assignee_id or "-")),
            _verdict(j.verdict),
            j.rule,
            region,
        )
    out.print(table)


@app.command()
def explain(
    ticket_id: Annotated[str, typer.Argument(help="The ticket's id")],
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """A ticket's timeline with each judgement and its reason."""
    from intently.explain import timeline

    wanted = _parse_id(ticket_id)
    history: TicketHistory | None
    if path is not None:
        from intently.sources import open_source

        source = open_source(path)
        directory, policy = source.directory, _policy(config)
        history = next((h for h in source.histories() if h.ticket.id == wanted), None)
    else:
        store = _store(db)
        directory, policy = store.directory(), _policy(config, store)
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
        out.print(f"[dim]{_fmt_time(event.at)}[/]  [bold]{escape(entry.who)}[/]  {escape(entry.what)}")
        if entry.judgement is not None:
            j = entry.judgement
            flags = []
            if j.out_of_region is not None:
                flags.append("outside the preferred region" if j.out_of_region else "inside the preferred region")
            if j.acknowledged is not None:
                flags.append("acknowledged by the assignee" if j.acknowledged else "not acknowledged")
            out.print(f"    → {_verdict(j.verdict)} by rule [bold]{j.rule}[/]: {escape(j.reason)}")
            if flags:
                out.print(f"      [dim]{'; '.join(flags)}[/]")
        elif entry.not_judged:
            out.print(f"    [dim]{entry.not_judged}[/]")


@app.command()
def report(
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report here")] = None,
) -> None:
    """Team, engineer, pod and region metrics in the terminal (and as an offline HTML file)."""
    from intently.pipeline import judge_all
    from intently.report.terminal import print_report

    histories, users, policy, origin = _dataset(path, db, config)
    if isinstance(origin, Store):
        _judge_again_if_stale(origin, policy)  # reports read the stored judgements
        judgements: Iterable[Any] = origin.judgements()
    else:
        judgements = (j for result in judge_all(histories, users, policy) for j in result.judgements)
    metrics = _write_report(judgements, users, policy, html, title="intently report")
    print_report(metrics, out)
    if html is not None:
        out.print(f"\nHTML report written to {html}")
    _warn(getattr(origin, "warnings", []))


# --- policy ---------------------------------------------------------------------------------------


@policy_app.command("show")
def policy_show(config: ConfigOption = None, db: DbOption = None) -> None:
    """Print the effective policy (the default with your override merged over it)."""
    from intently.policy import dump_policy, fingerprint

    policy = _policy(config, _store(db) if db else None)
    out.print(f"# {policy.name} {policy.version} (fingerprint {fingerprint(policy)})")
    sys.stdout.write(dump_policy(policy))


@policy_app.command("validate")
def policy_validate(file: Annotated[Path, typer.Argument(help="A policy override file (YAML)")]) -> None:
    """Check a policy file; every problem names its key."""
    from intently.policy import fingerprint, load_policy

    policy = load_policy(file)
    out.print(f"[green]valid[/]: {file} → {policy.name} {policy.version} (fingerprint {fingerprint(policy)})")


@policy_app.command("test")
def policy_test(
    directory: Annotated[
        Path | None, typer.Argument(help="A folder of scenario files (default: the built-in suite)")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Run the scenario suite against the effective policy."""
    from intently.policy.scenarios import run_suite

    policy = _policy(config)
    results = run_suite(policy, directory)
    table = Table(title=f"Scenarios under {policy.name} {policy.version}")
    table.add_column("result")
    table.add_column("scenario")
    table.add_column("title")
    failed = 0
    for result in results:
        mark = "[green]pass[/]" if result.passed else "[bold red]FAIL[/]"
        failed += not result.passed
        table.add_row(mark, result.scenario.id, escape(result.scenario.title))
        for mismatch in result.mismatches:
            table.add_row(
                "",
                "",
                f"[red]step {mismatch.step}: {mismatch.key} expected {mismatch.expected!r}, got {mismatch.actual!r}[/]",
            )
    out.print(table)
    out.print(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)


@policy_app.command("render")
def policy_render(
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the handbook page here (Markdown)")] = None,
    config: ConfigOption = None,
) -> None:
    """Render the handbook page: definitions, rules with rationale and examples, thresholds in force."""
    from intently.policy.render import render_handbook
    from intently.policy.scenarios import run_suite

    policy = _policy(config)
    text = render_handbook(policy, run_suite(policy))
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text, encoding="utf-8")
        out.print(f"Handbook written to {out_file}")


@policy_app.command("compare")
def policy_compare(
    file: Annotated[Path, typer.Argument(help="The proposed policy: changes merged over the current policy")],
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Weigh a proposed policy on a dataset: how many judgements change, from what to what."""
    from intently.compare import compare_policies
    from intently.policy.loader import merge, read_policy_file, validate_policy

    histories, users, current, _ = _dataset(path, db, config)
    # The proposal is read as changes to the current policy (a full policy file works the same way).
    proposed = validate_policy(merge(current.model_dump(), read_policy_file(file)), str(file))
    comparison = compare_policies(histories, users, current, proposed)
    share = comparison.changed / comparison.judgements if comparison.judgements else 0.0
    out.print(
        f"[bold]{comparison.changed:,}[/] of {comparison.judgements:,} judgements change ({share:.1%}), "
        f"on {comparison.tickets_changed:,} of {comparison.tickets:,} tickets."
    )
    out.print(f"  current:  {current.name} {current.version}\n  proposed: {proposed.name} {proposed.version} ({file})")
    verdicts = Table(title="Verdicts")
    verdicts.add_column("verdict")
    verdicts.add_column("current", justify="right")
    verdicts.add_column("proposed", justify="right")
    verdicts.add_column("change", justify="right")
    for verdict in ("assignee", "ownership_change", "intentional", "drive_by"):
        before, after = comparison.current_verdicts[verdict], comparison.proposed_verdicts[verdict]
        verdicts.add_row(_verdict(verdict), f"{before:,}", f"{after:,}", f"{after - before:+,}")
    out.print(verdicts)
    if comparison.transitions:
        table = Table(title="What changes")
        table.add_column("from (verdict / rule)")
        table.add_column("to (verdict / rule)")
        table.add_column("comments", justify="right")
        table.add_column("example tickets")
        for was, becomes, count, examples in comparison.sorted_transitions():
            table.add_row(
                f"{_verdict(was[0])} / {was[1]}",
                f"{_verdict(becomes[0])} / {becomes[1]}",
                f"{count:,}",
                ", ".join(str(e) for e in examples),
            )
        out.print(table)


# Live Zendesk, accounts and the Zendesk app have modules of their own.
from intently import cli_serve, cli_sync, cli_users, cli_zendesk_app  # noqa: E402

cli_sync.register(app)
cli_serve.register(app)
cli_users.register(app)
cli_zendesk_app.register(app)


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
