"""The PostgreSQL driver is psycopg 3, and its bulk writes (COPY) keep every row exactly as SQLite does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from intently.model import User
from intently.store import Store, database_url, schema
from intently.store.rows import BATCH, insert_many, utc
from tests.fake_zendesk import ZendeskDataset
from tests.test_store_limits import intently

postgresql = pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)


def test_a_postgresql_url_without_a_driver_uses_psycopg() -> None:
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u:pw@h:5433/db") == "postgresql+psycopg://u:pw@h:5433/db"
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql+pg8000://u@h/db") == "postgresql+pg8000://u@h/db"  # named: taken as it is


@postgresql
def test_the_store_on_postgresql_uses_psycopg(store_url: str) -> None:
    plain = "postgresql://" + store_url.split("://", 1)[1]
    for url in (store_url, plain):
        with Store.open(url) as store:
            assert (store.engine.dialect.name, store.engine.dialect.driver) == ("postgresql", "psycopg")


def _users() -> list[User]:
    long_text = "lorem ipsum, dolor \t sit\namet \\N \\ " * 40_000  # about 1.4 MB, with COPY's special characters
    users = [
        User(id=index, name=f"Person {index}", role="agent" if index % 3 else "end-user", email=f"p{index}@x.example")
        for index in range(1, 2 * BATCH + 7)  # more than one chunk
    ]
    users += [
        User(id="T-1", name="Ana\x00Lee", role="agent", email=None, time_zone="Europe/Lisbon"),
        User(id="7", name="a string id that looks like a number", role="end-user"),
        User(id=2**53 + 1, name=long_text, role="end-user", fields={"note": long_text, "nul": "a\x00b"}),
        User(id=-4, name="", role="end-user", email="\\.\r\n"),
    ]
    return users


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
def test_bulk_rows_round_trip_exactly(store_url: str) -> None:
    users = _users()
    with Store.open(store_url) as store:
        with store.batch() as batch:
            assert batch.put_users(users) == len(users)
        stored = store.directory().users
    assert sorted(stored, key=repr) == sorted((user.id for user in users), key=repr)
    for user in users:
        kept = stored[user.id]
        assert kept.name == user.name.replace("\x00", "\ufffd")
        assert (kept.role, kept.email, kept.time_zone, dict(kept.fields)) == (
            user.role,
            user.email,
            user.time_zone,
            dict(user.fields),
        )


@postgresql
def test_copy_writes_in_the_callers_transaction(store_url: str) -> None:
    at = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    row = {"key": "k", "value": "v"}
    outcome: dict[str, Any] = {
        "ticket_id": "1",
        "created_at": at,
        "solved_at": None,
        "reopens": 0,
        "satisfaction": None,
        "first_reply_at": at,
        "customer_replies": 2,
        "agent_replies": 1,
    }
    with Store.open(store_url) as store:
        with pytest.raises(RuntimeError), store.engine.begin() as conn:
            insert_many(conn, schema.sync_state, [row])
            raise RuntimeError("rolled back")
        with store.engine.begin() as conn:
            insert_many(conn, schema.outcomes, [outcome])
        with store.engine.connect() as conn:
            assert conn.execute(select(schema.sync_state)).all() == []
            (kept,) = [dict(found._mapping) for found in conn.execute(select(schema.outcomes))]
    assert kept == outcome and utc(kept["created_at"]) == at


def _rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """The stored data (not the versions and bookkeeping), in a form that compares across backends."""
    tables = (schema.users, schema.groups, schema.tickets, schema.judgements, schema.outcomes)
    found: dict[str, list[dict[str, Any]]] = {}
    with Store.open(url, create=False) as store, store.engine.connect() as conn:
        for table in tables:
            rows = [
                {key: utc(value) if isinstance(value, datetime) else value for key, value in row._mapping.items()}
                for row in conn.execute(select(table))
            ]
            found[table.name] = sorted(rows, key=repr)
    return found


@postgresql
def test_an_import_stores_the_same_rows_as_on_sqlite(store_url: str, tmp_path: Path) -> None:
    export = ZendeskDataset.generate(tickets=300, seed=3).write_export(tmp_path / "export")
    sqlite = str(tmp_path / "store.db")
    for url in (sqlite, store_url):
        done = intently("import", str(export), "--db", url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    on_sqlite, on_postgresql = _rows(sqlite), _rows(store_url)
    assert len(on_sqlite["tickets"]) > 250 and len(on_sqlite["judgements"]) > 300  # a few hundred tickets
    assert on_postgresql == on_sqlite
