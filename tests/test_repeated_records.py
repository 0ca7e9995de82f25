"""Records seen more than once are read once: Zendesk exports (pages overlap, re-exports overlap) and neutral files.

Identical copies are dropped silently; a differing copy of the same version replaces the earlier one with one
warning naming the record and where its copies were; a newer version of a ticket or user wins silently.
"""

from __future__ import annotations

import copy
import json
import random
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intently.model import Comment
from intently.policy import load_policy
from intently.sources import open_source
from intently.sources.neutral import write_neutral
from intently.store import Store
from intently.store.pipeline import import_path
from tests.test_zendesk_export import _small_export
from tests.zendesk_builder import ExportBuilder, comment

PIP_REPLY = 3  # index of Pip's public reply among the small export's audits


def _export() -> ExportBuilder:
    """The small export and a second ticket, so that audits of two tickets interleave."""
    b = _small_export()
    b.ticket(8, "2026-03-02T09:10:00Z", requester=1, assignee_id=11)
    b.audit(8, "2026-03-02T09:10:00Z", 1, comment("Where is my parcel?"))
    b.audit(8, "2026-03-02T09:50:00Z", 11, comment("On its way.", public=True))
    b.audit(8, "2026-03-02T10:30:00Z", 12, comment("Tracking updated.", public=True))
    return b


def _write(root: Path, b: ExportBuilder, audits: list[dict[str, Any]], per_page: int, **kinds: list[list[Any]]) -> Path:
    """An export directory with the audits in exactly this order (``per_page`` a page), and the users and tickets
    as the pages given (``users=[[...], [...]]``, ``tickets=...``), or one page of the builder's."""
    root.mkdir(parents=True, exist_ok=True)
    for kind, default in (("users", b.users), ("tickets", b.tickets)):
        for number, page in enumerate(kinds.get(kind) or [default], start=1):
            (root / f"{kind}.page-{number:03d}.json").write_text(json.dumps({kind: page}))
    (root / "ticket_fields.page-001.json").write_text(json.dumps({"ticket_fields": b.fields}))
    for number, start in enumerate(range(0, len(audits), per_page), start=1):
        page = audits[start : start + per_page]
        (root / f"ticket_audits.page-{number:03d}.json").write_text(json.dumps({"audits": page}))
    return root


def _read(root: Path) -> tuple[dict[Any, Any], dict[Any, Any], list[str]]:
    source = open_source(root)
    histories = {h.ticket.id: h for h in source.histories()}
    return histories, source.directory.users, source.warnings


def _clean(tmp_path: Path) -> tuple[dict[Any, Any], dict[Any, Any], list[str]]:
    b = _export()
    return _read(_write(tmp_path / "clean", b, sorted(b.audits, key=lambda a: (a["created_at"], a["id"])), 2))


# --- the Zendesk export reader ------------------------------------------------------------------------------------


def test_an_audit_repeated_across_a_page_boundary_is_read_once(tmp_path: Path) -> None:
    b = _export()
    audits = sorted(b.audits, key=lambda a: (a["created_at"], a["id"]))
    index = audits.index(b.audits[PIP_REPLY])
    repeated = [*audits[: index + 1], copy.deepcopy(audits[index]), *audits[index + 1 :]]
    histories, users, warnings = _read(_write(tmp_path / "export", b, repeated, per_page=index + 1))
    assert (histories, users, warnings) == _clean(tmp_path)
    pip = [e for e in histories[7].events if isinstance(e, Comment) and e.author == 12]
    assert len(pip) == 1


def test_importing_an_audit_seen_twice_succeeds_on_each_backend(tmp_path: Path, store_url: str) -> None:
    b = _export()
    audits = sorted(b.audits, key=lambda a: (a["created_at"], a["id"]))
    twice = _write(tmp_path / "twice", b, [*audits, copy.deepcopy(b.audits[PIP_REPLY])], per_page=3)
    once = _write(tmp_path / "once", b, audits, per_page=3)
    store = Store.open(store_url)
    outcome = import_path(twice, store, load_policy())
    assert outcome.warnings == [] and outcome.stats.tickets == 2
    judged = [j.to_export() for j in store.judgements()]
    expected = Store.open(tmp_path / "once.db")
    import_path(once, expected, load_policy())
    assert judged == [j.to_export() for j in expected.judgements()] and len(judged) == 5
    assert list(store.histories()) == list(expected.histories())
    store.close()
    expected.close()


def test_a_differing_copy_of_an_audit_wins_with_one_warning(tmp_path: Path) -> None:
    b = _export()
    audits = sorted(b.audits, key=lambda a: (a["created_at"], a["id"]))
    edited = copy.deepcopy(b.audits[PIP_REPLY])
    edited["events"][0]["body"] = edited["events"][0]["plain_body"] = "Pip here: fixed."
    root = _write(tmp_path / "export", b, [*audits, edited, copy.deepcopy(edited)], per_page=4)
    histories, _, warnings = _read(root)
    assert [e.body for e in histories[7].events if isinstance(e, Comment) and e.author == 12] == ["Pip here: fixed."]
    audit_id = edited["id"]
    assert warnings == [
        f"audit {audit_id} of ticket 7 appears more than once with different content "
        "(ticket_audits.page-002.json, ticket_audits.page-003.json): the last copy is used"
    ]


def test_an_event_repeated_in_another_audit_is_read_once(tmp_path: Path) -> None:
    b = _export()
    differing = copy.deepcopy(b.audits[PIP_REPLY + 1])
    differing["id"] = b.next_id()  # another audit carrying Bo's note (edited)
    differing["events"][0]["body"] = differing["events"][0]["plain_body"] = "Internal: edited."
    audits = sorted(b.audits, key=lambda a: (a["created_at"], a["id"]))
    histories, _, warnings = _read(_write(tmp_path / "export", b, [*audits, differing], per_page=20))
    comments = [e for e in histories[7].events if isinstance(e, Comment)]
    assert len(comments) == len({c.id for c in comments}) == 4
    assert [c.body for c in comments if c.author == 11] == ["Internal: edited."]
    event_id = differing["events"][0]["id"]
    assert warnings == [
        f"event {event_id} of ticket 7 appears more than once with different content (ticket_audits.page-001.json): "
        "the last copy is used"
    ]


def test_users_groups_and_tickets_repeated(tmp_path: Path) -> None:
    b = _export()
    audits = sorted(b.audits, key=lambda a: (a["created_at"], a["id"]))
    renamed = dict(b.users[1], name="Ana Lee-Smith")
    newer = dict(b.tickets[1], status="solved", updated_at="2026-03-03T00:00:00Z")
    reworded = dict(b.tickets[0], subject="Invoice wrong")
    root = _write(
        tmp_path / "export",
        b,
        audits,
        per_page=20,
        users=[b.users, [b.users[0], renamed]],  # Casey identical, Ana differing
        tickets=[[newer, b.tickets[0]], [b.tickets[1], reworded]],  # 8: older copy later; 7: differing
    )
    groups = [{"id": 5, "name": "EMEA"}, {"id": 6, "name": "AMER"}]
    (root / "groups.page-001.json").write_text(json.dumps({"groups": groups}))
    (root / "groups.page-002.json").write_text(json.dumps({"groups": [groups[0], {"id": 6, "name": "Americas"}]}))
    memberships = [{"id": 1, "group_id": 5, "user_id": 10}, {"id": 1, "group_id": 5, "user_id": 10}]
    (root / "group_memberships.page-001.json").write_text(json.dumps({"group_memberships": memberships}))
    source = open_source(root)
    histories = {h.ticket.id: h for h in source.histories()}
    assert source.directory.users[10].name == "Ana Lee-Smith" and source.directory.users[1].name == "Casey Customer"
    assert histories[8].ticket.status == "solved"  # the newer version, though an older copy was read after it
    assert histories[7].ticket.subject == "Invoice wrong"
    assert source.directory.groups[5].members == (10,) and source.directory.groups[6].name == "Americas"
    same = "appears more than once with different content"
    assert sorted(source.warnings) == [
        f"group 6 {same} (groups.page-001.json, groups.page-002.json): the last copy is used",
        f"ticket 7 {same} (tickets.page-001.json, tickets.page-002.json): the last copy is used",
        f"user 10 {same} (users.page-001.json, users.page-002.json): the last copy is used",
    ]


def test_copies_of_a_ticket_equal_in_what_intently_reads_are_one_copy(tmp_path: Path) -> None:
    """The reader keeps its tickets pickled and tells copies apart by a digest of each: copies whose digests differ
    but whose tickets are equal (a field's value 1 in one, 1.0 in the other) are still the same copy, no warning;
    a ticket deleted, then back in a later page, reads as it was last given."""
    b = _export()
    audits = sorted(b.audits, key=lambda a: (a["created_at"], a["id"]))
    one = dict(b.tickets[0], custom_fields=[{"id": 360001, "value": 1}])
    same = dict(b.tickets[0], custom_fields=[{"id": 360001, "value": 1.0}])
    gone = dict(b.tickets[1], status="deleted", updated_at="2026-03-03T00:00:00Z")
    back = dict(b.tickets[1], subject="Back again", updated_at="2026-03-04T00:00:00Z")
    root = _write(tmp_path / "export", b, audits, per_page=20, tickets=[[one, b.tickets[1]], [same, gone], [back]])
    source = open_source(root)
    histories = {h.ticket.id: h for h in source.histories()}
    assert source.warnings == []
    assert list(histories[7].ticket.fields.values()) == [1]
    assert histories[8].ticket.subject == "Back again"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    repeats=st.lists(st.integers(0, 9), max_size=8),
    seed=st.integers(0, 2**32),
    per_page=st.integers(1, 6),
    user_repeats=st.lists(st.integers(0, 3), max_size=4),
    ticket_repeats=st.lists(st.integers(0, 1), max_size=3),
)
def test_repeated_and_reordered_records_read_as_the_clean_export(
    tmp_path: Path,
    repeats: list[int],
    seed: int,
    per_page: int,
    user_repeats: list[int],
    ticket_repeats: list[int],
) -> None:
    """Any records repeated identically, audits in any order over any pages: the same histories, no warning."""
    b = _export()
    chance = random.Random(seed)
    audits = [copy.deepcopy(b.audits[i]) for i in repeats] + [copy.deepcopy(a) for a in b.audits]
    chance.shuffle(audits)
    users = b.users + [copy.deepcopy(b.users[i]) for i in user_repeats]
    chance.shuffle(users)
    tickets = b.tickets + [copy.deepcopy(b.tickets[i]) for i in ticket_repeats]
    chance.shuffle(tickets)
    with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
        root = _write(Path(scratch), b, audits, per_page, users=[users[:2], users[2:]], tickets=[tickets])
        assert _read(root) == _clean(Path(scratch) / "clean")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), per_page=st.integers(1, 6), which=st.integers(0, 9))
def test_of_two_differing_copies_of_an_audit_the_later_read_wins(
    tmp_path: Path, seed: int, per_page: int, which: int
) -> None:
    b = _export()
    chance = random.Random(seed)
    target = b.audits[which]
    edited = copy.deepcopy(target)
    edited["created_at"] = edited["created_at"].replace(":00Z", ":01Z")  # every audit has a time; not all a comment
    audits = [copy.deepcopy(a) for a in b.audits] + [edited]
    chance.shuffle(audits)
    with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
        histories, _, warnings = _read(_write(Path(scratch), b, audits, per_page))
        clean, _, _ = _clean(Path(scratch))
    last = [a for a in audits if a["id"] == target["id"]][-1]
    ticket = target["ticket_id"]
    times = {e.at.isoformat() for e in histories[ticket].events if e.update == target["id"]}
    if any(e.update == target["id"] for e in clean[ticket].events):
        assert times == {last["created_at"].replace("Z", "+00:00")}
        assert len(warnings) == 1 and f"audit {target['id']} of ticket {ticket} " in warnings[0]
    else:  # an audit intently reads nothing from (a notification): its copies do not differ in what is read
        assert times == set() and warnings == []


# --- the neutral reader -------------------------------------------------------------------------------------------


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _neutral(tmp_path: Path, lines: list[dict[str, Any]], name: str = "in.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _clean_neutral(tmp_path: Path) -> Path:
    b = _export()
    source = open_source(_write(tmp_path / "zd", b, b.audits, 100))
    path = tmp_path / "clean.jsonl"
    write_neutral(path, source.directory, source.histories())
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32),
    user_repeats=st.lists(st.integers(0, 3), max_size=4),
    ticket_repeats=st.lists(st.integers(0, 1), max_size=3),
    event_repeats=st.lists(st.integers(0, 30), max_size=6),
)
def test_neutral_lines_repeated_and_reordered_read_as_the_clean_file(
    tmp_path: Path, seed: int, user_repeats: list[int], ticket_repeats: list[int], event_repeats: list[int]
) -> None:
    chance = random.Random(seed)
    with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
        clean = _clean_neutral(Path(scratch))
        lines = _lines(clean)
        users = [line for line in lines if line["kind"] == "user"]
        tickets = [line for line in lines if line["kind"] == "ticket"]
        users += [users[i] for i in user_repeats]
        for ticket in tickets:
            events = ticket["events"]
            ticket["events"] = events + [events[i % len(events)] for i in event_repeats]
            chance.shuffle(ticket["events"])
        tickets += [tickets[i] for i in ticket_repeats]
        chance.shuffle(users)
        chance.shuffle(tickets)
        assert _read(_neutral(Path(scratch), users + tickets)) == _read(clean)


def test_neutral_differing_copies_the_last_line_wins_with_one_warning(tmp_path: Path) -> None:
    lines = _lines(_clean_neutral(tmp_path))
    users = [line for line in lines if line["kind"] == "user"]
    first, second = (line for line in lines if line["kind"] == "ticket")
    renamed = dict(users[1], name="Ana L.")
    edited = copy.deepcopy(first)
    edited["subject"] = "Edited"
    event = dict(second["events"][1], body="Edited reply")
    second = dict(second, events=[*second["events"], event])
    path = _neutral(tmp_path, [*users, renamed, users[0], first, second, edited])
    histories, people, warnings = _read(path)
    assert people[10].name == "Ana L." and histories[7].ticket.subject == "Edited"
    assert [e.body for e in histories[8].events if e.id == event["id"]] == ["Edited reply"]
    assert list(histories) == [8, 7]  # a repeated ticket is read where its last copy is
    same = "appears more than once with different content"
    assert sorted(warnings) == [
        f"event {event['id']} of ticket 8 {same} (in.jsonl line 8): the last copy is used",
        f"ticket 7 {same} (in.jsonl line 7, in.jsonl line 9): the last copy is used",
        f"user 10 {same} (in.jsonl line 2, in.jsonl line 5): the last copy is used",
    ]
