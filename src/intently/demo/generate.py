"""Both stages in one call: plan an export, then write it, with one progress bar for the whole work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from intently.demo.progress import Reporter
from intently.demo.simulate import plan_export
from intently.demo.writer import DemoSummary, write_export


def generate_export(
    out_dir: Path,
    *,
    tickets: int = 3000,
    seed: int = 7,
    start: date = date(2026, 7, 1),
    days: int = 91,
    audits_per_page: int = 1000,
    tickets_per_page: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Write a realistic synthetic Zendesk export of ``tickets`` tickets over ``days`` days into ``out_dir``.

    Deterministic: the same arguments give the same bytes. ``progress``, if given, is called with increments
    (as a progress bar's ``advance`` takes them) adding up to ``tickets``: planning counts for the first half
    of the work, writing for the second.
    """
    report = Reporter(progress)
    half = tickets // 2
    planned = written = 0

    def on_plan(step: int) -> None:
        nonlocal planned
        planned += step
        report.at(planned * half // max(tickets, 1))

    def on_write(step: int) -> None:
        nonlocal written
        written += step
        report.at(half + written * (tickets - half) // max(tickets, 1))

    plan = plan_export(tickets=tickets, seed=seed, start=start, days=days, progress=on_plan)
    summary = write_export(
        plan,
        Path(out_dir),
        audits_per_page=audits_per_page,
        tickets_per_page=tickets_per_page,
        progress=on_write,
    )
    report.at(tickets)
    return summary
