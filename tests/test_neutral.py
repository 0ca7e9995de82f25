"""The neutral JSON Lines format: round trips, the documented schema, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from intently.engine import judge_ticket
from intently.errors import InputError
from intently.policy import load_policy
from intently.sources import open_source
from intently.sources.neutral import json_schema, write_neutral
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
        ((USER, {**TICKET, "colour": "red"}), "field colour: unknown field"),
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
