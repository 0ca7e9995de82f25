"""intently.report.pilot: before and after, for the pilot and for the others, as a difference in differences."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from intently.engine.outcomes import Outcome
from intently.report.facts import TicketFacts
from intently.report.pilot import CAVEAT, MEASURES, evaluate
from intently.report.stats import did_rate

START = date(2024, 3, 1)
BEFORE = datetime(2024, 2, 10, 12, tzinfo=UTC)
AFTER = datetime(2024, 3, 10, 12, tzinfo=UTC)


def fact(
    ticket_id: int,
    created_at: datetime,
    *,
    pilot: bool,
    drive_bys: int = 0,
    intentional: int = 0,
    notes: int = 0,
    acknowledged: int = 0,
    satisfaction: str | None = None,
    solved_after: float | None = None,
) -> TicketFacts:
    klass = "drive_by" if drive_bys else "intentional" if intentional else "solo"
    return TicketFacts(
        ticket_id=ticket_id,
        created_at=created_at,
        klass=klass,
        priority="normal",
        group="Support",
        preferred_region=None,
        assignee_id=None,
        assignee_region="emea" if pilot else "amer",
        drive_bys=drive_bys,
        intentional=intentional,
        notes=notes,
        notes_acknowledged=acknowledged,
        outcome=Outcome(
            ticket_id=ticket_id,
            created_at=created_at,
            solved_at=None if solved_after is None else created_at + timedelta(hours=solved_after),
            satisfaction=satisfaction,
        ),
    )


def in_pilot(f: TicketFacts) -> bool:
    return f.assignee_region == "emea"


def _cell(start_id: int, at: datetime, pilot: bool, n: int, drive_bys: int, **kwargs: object) -> list[TicketFacts]:
    """``n`` tickets of which the first ``drive_bys`` have a drive-by."""
    return [fact(start_id + i, at, pilot=pilot, drive_bys=int(i < drive_bys), **kwargs) for i in range(n)]  # type: ignore[arg-type]


def _study() -> list[TicketFacts]:
    """40 tickets per cell. Drive-by shares: pilot 10/40 → 4/40, others 12/40 → 10/40: a DiD of −10 points."""
    return (
        _cell(0, BEFORE, True, 40, 10, satisfaction="good", solved_after=2.0, notes=2, acknowledged=1)
        + _cell(100, AFTER, True, 40, 4, satisfaction="good", solved_after=5.0, notes=2, acknowledged=2)
        + _cell(200, BEFORE, False, 40, 12, satisfaction="bad", solved_after=2.0, notes=1, acknowledged=1)
        + _cell(300, AFTER, False, 40, 10, satisfaction="bad", solved_after=3.0, notes=1, acknowledged=1)
    )


def test_difference_in_differences_exact() -> None:
    report = evaluate(_study(), in_pilot, START, None, label="EMEA pilot", seed=3)
    assert report.tickets == {"pilot_before": 40, "pilot_after": 40, "others_before": 40, "others_after": 40}
    assert [m.measure for m in report.measures] == [s.name for s in MEASURES]
    by_name = {m.measure: m for m in report.measures}
    drive_by = by_name["drive_by_share"].did
    assert drive_by.pilot_before.value == 0.25 and drive_by.pilot_after.value == 0.1
    assert drive_by.estimate == pytest.approx(-0.10)
    assert drive_by.ci is not None and drive_by.ci[0] < -0.10 < drive_by.ci[1]
    # notes: pilot 40/80 → 80/80, others 40/40 → 40/40 (ratio of sums, clustered by ticket): +50 points, no noise
    notes = by_name["note_acknowledgement"].did
    assert notes.estimate == pytest.approx(0.5) and notes.ci == (pytest.approx(0.5), pytest.approx(0.5))
    assert (notes.pilot_before.part, notes.pilot_before.whole, notes.pilot_before.n) == (40, 80, 40)
    # resolution: pilot 2 → 5 hours, others 2 → 3 hours: +2 hours
    assert by_name["median_resolution_hours"].did.estimate == pytest.approx(2.0)
    # satisfaction: everyone in the pilot good, everyone else bad, before and after: no change
    assert by_name["csat_good_rate"].did.estimate == 0.0
    sentence = by_name["drive_by_share"].sentence
    assert sentence.startswith(
        "Share of tickets with a drive-by: in the pilot (EMEA pilot) it went from 25% to 10%, "
        "for the other tickets from 30% to 25%; relative to the other tickets, the pilot went down 10 points (95% CI"
    )
    assert sentence.endswith(CAVEAT)
    assert "; the pilot moved just like the other tickets (95% CI 0 to 0)." in by_name["csat_good_rate"].sentence


def test_before_and_after_by_utc_day_and_end_inclusive() -> None:
    plus_two = timezone(timedelta(hours=2))
    facts = [
        fact(1, datetime(2024, 2, 29, 23, 59, tzinfo=UTC), pilot=True),  # before
        fact(2, datetime(2024, 3, 1, 0, 30, tzinfo=plus_two), pilot=True),  # 29 Feb 22:30 UTC: before
        fact(3, datetime(2024, 3, 1, 0, 0), pilot=True),  # naive: taken as UTC, on the start day: after
        fact(4, datetime(2024, 3, 31, 23, 59, tzinfo=UTC), pilot=False),  # on the end day: after
        fact(5, datetime(2024, 4, 1, 0, 0, tzinfo=UTC), pilot=False),  # after the end: left out
    ]
    report = evaluate(facts, in_pilot, START, date(2024, 3, 31), label="p")
    assert report.tickets == {"pilot_before": 2, "pilot_after": 1, "others_before": 0, "others_after": 1}
    assert report.left_out == 1
    open_ended = evaluate(facts, in_pilot, START, None, label="p")
    assert open_ended.left_out == 0 and open_ended.tickets["others_after"] == 2
    with pytest.raises(ValueError):
        evaluate(facts, in_pilot, START, date(2024, 2, 1), label="p")


def test_too_few_tickets_in_any_cell() -> None:
    facts = _study()[:-15]  # others after: 25 tickets
    report = evaluate(facts, in_pilot, START, None, label="EMEA pilot")
    drive_by = report.measures[0]
    assert drive_by.too_few
    assert drive_by.sentence == (
        "Share of tickets with a drive-by: too few tickets to tell (tickets: 40 in the pilot before, 40 in the pilot "
        "after, 40 among the others before, 25 among the others after; at least 30 in each are needed)."
    )
    assert drive_by.did.estimate is not None  # the figures are still there
    assert drive_by.to_dict()["too_few"] is True


def test_a_cell_with_no_tickets_and_unrated_unsolved_tickets() -> None:
    facts = [fact(i, BEFORE, pilot=True, drive_bys=i % 2) for i in range(40)]
    facts += [fact(100 + i, BEFORE, pilot=False) for i in range(40)]
    facts += [fact(200 + i, AFTER, pilot=False) for i in range(40)]
    report = evaluate(facts, in_pilot, START, None, label="EMEA pilot")
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["tickets"]["pilot_after"] == 0
    for measure in data["measures"]:
        assert measure["pilot_after"]["n"] == 0 and measure["pilot_after"]["value"] is None
        assert measure["difference_in_differences"] is None and measure["difference_in_differences_ci"] is None
        assert measure["too_few"] is True and "too few tickets to tell" in measure["sentence"]
    csat, hours = data["measures"][3], data["measures"][4]
    assert csat["pilot_before"]["n"] == 0 and csat["counted"] == "tickets rated"  # nobody rated
    assert hours["others_before"] == {"n": 0, "value": None, "part": None, "whole": None}  # never solved
    drive_by = data["measures"][0]
    assert drive_by["pilot_before"] == {"n": 40, "value": 0.5, "part": 20, "whole": 40}
    assert drive_by["others_change"] == 0.0


def test_report_is_json_ready_and_repeatable() -> None:
    first = evaluate(_study(), in_pilot, START, date(2024, 6, 30), label="EMEA pilot", seed=8).to_dict()
    assert json.loads(json.dumps(first)) == first
    assert (first["start"], first["end"], first["seed"], first["min_tickets"]) == ("2024-03-01", "2024-06-30", 8, 30)
    assert evaluate(_study(), in_pilot, START, date(2024, 6, 30), label="EMEA pilot", seed=8).to_dict() == first
    # the seed reaches the bootstrap: the same draws as the statistics module gives for the same cells and seed
    other = evaluate(_study(), in_pilot, START, None, label="EMEA pilot", seed=9)
    flags = [[f.drive_bys > 0 for f in _study() if int(f.ticket_id) // 100 == cell] for cell in range(4)]
    assert other.measures[0].did == did_rate(*flags, seed=9)
    assert other.measures[0].did != did_rate(*flags, seed=8)
