"""The statistics behind the outcome and pilot reports: intervals, an adjusted comparison, a difference in differences.

Pure and deterministic: every random draw comes from :func:`numpy.random.default_rng` seeded by the caller, so the
same input and seed give the same figures on every machine with the same numpy. Where there is nothing to measure
(no tickets, a group without data) a function returns ``None``, never NaN or 0.

* :func:`wilson`: the Wilson score interval of a rate ``k / n``.
* :func:`bootstrap_median_ci`: a percentile bootstrap interval of a median. Resampling is done in blocks of at most
  :data:`CHUNK_ELEMENTS` values, so 50,000 values × 1,000 replicates never hold 50 million values at once. A
  resample's median is found among the *positions* it draws in the sorted values (:func:`_middle`), not among the
  values: the same number as ``np.median`` of the values, about three times faster.
* :func:`compare_rates` and :func:`compare_medians`: group A minus group B, crude and adjusted by **direct
  standardisation** over strata (for the reports: priority × group). The adjusted difference is
  ``Σ w_s (stat_A,s − stat_B,s)`` over the strata where both groups have data, with ``w_s`` proportional to the
  stratum's size (both groups together): each group is measured as if it had the other's mix of strata. Intervals
  come from a stratified bootstrap (resampling within each stratum and group, so the strata keep their sizes); for
  a rate a binomial draw per stratum and group is the same as resampling its 0/1 values, at O(replicates) cost.
* :func:`did_rate`, :func:`did_ratio` and :func:`did_median`: a difference in differences over four cells (the
  pilot before and after, the others before and after): ``(pilot after − pilot before) − (others after − others
  before)``, with a bootstrap interval that resamples tickets within each cell.

Percentile intervals are the ``(1 − level) / 2`` and ``(1 + level) / 2`` quantiles of the replicates (numpy's
default, linear interpolation).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Interval = tuple[float, float]
"""A ``(low, high)`` interval."""

DEFAULT_SEED = 20240607
"""The seed the reports use unless told otherwise (any fixed number would do: it only has to be the same)."""
REPLICATES = 1000
"""Bootstrap replicates by default."""
LEVEL = 0.95
"""Confidence level of every interval by default (the reports say "95% CI")."""
CHUNK_ELEMENTS = 1 << 19
"""At most this many resampled values are held at once (a few megabytes) by the resampling bootstraps."""

CELLS = ("pilot_before", "pilot_after", "others_before", "others_after")
"""The four cells of a difference in differences, in the order the ``did_*`` functions take them."""

FloatArray = npt.NDArray[np.float64]


# --- one sample -----------------------------------------------------------------------------------


def wilson(k: int, n: int, z: float = 1.96) -> Interval | None:
    """The Wilson score interval of the rate ``k / n`` (``z`` = 1.96: 95%); ``None`` when ``n`` is 0.

    Unlike the textbook ``p ± z·√(p(1−p)/n)`` it stays inside [0, 1] and is not zero-width at 0/n or n/n."""
    if n == 0:
        return None
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"wilson needs 0 <= k <= n, got k={k}, n={n}")
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return (low, high)


def median(values: Sequence[float]) -> float | None:
    """The median, or ``None`` for no values."""
    return float(np.median(np.asarray(values, dtype=np.float64))) if len(values) else None


def _rows(width: int) -> int:
    """Replicates per block so that a block holds at most :data:`CHUNK_ELEMENTS` values (at least one)."""
    return max(1, CHUNK_ELEMENTS // max(width, 1))


IntArray = npt.NDArray[np.int64] | npt.NDArray[np.int32]


def _middle(positions: IntArray, values: FloatArray) -> FloatArray:
    """Per row of ``positions`` (indices into ``values``, sorted and finite), the median of the values they pick:
    the same number as ``np.median(values[positions], axis=1)``, as the k-th smallest of the picked values is the
    value at the k-th smallest position. Partitioning the positions (as 32-bit integers) is about three times
    faster than gathering and partitioning the values."""
    width = positions.shape[1]
    low, high = (width - 1) // 2, width // 2
    small = positions.astype(np.int32, copy=False) if len(values) < 2**31 else positions
    part = np.partition(small, low if low == high else (low, high), axis=1)
    if low == high:
        return values[part[:, low]]
    return (values[part[:, low]] + values[part[:, high]]) / 2  # as np.median: the mean of the two middle values


def _resampled_medians(values: FloatArray, replicates: int, rng: np.random.Generator) -> FloatArray:
    """The medians of ``replicates`` resamples (with replacement, same size) of ``values`` (sorted), drawn in
    blocks."""
    n = len(values)
    out = np.empty(replicates, dtype=np.float64)
    rows = _rows(n)
    finite = bool(np.isfinite(values).all())
    for start in range(0, replicates, rows):
        count = min(rows, replicates - start)
        picks = rng.integers(0, n, size=(count, n))
        out[start : start + count] = _middle(picks, values) if finite else np.median(values[picks], axis=1)
    return out


def _ranked(parts: Sequence[FloatArray]) -> tuple[FloatArray, list[npt.NDArray[np.int64]]]:
    """The values of ``parts`` (each sorted) pooled and sorted, and for each part the position of each of its values
    in the pooled order (increasing within a part: a stable sort keeps tied values in their part's order)."""
    pooled = np.concatenate(parts) if len(parts) else np.empty(0)
    order = np.argsort(pooled, kind="stable")
    rank = np.empty(len(pooled), dtype=np.int64)
    rank[order] = np.arange(len(pooled))
    positions, start = [], 0
    for part in parts:
        positions.append(rank[start : start + len(part)])
        start += len(part)
    return pooled[order], positions


def _percentiles(samples: FloatArray, level: float) -> Interval | None:
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return None
    tail = (1 - level) / 2
    low, high = np.quantile(finite, [tail, 1 - tail])
    return (float(low), float(high))


def _check(replicates: int, level: float) -> None:
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1, got {replicates}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")


def bootstrap_median_ci(
    values: Sequence[float],
    *,
    seed: int = DEFAULT_SEED,
    replicates: int = REPLICATES,
    level: float = LEVEL,
) -> Interval | None:
    """A percentile bootstrap interval of the median of ``values``; ``None`` for no values.

    The values are sorted first, so the interval does not depend on their order. Memory stays bounded: resamples
    are drawn :func:`in blocks <_rows>` of at most :data:`CHUNK_ELEMENTS` values."""
    _check(replicates, level)
    if not len(values):
        return None
    data = np.sort(np.asarray(values, dtype=np.float64))
    rng = np.random.default_rng(seed)
    return _percentiles(_resampled_medians(data, replicates, rng), level)


# --- two groups, adjusted over strata -------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """Group A minus group B: crude, and adjusted by direct standardisation over strata.

    ``adjusted_tickets`` counts the tickets in the strata where both groups have data: the only ones the adjusted
    comparison can use (a stratum with one group alone says nothing about the difference)."""

    n_a: int
    n_b: int
    value_a: float | None
    """Group A's rate (or median) over all its tickets."""
    value_b: float | None
    crude: float | None
    """``value_a − value_b``."""
    crude_ci: Interval | None
    adjusted: float | None
    """``Σ w_s (stat_A,s − stat_B,s)`` over strata with both groups; ``w_s`` ∝ the stratum's size."""
    adjusted_ci: Interval | None
    adjusted_tickets: int
    strata: int
    """Strata with both groups."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_a": self.n_a,
            "n_b": self.n_b,
            "value_a": self.value_a,
            "value_b": self.value_b,
            "crude": self.crude,
            "crude_ci": _pair(self.crude_ci),
            "adjusted": self.adjusted,
            "adjusted_ci": _pair(self.adjusted_ci),
            "adjusted_tickets": self.adjusted_tickets,
            "strata": self.strata,
        }


def _pair(interval: Interval | None) -> list[float] | None:
    return None if interval is None else [interval[0], interval[1]]


def _stratum_key(stratum: Hashable) -> str:
    return repr(stratum)


def _cells(
    values: Sequence[float], in_a: Sequence[bool], strata: Sequence[Hashable]
) -> list[tuple[FloatArray, FloatArray]]:
    """Per stratum (ordered by its ``repr``) the sorted values of group A and of group B: the result does not
    depend on the order of the tickets."""
    if not len(values) == len(in_a) == len(strata):
        raise ValueError(f"values, in_a and strata differ in length: {len(values)}, {len(in_a)}, {len(strata)}")
    grouped: dict[Hashable, tuple[list[float], list[float]]] = {}
    for value, a, stratum in zip(values, in_a, strata, strict=True):
        grouped.setdefault(stratum, ([], []))[0 if a else 1].append(float(value))
    return [
        (np.sort(np.asarray(grouped[s][0], dtype=np.float64)), np.sort(np.asarray(grouped[s][1], dtype=np.float64)))
        for s in sorted(grouped, key=_stratum_key)
    ]


def _weights(n_a: npt.NDArray[np.int64], n_b: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    both = (n_a > 0) & (n_b > 0)
    sizes = (n_a + n_b)[both].astype(np.float64)
    return both, sizes / sizes.sum() if sizes.size else sizes


def _binomial(
    rng: np.random.Generator, k: npt.NDArray[np.int64], n: npt.NDArray[np.int64], replicates: int
) -> npt.NDArray[np.int64]:
    """Per row (a stratum), ``replicates`` draws of the count of 1s in a resample of its ``n`` tickets."""
    p = k / np.maximum(n, 1)
    return rng.binomial(n[:, None], p[:, None], size=(len(n), replicates))


def _comparison(
    values: tuple[float | None, float | None],
    crude: tuple[float | None, Interval | None],
    adjusted: tuple[float | None, Interval | None],
    n_a: npt.NDArray[np.int64],
    n_b: npt.NDArray[np.int64],
    both: npt.NDArray[np.bool_],
) -> Comparison:
    return Comparison(
        n_a=int(n_a.sum()),
        n_b=int(n_b.sum()),
        value_a=values[0],
        value_b=values[1],
        crude=crude[0],
        crude_ci=crude[1],
        adjusted=adjusted[0],
        adjusted_ci=adjusted[1],
        adjusted_tickets=int((n_a + n_b)[both].sum()),
        strata=int(both.sum()),
    )


def compare_rates(
    values: Sequence[bool],
    in_a: Sequence[bool],
    strata: Sequence[Hashable],
    *,
    seed: int = DEFAULT_SEED,
    replicates: int = REPLICATES,
    level: float = LEVEL,
) -> Comparison:
    """Rate of ``values`` (one 0/1 per ticket) in group A (``in_a``) minus group B, crude and standardised over
    ``strata`` (one hashable per ticket), with stratified bootstrap intervals (binomial draws per stratum and
    group)."""
    _check(replicates, level)
    cells = _cells([1.0 if v else 0.0 for v in values], in_a, strata)
    k_a = np.array([int(a.sum()) for a, _ in cells], dtype=np.int64)
    n_a = np.array([len(a) for a, _ in cells], dtype=np.int64)
    k_b = np.array([int(b.sum()) for _, b in cells], dtype=np.int64)
    n_b = np.array([len(b) for _, b in cells], dtype=np.int64)
    total_a, total_b = int(n_a.sum()), int(n_b.sum())
    value_a = int(k_a.sum()) / total_a if total_a else None
    value_b = int(k_b.sum()) / total_b if total_b else None
    crude = None if value_a is None or value_b is None else value_a - value_b
    both, weights = _weights(n_a, n_b)
    adjusted = float(np.sum(weights * (k_a[both] / n_a[both] - k_b[both] / n_b[both]))) if both.any() else None

    crude_ci = adjusted_ci = None
    if crude is not None:
        rng = np.random.default_rng(seed)
        sum_a = np.zeros(replicates)
        sum_b = np.zeros(replicates)
        adjusted_samples = np.zeros(replicates)
        weight_of = np.zeros(len(cells))
        weight_of[both] = weights
        rows = _rows(replicates)
        for start in range(0, len(cells), rows):
            part = slice(start, start + rows)
            draws_a = _binomial(rng, k_a[part], n_a[part], replicates)
            draws_b = _binomial(rng, k_b[part], n_b[part], replicates)
            sum_a += draws_a.sum(axis=0)
            sum_b += draws_b.sum(axis=0)
            used = both[part]
            if used.any():
                rates_a = draws_a[used] / n_a[part][used][:, None]
                rates_b = draws_b[used] / n_b[part][used][:, None]
                adjusted_samples += (weight_of[part][used][:, None] * (rates_a - rates_b)).sum(axis=0)
        crude_ci = _percentiles(sum_a / total_a - sum_b / total_b, level)
        if adjusted is not None:
            adjusted_ci = _percentiles(adjusted_samples, level)
    return _comparison((value_a, value_b), (crude, crude_ci), (adjusted, adjusted_ci), n_a, n_b, both)


def _stratified_medians(
    cells: list[tuple[FloatArray, FloatArray]],
    both: npt.NDArray[np.bool_],
    weight_of: FloatArray,
    seed: int,
    replicates: int,
) -> tuple[FloatArray, FloatArray]:
    """The crude and adjusted replicates of :func:`compare_medians` (finite values): every replicate resamples each
    stratum's A and B tickets on their own. A resample is kept as positions, in its stratum's sorted values for the
    stratum's median and in all of its group's sorted values (:func:`_ranked`) for the crude median, so no value is
    copied. The draws, in their order, and the figures are those of :func:`_stratified_medians_of_values`."""
    rng = np.random.default_rng(seed)
    crude_samples = np.empty(replicates)
    adjusted_samples = np.zeros(replicates)
    ranked = [_ranked([cell[side] for cell in cells]) for side in (0, 1)]
    widths = [len(ranked[side][0]) for side in (0, 1)]
    rows = _rows(sum(widths))
    for start in range(0, replicates, rows):
        count = min(rows, replicates - start)
        pooled = [np.empty((count, width), dtype=np.int32 if width < 2**31 else np.int64) for width in widths]
        filled = [0, 0]
        for i, cell in enumerate(cells):
            medians: list[FloatArray] = []
            for side, data in enumerate(cell):
                if not len(data):
                    continue
                picks = rng.integers(0, len(data), size=(count, len(data)))
                pooled[side][:, filled[side] : filled[side] + len(data)] = ranked[side][1][i][picks]
                filled[side] += len(data)
                if both[i]:
                    medians.append(_middle(picks, data))
            if both[i]:
                adjusted_samples[start : start + count] += weight_of[i] * (medians[0] - medians[1])
        crude_samples[start : start + count] = _middle(pooled[0], ranked[0][0]) - _middle(pooled[1], ranked[1][0])
    return crude_samples, adjusted_samples


def _stratified_medians_of_values(
    cells: list[tuple[FloatArray, FloatArray]],
    both: npt.NDArray[np.bool_],
    weight_of: FloatArray,
    seed: int,
    replicates: int,
) -> tuple[FloatArray, FloatArray]:
    """:func:`_stratified_medians` on the values themselves (for values that are not all finite)."""
    rng = np.random.default_rng(seed)
    crude_samples = np.empty(replicates)
    adjusted_samples = np.zeros(replicates)
    rows = _rows(sum(len(a) + len(b) for a, b in cells))
    for start in range(0, replicates, rows):
        count = min(rows, replicates - start)
        resampled: tuple[list[FloatArray], list[FloatArray]] = ([], [])
        for i, cell in enumerate(cells):
            medians: list[FloatArray] = []
            for side, data in enumerate(cell):
                if not len(data):
                    continue
                sample = data[rng.integers(0, len(data), size=(count, len(data)))]
                resampled[side].append(sample)
                if both[i]:
                    medians.append(np.median(sample, axis=1))
            if both[i]:
                adjusted_samples[start : start + count] += weight_of[i] * (medians[0] - medians[1])
        crude_samples[start : start + count] = np.median(np.hstack(resampled[0]), axis=1) - np.median(
            np.hstack(resampled[1]), axis=1
        )
    return crude_samples, adjusted_samples


def compare_medians(
    values: Sequence[float],
    in_a: Sequence[bool],
    strata: Sequence[Hashable],
    *,
    seed: int = DEFAULT_SEED,
    replicates: int = REPLICATES,
    level: float = LEVEL,
) -> Comparison:
    """Median of ``values`` in group A (``in_a``) minus group B, crude and standardised over ``strata`` (the
    weighted sum of per-stratum differences of medians), with stratified bootstrap intervals: every replicate
    resamples each stratum's A and B tickets on their own, in blocks of at most :data:`CHUNK_ELEMENTS` values."""
    _check(replicates, level)
    cells = _cells(values, in_a, strata)
    n_a = np.array([len(a) for a, _ in cells], dtype=np.int64)
    n_b = np.array([len(b) for _, b in cells], dtype=np.int64)
    total_a, total_b = int(n_a.sum()), int(n_b.sum())
    all_a = np.concatenate([a for a, _ in cells]) if cells else np.empty(0)
    all_b = np.concatenate([b for _, b in cells]) if cells else np.empty(0)
    value_a = float(np.median(all_a)) if total_a else None
    value_b = float(np.median(all_b)) if total_b else None
    crude = None if value_a is None or value_b is None else value_a - value_b
    both, weights = _weights(n_a, n_b)
    weight_of = np.zeros(len(cells))
    weight_of[both] = weights
    adjusted = (
        float(sum(weight_of[i] * (np.median(a) - np.median(b)) for i, (a, b) in enumerate(cells) if both[i]))
        if both.any()
        else None
    )

    crude_ci = adjusted_ci = None
    if crude is not None:
        finite = bool(np.isfinite(all_a).all() and np.isfinite(all_b).all())
        draw = _stratified_medians if finite else _stratified_medians_of_values
        crude_samples, adjusted_samples = draw(cells, both, weight_of, seed, replicates)
        crude_ci = _percentiles(crude_samples, level)
        if adjusted is not None:
            adjusted_ci = _percentiles(adjusted_samples, level)
    return _comparison((value_a, value_b), (crude, crude_ci), (adjusted, adjusted_ci), n_a, n_b, both)


# --- difference in differences --------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    """One cell of a difference in differences.

    ``n`` is the tickets measured; for a rate ``part``/``whole`` are the tickets with the outcome and ``n``; for a
    ratio of sums they are the two sums (``n`` counts the tickets with a non-zero denominator); for a median they
    are ``None``."""

    n: int
    value: float | None
    part: int | None = None
    whole: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "value": self.value, "part": self.part, "whole": self.whole}


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffInDiff:
    """``(pilot after − pilot before) − (others after − others before)`` with a bootstrap interval."""

    pilot_before: Cell
    pilot_after: Cell
    others_before: Cell
    others_after: Cell
    pilot_change: float | None
    others_change: float | None
    estimate: float | None
    ci: Interval | None

    @property
    def cells(self) -> tuple[Cell, Cell, Cell, Cell]:
        """In :data:`CELLS` order."""
        return (self.pilot_before, self.pilot_after, self.others_before, self.others_after)

    def to_dict(self) -> dict[str, Any]:
        return {
            **{name: cell.to_dict() for name, cell in zip(CELLS, self.cells, strict=True)},
            "pilot_change": self.pilot_change,
            "others_change": self.others_change,
            "estimate": self.estimate,
            "ci": _pair(self.ci),
        }


def _difference(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def _did(cells: list[Cell], samples: list[FloatArray | None], level: float) -> DiffInDiff:
    """The estimate from the cells' values; the interval from each cell's replicates (``None``: nothing there)."""
    pb, pa, ob, oa = cells
    pilot_change = _difference(pa.value, pb.value)
    others_change = _difference(oa.value, ob.value)
    estimate = None if pilot_change is None or others_change is None else pilot_change - others_change
    ci = None
    s_pb, s_pa, s_ob, s_oa = samples
    if estimate is not None and s_pb is not None and s_pa is not None and s_ob is not None and s_oa is not None:
        ci = _percentiles((s_pa - s_pb) - (s_oa - s_ob), level)
    return DiffInDiff(
        pilot_before=pb,
        pilot_after=pa,
        others_before=ob,
        others_after=oa,
        pilot_change=pilot_change,
        others_change=others_change,
        estimate=estimate,
        ci=ci,
    )


def _generators(seed: int) -> list[np.random.Generator]:
    """One independent generator per cell: a cell's draws do not depend on whether another cell is empty."""
    return [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(len(CELLS))]


CellDraw = Callable[[Any, np.random.Generator, int], tuple[Cell, FloatArray | None]]
"""One cell's figure and its bootstrap replicates (None for an empty cell), from its data, generator and count."""


def _did_of(
    four: tuple[Sequence[Any], Sequence[Any], Sequence[Any], Sequence[Any]],
    draw: CellDraw,
    *,
    seed: int,
    replicates: int,
    level: float,
) -> DiffInDiff:
    _check(replicates, level)
    cells: list[Cell] = []
    samples: list[FloatArray | None] = []
    for data, rng in zip(four, _generators(seed), strict=True):
        cell, sample = draw(data, rng, replicates)
        cells.append(cell)
        samples.append(sample)
    return _did(cells, samples, level)


def _rate_cell(data: Sequence[bool], rng: np.random.Generator, replicates: int) -> tuple[Cell, FloatArray | None]:
    n = len(data)
    k = sum(1 for v in data if v)
    cell = Cell(n=n, value=k / n if n else None, part=k, whole=n)
    return cell, (rng.binomial(n, k / n, size=replicates) / n if n else None)


def _ratio_cell(
    data: Sequence[tuple[int, int]], rng: np.random.Generator, replicates: int
) -> tuple[Cell, FloatArray | None]:
    pairs = [(num, den) for num, den in data if den]
    if any(num < 0 or den < 0 or num > den for num, den in pairs):
        raise ValueError("did_ratio needs 0 <= numerator <= denominator on every ticket")
    numerators = np.array([num for num, _ in pairs], dtype=np.float64)
    denominators = np.array([den for _, den in pairs], dtype=np.float64)
    m = len(pairs)
    part, whole = int(numerators.sum()), int(denominators.sum())
    cell = Cell(n=m, value=part / whole if whole else None, part=part, whole=whole)
    if not m:
        return cell, None
    out = np.empty(replicates)
    rows = _rows(m)
    for start in range(0, replicates, rows):
        count = min(rows, replicates - start)
        picks = rng.integers(0, m, size=(count, m))
        out[start : start + count] = numerators[picks].sum(axis=1) / denominators[picks].sum(axis=1)
    return cell, out


def _median_cell(data: Sequence[float], rng: np.random.Generator, replicates: int) -> tuple[Cell, FloatArray | None]:
    values = np.sort(np.asarray(data, dtype=np.float64))
    n = len(values)
    cell = Cell(n=n, value=float(np.median(values)) if n else None)
    return cell, (_resampled_medians(values, replicates, rng) if n else None)


def did_rate(
    pilot_before: Sequence[bool],
    pilot_after: Sequence[bool],
    others_before: Sequence[bool],
    others_after: Sequence[bool],
    *,
    seed: int = DEFAULT_SEED,
    replicates: int = REPLICATES,
    level: float = LEVEL,
) -> DiffInDiff:
    """Difference in differences of a rate (one 0/1 per ticket); resampling tickets in a cell is a binomial draw."""
    four = (pilot_before, pilot_after, others_before, others_after)
    return _did_of(four, _rate_cell, seed=seed, replicates=replicates, level=level)


def did_ratio(
    pilot_before: Sequence[tuple[int, int]],
    pilot_after: Sequence[tuple[int, int]],
    others_before: Sequence[tuple[int, int]],
    others_after: Sequence[tuple[int, int]],
    *,
    seed: int = DEFAULT_SEED,
    replicates: int = REPLICATES,
    level: float = LEVEL,
) -> DiffInDiff:
    """Difference in differences of a ratio of sums, one ``(numerator, denominator)`` per ticket (e.g. notes
    acknowledged, notes): ``Σ numerator / Σ denominator`` per cell, clustered by ticket (the bootstrap resamples
    tickets). Tickets with a zero denominator add nothing to either sum and are left out, so no resample divides
    by zero; a cell without any denominator has no value."""
    four = (pilot_before, pilot_after, others_before, others_after)
    return _did_of(four, _ratio_cell, seed=seed, replicates=replicates, level=level)


def did_median(
    pilot_before: Sequence[float],
    pilot_after: Sequence[float],
    others_before: Sequence[float],
    others_after: Sequence[float],
    *,
    seed: int = DEFAULT_SEED,
    replicates: int = REPLICATES,
    level: float = LEVEL,
) -> DiffInDiff:
    """Difference in differences of a median (one value per ticket), resampling tickets within each cell."""
    four = (pilot_before, pilot_after, others_before, others_after)
    return _did_of(four, _median_cell, seed=seed, replicates=replicates, level=level)
