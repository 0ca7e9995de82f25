"""Outcomes from Zendesk: satisfaction ratings, solves and reopens read by the export reader and the API sync,
and the outcome figures checked against Zendesk's own ticket metrics as recorded."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from intently.engine.outcomes import Outcome, ticket_outcome
from intently.errors import InputError
from intently.model import Directory, SatisfactionRating, StatusChange, iso
from intently.policy import load_policy
from intently.sources import open_source
from intently.store import Store
from intently.zendesk.client import ZendeskClient, history_from_pages
from intently.zendesk.export import ZendeskExport
from intently.zendesk.records import HistoryBuilder, user_from_record
from intently.zendesk.sync import sync_zendesk
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.zendesk_builder import ExportBuilder, change, comment, create

CUSTOMER, AGENT = 1, 10


def rating(score: object, **extra: Any) -> dict[str, Any]:
    """A ``SatisfactionRating`` audit event, as Zendesk writes it."""
    return {"type": "SatisfactionRating", "score": score, "assignee_id": AGENT, "body": "", **extra}


def _rated_export() -> ExportBuilder:
    """Ticket 7: created ``new``, solved, survey offered, reopened, solved again, rated bad then good (an unknown
    score in between is ignored). Ticket 8: no rating events, the record's score a plain string. Ticket 9: a
    ``satisfaction_rating`` of ``null``."""
    b = ExportBuilder()
    b.user(CUSTOMER, "Casey Customer", role="end-user")
    b.user(AGENT, "Ana Lee")
    good = {"id": 555, "score": "good", "comment": "Thanks!", "reason": "Some other reason"}
    b.ticket(7, "2026-03-02T09:00:00Z", requester=CUSTOMER, status="closed", satisfaction_rating=good)
    b.audit(7, "2026-03-02T09:00:00Z", CUSTOMER, comment("Export fails."), create("status", "new"))
    b.audit(7, "2026-03-02T11:00:00Z", AGENT, comment("Fixed."), change("status", "solved", "new"))
    b.audit(7, "2026-03-02T11:00:05Z", -1, rating("offered"), via="rule")
    b.audit(7, "2026-03-03T08:00:00Z", CUSTOMER, comment("Still fails."), change("status", "open", "solved"))
    b.audit(7, "2026-03-03T09:30:00Z", AGENT, comment("Now fixed."), change("status", "solved", "open"))
    b.audit(7, "2026-03-03T12:00:00Z", CUSTOMER, rating("bad_with_comment", body="Slow."))
    b.audit(7, "2026-03-03T12:30:00Z", CUSTOMER, rating("superb"))
    b.audit(7, "2026-03-04T12:00:00Z", CUSTOMER, rating("good"))
    b.ticket(8, "2026-03-02T10:00:00Z", requester=CUSTOMER, status="solved", satisfaction_rating="bad_with_comment")
    b.audit(8, "2026-03-02T10:00:00Z", CUSTOMER, comment("Question."), create("status", "new"))
    b.audit(8, "2026-03-02T10:30:00Z", AGENT, comment("Answer."), change("status", "solved", "new"))
    b.ticket(9, "2026-03-02T11:00:00Z", requester=CUSTOMER, satisfaction_rating=None)
    b.audit(9, "2026-03-02T11:00:00Z", CUSTOMER, comment("Hello?"), create("status", "new"))
    for record in b.tickets:
        record["generated_timestamp"] = int(datetime.fromisoformat(record["updated_at"]).timestamp())
    return b


def _outcomes(source: ZendeskExport | Store) -> dict[object, Outcome]:
    users = source.directory.users if isinstance(source, ZendeskExport) else source.directory().users
    return {h.ticket.id: ticket_outcome(h.ticket, h.events, users) for h in source.histories()}


def test_the_export_reader_reads_ratings_solves_and_reopens(tmp_path: Path) -> None:
    source = open_source(_rated_export().write(tmp_path / "export", audits_per_page=3))
    histories = {h.ticket.id: h for h in source.histories()}
    seven = histories[7]
    assert [e.score for e in seven.events if isinstance(e, SatisfactionRating)] == ["offered", "bad", "good"]
    assert [e.status for e in seven.events if isinstance(e, StatusChange)] == ["new", "solved", "open", "solved"]
    offered = next(e for e in seven.events if isinstance(e, SatisfactionRating))
    assert (offered.actor, offered.via) == (-1, "rule")
    assert {key: h.ticket.satisfaction for key, h in histories.items()} == {7: "good", 8: "bad", 9: None}
    outcomes = _outcomes(source)
    assert (outcomes[7].resolution_hours, outcomes[7].reopens, outcomes[7].satisfaction) == (2.0, 1, "good")
    assert (outcomes[7].first_reply_hours, outcomes[7].agent_replies, outcomes[7].customer_replies) == (2.0, 2, 1)
    assert (outcomes[8].resolution_hours, outcomes[8].reopens, outcomes[8].satisfaction) == (0.5, 0, "bad")
    assert (outcomes[9].solved_at, outcomes[9].satisfaction, outcomes[9].first_reply_at) == (None, None, None)
    assert source.warnings == []


def test_the_api_sync_reads_them_as_the_export_reader_does(tmp_path: Path) -> None:
    """The same records served over HTTP by a Zendesk stand-in: the synced store holds the same histories."""
    root = _rated_export().write(tmp_path / "export")
    exported = {h.ticket.id: h for h in open_source(root).histories()}
    with FakeZendesk(ZendeskDataset.from_export(root), audit_page_size=2) as server:
        store = Store.open(tmp_path / "synced.db")
        try:
            with ZendeskClient(server.url, (f"{server.email}/token", server.api_token)) as client:
                sync_zendesk(client, store, load_policy())
            synced = {h.ticket.id: h for h in store.histories()}
            assert synced == exported
            assert _outcomes(store) == _outcomes(ZendeskExport(root))
        finally:
            store.close()


# --- wrong types ---------------------------------------------------------------------------------------------


def _set_ticket(key: str, value: object) -> Callable[[ExportBuilder], None]:
    return lambda b: b.tickets[0].__setitem__(key, value)


def _set_rating(**values: object) -> Callable[[ExportBuilder], None]:
    def mutate(b: ExportBuilder) -> None:
        event = next(e for a in b.audits for e in a["events"] if e["type"] == "SatisfactionRating")
        event.update(values)

    return mutate


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_set_ticket("satisfaction_rating", 5), "ticket 7: field satisfaction_rating: must be an object with a score"),
        (_set_ticket("satisfaction_rating", ["good"]), "ticket 7: field satisfaction_rating"),
        (_set_ticket("satisfaction_rating", {"score": {"x": 1}}), "ticket 7: field satisfaction_rating"),
        (_set_rating(score=3), "audit 1007 (ticket 7): SatisfactionRating event 1008: score must be a text, got 3"),
        (_set_rating(id=None), "(ticket 7): SatisfactionRating event without an id"),
        (_set_rating(id=[1]), "(ticket 7): not an id: [1]"),
    ],
)
def test_wrong_types_name_the_ticket_and_field(
    tmp_path: Path, mutate: Callable[[ExportBuilder], None], expected: str
) -> None:
    b = _rated_export()
    mutate(b)
    with pytest.raises(InputError) as info:
        list(ZendeskExport(b.write(tmp_path / "export")).histories())
    assert expected in str(info.value)


def _directory(b: ExportBuilder) -> Directory:
    directory = Directory()
    for record in b.users:
        directory.add_user(user_from_record(record))
    return directory


def test_the_sync_path_names_the_ticket_and_field_too() -> None:
    """The sync and the webhook worker build a ticket from its record and audit pages (``history_from_pages``)."""
    b = _rated_export()
    builder = HistoryBuilder(_directory(b))
    record = {**b.tickets[0], "satisfaction_rating": 5}
    with pytest.raises(InputError) as info:
        history_from_pages(builder, 7, record, [{"audits": [a for a in b.audits if a["ticket_id"] == 7]}])
    assert str(info.value).startswith("Zendesk ticket 7: field satisfaction_rating: must be an object")


def test_unknown_scores_are_ignored(tmp_path: Path) -> None:
    b = _rated_export()
    _set_rating(score="delighted")(b)
    b.tickets[0]["satisfaction_rating"] = {"score": "delighted"}
    b.tickets[1]["satisfaction_rating"] = {"id": 9}  # no score at all
    histories = {h.ticket.id: h for h in open_source(b.write(tmp_path / "export")).histories()}
    scores = [e.score for e in histories[7].events if isinstance(e, SatisfactionRating)]
    assert scores == ["bad", "good"]  # the offer with an unknown score is gone; the ratings stay
    assert (histories[7].ticket.satisfaction, histories[8].ticket.satisfaction) == (None, None)


# --- the recorded Zendesk data -------------------------------------------------------------------------------


def _airbyte(recorded_export: Path, stream: str) -> list[dict[str, Any]]:
    """The records of one stream of the recorded Airbyte file (line 35 has a stray ``}``: decoded up to it)."""
    decoder = json.JSONDecoder()
    path = recorded_export.parent / "raw" / "airbyte_expected_records.jsonl"
    lines = (decoder.raw_decode(line)[0] for line in path.read_text().splitlines() if line.strip())
    return [line["data"] for line in lines if line["stream"] == stream]


def test_recorded_offered_and_unoffered_surveys_are_not_ratings(recorded_export: Path, tmp_path: Path) -> None:
    """The recorded tickets say ``{"score": "offered"}`` or ``{"score": "unoffered"}``, and the recorded
    satisfaction ratings are offers: the reader keeps the scores, and none counts as rated."""
    tickets = _airbyte(recorded_export, "tickets")
    offers = _airbyte(recorded_export, "satisfaction_ratings")
    assert sorted(t["satisfaction_rating"]["score"] for t in tickets) == ["offered", "offered", "unoffered"]
    assert {r["score"] for r in offers} == {"offered"}
    b = ExportBuilder()
    b.tickets.extend(tickets)
    for offer in offers:  # each recorded rating as the audit event that records it on its ticket
        event = {"id": offer["id"], "type": "SatisfactionRating", "score": offer["score"], "body": offer["comment"]}
        b.audit(offer["ticket_id"], offer["created_at"], offer["requester_id"], event)
    source = open_source(b.write(tmp_path / "export"))
    histories = list(source.histories())
    assert {h.ticket.id: h.ticket.satisfaction for h in histories if h.ticket.satisfaction} == {
        145: "offered",
        1: "unoffered",
        146: "offered",
    }
    rated = [e for h in histories for e in h.events if isinstance(e, SatisfactionRating)]
    assert len(rated) == len(offers) and {e.score for e in rated} == {"offered"}
    assert {ticket_id: o.satisfaction for ticket_id, o in _outcomes(ZendeskExport(tmp_path / "export")).items()} == {
        h.ticket.id: None for h in histories
    }


def _at(start: datetime, minutes: float) -> str:
    return iso(start + timedelta(minutes=minutes))


def _history_of_metrics(metrics: dict[str, Any]) -> Iterator[tuple[str, int, list[dict[str, Any]]]]:
    """The audits (time, author, events) of the history one ticket metric set describes: created (``new``) by
    the customer; the first solve at ``first_resolution_time_in_minutes``; each reopen an hour after a solve (a
    customer reply setting ``open``), solved again an hour later; ``replies`` public agent replies, the first at
    ``reply_time_in_minutes``, then one an hour apart."""
    created = datetime.fromisoformat(metrics["created_at"])
    yield metrics["created_at"], CUSTOMER, [comment("Help, please."), create("status", "new")]
    resolution = metrics["first_resolution_time_in_minutes"]["calendar"]
    if resolution is not None:
        yield _at(created, resolution), AGENT, [change("status", "solved", "new")]
        for reopen in range(metrics["reopens"]):
            at = resolution + 120 * reopen
            yield _at(created, at + 60), CUSTOMER, [comment("Not fixed."), change("status", "open", "solved")]
            yield _at(created, at + 120), AGENT, [change("status", "solved", "open")]
    first_reply = metrics["reply_time_in_minutes"]["calendar"]
    for reply in range(metrics["replies"]):
        yield _at(created, first_reply + 60 * reply), AGENT, [comment(f"Reply {reply + 1}.")]


def _minutes_as_hours(value: int | None) -> float | None:
    return None if value is None else value / 60


def test_outcomes_equal_zendesks_ticket_metrics(recorded_export: Path, tmp_path: Path) -> None:
    """Zendesk's own figures for recorded tickets (``/api/v2/ticket_metrics``, also sideloaded by the incremental
    export's ``include=metric_sets``): ``first_resolution_time_in_minutes``, ``reopens``, ``replies`` and
    ``reply_time_in_minutes`` (calendar) must be ours for the same history.

    The recordings hold no ticket with both its audits and its metric set (the metric sets are of tickets 159-161,
    whose audits were not recorded), so each history is built from its metric set's own timestamps (see
    :func:`_history_of_metrics`), written as Zendesk audits and read back through our Zendesk reader: this checks
    that our definitions and Zendesk's agree on such a history, not a real ticket's history."""
    metric_sets = _airbyte(recorded_export, "ticket_metrics")
    assert sorted(m["ticket_id"] for m in metric_sets) == [159, 160, 161]
    assert {m["reopens"] for m in metric_sets} == {0, 1} and {m["replies"] for m in metric_sets} == {0, 2}
    b = ExportBuilder()
    b.user(CUSTOMER, "Casey Customer", role="end-user")
    b.user(AGENT, "Ana Lee")
    for metrics in metric_sets:
        b.ticket(metrics["ticket_id"], metrics["created_at"], requester=CUSTOMER)
        for at, author, events in _history_of_metrics(metrics):
            b.audit(metrics["ticket_id"], at, author, *events)
    outcomes = _outcomes(ZendeskExport(b.write(tmp_path / "export")))
    for metrics in metric_sets:
        ours = outcomes[metrics["ticket_id"]]
        theirs = (
            _minutes_as_hours(metrics["first_resolution_time_in_minutes"]["calendar"]),
            metrics["reopens"],
            metrics["replies"],
            _minutes_as_hours(metrics["reply_time_in_minutes"]["calendar"]),
        )
        assert (ours.resolution_hours, ours.reopens, ours.agent_replies, ours.first_reply_hours) == theirs, metrics
