"""intently.report.outcomes: outcomes per collaboration class and drive-by tickets against the others."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from intently.engine.outcomes import CLASSES, Outcome
from intently.report.facts import TicketFacts
from intently.report.outcomes import MEASURES, MIN_TICKETS, comparison_sentence, outcomes_by_class
from intently.report.stats import Comparison, wilson

T0 = datetime(2024, 3, 1, 9, tzinfo=UTC)

REQUIRED = {
    "class",
    "tickets",
    "rated",
    "csat_good_rate",
    "csat_good_rate_ci",
    "resolved",
    "median_resolution_hours",
    "median_resolution_hours_ci",
    "reopened_rate",
    "reopened_rate_ci",
    "median_first_reply_hours",
}


def fact(
    ticket_id: int,
    klass: str,
    *,
    priority: str | None = "normal",
    group: str | None = "Support",
    satisfaction: str | None = None,
    solved_after: float | None = None,
    reopens: int = 0,
    first_reply_after: float | None = None,
    customer_replies: int = 0,
) -> TicketFacts:
    """A worked ticket; ``*_after`` are hours after its creation."""
    outcome = Outcome(
        ticket_id=ticket_id,
        created_at=T0,
        solved_at=None if solved_after is None else T0 + timedelta(hours=solved_after),
        reopens=reopens,
        satisfaction=satisfaction,
        first_reply_at=None if first_reply_after is None else T0 + timedelta(hours=first_reply_after),
        customer_replies=customer_replies,
    )
    return TicketFacts(
        ticket_id=ticket_id,
        created_at=T0,
        klass=klass,
        priority=priority,
        group=group,
        preferred_region=None,
        assignee_id=None,
        assignee_region=None,
        drive_bys=1 if klass == "drive_by" else 0,
        intentional=1 if klass == "intentional" else 0,
        notes=0,
        notes_acknowledged=0,
        outcome=outcome,
    )


def _plain(value: Any) -> bool:
    """Only what json.dumps writes as is: no numpy numbers, no tuples, no NaN."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, float):
        return value == value and abs(value) != float("inf") and round(value, 4) == value
    return value is None or type(value) in (bool, int, str)


def test_by_class_hand_computed() -> None:
    facts = [
        fact(1, "solo", satisfaction="good", solved_after=2, first_reply_after=1, customer_replies=2),
        fact(2, "solo", satisfaction="bad", solved_after=4, reopens=2, first_reply_after=3),  # reopened twice
        fact(3, "solo", solved_after=10),  # no rating, no reply
        fact(4, "solo", customer_replies=1),  # never solved
    ]
    report = outcomes_by_class(facts, seed=1)
    assert [c.klass for c in report.classes] == list(CLASSES)
    solo = report.to_dict()["classes"][0]
    assert set(solo) >= REQUIRED
    assert solo["class"] == "solo" and solo["tickets"] == 4
    assert (solo["rated"], solo["good"], solo["csat_good_rate"]) == (2, 1, 0.5)
    expected = wilson(1, 2)
    assert expected is not None and solo["csat_good_rate_ci"] == [round(expected[0], 4), round(expected[1], 4)]
    assert (solo["resolved"], solo["median_resolution_hours"]) == (3, 4.0)
    ci = solo["median_resolution_hours_ci"]
    assert ci[0] <= 4.0 <= ci[1] and ci[0] >= 2.0 and ci[1] <= 10.0
    # the reopened rate is over resolved tickets (the never-solved one is in no rate); twice counts once
    assert (solo["reopened"], solo["reopened_rate"], solo["reopens"]) == (1, round(1 / 3, 4), 2)
    assert solo["median_first_reply_hours"] == 2.0
    assert solo["customer_replies_mean"] == 0.75
    assert "csat_good_rate" in solo["too_few"]


def test_a_class_without_tickets_is_there_with_nothing_to_measure() -> None:
    report = outcomes_by_class([fact(1, "solo", satisfaction="good", solved_after=1)]).to_dict()
    assert [c["class"] for c in report["classes"]] == list(CLASSES)
    for empty in report["classes"][1:]:
        assert set(empty) >= REQUIRED
        assert empty["tickets"] == empty["rated"] == empty["resolved"] == 0
        for key in REQUIRED - {"class", "tickets", "rated", "resolved"}:
            assert empty[key] is None, key


def test_no_rating_and_never_solved() -> None:
    report = outcomes_by_class([fact(i, "drive_by") for i in range(5)]).to_dict()
    drive_by = report["classes"][2]
    assert drive_by["tickets"] == 5 and drive_by["rated"] == 0 and drive_by["resolved"] == 0
    assert drive_by["csat_good_rate"] is None and drive_by["csat_good_rate_ci"] is None
    assert drive_by["reopened_rate"] is None and drive_by["reopened_rate_ci"] is None
    assert drive_by["median_resolution_hours"] is None and drive_by["median_resolution_hours_ci"] is None
    assert drive_by["median_first_reply_hours"] is None
    assert report["tickets"] == 5


def test_report_is_json_ready_and_repeatable() -> None:
    facts = [
        fact(
            i,
            CLASSES[i % 3],
            satisfaction=("good", "bad", None)[i % 4 % 3],
            solved_after=(i * 7.31) % 23 + (i % 11) / 13,
        )
        for i in range(600)
    ]
    first = outcomes_by_class(facts, seed=11).to_dict()
    assert _plain(first)
    assert json.loads(json.dumps(first)) == first
    assert set(first) == {"classes", "comparisons", "min_tickets", "tickets", "seed"}
    assert (first["min_tickets"], first["tickets"], first["seed"]) == (MIN_TICKETS, 600, 11)
    assert outcomes_by_class(facts, seed=11).to_dict() == first
    other = outcomes_by_class(facts, seed=12).to_dict()
    assert other["classes"][0]["median_resolution_hours_ci"] != first["classes"][0]["median_resolution_hours_ci"]
    assert [c["measure"] for c in first["comparisons"]] == [m.name for m in MEASURES]


def test_too_few_tickets_to_tell() -> None:
    facts = [fact(i, "drive_by", satisfaction="good") for i in range(2)]
    facts += [fact(10 + i, "solo", satisfaction="bad") for i in range(5)]
    comparisons = outcomes_by_class(facts).to_dict()["comparisons"]
    csat = comparisons[0]
    assert csat["too_few"] is True and (csat["drive_by"], csat["others"]) == (2, 5)
    assert csat["sentence"] == (
        "Too few tickets to tell: 2 with a drive-by and 5 others were rated (at least 30 each are needed)."
    )
    assert comparisons[2]["sentence"].startswith("Too few tickets to tell: 0 with a drive-by and 0 others were solved")


def _confounded() -> list[TicketFacts]:
    """Drive-bys only on urgent tickets, where everyone is rated good half the time; normal tickets 80%."""
    facts = []
    for i in range(40):
        facts.append(fact(i, "drive_by", priority="urgent", satisfaction="good" if i % 2 else "bad"))
        facts.append(fact(100 + i, "intentional", priority="urgent", satisfaction="good" if i % 2 else "bad"))
    facts += [fact(200 + i, "solo", satisfaction="good" if i % 5 else "bad") for i in range(80)]
    return facts


def test_adjusting_for_priority_and_group_removes_a_confounded_difference() -> None:
    csat = outcomes_by_class(_confounded(), seed=2).comparisons[0]
    c = csat.comparison
    # crude: 20/40 against 84/120 → −20 points; within urgent tickets: 0
    assert c.crude == pytest.approx(-0.2) and c.adjusted == pytest.approx(0.0)
    assert (c.adjusted_tickets, c.strata) == (80, 1)
    assert csat.sentence.startswith("Tickets with a drive-by were rated good 20 points less often (95% CI ")
    assert "; the difference disappears once priority and group are taken into account (0 points, 95% CI " in (
        csat.sentence
    )
    assert "). The adjustment uses 80 of the 160 tickets: those in a priority and group with tickets both" in (
        csat.sentence
    )
    assert csat.sentence.endswith("This shows an association, not a cause.")


def _comparison(crude: float, crude_ci: tuple[float, float], adjusted: float | None, adjusted_ci: Any) -> Comparison:
    return Comparison(
        n_a=100,
        n_b=300,
        value_a=None,
        value_b=10.0,
        crude=crude,
        crude_ci=crude_ci,
        adjusted=adjusted,
        adjusted_ci=adjusted_ci,
        adjusted_tickets=400 if adjusted is not None else 0,
        strata=3 if adjusted is not None else 0,
    )


def test_sentences() -> None:
    csat, reopened, hours = MEASURES
    assert comparison_sentence(csat, _comparison(-0.18, (-0.24, -0.12), -0.15, (-0.22, -0.08))) == (
        "Tickets with a drive-by were rated good 18 points less often (95% CI 12 to 24) than tickets worked solo "
        "or with intentional help; about the same after adjusting for priority and group (15 points, 95% CI 8 to "
        "22). This shows an association, not a cause."
    )
    chance = comparison_sentence(reopened, _comparison(0.03, (-0.02, 0.08), 0.035, (-0.01, 0.09)))
    assert chance.startswith(
        "Tickets with a drive-by were reopened 3 points more often (95% CI 2 less to 8 more) than tickets worked "
        "solo or with intentional help, a difference that could be chance; about the same"
    )
    grows = comparison_sentence(hours, _comparison(2.0, (1.0, 3.0), 6.0, (4.0, 8.0)))
    assert grows.startswith(
        "The median ticket with a drive-by took 2 hours longer to solve (95% CI 1 to 3) than the median ticket "
        "worked solo or with intentional help; the difference grows to 6 hours (95% CI 4 to 8) once priority"
    )
    reverses = comparison_sentence(csat, _comparison(-0.10, (-0.15, -0.05), 0.06, (0.01, 0.11)))
    assert "the difference reverses (6 points more, 95% CI 1 to 11)" in reverses
    # a bootstrap interval of medians may lie on the other side of zero than the estimate: each bound says its way
    other_side = comparison_sentence(hours, _comparison(-0.5, (0.2, 3.0), 0.5, (-1.0, 2.0)))
    assert other_side.startswith(
        "The median ticket with a drive-by was solved 0.5 hours sooner (95% CI 0.2 longer to 3 longer)"
    )
    unadjusted = comparison_sentence(csat, _comparison(-0.10, (-0.15, -0.05), None, None))
    assert "cannot be adjusted for priority and group" in unadjusted


def test_only_known_classes_are_compared() -> None:
    facts = [fact(i, "solo", satisfaction="good") for i in range(3)] + [fact(9, "mystery", satisfaction="bad")]
    report = outcomes_by_class(facts)
    assert report.tickets == 4
    assert sum(c.tickets for c in report.classes) == 3
    assert report.comparisons[0].others == 3
