"""``intently policy``: show, validate, test, render, compare and adopt the policy."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from intently.cli.common import (
    ConfigOption,
    DbOption,
    PathArgument,
    config_path,
    dataset,
    err,
    open_store,
    out,
    policy_and_source,
    progress,
    shown,
    store_if_any,
    store_policy,
    verdict_markup,
    warn,
)
from intently.errors import IntentlyError, some_of
from intently.files import write_whole
from intently.policy.messages import counted
from intently.report.tables import FitTable

if TYPE_CHECKING:
    from intently.policy import Policy
    from intently.policy.handbook.scenarios import Scenario

policy_app = typer.Typer(help="Show, validate, test, render, compare and adopt the policy.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``policy`` group to the ``intently`` app."""
    app.add_typer(policy_app, name="policy")


@policy_app.command("init")
def policy_init(
    file: Annotated[Path, typer.Argument(help="The policy file to write, e.g. team.yaml (never replaced)")],
    name: Annotated[str, typer.Option(help="Your policy's name, shown with every judgement")] = "my-team",
    version: Annotated[str, typer.Option(help="Its first version")] = "2026.1",
) -> None:
    """Write a first policy file of your team's own: only what differs from the default (as written, the name and
    version), with the settings teams change most shown at their default values, commented out, and the commands
    that check, test, weigh and adopt it. An existing file is never replaced."""
    from intently.policy.starter import starter_text

    text = starter_text(file, name, version)
    try:
        write_whole(file, text, replace=False)
    except FileExistsError:
        raise IntentlyError(f"{file} exists and was left as it is: give another file name") from None
    out.print(
        f"Wrote {shown(file)} (policy {shown(name)} {shown(version)}). Uncomment what you want to change, then: "
        f"intently policy validate {shown(file)}",
        soft_wrap=True,
    )


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
        Path | None,
        typer.Argument(
            help="A folder of scenario files, run instead of the usual ones (default: the team's scenarios beside "
            "the policy file, in FILE-STEM.scenarios/, and the built-in suite)"
        ),
    ] = None,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Run the scenarios against the effective policy (a policy file given, else the store's): the team's own,
    beside the policy file (team.yaml → team.scenarios/*.yaml), which must all pass, and the built-in ones. Under a
    policy with its own rule list, a built-in scenario that no longer holds is reported as judged differently from
    the default definition, not as a failure. Exits 1 when any scenario fails."""
    from intently.policy.handbook.scenarios import run_suite, team_scenario_dir

    policy, source, from_file = policy_and_source(config, store_if_any(db))
    policy_file = config_path(config) if from_file and directory is None else None
    results = run_suite(policy, directory, policy_file=policy_file)
    table = FitTable(title=f"Scenarios under {policy.name} {policy.version} ({source})")
    table.add_column("result")
    table.add_column("scenario")
    table.add_column("from")
    table.add_column("title")
    for result in results:
        if result.failed:
            mark = "[bold red]FAIL[/]"
        elif result.judged_differently:
            mark = "[yellow]differs[/]"
        else:
            mark = "[green]pass[/]"
        table.add_row(mark, shown(result.scenario.id), shown(_origin(result.scenario)), shown(result.scenario.title))
    out.print(table)
    team = [r for r in results if r.scenario.origin == "team"]
    if policy_file is not None:
        folder = team_scenario_dir(policy_file)
        if team:
            passed = sum(r.passed for r in team)
            out.print(
                f"Team scenarios in {shown(folder)}/: {passed:,} passed, {len(team) - passed:,} failed", soft_wrap=True
            )
        else:
            out.print(
                f"[dim]No team scenarios: none in {shown(folder)}/ beside {shown(policy_file)}.[/]", soft_wrap=True
            )
    for result in results:
        if result.failed:
            reasons: set[int] = set()  # one reason a step, however many of its keys differ
            for mismatch in result.mismatches:
                because = ""
                if mismatch.reason is not None and mismatch.step not in reasons:
                    reasons.add(mismatch.step)
                    because = f"\n     the engine's reason: {shown(mismatch.reason)}"
                out.print(
                    f"[bold red]FAIL[/] {shown(_file(result.scenario))}: scenario {shown(result.scenario.id)}, "
                    f"step {mismatch.step}: {shown(mismatch.key)} expected {shown(_said(mismatch.expected))}, "
                    f"got {shown(_said(mismatch.actual))}{because}",
                    soft_wrap=True,
                )
    if any(r.failed and r.scenario.origin == "built-in" for r in results):
        out.print(
            "[yellow]Built-in scenarios illustrate the default's thresholds[/]: under changed ones some no longer "
            "hold. To keep one as an example of yours, copy it into the team's scenarios beside the policy file "
            "under the same id, with the verdicts your policy gives; it then takes the built-in one's place.",
            soft_wrap=True,
        )
    differing = [r for r in results if r.judged_differently]
    if differing:
        out.print(
            f"[yellow]{counted(len(differing), 'built-in scenario')} judged differently from the default "
            "definition[/]: they document the default's rules, which this policy replaces with its own, so they are "
            "reported, not failed.",
            soft_wrap=True,
        )
        for result in differing:
            for mismatch in result.mismatches:
                out.print(
                    f"  [yellow]differs[/] {shown(result.scenario.id)}, step {mismatch.step}: {shown(mismatch.key)} "
                    f"{shown(_said(mismatch.actual))} (the default definition: {shown(_said(mismatch.expected))})",
                    soft_wrap=True,
                )
    failed = sum(r.failed for r in results)
    summary = f"{sum(r.passed for r in results):,} passed, {failed:,} failed"
    if differing:
        summary += f", {len(differing):,} judged differently from the default definition"
    out.print(summary)
    if failed:
        raise typer.Exit(1)


def _said(value: object) -> str:
    """A value a scenario expects or got, in the words of its YAML file: ``null``, ``true``, ``false``, or the
    value as Python writes it (``'drive_by'``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _file(scenario: Scenario) -> str:
    """The scenario's file: its path, or ``built-in NN-name.yaml``."""
    return f"built-in {Path(scenario.source).name}" if scenario.origin == "built-in" else scenario.source


def _origin(scenario: Scenario) -> str:
    """Where a scenario comes from, in a table cell: ``built-in`` or its folder and file."""
    if scenario.origin == "built-in":
        return "built-in"
    path = Path(scenario.source)
    return f"{path.parent.name}/{path.name}"


@policy_app.command("render")
def policy_render(
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the handbook page here (Markdown)")] = None,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Render the handbook page of the effective policy (a policy file given, else the store's): definitions,
    rules with their conditions in words, rationale and worked examples (the team's scenarios beside the policy
    file and the built-in ones), the facts the conditions are built from, thresholds in force."""
    from intently.policy.handbook.render import render_handbook
    from intently.policy.handbook.scenarios import run_suite

    policy, _, from_file = policy_and_source(config, store_if_any(db))
    policy_file = config_path(config) if from_file else None
    text = render_handbook(policy, run_suite(policy, policy_file=policy_file))
    if out_file is None:
        sys.stdout.write(text)
    else:
        write_whole(out_file, text)
        out.print(f"Handbook written to {out_file}")


OverDefault = Annotated[
    bool,
    typer.Option(
        "--over-default",
        help="Read FILE over the built-in default (as --config reads a file), not over the current policy: what "
        "FILE does not say comes from the default, so settings only the current policy has (pods, time off) go",
    ),
]


def _proposed(current: Policy, file: Path, over_default: bool) -> Policy:
    """The policy a proposal file makes: its changes merged over ``current`` (a full policy works the same way:
    what it leaves out stays as it is), or over the built-in default. ``compare`` and ``adopt`` read it alike, so
    what one weighs is what the other adopts."""
    from intently.policy import load_policy
    from intently.policy.loader import merged_over, read_policy

    if over_default:
        return load_policy(file)
    return merged_over(current, read_policy(file), str(file))


def _changes_in_words(current: Policy, proposed: Policy) -> list[str]:
    """What the proposal changes, a line each: the rules (added, removed, moved, changed) and the other settings
    that differ (``organisation.pods``, ``definitions``...)."""
    from intently.engine.compare import rule_changes

    lines = [f"rules {line}" for line in rule_changes(current, proposed).describe()]
    now, then = current.model_dump(), proposed.model_dump()
    settings = []
    for key in now:
        if key in ("name", "version", "rules") or now[key] == then[key]:
            continue
        if key == "organisation":
            settings += [f"{key}.{part}" for part in now[key] if now[key][part] != then[key][part]]
        else:
            settings.append(key)
    if settings:
        lines.append(f"settings changed: {', '.join(settings)}")
    return lines


@policy_app.command("compare")
def policy_compare(
    file: Annotated[
        Path, typer.Argument(help="The proposed policy: changes merged over the current policy (see --over-default)")
    ],
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
    over_default: OverDefault = False,
) -> None:
    """Weigh a proposed policy on a dataset: how many judgements change, from what to what. `intently policy adopt
    FILE` (with the same --over-default) adopts exactly the policy weighed here."""
    from intently.engine.compare import compare_policies

    data = dataset(path, db, config)
    current = data.policy
    if path is None and data.what_if is not None:  # weigh against what `policy adopt` replaces: the store's policy
        current, source = store_policy(data.origin)
        given = config_path(config)
        err.print(
            f"[yellow]Weighed against the store's policy ({shown(current.name)} {shown(current.version)}, {source}), "
            f"which `intently policy adopt` replaces; the policy file {shown(given)} is not used here (to weigh it as "
            f"the proposal: intently policy compare --over-default {shown(given)})[/]",
            soft_wrap=True,
        )
    proposed = _proposed(current, file, over_default)
    comparison = compare_policies(data.histories, data.users, current, proposed)
    share = comparison.changed / comparison.judgements if comparison.judgements else 0.0
    out.print(
        f"[bold]{comparison.changed:,}[/] of {comparison.judgements:,} judgements change ({share:.1%}), "
        f"on {comparison.tickets_changed:,} of {comparison.tickets:,} tickets."
    )
    out.print(f"  current:  {current.name} {current.version}\n  proposed: {proposed.name} {proposed.version} ({file})")
    for line in _changes_in_words(current, proposed):
        out.print(f"  {shown(line)}")
    out.print(_verdict_changes(comparison.current_verdicts, comparison.proposed_verdicts, "current", "proposed"))
    if comparison.transitions:
        table = FitTable(title="What changes")
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
    file: Annotated[
        Path,
        typer.Argument(help="A policy file (YAML): changes merged over the store's policy (see --over-default)"),
    ],
    db: DbOption = None,
    over_default: OverDefault = False,
    force: Annotated[
        bool, typer.Option("--force", help="Adopt it even though scenarios of the team's (beside FILE) fail")
    ] = False,
) -> None:
    """Make a policy file the store's policy: read as `intently policy compare FILE` reads it, validated, checked
    against its scenarios (the team's, beside FILE in FILE-STEM.scenarios/, must pass; the built-in ones are
    warned about), saved in the store and every stored ticket judged again under it, in one transaction. Prints
    what changes."""
    from intently.engine import Tally
    from intently.policy import fingerprint
    from intently.policy.loader import version_problem
    from intently.store.pipeline import classify_store

    store = open_store(db)
    previous, source = store_policy(store)
    policy = _proposed(previous, file, over_default)
    if fingerprint(policy) == fingerprint(previous):
        out.print(
            f"{escape(str(file))} changes nothing in the policy of {escape(store.shown_url)} ({previous.name} "
            f"{previous.version}, {source}): nothing judged again."
        )
        store.close()
        return
    kept = version_problem(previous, policy)
    if kept is not None:
        store.close()
        raise IntentlyError(f"{file} was not adopted: {kept}; the store's policy and judgements are as they were")
    failing = _failing_scenarios(policy, file)
    if failing and not force:
        store.close()
        raise IntentlyError(
            f"{file} was not adopted: scenarios of the team's fail under it, so the definition does not do what its "
            f"own examples say:\n{failing}\nMend the policy or the scenarios (`intently policy test` shows every "
            "scenario), or adopt it anyway with --force; the store's policy and judgements are as they were"
        )
    before = store.verdict_counts()
    tally = Tally()
    tickets = store.ticket_count()
    try:
        with progress(f"Judging {tickets:,} stored tickets under {policy.name} {policy.version}", tickets) as step:
            classify_store(store, policy, tally=tally, progress=step, save=True)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]: nothing was adopted; the store's policy and judgements are as they were")
        raise typer.Exit(130) from None
    out.print(
        f"Adopted {escape(str(file))} ({policy.name} {policy.version}, fingerprint {fingerprint(policy)}) as the "
        f"policy of {escape(store.shown_url)}, replacing {previous.name} {previous.version} ({source}); "
        f"{tally.judged:,} comments judged again across {tally.tickets:,} tickets."
    )
    for line in _changes_in_words(previous, policy):
        out.print(f"  {shown(line)}")
    out.print(_verdict_changes(before, tally.verdicts, "before", "now"))
    store.close()


def _failing_scenarios(policy: Policy, file: Path) -> str:
    """The team's scenarios beside ``file`` that fail under ``policy``, a line each with its first mismatch ("" when
    none fails); a built-in scenario that fails is warned about (it documents the default's thresholds)."""
    from intently.policy.handbook.scenarios import run_suite

    results = run_suite(policy, policy_file=file)
    built_in = [r.scenario.id for r in results if r.failed and r.scenario.origin != "team"]
    if built_in:
        warn(
            [
                f"{counted(len(built_in), 'built-in scenario')} {'fails' if len(built_in) == 1 else 'fail'} under "
                f"{file} ({some_of(built_in)}): they illustrate the "
                "default's thresholds; restate one under its id in the team's scenarios to keep it as an example"
            ]
        )
    lines = []
    for result in results:
        if result.failed and result.scenario.origin == "team":
            first = result.mismatches[0]
            lines.append(
                f"  - {_file(result.scenario)}: scenario {result.scenario.id}, step {first.step}: {first.key} "
                f"expected {_said(first.expected)}, got {_said(first.actual)}"
            )
    return "\n".join(lines)


def _verdict_changes(before: Mapping[str, int], after: Mapping[str, int], was: str, becomes: str) -> FitTable:
    """Comments per verdict under two policies, and the change."""
    table = FitTable(title="Verdicts")
    table.add_column("verdict")
    table.add_column(was, justify="right")
    table.add_column(becomes, justify="right")
    table.add_column("change", justify="right")
    for verdict in ("assignee", "ownership_change", "intentional", "drive_by"):
        old, new = before.get(verdict, 0), after.get(verdict, 0)
        table.add_row(verdict_markup(verdict), f"{old:,}", f"{new:,}", f"{new - old:+,}")
    return table
