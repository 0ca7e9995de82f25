"""``intently policy``: show, validate, test, render, compare and adopt the policy."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from intently.cli.common import (
    ConfigOption,
    DbOption,
    PathArgument,
    dataset,
    effective_policy,
    open_store,
    out,
    policy_and_source,
    progress,
    shown,
    store_if_any,
    store_policy,
    verdict_markup,
)

policy_app = typer.Typer(help="Show, validate, test, render, compare and adopt the policy.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``policy`` group to the ``intently`` app."""
    app.add_typer(policy_app, name="policy")


@policy_app.command("show")
def policy_show(config: ConfigOption = None, db: DbOption = None) -> None:
    """Print the effective policy: a policy file given, else the store's, else the default."""
    from intently.policy import dump_policy, fingerprint

    policy, source, _ = policy_and_source(config, store_if_any(db))
    out.print(f"# {policy.name} {policy.version} (fingerprint {fingerprint(policy)}; {source})")
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
    db: DbOption = None,
) -> None:
    """Run the scenario suite against the effective policy (a policy file given, else the store's)."""
    from intently.policy.handbook.scenarios import run_suite

    policy = effective_policy(config, store_if_any(db))
    results = run_suite(policy, directory)
    table = Table(title=f"Scenarios under {policy.name} {policy.version}")
    table.add_column("result")
    table.add_column("scenario")
    table.add_column("title")
    failed = 0
    for result in results:
        mark = "[green]pass[/]" if result.passed else "[bold red]FAIL[/]"
        failed += not result.passed
        table.add_row(mark, result.scenario.id, shown(result.scenario.title))
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
    db: DbOption = None,
) -> None:
    """Render the handbook page of the effective policy (a policy file given, else the store's): definitions,
    rules with rationale and examples, thresholds in force."""
    from intently.policy.handbook.render import render_handbook
    from intently.policy.handbook.scenarios import run_suite

    policy = effective_policy(config, store_if_any(db))
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
    from intently.engine.compare import compare_policies
    from intently.policy.loader import merged, read_policy_file, validate_policy

    data = dataset(path, db, config)
    current = data.policy
    # The proposal is read as changes to the current policy (a full policy file works the same way).
    proposed = validate_policy(merged(current.model_dump(), read_policy_file(file), str(file)), str(file))
    comparison = compare_policies(data.histories, data.users, current, proposed)
    share = comparison.changed / comparison.judgements if comparison.judgements else 0.0
    out.print(
        f"[bold]{comparison.changed:,}[/] of {comparison.judgements:,} judgements change ({share:.1%}), "
        f"on {comparison.tickets_changed:,} of {comparison.tickets:,} tickets."
    )
    out.print(f"  current:  {current.name} {current.version}\n  proposed: {proposed.name} {proposed.version} ({file})")
    out.print(_verdict_changes(comparison.current_verdicts, comparison.proposed_verdicts, "current", "proposed"))
    if comparison.transitions:
        table = Table(title="What changes")
        table.add_column("from (verdict / rule)")
        table.add_column("to (verdict / rule)")
        table.add_column("comments", justify="right")
        table.add_column("example tickets")
        for was, becomes, count, examples in comparison.sorted_transitions():
            table.add_row(
                f"{verdict_markup(was[0])} / {was[1]}",
                f"{verdict_markup(becomes[0])} / {becomes[1]}",
                f"{count:,}",
                ", ".join(str(e) for e in examples),
            )
        out.print(table)


@policy_app.command("adopt")
def policy_adopt(
    file: Annotated[Path, typer.Argument(help="A policy file (YAML): changes merged over the default")],
    db: DbOption = None,
) -> None:
    """Make a policy file the store's policy: validated, saved in the store and every stored ticket judged again
    under it, in one transaction. Prints how the verdicts change."""
    from intently.policy import fingerprint, load_policy
    from intently.store.pipeline import Tally, classify_store

    policy = load_policy(file)
    store = open_store(db)
    previous, source = store_policy(store)
    before = store.verdict_counts()
    tally = Tally()
    tickets = store.ticket_count()
    with progress(f"Judging {tickets:,} stored tickets under {policy.name} {policy.version}", tickets) as step:
        classify_store(store, policy, tally=tally, progress=step, save=True)
    out.print(
        f"Adopted {escape(str(file))} ({policy.name} {policy.version}, fingerprint {fingerprint(policy)}) as the "
        f"policy of {escape(store.shown_url)}, replacing {previous.name} {previous.version} ({source}); "
        f"{tally.judged:,} comments judged again across {tally.tickets:,} tickets."
    )
    out.print(_verdict_changes(before, tally.verdicts, "before", "now"))
    store.close()


def _verdict_changes(before: Mapping[str, int], after: Mapping[str, int], was: str, becomes: str) -> Table:
    """Comments per verdict under two policies, and the change."""
    table = Table(title="Verdicts")
    table.add_column("verdict")
    table.add_column(was, justify="right")
    table.add_column(becomes, justify="right")
    table.add_column("change", justify="right")
    for verdict in ("assignee", "ownership_change", "intentional", "drive_by"):
        old, new = before.get(verdict, 0), after.get(verdict, 0)
        table.add_row(verdict_markup(verdict), f"{old:,}", f"{new:,}", f"{new - old:+,}")
    return table
