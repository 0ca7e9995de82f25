"""The neutral JSON Lines format: round trips, the documented schema, and clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

import jsonschema
import pytest

from intently.engine import Tally, judge_ticket
from intently.engine.outcomes import ticket_outcome
from intently.errors import InputError
from intently.model import SATISFACTION_SCORES, TICKET_STATUSES, SatisfactionRating, StatusChange, as_id
from intently.model.codec import history_from_record, history_to_record
from intently.policy import load_policy
from intently.sources import open_source
from intently.sources.neutral import Score, Status, json_schema, write_neutral
from tests.cli_runner import intently
from tests.test_zendesk_export import _small_export

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _judged(source) -> list[dict]:
    policy = load_policy()
    histories = list(source.histories())
    return [j.to_export() for h in histories for j in judge_ticket(h, source.directory.users, policy).judgements]


def test_zendesk_export_round_trips_through_neutral_with_the_same_judgements(tmp_path: Path) -> None:
    export = open_source(_small_export().write(tmp_path / "export"))
    histories = list(export.histories())
    path = tmp_path / "tickets.jsonl"
    assert write_neutral(path, export.directory, iter(histories)) == 1
    neutral = open_source(path)
    assert list(neutral.histories()) == histories
    assert _judged(neutral) == _judged(open_source(tmp_path / "export"))


def test_documented_schema_is_the_one_the_reader_uses() -> None:
    documented = json.loads((DOCS / "neutral-line.schema.json").read_text())
    assert documented == json.loads(json.dumps(json_schema()))


def test_written_lines_validate_against_the_documented_schema(tmp_path: Path) -> None:
    export = open_source(_small_export().write(tmp_path / "export"))
    path = tmp_path / "t.jsonl"
    write_neutral(path, export.directory, export.histories())
    validator = jsonschema.Draft202012Validator(json.loads((DOCS / "neutral-line.schema.json").read_text()))
    lines = path.read_text().splitlines()
    assert len(lines) == 5  # four people and one ticket
    for line in lines:
        validator.validate(json.loads(line))


def _write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    return path


def _event(event_id: int, at: str, actor: int | None, kind: str, **extra: object) -> dict[str, object]:
    return {"id": event_id, "at": f"2026-03-{at}Z", "actor": actor, "type": kind, **extra}


USER = {"kind": "user", "id": 1, "name": "Ana", "role": "agent"}
TICKET = {"kind": "ticket", "id": 9, "created_at": "2026-03-02T09:00:00Z", "events": []}


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ((USER, "{oops"), "line 2: not valid JSON"),
        ((USER, {**TICKET, "created_at": "2026-03-02T09:00:00"}), "line 2 (ticket 9): field created_at"),
        (
            (USER, {**TICKET, "events": [{"id": 1, "at": "2026-03-02T09:00:00Z", "actor": 1, "type": "comment"}]}),
            "field events[0].public: required field is missing",
        ),
        ((USER, {**TICKET, "colour": "red"}), "field colour: unknown field (known here: kind, id, created_at, "),
        (
            (USER, {**TICKET, "events": [{"id": 1, "at": "2026-03-02T09:00:00Z", "actor": 1, "type": "satisfaction"}]}),
            "line 2 (ticket 9): field events[0].score: required field is missing",
        ),
        (
            (
                USER,
                {
                    **TICKET,
                    "events": [
                        {"id": 1, "at": "2026-03-02T09:00:00Z", "actor": 1, "type": "satisfaction", "score": "great"}
                    ],
                },
            ),
            "line 2 (ticket 9): field events[0].score: must be 'good', 'bad', 'offered' or 'unoffered', got 'great'",
        ),
        (
            (USER, {**TICKET, "satisfaction": "good_with_comment"}),
            "line 2 (ticket 9): field satisfaction: must be 'good', 'bad', 'offered' or 'unoffered', got 'good_with",
        ),
        ((USER, {**TICKET, "satisfaction": {"score": "good"}}), "line 2 (ticket 9): field satisfaction: must be"),
        ((USER, {**USER, "role": "Agent "}), "line 2 (user 1): field role: must be 'end-user', 'agent' or 'admin'"),
        (
            (USER, {**TICKET, "events": [{"id": 1, "at": "2026-03-02T09:00:00Z", "actor": 1, "type": "asignee"}]}),
            "line 2 (ticket 9): field events[0].type: must be one of 'comment', 'assignee',",
        ),
        (
            (USER, {**TICKET, "events": [{"id": 1, "at": "2026-03-02T09:00:00Z", "actor": 1}]}),
            "line 2 (ticket 9): field events[0].type: required field is missing",
        ),
        (({**USER, "kind": "usr"},), "line 1: field kind: must be one of 'user', 'group', 'ticket', got 'usr'"),
        (({"id": 1, "name": "Ana"},), "line 1: field kind: required field is missing"),
        ((USER, {**TICKET, "id": 101.0}), "line 2: field id: must be a whole number or text, got 101.0"),
        ((USER, {**TICKET, "id": 2**63}), "line 2 (ticket 9223372036854775808): field id: must be at most 9223372"),
        ((USER, {**TICKET, "assignee_id": "x" * 65}), "field assignee_id: must be at most 64 characters long, got"),
        ((USER, {**TICKET, "id": ""}), "line 2 (ticket ): field id: must not be empty, got ''"),
        ((USER, {**TICKET, "assignee": 1}), "field assignee: unknown field: did you mean 'assignee_id'? (known here: "),
        (
            (USER, {**TICKET, "created_at": "2026-03-02T09:00:00"}),
            "line 2 (ticket 9): field created_at: must be a time with its zone, such as 2026-08-03T14:00:00Z, got",
        ),
        (
            (USER, {**TICKET, "events": [{"id": 1, "at": "2026-03-02 09:00", "actor": 1, "type": "tags"}]}),
            "field events[0].at: must be a time with its zone, such as 2026-08-03T14:00:00Z, got '2026-03-02 09:00'",
        ),
        (
            (USER, {**TICKET, "events": [{"id": 1, "at": "2026-03-02T09:00:00Z", "actor": [1], "type": "tags"}]}),
            "field events[0].actor: must be a whole number or text",
        ),
        (
            ({**USER, "members": [1]},),
            "line 1 (user 1): field members: unknown field (known here: kind, id, name, role",
        ),
        ((USER, '{"kind": "user", "id": 2,, "name": "Bo"}'), "line 2: not valid JSON (unexpected character"),
        (
            (USER, {**TICKET, "events": [_event(1, "02T08:59:59", 1, "tags", added=["x"])]}),
            "line 2 (ticket 9): field events[0].at: event 1 at 2026-03-02T08:59:59Z is before the ticket was created "
            "(created_at 2026-03-02T09:00:00Z): check both times and their zones",
        ),
        (
            (USER, {**TICKET, "events": [{**_event(1, "02T09:30:00", 1, "tags"), "at": "2026-03-02T09:30:00+01:00"}]}),
            "field events[0].at: event 1 at 2026-03-02T08:30:00Z is before the ticket was created (created_at 2026",
        ),
        (
            ({**USER, "time_zone": "CST"},),
            "line 1 (user 1): field time_zone: 'CST' is not an IANA time zone: did you mean America/Chicago?",
        ),
        (({**USER, "time_zone": "europe/paris"},), "field time_zone: 'europe/paris' is not an IANA time zone: did you"),
        (
            ({**USER, "time_zone": "Central Time (US & Canada)"},),
            "time zone: use a zone's name, such as America/Chicago or Europe/Amsterdam",
        ),
        (
            (USER, {**TICKET, "status": "Open"}),
            "line 2 (ticket 9): field status: must be 'new', 'open', 'pending', 'hold', 'solved' or 'closed', got",
        ),
        (
            (USER, {**TICKET, "events": [_event(1, "02T09:00:00", 1, "status", status="resolved")]}),
            "field events[0].status: must be 'new', 'open', 'pending', 'hold', 'solved' or 'closed', got 'resolved'",
        ),
        ((USER, {**TICKET, "id": 0.5}), "line 2"),
        ((TICKET, USER), "line 2: user records must come before the first ticket record"),
        (({"kind": "user", "id": True, "name": "x"},), "line 1"),
        (("[1, 2]",), "line 1: each line must be a JSON object"),
    ],
)
def test_bad_lines_name_the_line_and_field(tmp_path: Path, lines: tuple, expected: str) -> None:
    with pytest.raises(InputError) as info:
        list(open_source(_write(tmp_path, *lines)).histories())
    assert expected in str(info.value)
    assert "in.jsonl" in str(info.value)


def test_string_ids_are_kept(tmp_path: Path) -> None:
    lines = [
        {"kind": "user", "id": "u-ana", "name": "Ana Lee", "role": "agent", "time_zone": "Europe/Paris"},
        {"kind": "user", "id": "u-cus", "name": "Casey"},
        {
            "kind": "ticket",
            "id": "T-1",
            "created_at": "2026-03-02T09:00:00Z",
            "requester_id": "u-cus",
            "events": [
                {"id": "e1", "at": "2026-03-02T09:00:00Z", "actor": "u-cus", "type": "comment", "public": True},
                {"id": "e2", "at": "2026-03-02T09:05:00Z", "actor": "u-ana", "type": "comment", "public": True},
            ],
        },
    ]
    judged = _judged(open_source(_write(tmp_path, *lines)))
    assert [(j["ticket_id"], j["comment_id"], j["author_id"], j["rule"]) for j in judged] == [
        ("T-1", "e2", "u-ana", "unowned_reply")
    ]


# --- outcomes: status changes and satisfaction ratings ------------------------------------------------------


RATED_TICKET = {
    **TICKET,
    "requester_id": 2,
    "status": "closed",
    "satisfaction": "bad",
    "events": [
        _event(1, "02T09:00:00", 2, "comment", public=True, body="It broke."),
        _event(2, "02T09:00:00", 2, "status", update=1, status="new"),
        _event(3, "02T10:00:00", 1, "comment", public=True, body="Fixed."),
        _event(4, "02T10:00:00", 1, "status", update=3, status="solved"),
        _event(5, "02T10:00:10", None, "satisfaction", via="rule", score="offered"),
        _event(6, "03T08:00:00", 2, "comment", public=True, body="Not fixed."),
        _event(7, "03T08:00:00", 2, "status", update=6, status="open"),
        _event(8, "03T09:30:00", 1, "comment", public=True, body="Fixed now."),
        _event(9, "03T09:30:00", 1, "status", update=8, status="solved"),
        _event(10, "03T12:00:00", 2, "satisfaction", score="bad"),
        _event(11, "04T12:00:00", 2, "satisfaction", score="good"),
        _event(12, "07T10:00:00", None, "status", via="rule", status="closed"),
    ],
}


def test_ratings_and_status_changes_round_trip_through_the_codec(tmp_path: Path) -> None:
    """A neutral file with ratings and status changes is read into a history that the codec (what the store
    keeps) and a written neutral file give back unchanged, with the outcome the events describe."""
    source = open_source(_write(tmp_path, USER, {"kind": "user", "id": 2, "name": "Casey"}, RATED_TICKET))
    (history,) = source.histories()
    assert history.ticket.satisfaction == "bad"
    assert [e.score for e in history.events if isinstance(e, SatisfactionRating)] == ["offered", "bad", "good"]
    assert [e.status for e in history.events if isinstance(e, StatusChange)] == [
        "new", "solved", "open", "solved", "closed"
    ]  # fmt: skip
    assert history_from_record(json.loads(json.dumps(history_to_record(history)))) == history
    written = tmp_path / "again.jsonl"
    write_neutral(written, source.directory, iter([history]))
    assert list(open_source(written).histories()) == [history]
    outcome = ticket_outcome(history.ticket, history.events, source.directory.users)
    assert (outcome.resolution_hours, outcome.reopens, outcome.first_reply_hours) == (1.0, 1, 1.0)
    assert (outcome.satisfaction, outcome.agent_replies, outcome.customer_replies) == ("good", 2, 1)


def test_the_ticket_satisfaction_counts_where_the_events_hold_no_rating(tmp_path: Path) -> None:
    lines = [USER, *({**TICKET, "id": n, "satisfaction": score} for n, score in enumerate(SATISFACTION_SCORES))]
    source = open_source(_write(tmp_path, *lines, {**TICKET, "id": 99, "satisfaction": None}))
    rated = {h.ticket.id: ticket_outcome(h.ticket, h.events, {}).satisfaction for h in source.histories()}
    assert rated == {0: "good", 1: "bad", 2: None, 3: None, 99: None}


def test_the_formats_scores_and_statuses_are_the_models() -> None:
    assert get_args(Score) == SATISFACTION_SCORES
    assert get_args(Status) == TICKET_STATUSES


def test_the_documented_outcome_example_reads_as_described(tmp_path: Path) -> None:
    """docs/format.md's ticket with a solve, a reopen and a rating: valid, and the outcome its text states."""
    text = (DOCS / "format.md").read_text()
    block = next(b for b in re.findall(r"```json\n(.*?)```", text, re.S) if '"satisfaction"' in b)
    ticket = json.loads(block)
    jsonschema.Draft202012Validator(json_schema()).validate(ticket)
    path = _write(tmp_path, {"kind": "user", "id": 1, "name": "Casey"}, {**USER, "id": 10}, ticket)
    source = open_source(path)
    (history,) = source.histories()
    outcome = ticket_outcome(history.ticket, history.events, source.directory.users)
    assert (outcome.resolution_hours, outcome.reopens, outcome.satisfaction) == (70 / 60, 1, "good")
    assert outcome.first_reply_hours == 70 / 60
    assert "solved 1 h 10 min after it was opened, reopened once, first answered after 1 h 10 min" in " ".join(
        text.split()
    )


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_a_file_without_records_is_an_error_as_an_empty_export_folder_is(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(text)
    with pytest.raises(InputError, match=r"empty\.jsonl: no records .*is this the file you meant\?"):
        open_source(path)


# --- ids: a text of digits is that number -------------------------------------------------------------------------


def _comment(event_id: object, at: str, actor: object, public: bool, **extra: object) -> dict[str, object]:
    return {"id": event_id, "at": f"2026-03-02T{at}Z", "actor": actor, "type": "comment", "public": public, **extra}


def test_an_id_written_as_digits_in_text_is_the_number(tmp_path: Path) -> None:
    """The review's file: user 10 assigned as "10", a note by actor "11" (user 11 is defined), followers and group
    members as text, ticket 101 repeated as "101": one person, one ticket, the judgements of the numbers."""
    lines = [
        {"kind": "user", "id": 1, "name": "Casey"},
        {"kind": "user", "id": 10, "name": "Ana Lee", "role": "agent"},
        {"kind": "user", "id": "11", "name": "Bo Chen", "role": "agent"},
        {"kind": "user", "id": 12, "name": "Pip Okafor", "role": "agent"},
        {"kind": "group", "id": "5", "name": "Support", "members": ["10", 11, "12"]},
        {**TICKET, "id": 101, "requester_id": "1", "group_id": "5", "events": []},
        {
            **TICKET,
            "id": "101",
            "requester_id": "1",
            "assignee_id": 10,
            "group_id": "5",
            "events": [
                _comment(1, "09:00:00", 1, True, body="It broke."),
                {"id": 2, "at": "2026-03-02T09:01:00Z", "actor": "1", "type": "assignee", "assignee": "10"},
                _comment(3, "09:02:00", 10, True, body="Looking."),
                _comment(4, "09:03:00", "11", False, body="Try the cache."),
                {"id": 5, "at": "2026-03-02T09:04:00Z", "actor": "10", "type": "followers", "added": ["12"]},
                {
                    "id": 6,
                    "at": "2026-03-02T09:04:00Z",
                    "actor": 10,
                    "type": "field",
                    "field": "group_id",
                    "value": "5",
                },
                _comment(7, "09:05:00", "12", True, body="Fixed."),
            ],
        },
    ]
    path = _write(tmp_path, *lines)
    source = open_source(path)
    assert sorted(source.directory.users) == [1, 10, 11, 12]
    assert source.directory.groups[5].members == (10, 11, 12)
    (history,) = source.histories()
    assert history.ticket.id == 101 and history.ticket.group_id == 5 and history.ticket.requester_id == 1
    judged = _judged(open_source(path))
    assert [(j["ticket_id"], j["author_id"], j["verdict"], j["rule"]) for j in judged] == [
        (101, 10, "assignee", "assignee"),
        (101, 11, "intentional", "internal_note"),
        (101, 12, "intentional", "solicited"),
    ]
    done = intently("classify", str(path), "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 3 and "not in the data" not in done.stderr


@pytest.mark.parametrize("text", ["007", "-1"])
def test_any_whole_number_in_digits_is_a_number_and_other_text_stays_text(text: str) -> None:
    assert as_id(text) == int(text)
    assert [as_id(other) for other in ("10a", "1.0", " 10", "²", "-", "")] == ["10a", "1.0", " 10", "²", "-", ""]


def test_a_text_of_digits_beyond_the_64_bit_range_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        open_source(_write(tmp_path, {**USER, "id": "99999999999999999999"}))
    assert "line 1 (user 99999999999999999999): field id: must be at most 9223372036854775807" in str(info.value)


def test_a_byte_order_mark_at_the_start_is_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path, USER, {**TICKET, "events": [_comment(1, "09:00:00", 1, True)]})
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    source = open_source(path)
    assert list(source.directory.users) == [1] and [h.ticket.id for h in source.histories()] == [9]


def test_a_file_that_is_not_utf8_says_so_and_how_to_mend_it(tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes(
        json.dumps(USER).encode() + b"\n" + '{"kind": "user", "id": 2, "name": "José"}\n'.encode("latin-1")
    )
    with pytest.raises(InputError) as info:
        open_source(path)
    assert str(info.value).endswith(
        "latin.jsonl: line 2: the file is not UTF-8 (byte 0xe9 at column 39 of this line): re-save it as UTF-8 "
        "and read it again"
    )


def test_a_cut_off_last_line_asks_whether_the_file_was_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    path.write_text(json.dumps(USER) + "\n" + json.dumps({**TICKET, "events": [_comment(1, "09:00:00", 1, True)]})[:60])
    with pytest.raises(InputError) as info:
        list(open_source(path).histories())
    assert str(info.value).endswith(
        "cut.jsonl: line 2: the line ends early (its record is not complete): was the file cut off?"
    )
    path.write_text(json.dumps(USER) + '\n{"kind": "user",\n"id": 2, "name": "Bo"}\n')
    with pytest.raises(InputError) as info:
        open_source(path)
    assert str(info.value).endswith("line 2: the line ends before its record does: each record must be on one line")


# --- what a file names but does not define ------------------------------------------------------------------------


def test_users_named_but_not_defined_and_assignees_without_an_agent_role_are_warned_of(tmp_path: Path) -> None:
    """Each warning names the line, the record and the field: an assignee (98), a follower (96) and a group member
    (97) no user line defines, once each (with how often the file names them); an assignee and a group member
    whose line has no agent role; comments by an unknown author, with their tickets."""
    lines = [
        {"kind": "user", "id": 1, "name": "Casey"},
        {"kind": "user", "id": 10, "name": "Ana Lee", "role": "agent"},
        {"kind": "user", "id": 11, "name": "Bo Chen"},  # an agent, but the role is missing
        {"kind": "user", "id": 12, "name": "Pip Okafor", "role": "end-user"},
        {"kind": "group", "id": 5, "name": "Support", "members": [10, 11, 97]},
        {
            **TICKET,
            "id": 101,
            "requester_id": 1,
            "assignee_id": 98,
            "events": [
                _comment(1, "09:00:00", 1, True, body="It broke."),
                {"id": 2, "at": "2026-03-02T09:01:00Z", "actor": 1, "type": "assignee", "assignee": 98},
                _comment(3, "09:02:00", 99, True, body="Hello."),
                {"id": 4, "at": "2026-03-02T09:03:00Z", "actor": 10, "type": "followers", "added": [96, 11]},
                {"id": 5, "at": "2026-03-02T09:04:00Z", "actor": 10, "type": "assignee", "assignee": 12},
            ],
        },
        {
            **TICKET,
            "id": 102,
            "assignee_id": 98,
            "events": [_comment(1, "09:00:00", 1, True), _comment(2, "09:05:00", 99, False)],
        },
    ]
    done = intently("classify", str(_write(tmp_path, *lines)), "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "warning: in.jsonl: line 3 (user 11): field role: user 11 is a group member (group 5, line 5) but has no agent "
        'role: their comments are not judged (an agent\'s line needs "role": "agent" or "admin")',
        "warning: in.jsonl: line 5 (group 5): field members[2]: user 97 is not in this file (no user line has that id)",
        "warning: in.jsonl: line 6 (ticket 101): field assignee_id: user 98 is not in this file (no user line has that "
        "id); named 2 more times in the file",
        "warning: in.jsonl: line 6 (ticket 101): field events[3].added: user 96 is not in this file (no user line has "
        "that id)",
        "warning: in.jsonl: line 4 (user 12): field role: user 12 is an assignee (ticket 101, line 6) but has no agent "
        'role: their comments are not judged (an agent\'s line needs "role": "agent" or "admin")',
        "warning: 2 comment(s) by user 99 not judged: the user is not in the data (tickets 101, 102)",
    ]


def test_the_tickets_of_an_unknown_authors_comments_are_named_the_first_five_and_a_count() -> None:
    tally = Tally()
    for ticket in range(1, 8):
        tally.skip(99, ticket)
    tally.skip(99, 1)
    tally.skip(98, "T-1")
    assert tally.warnings() == [
        "1 comment(s) by user 98 not judged: the user is not in the data (ticket T-1)",
        "8 comment(s) by user 99 not judged: the user is not in the data (tickets 1, 2, 3, 4, 5 and 2 more)",
    ]


# --- the documented complete file --------------------------------------------------------------------------------


def test_the_documented_complete_file_runs_as_is_and_is_judged_as_the_text_says(tmp_path: Path) -> None:
    """docs/format.md's complete file: every line valid against the schema, read without a warning, and judged as
    its text says (the assignee's work, a solicited note, a drive-by out of region, a ticket taken, a handover)."""
    text = (DOCS / "format.md").read_text()
    (block,) = re.findall(r"```jsonl example\.jsonl\n(.*?)```", text, re.S)
    validator = jsonschema.Draft202012Validator(json_schema())
    for line in block.splitlines():
        validator.validate(json.loads(line))
    path = tmp_path / "example.jsonl"
    path.write_text(block)
    done = intently("classify", str(path), "--format", "jsonl")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    judged = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(j["ticket_id"], j["author_id"], j["verdict"], j["rule"], j["out_of_region"]) for j in judged] == [
        (101, 10, "assignee", "assignee", False),
        (101, 12, "intentional", "solicited", False),
        (101, 10, "assignee", "assignee", False),
        (102, 11, "assignee", "assignee", False),
        (102, 12, "drive_by", "unsolicited_reply", True),
        (103, 10, "ownership_change", "ownership", True),
        (103, 10, "assignee", "assignee", True),
        (103, 20, "assignee", "assignee", False),
    ]
    assert "(8 agent comments)" in text
    explained = intently("explain", "102", str(path))
    assert explained.returncode == 0 and "Drive-by" in explained.stdout, explained.stderr
