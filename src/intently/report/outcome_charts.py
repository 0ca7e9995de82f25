"""Outcomes by collaboration class as pictures and table cells: one interval chart per outcome (a dot for each
class, a line across its 95% interval) and the figures as people read them ("86% (80–90%)"). Shared by the HTML
report and the dashboard's Outcomes page, which adds links to the tickets behind each figure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from intently.report import svg
from intently.report.formatting import OTHER_COLOUR, VERDICT_COLOURS
from intently.report.outcomes import ClassOutcomes, OutcomeReport

CLASS_COLOURS = {
    "solo": VERDICT_COLOURS["assignee"],
    "intentional": VERDICT_COLOURS["intentional"],
    "drive_by": VERDICT_COLOURS["drive_by"],
}

Link = Callable[[str, str], str | None]
"""(class, figure) → the address of the tickets behind it, or None."""


@dataclass(frozen=True, slots=True)
class Figure:
    """One outcome shown per class: its name, how its value reads, and what it counts."""

    key: str
    title: str
    kind: str
    """``rate`` or ``hours``."""
    counted: str


FIGURES = (
    Figure("csat_good_rate", "Rated good", "rate", "of tickets rated good or bad"),
    Figure("median_resolution_hours", "Median resolution time", "hours", "of tickets solved, from creation"),
    Figure("reopened_rate", "Reopened", "rate", "of tickets solved"),
)


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def hours(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.1f} h" if value < 100 else f"{value:,.0f} h"


def with_interval(value: float | None, interval: Sequence[float] | None, kind: str) -> str:
    """``86% (80–90%)`` or ``20.5 h (18.0–23.1 h)``; "n/a" when there is nothing to measure."""
    if value is None:
        return "n/a"
    if interval is None:
        return pct(value) if kind == "rate" else hours(value)
    low, high = interval
    if kind == "rate":
        return f"{pct(value)} ({low * 100:.0f}–{high * 100:.0f}%)"
    return f"{hours(value)} ({low:,.1f}–{high:,.1f} h)"


def difference(value: float | None, interval: Sequence[float] | None, kind: str) -> str:
    """A change with its interval: ``+5 pts (-2 to +12)`` for a rate, ``-24.8 h (-63.4 to +45.0)`` for hours."""
    if value is None:
        return "n/a"
    if kind == "rate":
        text = f"{value * 100:+.0f} pts"
        return text + (f" ({interval[0] * 100:+.0f} to {interval[1] * 100:+.0f})" if interval else "")
    return f"{value:+,.1f} h" + (f" ({interval[0]:+,.1f} to {interval[1]:+,.1f})" if interval else "")


def _value(c: ClassOutcomes, figure: Figure) -> tuple[float | None, Sequence[float] | None, int]:
    if figure.key == "csat_good_rate":
        return c.csat_good_rate, c.csat_good_rate_ci, c.rated
    if figure.key == "median_resolution_hours":
        return c.median_resolution_hours, c.median_resolution_hours_ci, c.resolved
    return c.reopened_rate, c.reopened_rate_ci, c.resolved


def figure_text(c: ClassOutcomes, figure: Figure) -> str:
    value, interval, _ = _value(c, figure)
    return with_interval(value, interval, figure.kind)


def outcome_charts(report: OutcomeReport, link: Link | None = None) -> dict[str, Markup]:
    """An interval chart per figure (keyed by the figure's key), each class a row."""
    charts: dict[str, Markup] = {}
    for figure in FIGURES:
        rows = []
        for c in report.classes:
            value, interval, n = _value(c, figure)
            text = figure_text(c, figure)
            rows.append(
                svg.Estimate(
                    label=c.label,
                    value=value,
                    low=interval[0] if interval else None,
                    high=interval[1] if interval else None,
                    colour=CLASS_COLOURS.get(c.klass, OTHER_COLOUR),
                    tooltip=f"{c.label}: {text}, {n:,} tickets {figure.counted.removeprefix('of tickets ')}",
                    value_text=text,
                    href=link(c.klass, figure.key) if link is not None else None,
                )
            )
        charts[figure.key] = svg.intervals(
            rows,
            label=f"{figure.title} ({figure.counted}) by how tickets were worked, with 95% intervals",
            percent=figure.kind == "rate",
        )
    return charts
