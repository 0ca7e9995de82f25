"""intently.report.stats: hand-computed answers, repeatability, bounded memory and the "nothing to measure" cases."""

from __future__ import annotations

import random
import tracemalloc

import numpy as np
import pytest

from intently.report.stats import (
    Comparison,
    bootstrap_median_ci,
    compare_medians,
    compare_rates,
    did_median,
    did_rate,
    did_ratio,
    median,
    wilson,
)

# --- Wilson ---------------------------------------------------------------------------------------


def test_wilson_known_values() -> None:
    # 0/10: upper = z² / (n + z²) = 3.8416 / 13.8416
    assert wilson(0, 10) == (0.0, pytest.approx(0.277540, abs=1e-6))
    low, high = wilson(10, 10)  # type: ignore[misc]
    assert (low, high) == (pytest.approx(0.722460, abs=1e-6), 1.0)
    # 5/10: centre 0.5, half-width 1.96·√(0.025 + 0.009604) / 1.38416 = 0.263410
    assert wilson(5, 10) == (pytest.approx(0.236590, abs=1e-6), pytest.approx(0.763410, abs=1e-6))


def test_wilson_nothing_to_measure_and_bad_input() -> None:
    assert wilson(0, 0) is None
    with pytest.raises(ValueError):
        wilson(11, 10)
    with pytest.raises(ValueError):
        wilson(-1, 10)


def test_wilson_is_symmetric_and_narrows_with_more_tickets() -> None:
    low, high = wilson(3, 20)  # type: ignore[misc]
    mirror_low, mirror_high = wilson(17, 20)  # type: ignore[misc]
    assert low == pytest.approx(1 - mirror_high) and high == pytest.approx(1 - mirror_low)
    small, large = wilson(5, 10), wilson(500, 1000)
    assert small is not None and large is not None
    assert large[1] - large[0] < small[1] - small[0]


# --- medians and their bootstrap ------------------------------------------------------------------


def test_median() -> None:
    assert median([]) is None
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_bootstrap_median_ci_repeatable_contains_the_median_and_depends_on_the_seed() -> None:
    rng = random.Random(1)
    values = [rng.expovariate(0.1) for _ in range(301)]
    first = bootstrap_median_ci(values, seed=5, replicates=500)
    assert first is not None
    assert bootstrap_median_ci(values, seed=5, replicates=500) == first
    assert bootstrap_median_ci(values, seed=6, replicates=500) != first
    assert first[0] < float(np.median(values)) < first[1]
    # the order of the values does not matter (they are sorted first)
    assert bootstrap_median_ci(list(reversed(values)), seed=5, replicates=500) == first


def test_bootstrap_median_ci_edges() -> None:
    assert bootstrap_median_ci([]) is None
    assert bootstrap_median_ci([7.5]) == (7.5, 7.5)
    assert bootstrap_median_ci([2.0] * 40) == (2.0, 2.0)
    with pytest.raises(ValueError):
        bootstrap_median_ci([1.0], replicates=0)


def test_bootstrap_median_ci_memory_is_bounded() -> None:
    """50,000 values × 1,000 replicates: 50 million resampled values would take 400 MB as floats (and as much
    again as indices); resampling in blocks keeps the peak at a few megabytes."""
    values = np.random.default_rng(3).exponential(10.0, 50_000).tolist()
    tracemalloc.start()
    try:
        interval = bootstrap_median_ci(values, seed=1, replicates=1000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert interval is not None and interval[0] < float(np.median(values)) < interval[1]
    assert peak < 40_000_000


# --- adjusted comparison --------------------------------------------------------------------------


def _rows(cells: list[tuple[str, bool, int, int]]) -> tuple[list[bool], list[bool], list[str]]:
    """(stratum, in A, tickets, of which positive) → the per-ticket lists compare_rates takes."""
    values: list[bool] = []
    in_a: list[bool] = []
    strata: list[str] = []
    for stratum, a, n, k in cells:
        values += [True] * k + [False] * (n - k)
        in_a += [a] * n
        strata += [stratum] * n
    return values, in_a, strata


def test_standardisation_equals_crude_when_every_stratum_has_the_same_mix() -> None:
    # A is a third of each stratum. A: 18/40 = 0.45, B: 24/80 = 0.30 → crude 0.15;
    # strata weights 30/120 and 90/120: 0.25·(0.3 − 0.2) + 0.75·(0.5 − 1/3) = 0.15.
    c = compare_rates(*_rows([("s1", True, 10, 3), ("s1", False, 20, 4), ("s2", True, 30, 15), ("s2", False, 60, 20)]))
    assert c.crude == pytest.approx(0.15)
    assert c.adjusted == pytest.approx(0.15)
    assert (c.n_a, c.n_b, c.adjusted_tickets, c.strata) == (40, 80, 120, 2)
    assert c.value_a == pytest.approx(0.45) and c.value_b == pytest.approx(0.30)


def test_standardisation_removes_a_confounded_difference() -> None:
    # Drive-bys (A) mostly on hard tickets, rated good 40% in both groups there; easy tickets 80% in both.
    # Crude: A 24/50 = 0.48, B 76/100 = 0.76 → −0.28; within every stratum the difference is 0.
    c = compare_rates(
        *_rows([("easy", True, 10, 8), ("easy", False, 90, 72), ("hard", True, 40, 16), ("hard", False, 10, 4)])
    )
    assert c.crude == pytest.approx(-0.28)
    assert c.adjusted == pytest.approx(0.0)
    assert c.crude_ci is not None and c.crude_ci[1] < 0
    assert c.adjusted_ci is not None and c.adjusted_ci[0] < 0 < c.adjusted_ci[1]


def test_standardisation_uses_only_strata_with_both_groups() -> None:
    # Drive-bys only happen on hard tickets: the easy stratum (B alone) cannot tell anything about the difference.
    c = compare_rates(*_rows([("easy", False, 100, 80), ("hard", True, 20, 10), ("hard", False, 50, 25)]))
    assert c.crude == pytest.approx(0.5 - 105 / 150)
    assert c.adjusted == pytest.approx(0.0)
    assert (c.adjusted_tickets, c.strata) == (70, 1)


def test_compare_rates_repeatable_and_independent_of_ticket_order() -> None:
    values, in_a, strata = _rows([("x", True, 30, 12), ("x", False, 50, 30), ("y", True, 20, 5), ("y", False, 40, 8)])
    first = compare_rates(values, in_a, strata, seed=3)
    assert compare_rates(values, in_a, strata, seed=3) == first
    assert compare_rates(values, in_a, strata, seed=4).crude_ci != first.crude_ci
    order = list(range(len(values)))
    random.Random(2).shuffle(order)
    shuffled = compare_rates([values[i] for i in order], [in_a[i] for i in order], [strata[i] for i in order], seed=3)
    assert shuffled == first
    assert first.crude is not None and first.crude_ci is not None
    assert first.crude_ci[0] < first.crude < first.crude_ci[1]


def test_compare_with_a_group_missing_has_nothing_to_measure() -> None:
    for c in (
        compare_rates([True, False, True], [False, False, False], ["s", "s", "t"]),
        compare_medians([1.0, 0.0, 1.0], [False, False, False], ["s", "s", "t"]),
    ):
        assert isinstance(c, Comparison)
        assert c.n_a == 0 and c.value_a is None
        assert c.crude is None and c.crude_ci is None and c.adjusted is None and c.adjusted_ci is None
        assert c.adjusted_tickets == 0 and c.strata == 0
    empty = compare_medians([], [], [])
    assert empty.crude is None and empty.value_b is None
    with pytest.raises(ValueError):
        compare_rates([True], [True, False], ["s"])


def test_compare_medians_weights_strata_by_their_size_in_both_groups() -> None:
    # s1 (4 tickets): A [10], B [4, 4, 4] → +6; s2 (6 tickets): A [1, 1, 1, 1, 1], B [2] → −1.
    # Adjusted: 0.4·6 + 0.6·(−1) = 1.8 (weights by A alone would give 0.17, by B alone 4.25).
    # Crude: median A [10, 1, 1, 1, 1, 1] = 1, B [4, 4, 4, 2] = 4 → −3.
    # Each cell is constant, so every stratified resample gives the same per-stratum medians: a point interval.
    c = compare_medians(
        [10, 4, 4, 4, 1, 1, 1, 1, 1, 2],
        [True, False, False, False, True, True, True, True, True, False],
        ["s1"] * 4 + ["s2"] * 6,
    )
    assert c.adjusted == pytest.approx(1.8)
    assert c.adjusted_ci == (pytest.approx(1.8), pytest.approx(1.8))
    assert c.crude == -3.0
    assert c.crude_ci is not None and c.crude_ci[0] <= -3.0 <= c.crude_ci[1]
    assert (c.adjusted_tickets, c.strata) == (10, 2)


def test_compare_medians_removes_a_confounded_difference() -> None:
    easy = [1.0, 2.0, 3.0, 4.0, 5.0]
    hard = [10.0, 20.0, 30.0]
    c = compare_medians(easy + hard + hard, [False] * 5 + [True] * 3 + [False] * 3, ["easy"] * 5 + ["hard"] * 6)
    assert c.value_a == 20.0 and c.value_b == 4.5  # B: [1, 2, 3, 4, 5, 10, 20, 30]
    assert c.crude == 15.5
    assert c.adjusted == 0.0
    assert (c.adjusted_tickets, c.strata) == (6, 1)
    assert c.adjusted_ci is not None and c.adjusted_ci[0] <= 0 <= c.adjusted_ci[1]


# --- difference in differences --------------------------------------------------------------------


def _flags(n: int, k: int) -> list[bool]:
    return [True] * k + [False] * (n - k)


def test_did_rate_exact() -> None:
    # (4/40 − 10/40) − (10/40 − 12/40) = −0.15 + 0.05 = −0.10
    d = did_rate(_flags(40, 10), _flags(40, 4), _flags(40, 12), _flags(40, 10), seed=1)
    assert d.pilot_change == pytest.approx(-0.15)
    assert d.others_change == pytest.approx(-0.05)
    assert d.estimate == pytest.approx(-0.10)
    assert d.ci is not None and d.ci[0] < -0.10 < d.ci[1]
    assert (d.pilot_before.part, d.pilot_before.whole, d.pilot_before.n) == (10, 40, 40)
    assert did_rate(_flags(40, 10), _flags(40, 4), _flags(40, 12), _flags(40, 10), seed=1) == d
    assert did_rate(_flags(40, 10), _flags(40, 4), _flags(40, 12), _flags(40, 10), seed=2).ci != d.ci


def test_did_ratio_is_a_ratio_of_sums_clustered_by_ticket() -> None:
    # pilot before: (1 + 0) / (1 + 3) = 0.25, not the mean of the tickets' ratios (0.5); the ticket without notes
    # adds nothing. pilot after (2 + 1) / (2 + 2) = 0.75; others (1 + 1) / 4 = 0.5 → (1 + 2) / 4 = 0.75.
    d = did_ratio([(1, 1), (0, 3), (0, 0)], [(2, 2), (1, 2)], [(1, 2), (1, 2)], [(1, 2), (2, 2)])
    assert d.pilot_before.value == 0.25 and d.pilot_before.n == 2
    assert (d.pilot_before.part, d.pilot_before.whole) == (1, 4)
    assert d.estimate == pytest.approx(0.25)
    # every ticket has the same ratio in each cell: resampling tickets changes nothing
    same = did_ratio([(1, 2)] * 5, [(2, 2)] * 5, [(1, 4)] * 5, [(1, 4), (2, 8)] * 3)
    assert same.estimate == pytest.approx(0.5) and same.ci == (pytest.approx(0.5), pytest.approx(0.5))
    with pytest.raises(ValueError):
        did_ratio([(3, 2)], [], [], [])


def test_did_median_exact() -> None:
    # (5 − 2) − (3 − 2) = 2
    d = did_median([1, 2, 3], [4, 5, 6], [1, 2, 3], [2, 3, 4])
    assert (d.pilot_change, d.others_change, d.estimate) == (3.0, 1.0, 2.0)
    assert d.ci is not None and d.ci[0] <= 2.0 <= d.ci[1]


def test_did_with_an_empty_cell_has_nothing_to_measure() -> None:
    d = did_rate(_flags(10, 5), [], _flags(10, 2), _flags(10, 3))
    assert d.pilot_after.n == 0 and d.pilot_after.value is None
    assert d.pilot_change is None and d.estimate is None and d.ci is None
    assert d.others_change == pytest.approx(0.1)
    m = did_median([1.0], [2.0], [3.0], [])
    assert m.estimate is None and m.ci is None and m.pilot_change == 1.0
    # notes that nobody wrote: a cell with tickets but no denominator has no value
    r = did_ratio([(0, 0), (0, 0)], [(1, 1)], [(1, 1)], [(1, 1)])
    assert r.pilot_before.value is None and r.pilot_before.n == 0 and r.estimate is None
    assert d.to_dict()["pilot_after"] == {"n": 0, "value": None, "part": 0, "whole": 0}
    assert d.to_dict()["ci"] is None


# --- medians found among positions: the same numbers as np.median ---------------------------------


@pytest.mark.parametrize("width", [1, 2, 7, 10, 301, 1000])
def test_medians_of_positions_equal_numpy_medians_ties_included(width: int) -> None:
    from intently.report.stats import _middle

    rng = np.random.default_rng(width)
    values = np.sort(rng.integers(0, 12, size=width).astype(np.float64) / 4)  # many ties
    positions = rng.integers(0, width, size=(50, width))
    assert np.array_equal(_middle(positions, values), np.median(values[positions], axis=1))


def test_compare_medians_from_positions_equals_the_values_themselves() -> None:
    from intently.report import stats

    rng = random.Random(5)
    values = [round(rng.expovariate(0.1), 1) for _ in range(900)]
    in_a = [rng.random() < 0.3 for _ in values]
    strata = [rng.choice(["low", "high", "urgent"]) for _ in values]
    cells = stats._cells(values, in_a, strata)
    n_a = np.array([len(a) for a, _ in cells])
    n_b = np.array([len(b) for _, b in cells])
    both, weights = stats._weights(n_a, n_b)
    weight_of = np.zeros(len(cells))
    weight_of[both] = weights
    fast = stats._stratified_medians(cells, both, weight_of, 11, 300)
    slow = stats._stratified_medians_of_values(cells, both, weight_of, 11, 300)
    assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])
