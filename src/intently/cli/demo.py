"""``intently demo``: a realistic synthetic quarter, imported, judged, reported and explained in one go."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from intently.cli.common import opened, out, print_tally, progress, warn, write_report
from intently.model import Id


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the ``intently`` app."""
    app.command()(demo)


DEMO_DAYS = 91


def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo's export, store and report")] = Path(
        "intently-demo"
    ),
    tickets: Annotated[int, typer.Option(min=10, max=200_000, help="Number of tickets")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and --until give the same data")] = 7,
    until: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="The day after the demo's quarter (91 days) ends \\[default: today, UTC]"
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace a store, policy, export, report or handbook in --out that an earlier demo did not write",
        ),
    ] = False,
) -> None:
    """Generate a realistic Zendesk export, import it, judge it, and write a report and the handbook."""
    from intently.demo import generate_export
    from intently.policy import load_policy
    from intently.policy.handbook.render import render_handbook
    from intently.policy.handbook.scenarios import run_suite
    from intently.report.formatting import fmt_span
    from intently.store.pipeline import import_path

    export_dir = out_dir / "export"
    db_path = out_dir / "intently.db"
    _check_replaceable(out_dir, force)
    out_dir.mkdir(parents=True, exist_ok=True)
    if db_path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    (out_dir / MARKER).write_text(
        "This folder was written by `intently demo`: running it again replaces what it wrote here.\n", encoding="utf-8"
    )
    end = until.date() if until is not None else datetime.now(UTC).date()
    start = end - timedelta(days=DEMO_DAYS)
    with progress("Writing a synthetic Zendesk export", tickets) as advance:
        summary = generate_export(export_dir, tickets=tickets, seed=seed, start=start, days=DEMO_DAYS, progress=advance)
    policy_path = out_dir / "intently.yaml"
    shutil.copyfile(summary.policy_path, policy_path)
    policy = load_policy(policy_path)
    from intently.store import Store

    store = opened(Store.open(db_path))
    with progress("Importing and judging", tickets) as advance:
        outcome = import_path(export_dir, store, policy, progress=advance, save=True)
    judgements = list(store.judgements())
    report_path = out_dir / "report.html"
    from intently.report.facts import stored_facts

    metrics = write_report(
        judgements,
        store.directory().users,
        policy,
        report_path,
        title="intently demo",
        facts=partial(stored_facts, store, judgements),  # the judgements read above, not read again
    )
    handbook_path = out_dir / "handbook.md"
    handbook_path.write_text(render_handbook(policy, run_suite(policy)), encoding="utf-8")
    warn(outcome.warnings)
    last_day = end - timedelta(days=1)
    out.print(f"[bold]intently demo[/] (seed {seed}, {fmt_span(start, last_day)})")
    out.print(
        f"  {outcome.stats.tickets:,} tickets, {outcome.stats.users:,} people, "
        f"{outcome.stats.events:,} events imported into {db_path}"
    )
    print_tally(outcome.tally)
    from intently.report.terminal import print_report

    out.print()
    print_report(metrics, out, details=False)
    out.print(
        "  Satisfaction ratings and reopens are simulated, with a synthetic effect of drive-bys (rated good less "
        "often, reopened more often), so the outcome figures have something to find."
    )
    out.print(f"  Report:   {report_path}  (open it in a browser; it works offline)")
    out.print(f"  Handbook: {handbook_path}")
    out.print(f"  Policy:   {policy_path} ({policy.name} {policy.version}, with the demo's pods)")
    out.print(f"  Export:   {export_dir}")
    out.print(f"  Next:     intently report --db {db_path}")
    out.print(f"            intently explain {_example_ticket(judgements)} --db {db_path}")
    out.print(f"            intently outcomes --db {db_path}")
    out.print(f"  Dashboard: intently user add YOU --role admin --db {db_path}")
    out.print(f"             intently serve --db {db_path}   (then open http://127.0.0.1:8000/)")


MARKER = ".intently-demo"
"""The file that marks a folder as the demo's own: a later demo replaces what it wrote there without asking."""
WRITTEN = ("intently.db", "intently.db-wal", "intently.db-shm", "intently.yaml", "export", "report.html", "handbook.md")
"""What the demo writes in its folder (and so replaces)."""


def _check_replaceable(out_dir: Path, force: bool) -> None:
    """Refuse to replace what the demo did not write (a team's store or policy file in the folder given), unless
    ``force``; and, whatever ``force`` says, a store that ``intently serve`` is serving."""
    from intently.errors import IntentlyError

    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise IntentlyError(f"{out_dir} is a file, not a folder: choose another --out")
    lock = out_dir / "intently.db.serve.lock"
    if lock.exists() and _locked(lock):
        raise IntentlyError(
            f"intently serve is serving {out_dir / 'intently.db'}: stop it before writing a new demo there, "
            "or choose another --out"
        )
    present = [name for name in WRITTEN if (out_dir / name).exists()]
    if present and not force and not _written_by_demo(out_dir):
        raise IntentlyError(
            f"{out_dir} already holds {', '.join(present)}, which intently demo did not write and would replace. "
            "Choose another --out (the default is ./intently-demo), or pass --force to replace it."
        )


def _written_by_demo(out_dir: Path) -> bool:
    """Whether an earlier demo wrote the folder: its mark, or (a demo from before the mark) its policy file."""
    if (out_dir / MARKER).exists():
        return True
    try:
        with (out_dir / "intently.yaml").open("rb") as policy:
            return policy.read(len(_DEMO_POLICY_HEADER)) == _DEMO_POLICY_HEADER
    except OSError:
        return False


_DEMO_POLICY_HEADER = b"# intently policy override for the demo export:"


def _locked(lock: Path) -> bool:
    """Whether a process holds the ``flock`` of ``intently serve`` on this lock file."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Unix: no such lock is taken there either
        return False
    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _example_ticket(judgements: list[Any]) -> Id:
    drive_bys = [j for j in judgements if j.verdict == "drive_by"]
    return (drive_bys or judgements)[-1].ticket_id if judgements else 1
