"""The demo's outcomes: solves, reopens and satisfaction surveys, with a synthetic effect of drive-bys on them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from intently.demo import POLICY_FILE, generate_export
from intently.engine import judge_ticket
from intently.engine.outcomes import Outcome, collaboration_class
from intently.policy import load_policy
from intently.sources import open_source

TICKETS = 1200


@dataclass(frozen=True)
class Judged:
    collaboration: str | None
    outcome: Outcome


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo-outcomes")
    generate_export(out, tickets=TICKETS, seed=7)
    return out


@pytest.fixture(scope="module")
def judged(export: Path) -> list[Judged]:
    """Every ticket of the demo read back through the Zendesk export reader, judged, with its outcome."""
    policy = load_policy(export / POLICY_FILE)
    source = open_source(export)
    out: list[Judged] = []
    for history in source.histories():
        result = judge_ticket(history, source.directory.users, policy)
        assert result.outcome is not None
        out.append(Judged(collaboration_class(j.verdict for j in result.judgements), result.outcome))
    assert source.warnings == []
    return out


def _records(export: Path, kind: str, key: str) -> Iterator[dict[str, Any]]:
    for path in sorted(export.glob(f"{kind}.page-*.json")):
        yield from orjson.loads(path.read_bytes())[key]


def test_the_export_holds_offered_surveys_ratings_and_reopens(export: Path) -> None:
    scores: Counter[str] = Counter()
    last_rating: dict[int, dict[str, Any]] = {}
    reopens = 0
    for audit in _records(export, "ticket_audits", "audits"):
        for event in audit["events"]:
            if event["type"] == "SatisfactionRating":
                scores[event["score"]] += 1
                last_rating[audit["ticket_id"]] = event
                offered = event["score"] == "offered"
                assert audit["via"]["channel"] == ("rule" if offered else "web")
            elif event["type"] == "Change" and event["field_name"] == "status":
                reopens += event["previous_value"] == "solved" and event["value"] == "open"
    assert set(scores) == {"offered", "good", "bad"}
    assert scores["good"] > scores["bad"] > 0
    assert 0.25 <= (scores["good"] + scores["bad"]) / scores["offered"] <= 0.45
    assert reopens > 0
    tickets = {t["id"]: t for t in _records(export, "tickets", "tickets")}
    assert {t["satisfaction_rating"]["score"] for t in tickets.values()} == {"unoffered", "offered", "good", "bad"}
    for ticket_id, event in last_rating.items():  # the ticket's rating is its last rating event
        rating = tickets[ticket_id]["satisfaction_rating"]
        assert rating["score"] == event["score"]
        if event["score"] != "offered":
            assert (rating["id"], rating["comment"]) == (event["id"], event["body"] or None)


def test_solves_reopens_and_ratings_in_plausible_shares(judged: list[Judged]) -> None:
    solved = [j.outcome for j in judged if j.outcome.solved_at is not None]
    assert len(solved) > 0.9 * len(judged)
    assert 0.05 <= sum(o.reopened for o in solved) / len(solved) <= 0.10
    rated = Counter(j.outcome.satisfaction for j in judged)
    assert 0.75 <= rated["good"] / (rated["good"] + rated["bad"]) <= 0.85


def _good_share(judged: list[Judged], drive_by: bool) -> float:
    scores = Counter(
        j.outcome.satisfaction for j in judged if j.outcome.satisfaction and (j.collaboration == "drive_by") == drive_by
    )
    return scores["good"] / (scores["good"] + scores["bad"])


def _reopen_share(judged: list[Judged], drive_by: bool) -> float:
    solved = [j.outcome for j in judged if j.outcome.solved_at and (j.collaboration == "drive_by") == drive_by]
    return sum(o.reopened for o in solved) / len(solved)


def test_tickets_with_a_drive_by_are_rated_good_less_often_and_reopened_more(judged: list[Judged]) -> None:
    """The synthetic effect the demo builds in (:data:`~intently.demo.stories.RATED_GOOD`: 85% against 70% good;
    :data:`~intently.demo.stories.REOPENED`: 6% against 15% reopened), as the engine finds it in the export."""
    assert _good_share(judged, drive_by=True) <= _good_share(judged, drive_by=False) - 0.05
    assert _reopen_share(judged, drive_by=True) >= 1.5 * _reopen_share(judged, drive_by=False)
