"""Searching subjects through the index (issue 12; :mod:`intently.store.search`) finds exactly the tickets that
reading every ticket finds, after every write (tickets replaced, a ticket deleted) and after an upgrade from schema
0008, which builds the index in its one transaction (a failed upgrade leaves the store as it was)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from intently.model import TicketHistory
from intently.policy import load_policy
from intently.store import Store, schema, search
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import loaded_store

SUBJECTS = [
    "Refund for order 1234",
    "REFUND please",
    "partial refunds",
    "Rückerstattung (refund) für Bestellung",
    "Straße gesperrt",
    "ÉCOLE fermée",
    "école fermée",
    "100% off: why?",
    "under_score and /slash/",
    'a "quoted" word',
    "re",
    "",
    "日本語の件名",
]
PROBES = [
    "refund", "REFUND", "Refund for", "und", "re", "e", "r", "%", "_", "/", "100%", "_score", '"quoted"', '"',
    "straße", "STRASSE", "école", "ÉCOLE", "cole", "日本", "本語の", "nothing like it", "d p", "  ",
]  # fmt: skip


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    store = loaded_store(store_url, FakeZendesk(ZendeskDataset.generate(tickets=20)), tmp_path, load_policy())
    histories = sorted(store.histories(), key=lambda h: str(h.ticket.id))
    with store.batch() as batch:  # give the tickets the subjects above (each replaced: deleted, then inserted)
        batch.put_histories(
            TicketHistory.of(dataclasses.replace(h.ticket, subject=SUBJECTS[i % len(SUBJECTS)]), h.events)
            for i, h in enumerate(histories)
        )
    yield store
    store.close()


def _check(store: Store) -> None:
    """Every probe finds, through the index, exactly the tickets a scan of ``tickets`` finds."""
    with store.engine.connect() as conn:
        for probe in PROBES:
            indexed = set(conn.execute(search.subject_matches(conn, probe)).scalars())
            scanned = conn.execute(
                select(schema.tickets.c.id).where(schema.tickets.c.subject.icontains(probe, autoescape=True))
            )
            assert indexed == set(scanned.scalars()), probe


def test_the_index_finds_what_a_scan_finds_after_every_write(store: Store) -> None:
    _check(store)
    with store.engine.connect() as conn:
        found = set(conn.execute(search.subject_matches(conn, "refund")).scalars())
    assert len(found) >= 3  # the probes find something
    ticket = next(iter(store.histories()))
    with store.batch() as batch:
        batch.delete_ticket(ticket.ticket.id)
        batch.put_histories([TicketHistory.of(dataclasses.replace(ticket.ticket, id=987654, subject="Refund x"), [])])
    _check(store)
    if store.engine.dialect.name == "sqlite":  # the narrow copy follows the tickets one for one
        with store.engine.connect() as conn:
            copied = conn.execute(text("SELECT ticket_id, subject FROM ticket_search")).all()
            stored = conn.execute(select(schema.tickets.c.id, schema.tickets.c.subject)).all()
        assert sorted(copied) == sorted(stored)
    else:  # the trigram index is there to be used
        assert search.TRIGRAM_INDEX in {i["name"] for i in inspect(store.engine).get_indexes("tickets")}


def _back_to_0008(store: Store) -> None:
    from alembic import command
    from alembic.config import Config

    import intently.store.store as store_module

    config = Config()
    config.set_main_option("script_location", str(Path(store_module.__file__).with_name("migrations")))
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0008")


def test_an_upgrade_builds_the_index_in_one_transaction(
    store: Store, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _back_to_0008(store)
    store.close()
    tables = set(inspect(store.engine).get_table_names())
    assert "kept_figures" not in tables and search.SEARCH not in tables

    def broken(conn: object) -> None:
        raise RuntimeError("killed while building the index")

    with monkeypatch.context() as patched:  # an upgrade that fails half way leaves the store as it was
        patched.setattr(search, "create", broken)
        with pytest.raises(RuntimeError, match="killed"):
            Store.open(store_url)
    assert "kept_figures" not in inspect(store.engine).get_table_names()
    again = Store.open(store_url)
    try:
        with again.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0009"
        assert "kept_figures" in inspect(again.engine).get_table_names()
        _check(again)
    finally:
        again.close()
