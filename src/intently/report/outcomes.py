"""Outcomes by collaboration class, and drive-by tickets compared with the others, honestly.

For each class (:data:`~intently.engine.outcomes.CLASSES`: solo, intentional help, drive-by) the tickets' outcomes
with 95% intervals; then, for satisfaction, reopening and resolution time, tickets with a drive-by against the
others (solo or intentional help), crude and adjusted for priority × group, in a sentence a support manager can
read. The figures show an association, never a cause: the sentences say so.

Definitions (each figure names its own denominator):

* **good rate** (``csat_good_rate``): tickets rated ``good`` / tickets *rated* (good or bad); unrated tickets are
  in no rate;
* **reopened rate** (``reopened_rate``): tickets reopened at least once / tickets *resolved* (solved at least
  once); a ticket never solved cannot be reopened and is in no rate;
* **resolution hours**: calendar hours from creation to the first solve, over *resolved* tickets (median);
* **first reply hours**: hours from creation to the first public agent reply, over tickets with one (median).

Rates are fractions (0..1); ``*_ci`` are ``[low, high]``: Wilson intervals for rates, percentile bootstrap
intervals (seeded, so repeatable) for medians; ``None`` wherever there is nothing to measure. A group with fewer
than :data:`MIN_TICKETS` tickets is "too few tickets to tell".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from intently.engine.outcomes import CLASS_LABELS, CLASSES
from intently.report.facts import TicketFacts
from intently.report.stats import (
    DEFAULT_SEED,
    REPLICATES,
    Comparison,
    Interval,
    bootstrap_median_ci,
    compare_medians,
    compare_rates,
    median,
    wilson,
)

MIN_TICKETS = 30
"""Below this many tickets on a side (or in a class) a figure is "too few tickets to tell": an interval that wide
says little, and a single unusual ticket can move the figure."""

DECIMALS = 4
"""Rates, hours and intervals are rounded to this many decimals in :meth:`OutcomeReport.to_dict`."""

SAME_FRACTION = 0.25
SAME_POINTS = 0.02
SAME_HOURS = 0.5
SAME_HOURS_FRACTION = 0.05
"""The adjusted difference is "about the same" as the crude one when they differ by at most
:data:`SAME_FRACTION` of the larger of the two, or by at most a small amount: :data:`SAME_POINTS` (2 points) for
a rate, the larger of :data:`SAME_HOURS` and :data:`SAME_HOURS_FRACTION` of the others' median for hours.
Otherwise the sentence says the difference shrinks, grows or reverses."""

DRIVE_BY = "drive_by"
OTHERS = "solo or with intentional help"


def rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), DECIMALS)


def rounded_pair(interval: Interval | None) -> list[float] | None:
    return None if interval is None else [round(interval[0], DECIMALS), round(interval[1], DECIMALS)]


def _mean(values: Sequence[int]) -> float | None:
    return sum(values) / len(values) if values else None


# --- by class -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassOutcomes:
    """The outcomes of one collaboration class's tickets."""

    klass: str
    label: str
    tickets: int
    rated: int
    """Tickets rated good or bad."""
    good: int
    csat_good_rate: float | None
    """``good / rated``."""
    csat_good_rate_ci: Interval | None
    resolved: int
    """Tickets solved at least once."""
    median_resolution_hours: float | None
    median_resolution_hours_ci: Interval | None
    reopened: int
    """Resolved tickets reopened at least once."""
    reopened_rate: float | None
    """``reopened / resolved``."""
    reopened_rate_ci: Interval | None
    reopens: int
    """Reopenings in all (a ticket reopened twice counts twice here, once in ``reopened``)."""
    replied: int
    """Tickets with a public agent reply."""
    median_first_reply_hours: float | None
    customer_replies_mean: float | None
    agent_replies_mean: float | None

    @property
    def too_few(self) -> list[str]:
        """The figures whose own count (tickets, rated, resolved) is below :data:`MIN_TICKETS`."""
        counts = {
            "tickets": self.tickets,
            "csat_good_rate": self.rated,
            "reopened_rate": self.resolved,
            "median_resolution_hours": self.resolved,
            "median_first_reply_hours": self.replied,
        }
        return [name for name, count in counts.items() if count < MIN_TICKETS]

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": self.klass,
            "label": self.label,
            "tickets": self.tickets,
            "rated": self.rated,
            "good": self.good,
            "csat_good_rate": rounded(self.csat_good_rate),
            "csat_good_rate_ci": rounded_pair(self.csat_good_rate_ci),
            "resolved": self.resolved,
            "median_resolution_hours": rounded(self.median_resolution_hours),
            "median_resolution_hours_ci": rounded_pair(self.median_resolution_hours_ci),
            "reopened": self.reopened,
            "reopened_rate": rounded(self.reopened_rate),
            "reopened_rate_ci": rounded_pair(self.reopened_rate_ci),
            "reopens": self.reopens,
            "replied": self.replied,
            "median_first_reply_hours": rounded(self.median_first_reply_hours),
            "customer_replies_mean": rounded(self.customer_replies_mean),
            "agent_replies_mean": rounded(self.agent_replies_mean),
            "too_few": self.too_few,
        }


def _resolution_hours(facts: Sequence[TicketFacts]) -> list[float]:
    return [h for f in facts if (h := f.outcome.resolution_hours) is not None]


def class_outcomes(klass: str, facts: Sequence[TicketFacts], *, seed: int, replicates: int) -> ClassOutcomes:
    """The outcomes of ``facts`` (the tickets of one class)."""
    rated = [f for f in facts if f.outcome.satisfaction in ("good", "bad")]
    good = sum(1 for f in rated if f.outcome.satisfaction == "good")
    resolved = [f for f in facts if f.outcome.solved_at is not None]
    reopened = sum(1 for f in resolved if f.outcome.reopened)
    hours = _resolution_hours(resolved)
    first_replies = [h for f in facts if (h := f.outcome.first_reply_hours) is not None]
    return ClassOutcomes(
        klass=klass,
        label=CLASS_LABELS.get(klass, klass),
        tickets=len(facts),
        rated=len(rated),
        good=good,
        csat_good_rate=good / len(rated) if rated else None,
        csat_good_rate_ci=wilson(good, len(rated)),
        resolved=len(resolved),
        median_resolution_hours=median(hours),
        median_resolution_hours_ci=bootstrap_median_ci(hours, seed=seed, replicates=replicates),
        reopened=reopened,
        reopened_rate=reopened / len(resolved) if resolved else None,
        reopened_rate_ci=wilson(reopened, len(resolved)),
        reopens=sum(f.outcome.reopens for f in resolved),
        replied=len(first_replies),
        median_first_reply_hours=median(first_replies),
        customer_replies_mean=_mean([f.outcome.customer_replies for f in facts]),
        agent_replies_mean=_mean([f.outcome.agent_replies for f in facts]),
    )


# --- drive-by against the others ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Measure:
    """How one outcome is compared and said."""

    name: str
    title: str
    kind: str
    """``rate`` (a difference in percentage points) or ``median`` (in hours)."""
    counted: str
    """What the tickets on each side are, for "too few": ``rated`` or ``solved``."""
    subject: str
    """Group A as the sentence's subject."""
    other: str
    """Group B as the sentence's object."""
    more: str
    """Said of a positive difference, with ``{amount}``."""
    less: str
    """Said of a negative difference, with ``{amount}``."""
    same: str
    """Said where the difference shows as 0 ("as often as")."""
    up: str
    """A positive bound of an interval that includes zero ("2 more")."""
    down: str


_TICKETS_A = "Tickets with a drive-by"
_TICKETS_B = f"tickets worked {OTHERS}"

MEASURES = (
    Measure(
        name="csat_good_rate",
        title="Satisfaction (rated good)",
        kind="rate",
        counted="rated",
        subject=_TICKETS_A,
        other=_TICKETS_B,
        more="were rated good {amount} more often",
        less="were rated good {amount} less often",
        same="were rated good as often",
        up="more",
        down="less",
    ),
    Measure(
        name="reopened_rate",
        title="Reopened after being solved",
        kind="rate",
        counted="solved",
        subject=_TICKETS_A,
        other=_TICKETS_B,
        more="were reopened {amount} more often",
        less="were reopened {amount} less often",
        same="were reopened as often",
        up="more",
        down="less",
    ),
    Measure(
        name="median_resolution_hours",
        title="Median time to resolution",
        kind="median",
        counted="solved",
        subject="The median ticket with a drive-by",
        other=f"the median ticket worked {OTHERS}",
        more="took {amount} longer to solve",
        less="was solved {amount} sooner",
        same="took as long to solve",
        up="longer",
        down="sooner",
    ),
)
"""The outcomes compared between drive-by tickets and the others, in report order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutcomeComparison:
    """Tickets with a drive-by (A) against tickets worked solo or with intentional help (B) on one outcome.

    Differences are A − B: for a rate in fractions (0.18 = 18 percentage points), for a median in hours."""

    measure: str
    title: str
    kind: str
    """``rate`` or ``median``."""
    drive_by: int
    """Tickets with a drive-by that count for this outcome (rated, or solved)."""
    others: int
    comparison: Comparison
    sentence: str

    @property
    def too_few(self) -> bool:
        return self.drive_by < MIN_TICKETS or self.others < MIN_TICKETS

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison
        return {
            "measure": self.measure,
            "title": self.title,
            "kind": self.kind,
            "unit": "fraction" if self.kind == "rate" else "hours",
            "drive_by": self.drive_by,
            "others": self.others,
            "drive_by_value": rounded(c.value_a),
            "others_value": rounded(c.value_b),
            "crude": rounded(c.crude),
            "crude_ci": rounded_pair(c.crude_ci),
            "adjusted": rounded(c.adjusted),
            "adjusted_ci": rounded_pair(c.adjusted_ci),
            "adjusted_tickets": c.adjusted_tickets,
            "strata": c.strata,
            "too_few": self.too_few,
            "sentence": self.sentence,
        }


def _shown(value: float, kind: str) -> float:
    """A difference as the sentence shows it: whole points, or hours to one decimal below 10 and whole above."""
    if kind == "rate":
        points = abs(value) * 100
        return round(points) if points >= 1 or points == 0 else round(points, 1)
    hours = abs(value)
    return round(hours) if hours >= 10 else round(hours, 1)


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _amount(value: float, kind: str) -> str:
    shown = _shown(value, kind)
    unit = ("point" if shown == 1 else "points") if kind == "rate" else ("hour" if shown == 1 else "hours")
    return f"{_number(shown)} {unit}"


def _includes_zero(interval: Interval | None) -> bool:
    return interval is not None and interval[0] <= 0 <= interval[1]


def _interval(interval: Interval | None, value: float, measure: Measure) -> str:
    """``95% CI 12 to 24`` when the interval lies on the side of zero the difference ``value`` is on (sizes, in
    its direction); otherwise each bound with its direction: ``95% CI 8 less to 2 more``."""
    if interval is None:
        return "no interval"
    low, high = interval
    kind = measure.kind
    if (value > 0 and low > 0) or (value < 0 and high < 0):
        near, far = sorted((abs(low), abs(high)))
        return f"95% CI {_number(_shown(near, kind))} to {_number(_shown(far, kind))}"

    def bound(x: float) -> str:
        shown = _shown(x, kind)
        return _number(shown) if shown == 0 else f"{_number(shown)} {measure.up if x > 0 else measure.down}"

    return f"95% CI {bound(low)} to {bound(high)}"


def _difference(value: float, measure: Measure) -> str:
    if _shown(value, measure.kind) == 0:
        return measure.same
    template = measure.more if value > 0 else measure.less
    return template.format(amount=_amount(value, measure.kind))


def _about_the_same(c: Comparison, kind: str) -> bool:
    crude, adjusted = c.crude, c.adjusted
    if crude is None or adjusted is None:
        return False
    tolerance = SAME_POINTS if kind == "rate" else max(SAME_HOURS, SAME_HOURS_FRACTION * abs(c.value_b or 0.0))
    return abs(adjusted - crude) <= max(tolerance, SAME_FRACTION * max(abs(crude), abs(adjusted)))


def comparison_sentence(measure: Measure, c: Comparison) -> str:
    """The comparison in plain words (see the module's definitions)."""
    if c.n_a < MIN_TICKETS or c.n_b < MIN_TICKETS or c.crude is None:
        return (
            f"Too few tickets to tell: {c.n_a:,} with a drive-by and {c.n_b:,} others were {measure.counted} "
            f"(at least {MIN_TICKETS} each are needed)."
        )
    than = "as" if _shown(c.crude, measure.kind) == 0 else "than"
    crude = f"{_difference(c.crude, measure)} ({_interval(c.crude_ci, c.crude, measure)})"
    text = f"{measure.subject} {crude} {than} {measure.other}"
    if _includes_zero(c.crude_ci) and than == "than":
        text += ", a difference that could be chance"
    adjusted, total = c.adjusted, c.n_a + c.n_b
    if adjusted is None:
        text += (
            "; it cannot be adjusted for priority and group, as no priority and group has tickets both with "
            "and without a drive-by."
        )
    else:
        amount, interval = _amount(adjusted, measure.kind), _interval(c.adjusted_ci, adjusted, measure)
        if c.crude * adjusted < 0 and _shown(adjusted, measure.kind) != 0:
            amount += f" {measure.up if adjusted > 0 else measure.down}"  # the other way round: say which way
        if _about_the_same(c, measure.kind):
            text += f"; about the same after adjusting for priority and group ({amount}, {interval})"
        elif _shown(adjusted, measure.kind) == 0:
            text += f"; the difference disappears once priority and group are taken into account ({amount}, {interval})"
        elif c.crude * adjusted < 0:
            text += f"; once priority and group are taken into account the difference reverses ({amount}, {interval})"
        elif abs(adjusted) < abs(c.crude):
            text += f"; the difference shrinks to {amount} ({interval}) once priority and group are taken into account"
        else:
            text += f"; the difference grows to {amount} ({interval}) once priority and group are taken into account"
        if _includes_zero(c.adjusted_ci) and _shown(adjusted, measure.kind) != 0:
            text += ", which could also be chance" if _includes_zero(c.crude_ci) else ", which could be chance"
        text += "."
        if c.adjusted_tickets < total:
            text += (
                f" The adjustment uses {c.adjusted_tickets:,} of the {total:,} tickets: those in a priority and group "
                "with tickets both with and without a drive-by."
            )
    return text + " This shows an association, not a cause."


def _compare(
    measure: Measure,
    facts: Sequence[TicketFacts],
    value: Callable[[TicketFacts], float | None],
    *,
    seed: int,
    replicates: int,
) -> OutcomeComparison:
    values: list[float] = []
    in_a: list[bool] = []
    strata: list[tuple[str | None, str | None]] = []
    for f in facts:  # one pass: this runs over every worked ticket
        v = value(f)
        if v is not None:
            values.append(v)
            in_a.append(f.klass == DRIVE_BY)
            strata.append((f.priority, f.group))
    if measure.kind == "rate":
        comparison = compare_rates([v > 0 for v in values], in_a, strata, seed=seed, replicates=replicates)
    else:
        comparison = compare_medians(values, in_a, strata, seed=seed, replicates=replicates)
    return OutcomeComparison(
        measure=measure.name,
        title=measure.title,
        kind=measure.kind,
        drive_by=comparison.n_a,
        others=comparison.n_b,
        comparison=comparison,
        sentence=comparison_sentence(measure, comparison),
    )


def _good(f: TicketFacts) -> float | None:
    s = f.outcome.satisfaction
    return None if s not in ("good", "bad") else float(s == "good")


def _reopened(f: TicketFacts) -> float | None:
    return None if f.outcome.solved_at is None else float(f.outcome.reopened)


def _hours(f: TicketFacts) -> float | None:
    return f.outcome.resolution_hours


VALUES: dict[str, Callable[[TicketFacts], float | None]] = {
    "csat_good_rate": _good,
    "reopened_rate": _reopened,
    "median_resolution_hours": _hours,
}
"""Per measure, a ticket's value (``None``: the ticket does not count for it)."""


# --- the report -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OutcomeReport:
    """Outcomes by collaboration class and drive-by tickets against the others (:func:`outcomes_by_class`)."""

    classes: tuple[ClassOutcomes, ...]
    """One per class in :data:`~intently.engine.outcomes.CLASSES` order, also a class without tickets."""
    comparisons: tuple[OutcomeComparison, ...]
    """One per :data:`MEASURES` entry: drive-by against the others."""
    tickets: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain ints, floats (rounded to :data:`DECIMALS`), strings, lists and ``None``."""
        return {
            "classes": [c.to_dict() for c in self.classes],
            "comparisons": [c.to_dict() for c in self.comparisons],
            "min_tickets": MIN_TICKETS,
            "tickets": self.tickets,
            "seed": self.seed,
        }


def outcomes_by_class(
    facts: Sequence[TicketFacts], *, seed: int = DEFAULT_SEED, replicates: int = REPLICATES
) -> OutcomeReport:
    """Outcomes per collaboration class, and drive-by tickets against the others (crude and adjusted for priority
    × group). The same ``facts`` and ``seed`` give the same report. Tickets of a class not in ``CLASSES`` are
    counted in ``tickets`` only."""
    by_class: dict[str, list[TicketFacts]] = {klass: [] for klass in CLASSES}
    for f in facts:
        if f.klass in by_class:
            by_class[f.klass].append(f)
    known = [f for klass in CLASSES for f in by_class[klass]]
    return OutcomeReport(
        classes=tuple(class_outcomes(klass, by_class[klass], seed=seed, replicates=replicates) for klass in CLASSES),
        comparisons=tuple(_compare(m, known, VALUES[m.name], seed=seed, replicates=replicates) for m in MEASURES),
        tickets=len(facts),
        seed=seed,
    )
