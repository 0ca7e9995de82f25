"""Did a pilot change anything? Before and after, for the pilot's tickets and for the others.

A pilot (a team trying a new way of working, a region, a group) is judged by a **difference in differences**: how
much a measure moved on the pilot's tickets, minus how much it moved on the other tickets over the same time. What
changed for everyone at once (a season, a product release, a new policy) moves both and cancels out; what changed
only for the pilot's tickets at the same time does not, so the sentences say: this compares before and after.

A ticket is *before* when created before ``start`` and *after* when created on or after ``start`` (and on or
before ``end`` when given: tickets created after ``end`` are left out). Dates are calendar days in UTC (a naive
``created_at`` is taken as UTC). Which tickets are the pilot's is the caller's ``in_pilot``.

The measures (:data:`MEASURES`), each with its own count of tickets per cell:

* **drive-by share**: tickets with a drive-by / tickets;
* **intentional-help share**: tickets with an intentional judgement / tickets;
* **note acknowledgement**: contributor notes acknowledged / contributor notes, clustered by ticket (the interval
  resamples tickets; a cell counts its tickets with a note);
* **satisfaction**: tickets rated good / tickets rated good or bad;
* **median resolution hours**: over tickets solved at least once.

Each cell needs :data:`~intently.report.outcomes.MIN_TICKETS` tickets, otherwise the measure is "too few tickets
to tell" (the figures are still there for who wants them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from intently.model import Group, Id, User
from intently.policy import Policy
from intently.report.facts import TicketFacts, utc_day
from intently.report.outcomes import MIN_TICKETS, rounded, rounded_pair
from intently.report.stats import (
    CELLS,
    DEFAULT_SEED,
    REPLICATES,
    DiffInDiff,
    Interval,
    did_median,
    did_rate,
    did_ratio,
)

CAVEAT = "This compares before and after; other changes at the same time also show up here."

CELL_WORDS = {
    "pilot_before": "in the pilot before",
    "pilot_after": "in the pilot after",
    "others_before": "among the others before",
    "others_after": "among the others after",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PilotMeasure:
    """One measure before and after, for the pilot and the others, and its difference in differences."""

    measure: str
    title: str
    kind: str
    """``rate`` (a share; changes in percentage points) or ``median`` (hours)."""
    counted: str
    """What a cell's ``n`` counts ("tickets", "tickets rated", ...)."""
    did: DiffInDiff
    sentence: str

    @property
    def too_few(self) -> bool:
        return any(cell.n < MIN_TICKETS for cell in self.did.cells)

    def to_dict(self) -> dict[str, Any]:
        d = self.did
        cells = {
            name: {"n": cell.n, "value": rounded(cell.value), "part": cell.part, "whole": cell.whole}
            for name, cell in zip(CELLS, d.cells, strict=True)
        }
        return {
            "measure": self.measure,
            "title": self.title,
            "kind": self.kind,
            "unit": "fraction" if self.kind == "rate" else "hours",
            "counted": self.counted,
            **cells,
            "pilot_change": rounded(d.pilot_change),
            "others_change": rounded(d.others_change),
            "difference_in_differences": rounded(d.estimate),
            "difference_in_differences_ci": rounded_pair(d.ci),
            "too_few": self.too_few,
            "sentence": self.sentence,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PilotReport:
    label: str
    start: date
    end: date | None
    seed: int
    tickets: dict[str, int]
    """Tickets per cell (:data:`~intently.report.stats.CELLS`)."""
    left_out: int
    """Tickets created after ``end``."""
    measures: tuple[PilotMeasure, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, floats rounded to :data:`~intently.report.outcomes.DECIMALS`."""
        return {
            "label": self.label,
            "start": self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "seed": self.seed,
            "tickets": dict(self.tickets),
            "left_out": self.left_out,
            "min_tickets": MIN_TICKETS,
            "measures": [m.to_dict() for m in self.measures],
        }


# --- words ----------------------------------------------------------------------------------------


def _value(value: float | None, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "rate":
        return f"{round(value * 100)}%"
    return f"{value:.1f} hours" if abs(value) < 10 else f"{round(value)} hours"


def _size(value: float, kind: str) -> str:
    """A change's size: whole points (one decimal below 1), or hours (one decimal below 10)."""
    size = abs(value) * 100 if kind == "rate" else abs(value)
    limit = 1 if kind == "rate" else 10
    number = f"{round(size)}" if size >= limit else f"{size:.1f}"
    number = "0" if float(number) == 0 else number
    unit = "points" if kind == "rate" else "hours"
    return f"{number} {unit[:-1] if number == '1' else unit}"


def _range(interval: Interval, value: float, kind: str) -> str:
    """``95% CI 4 to 14`` when the interval lies on the side of zero the estimate ``value`` is on (sizes, in its
    direction); otherwise each bound with its direction: ``95% CI 3 down to 2 up``."""
    low, high = interval
    if (value > 0 and low > 0) or (value < 0 and high < 0):
        near, far = sorted((abs(low), abs(high)))
        return f"95% CI {_number(near, kind)} to {_number(far, kind)}"

    def bound(x: float) -> str:
        number = _number(x, kind)
        return number if number == "0" else f"{number} {'up' if x > 0 else 'down'}"

    return f"95% CI {bound(low)} to {bound(high)}"


def _number(value: float, kind: str) -> str:
    return _size(value, kind).split(" ")[0]


def did_sentence(title: str, kind: str, counted: str, label: str, did: DiffInDiff) -> str:
    """A difference in differences in plain words."""
    if any(cell.n < MIN_TICKETS for cell in did.cells):
        counts = ", ".join(f"{cell.n:,} {CELL_WORDS[name]}" for name, cell in zip(CELLS, did.cells, strict=True))
        return f"{title}: too few tickets to tell ({counted}: {counts}; at least {MIN_TICKETS} in each are needed)."
    pb, pa, ob, oa = did.cells
    text = (
        f"{title}: in the pilot ({label}) it went from {_value(pb.value, kind)} to {_value(pa.value, kind)}, "
        f"for the other tickets from {_value(ob.value, kind)} to {_value(oa.value, kind)}"
    )
    if did.estimate is not None:
        size = _size(did.estimate, kind)
        if _number(did.estimate, kind) == "0":
            text += "; the pilot moved just like the other tickets"
        else:
            text += f"; relative to the other tickets, the pilot went {'up' if did.estimate > 0 else 'down'} {size}"
        if did.ci is not None:
            text += f" ({_range(did.ci, did.estimate, kind)})"
            if did.ci[0] <= 0 <= did.ci[1] and _number(did.estimate, kind) != "0":
                text += ", which could be chance"
    return f"{text}. {CAVEAT}"


# --- the evaluation -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    title: str
    kind: str
    counted: str


MEASURES = (
    _Spec("drive_by_share", "Share of tickets with a drive-by", "rate", "tickets"),
    _Spec("intentional_share", "Share of tickets with intentional help", "rate", "tickets"),
    _Spec("note_acknowledgement", "Notes acknowledged by the assignee", "rate", "tickets with a note"),
    _Spec("csat_good_rate", "Satisfaction (rated good)", "rate", "tickets rated"),
    _Spec("median_resolution_hours", "Median time to resolution", "median", "tickets solved"),
)
"""The measures of a pilot, in report order."""


def _split(
    facts: Sequence[TicketFacts], in_pilot: Callable[[TicketFacts], bool], start: date, end: date | None
) -> tuple[dict[str, list[TicketFacts]], int]:
    cells: dict[str, list[TicketFacts]] = {name: [] for name in CELLS}
    left_out = 0
    for f in facts:
        day = utc_day(f.created_at)
        if end is not None and day > end:
            left_out += 1
            continue
        side = "pilot" if in_pilot(f) else "others"
        cells[f"{side}_{'before' if day < start else 'after'}"].append(f)
    return cells, left_out


def _measure(spec: _Spec, cells: dict[str, list[TicketFacts]], *, seed: int, replicates: int) -> DiffInDiff:
    groups = [cells[name] for name in CELLS]
    if spec.name == "drive_by_share":
        return did_rate(*([f.drive_bys > 0 for f in g] for g in groups), seed=seed, replicates=replicates)
    if spec.name == "intentional_share":
        return did_rate(*([f.intentional > 0 for f in g] for g in groups), seed=seed, replicates=replicates)
    if spec.name == "note_acknowledgement":
        return did_ratio(
            *([(f.notes_acknowledged, f.notes) for f in g] for g in groups), seed=seed, replicates=replicates
        )
    if spec.name == "csat_good_rate":
        rated = ([f for f in g if f.outcome.satisfaction in ("good", "bad")] for g in groups)
        good = ([f.outcome.satisfaction == "good" for f in g] for g in rated)
        return did_rate(*good, seed=seed, replicates=replicates)
    return did_median(
        *([h for f in g if (h := f.outcome.resolution_hours) is not None] for g in groups),
        seed=seed,
        replicates=replicates,
    )


def evaluate(
    facts: Sequence[TicketFacts],
    in_pilot: Callable[[TicketFacts], bool],
    start: date,
    end: date | None,
    *,
    label: str,
    seed: int = DEFAULT_SEED,
    replicates: int = REPLICATES,
) -> PilotReport:
    """The pilot ``label`` (its tickets: ``in_pilot``) from ``start`` (to ``end``, inclusive, when given) against
    the other tickets, on every measure in :data:`MEASURES`. The same facts and seed give the same report."""
    if end is not None and end < start:
        raise ValueError(f"the pilot ends ({end}) before it starts ({start})")
    cells, left_out = _split(facts, in_pilot, start, end)
    measures = []
    for spec in MEASURES:
        did = _measure(spec, cells, seed=seed, replicates=replicates)
        sentence = did_sentence(spec.title, spec.kind, spec.counted, label, did)
        measures.append(
            PilotMeasure(
                measure=spec.name, title=spec.title, kind=spec.kind, counted=spec.counted, did=did, sentence=sentence
            )
        )
    return PilotReport(
        label=label,
        start=start,
        end=end,
        seed=seed,
        tickets={name: len(cells[name]) for name in CELLS},
        left_out=left_out,
        measures=tuple(measures),
    )


# --- which tickets are the pilot's ----------------------------------------------------------------------

PILOT_KINDS = ("pod", "group", "region")


@dataclass(frozen=True, slots=True)
class Pilot:
    """Which tickets a pilot covers, by their assignee now (``pod``, ``region``) or their group now."""

    kind: str
    name: str
    label: str
    covers: Callable[[TicketFacts], bool]


def choose_pilot(kind: str, name: str, policy: Policy, users: Mapping[Id, User], groups: Mapping[Id, Group]) -> Pilot:
    """The pilot ``kind=name``: a pod of the policy (tickets whose assignee is in it), a group (by name or id) or a
    region of the policy (tickets whose assignee works in it). Raises :class:`ValueError` naming what is known."""
    name = name.strip()
    if kind == "pod":
        pods = policy.organisation.pods
        if name not in pods:
            raise ValueError(f"no pod {name!r} in the policy (pods: {', '.join(sorted(pods)) or 'none'})")
        return Pilot(
            kind,
            name,
            f"pod {name}",
            lambda f: f.assignee_id is not None and policy.in_pod(name, users.get(f.assignee_id)),
        )
    if kind == "group":
        named = {str(g.id): g for g in groups.values()} | {g.name: g for g in groups.values() if g.name}
        group = named.get(name)
        if group is None:
            known = ", ".join(sorted(g.name or str(g.id) for g in groups.values())) or "none"
            raise ValueError(f"no group {name!r} in the data (groups: {known})")
        return Pilot(kind, name, f"group {group.name or group.id}", lambda f: f.group_id == group.id)
    if kind == "region":
        regions = policy.organisation.regions
        code = policy.region_of_value(name)  # "emea", "EMEA" or the region's name
        if code not in regions:
            raise ValueError(f"no region {name!r} in the policy (regions: {', '.join(regions)})")
        name = code

        def in_region(f: TicketFacts) -> bool:
            assignee = users.get(f.assignee_id) if f.assignee_id is not None else None
            region = policy.region_of_user(assignee) if assignee is not None else None
            return (region or f.assignee_region) == name

        return Pilot(kind, name, f"region {name}", in_region)
    raise ValueError(f"unknown pilot kind {kind!r}: use {', '.join(PILOT_KINDS)} (e.g. pod=NAME)")


def parse_pilot(text: str) -> tuple[str, str]:
    """``pod=Platform`` → (``pod``, ``Platform``); raises :class:`ValueError` in words."""
    kind, sep, name = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"expected KIND=NAME with KIND one of {', '.join(PILOT_KINDS)}, e.g. pod=Platform")
    return kind.strip().lower(), name.strip()
