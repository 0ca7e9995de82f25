"""The store: idempotent imports, all-or-nothing loads, ids that round-trip, judgements kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intently.errors import InputError, IntentlyError
from intently.pipeline import classify_store, import_path
from intently.policy import fingerprint, load_policy
from intently.sources import open_source
from intently.store import Store, database_url, decode_id, encode_id
from intently.store import schema as tables
from tests.test_zendesk_export import _small_export


def _counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (tables.users, tables.tickets, tables.judgements)
        }


def test_reimport_is_idempotent(tmp_path: Path) -> None:
    export = _small_export().write(tmp_path / "export")
    store = Store.open(tmp_path / "s.db")
    policy = load_policy()
    first = import_path(export, store, policy)
    before = _counts(store), [j.to_export() for j in store.judgements()]
    second = import_path(export, store, policy)
    assert first.stats == second.stats
    assert (_counts(store), [j.to_export() for j in store.judgements()]) == before
    assert before[0] == {"users": 4, "tickets": 1, "judgements": 3}


def test_stored_histories_equal_the_source(tmp_path: Path) -> None:
    export = _small_export().write(tmp_path / "export")
    store = Store.open(tmp_path / "s.db")
    import_path(export, store, load_policy())
    assert list(store.histories()) == list(open_source(export).histories())
    assert store.history(7) == next(iter(open_source(export).histories()))
    assert store.history(8) is None
    assert store.directory().users == open_source(export).directory.users


def test_a_failed_import_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    good = _small_export().write(tmp_path / "good")
    store = Store.open(tmp_path / "s.db")
    import_path(good, store, load_policy())
    before = _counts(store), list(store.histories())

    b = _small_export()
    b.user(99, "New Agent")
    b.ticket(8, "2026-03-03T09:00:00Z", requester=1)
    b.audit(8, "2026-03-03T09:00:00Z", 1, {"type": "Comment", "body": "hi", "public": True})
    bad = b.write(tmp_path / "bad", audits_per_page=3)
    last_page = sorted(bad.glob("ticket_audits*.json"))[-1]
    data = json.loads(last_page.read_text())
    data["audits"][-1]["created_at"] = "not a time"
    last_page.write_text(json.dumps(data))
    with pytest.raises(InputError, match="not a time"):
        import_path(bad, store, load_policy())
    assert (_counts(store), list(store.histories())) == before
    assert 99 not in store.directory().users


def test_judgements_round_trip_with_policy_fingerprint(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    policy = load_policy()
    import_path(_small_export().write(tmp_path / "export"), store, policy)
    source = open_source(tmp_path / "export")
    from intently.engine import judge_ticket

    expected = [j for h in source.histories() for j in judge_ticket(h, source.directory.users, policy).judgements]
    assert list(store.judgements()) == expected
    assert store.judged_policy() == fingerprint(policy)
    assert classify_store(store, policy) == len(expected)


def test_ids_keep_their_type() -> None:
    for value in (7, -1, "T-7", "7", 2**53 + 1):
        assert decode_id(encode_id(value)) == value
    assert encode_id(7) != encode_id("7")


def test_database_url() -> None:
    assert database_url("postgresql://u@h/db") == "postgresql+pg8000://u@h/db"  # BSD-licensed driver
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("x.db").startswith("sqlite:///") and database_url("x.db").endswith("/x.db")


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IntentlyError, match="no store at"):
        Store.open(tmp_path / "absent.db", create=False)
    with pytest.raises(IntentlyError, match="does not exist"):
        Store.open(tmp_path / "no" / "such" / "dir.db")
