"""An import is all or nothing, really: histories, people and judgements commit together, and the store knows
which data its judgements were made from.

The kill test runs ``intently import`` of changed tickets in a subprocess and kills it (SIGKILL) at random
moments: every table must then equal a clean "before" or a clean "after", on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intently.demo import generate_export
from intently.engine import judge_ticket
from intently.model import Comment, TicketHistory
from intently.policy import fingerprint, load_policy
from intently.store import Store, database_url
from intently.store.pipeline import classify_store, import_path
from tests.cli_runner import intently
from tests.store_snapshot import Rows, copy_store, data_snapshot, drop_store, restore, rows, sibling, snapshot
from tests.test_zendesk_export import _small_export

KILLS = 12


def _import(export: Path, db: str, cwd: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("INTENTLY_CONFIG", "INTENTLY_DB")}
    return subprocess.Popen(
        [sys.executable, "-m", "intently", "import", str(export), "--db", db],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_killed_reimport_leaves_the_store_as_before_or_as_after(tmp_path: Path, store_url: str) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    generate_export(old, tickets=80, seed=3)
    generate_export(new, tickets=100, seed=4)  # the same ticket ids with other histories, and some more
    with Store.open(store_url) as store:
        import_path(old, store, load_policy())
    before, pristine = data_snapshot(store_url), rows(store_url)

    scratch = sibling(store_url, "scratch")  # each run starts from a copy of "before"
    copy_store(store_url, scratch)
    try:
        started = time.monotonic()
        done = _import(new, scratch, tmp_path)
        assert done.wait(60) == 0, done.stderr.read() if done.stderr else ""
        took = time.monotonic() - started
        after = data_snapshot(scratch)  # the import keeps its figures after committing (their own transaction)
        assert after != before
        seed = int(os.environ.get("INTENTLY_KILL_SEED", time.time_ns()))
        chance = random.Random(seed)
        for _ in range(KILLS):
            scratch = _fresh_copy(store_url, scratch, pristine)
            delay = chance.uniform(0.2, 1.05) * took
            process = _import(new, scratch, tmp_path)
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait(60)
            got = data_snapshot(scratch)
            assert got in (before, after), f"killed after {delay:.2f}s of {took:.2f}s (seed {seed}): neither"
            with Store.open(scratch) as store:  # still a working store, any figure kept is of its data
                assert store.ticket_count() in (80, 100)
                kept = {row["data_version"] for row in rows(scratch)["kept_figures"]}
                assert kept <= {store.data_version()}
    finally:
        drop_store(scratch)


def _fresh_copy(original: str, scratch: str, pristine: Rows) -> str:
    """A store holding what ``original`` held before: a new file copy (a killed SQLite run may leave a WAL
    behind), or the PostgreSQL scratch database filled again (quicker than a new database)."""
    if "sqlite" in database_url(original):
        drop_store(scratch)
        copy_store(original, scratch)
    else:
        restore(scratch, pristine)
    return scratch


def test_the_store_knows_when_its_judgements_are_stale(tmp_path: Path, store_url: str) -> None:
    store = Store.open(store_url)
    policy = load_policy()
    fp = fingerprint(policy)
    assert store.judgements_stale(fp) == "nothing was judged yet"
    import_path(_small_export().write(tmp_path / "export"), store, policy)
    assert store.judgements_are_current(fp)
    assert not store.judgements_are_current("another")
    history = next(iter(store.histories()))
    changed = TicketHistory.of(history.ticket, [e for e in history.events if not isinstance(e, Comment)])
    with store.batch() as batch:  # a ticket stored with its judgements stays current
        batch.put_histories([changed])
        batch.put_judgements(judge_ticket(changed, store.directory().users, policy), fp)
    assert store.judgements_are_current(fp)
    with store.batch() as batch:  # without them it does not
        batch.put_histories([history])
    assert store.judgements_stale(fp) == "the data changed since they were made"
    classify_store(store, policy)
    assert store.judgements_are_current(fp)
    with store.batch() as batch:  # people changed: every judgement may change
        batch.put_users(store.directory().users.values())
    assert not store.judgements_are_current(fp)
    classify_store(store, policy)
    with store.batch() as batch:
        batch.put_users(store.directory().users.values(), affects_judgements=False)
        batch.put_groups(store.directory().groups.values())
        batch.delete_ticket(history.ticket.id)
    assert store.judgements_are_current(fp)
    store.close()


def test_read_commands_judge_again_when_the_data_changed_since_judging(tmp_path: Path, store_url: str) -> None:
    export = _small_export().write(tmp_path / "export")
    policy = load_policy()
    with Store.open(store_url) as store:
        import_path(export, store, policy)
        history = next(iter(store.histories()))
        quiet = TicketHistory.of(
            history.ticket, [e for e in history.events if not (isinstance(e, Comment) and e.author == 12)]
        )
        with store.batch() as batch:  # e.g. a sync or webhook that stored a ticket but was stopped before judging
            batch.put_histories([quiet])
        assert len(list(store.judgements())) == 3
    for command in (["report"], ["classify", "-f", "jsonl"], ["explain", "7"]):
        with Store.open(store_url) as store:
            with store.batch() as batch:
                batch.put_histories([quiet])
            assert not store.judgements_are_current(fingerprint(policy))
        done = intently(*command, "--db", store_url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "The stored judgements are out of date (the data changed since they were made)" in done.stderr
        with Store.open(store_url) as store:
            assert store.judgements_are_current(fingerprint(policy))
            assert len(list(store.judgements())) == 2  # Pip's reply is gone from the stored history
    again = intently("report", "--db", store_url, cwd=tmp_path)
    assert again.returncode == 0 and "out of date" not in again.stderr


@pytest.mark.parametrize("failure", ["in the source", "while judging"])
def test_a_failed_reimport_keeps_histories_and_judgements_together(
    tmp_path: Path, store_url: str, failure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(store_url)
    import_path(_small_export().write(tmp_path / "old"), store, load_policy())
    before = snapshot(store_url)
    b = _small_export()
    b.audit(7, "2026-03-02T11:00:00Z", 11, {"type": "Comment", "body": "More.", "public": True})
    new = b.write(tmp_path / "new")
    if failure == "in the source":
        page = sorted(new.glob("ticket_audits*.json"))[-1]
        page.write_text(page.read_text().replace('"2026-03-02T11:00:00Z"', '"later"'))
    else:
        import intently.store.pipeline as pipeline

        def broken(*_: object) -> None:
            raise RuntimeError("killed while judging")

        monkeypatch.setattr(pipeline, "judge_ticket", broken)
    with pytest.raises(Exception, match=r"later|killed while judging"):
        import_path(new, store, load_policy())
    store.close()
    assert snapshot(store_url) == before


def test_ctrl_c_during_an_import_says_nothing_was_imported(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT) in the middle of an import: one line saying nothing was imported, exit 130, no traceback,
    and the store exactly as before."""
    old, new = tmp_path / "old", tmp_path / "new"
    generate_export(old, tickets=60, seed=3)
    generate_export(new, tickets=600, seed=4)
    db = str(tmp_path / "store.db")
    with Store.open(db) as store:
        import_path(old, store, load_policy())
    copy = str(tmp_path / "timing.db")
    copy_store(db, copy)
    started = time.monotonic()
    timing = _import(new, copy, tmp_path)
    assert timing.wait(120) == 0
    took = time.monotonic() - started
    before = data_snapshot(db)
    process = _import(new, db, tmp_path)
    time.sleep(0.5 * took)  # past the start (about 0.4 s), inside the import's one transaction
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 130
    said = process.stderr.read().decode() if process.stderr else ""
    assert "interrupted: nothing was imported; the store is as it was" in " ".join(said.split())
    assert "Traceback" not in said
    assert data_snapshot(db) == before


def _neutral(path: Path, events: dict[int, int]) -> Path:
    """A neutral file: a customer, an agent and each ticket with that many events (a comment a minute)."""
    lines: list[dict[str, object]] = [
        {"kind": "user", "id": 1, "name": "Casey"},
        {"kind": "user", "id": 10, "name": "Ana Lee", "role": "agent"},
    ]
    for ticket, count in events.items():
        comments = [
            {
                "id": n,
                "at": f"2026-03-02T09:{n:02d}:00Z",
                "actor": 1 if n % 2 else 10,
                "type": "comment",
                "public": True,
            }
            for n in range(1, count + 1)
        ]
        lines.append({"kind": "ticket", "id": ticket, "created_at": "2026-03-02T09:00:00Z", "events": comments})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_a_reimport_that_lacks_stored_events_says_so_once_and_replaces_the_histories(
    tmp_path: Path, store_url: str
) -> None:
    """A ticket's line holds its whole history: importing it again replaces the stored one (as documented), and
    when the stored history had events the file lacks (a partial export taken for an incremental one), one warning
    says which tickets lose how many."""

    def imported(name: str, events: dict[int, int]) -> list[str]:
        done = intently("import", str(_neutral(tmp_path / name, events)), "--db", store_url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return [line for line in done.stderr.splitlines() if "not in this file" in line]

    assert imported("all.jsonl", {101: 9, 102: 3, 103: 2}) == []
    assert imported("some.jsonl", {101: 2, 102: 1, 103: 2}) == [
        "warning: 2 tickets: 9 stored events are not in this file (ticket 101: 7, ticket 102: 2); their histories "
        "are replaced by the file's (a ticket's line holds its whole history)"
    ]
    assert imported("some-again.jsonl", {101: 2, 102: 1}) == []
    assert imported("one.jsonl", {101: 1}) == [
        "warning: ticket 101: 1 stored event is not in this file; its history is replaced by the file's (a ticket's "
        "line holds its whole history)"
    ]
    with Store.open(store_url) as store:
        assert {h.ticket.id: len(h.events) for h in store.histories()} == {101: 1, 102: 1, 103: 2}
