"""Expired dashboard sessions leave the store while the app runs, not only when someone logs in."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from intently.store import Store
from intently.store import schema as tables
from intently.web.access import accounts
from intently.web.access.sessions import COOKIE, AccessState
from tests.dashboard_client import dashboard, ensure_account


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    store = Store.open(store_url)
    ensure_account(store, "val", "viewer")
    yield store
    store.close()


def _expired(store: Store) -> str:
    """A session of val's that expired a day ago (written straight to the store): its cookie value."""
    value, _ = accounts.start_session(store, "val", now=datetime.now(UTC) - accounts.SESSION_LIFETIME - timedelta(1))
    return value


def _stored(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.scalars(select(tables.web_sessions.c.id_hash)))


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def test_expired_sessions_are_purged_while_serving(store: Store) -> None:
    live, _ = accounts.start_session(store, "val")
    stale = _expired(store)
    assert _stored(store) == {_sha(live), _sha(stale)}
    clock = [1000.0]
    with dashboard(store, access=AccessState(clock=lambda: clock[0], purge_every=300)) as client:
        client.cookies.set(COOKIE, live)
        assert client.get("/").status_code == 200  # the first lookup since start-up purges
        assert _stored(store) == {_sha(live)}
        later = _expired(store)  # another one, expired while the app runs
        clock[0] += 299
        assert client.get("/").status_code == 200
        assert _stored(store) == {_sha(live), _sha(later)}  # not on every request: once per interval
        clock[0] += 1
        assert client.get("/tickets").status_code == 200
        assert _stored(store) == {_sha(live)}  # gone, and nobody logged in; the live session is kept
        client.cookies.set(COOKIE, stale)
        assert client.get("/").status_code == 303  # to the login page


def test_a_request_without_a_session_purges_too(store: Store) -> None:
    stale = _expired(store)
    assert _stored(store) == {_sha(stale)}
    with dashboard(store, access=AccessState(clock=lambda: 0.0)) as client:
        assert client.get("/login").status_code == 200
    assert _stored(store) == set()


def test_purge_sessions_deletes_only_expired_ones(store: Store) -> None:
    live, _ = accounts.start_session(store, "val")
    _expired(store)
    _expired(store)
    assert accounts.purge_sessions(store) == 2
    assert _stored(store) == {_sha(live)}
    assert accounts.purge_sessions(store) == 0
    assert accounts.session(store, live) is not None
