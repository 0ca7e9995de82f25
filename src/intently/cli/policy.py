"""``intently policy``: show, validate, test, render and compare the policy."""

from __future__ import annotations

import sys
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
    verdict_markup,
)

policy_app = typer.Typer(help="Show, validate, test, render and compare the policy.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``policy`` group to the ``intently`` app."""
    app.add_typer(policy_app, name="policy")


@policy_app.command("show")
def policy_show(config: ConfigOption = None, db: DbOption = None) -> None:
    """Print the effective policy (the default with your override merged over it)."""
    from intently.policy import dump_policy, fingerprint

    policy = effective_policy(config, open_store(db) if db else None)
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
    from intently.policy.handbook.scenarios import run_suite

    policy = effective_policy(config)
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
    from intently.policy.handbook.render import render_handbook
    from intently.policy.handbook.scenarios import run_suite

    policy = effective_policy(config)
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
    from intently.policy.loader import merge, read_policy_file, validate_policy

    histories, users, current, _ = dataset(path, db, config)
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
        verdicts.add_row(verdict_markup(verdict), f"{before:,}", f"{after:,}", f"{after - before:+,}")
    out.print(verdicts)
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
