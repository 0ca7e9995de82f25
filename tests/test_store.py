"""The store: idempotent imports, all-or-nothing loads, ids that round-trip, judgements kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intently.errors import InputError, IntentlyError
from intently.policy import fingerprint, load_policy
from intently.sources import open_source
from intently.store import Store, database_url, decode_id, encode_id
from intently.store import schema as tables
from intently.store.pipeline import classify_store, import_path
from tests.test_zendesk_export import _small_export


def _counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (tables.users, tables.tickets, tables.judgements)
        }


def test_reimport_is_idempotent(tmp_path: Path, store_url: str) -> None:
    export = _small_export().write(tmp_path / "export")
    store = Store.open(store_url)
    policy = load_policy()
    first = import_path(export, store, policy)
    before = _counts(store), [j.to_export() for j in store.judgements()]
    second = import_path(export, store, policy)
    assert first.stats == second.stats
    assert (_counts(store), [j.to_export() for j in store.judgements()]) == before
    assert before[0] == {"users": 4, "tickets": 1, "judgements": 3}


def test_stored_histories_equal_the_source(tmp_path: Path, store_url: str) -> None:
    export = _small_export().write(tmp_path / "export")
    store = Store.open(store_url)
    import_path(export, store, load_policy())
    assert list(store.histories()) == list(open_source(export).histories())
    assert store.history(7) == next(iter(open_source(export).histories()))
    assert store.history(8) is None
    assert store.directory().users == open_source(export).directory.users


def test_a_failed_import_leaves_the_store_as_it_was(tmp_path: Path, store_url: str) -> None:
    good = _small_export().write(tmp_path / "good")
    store = Store.open(store_url)
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


def test_judgements_round_trip_with_policy_fingerprint(tmp_path: Path, store_url: str) -> None:
    store = Store.open(store_url)
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
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"  # psycopg 3, LGPL, unmodified
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("x.db").startswith("sqlite:///") and database_url("x.db").endswith("/x.db")


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IntentlyError, match="no store at"):
        Store.open(tmp_path / "absent.db", create=False)
    with pytest.raises(IntentlyError, match="does not exist"):
        Store.open(tmp_path / "no" / "such" / "dir.db")


def test_many_tickets_are_read_back_in_pages(tmp_path: Path, store_url: str) -> None:
    from intently.demo import generate_export

    generate_export(tmp_path / "export", tickets=1200, seed=5)
    store = Store.open(store_url)
    import_path(tmp_path / "export", store, load_policy(tmp_path / "export" / "intently.yaml"))
    histories = list(store.histories())
    assert len(histories) == 1200 == len({h.ticket.id for h in histories})
    judgements = list(store.judgements())
    keys = [(j.created_at, encode_id(j.ticket_id), encode_id(j.comment_id)) for j in judgements]
    assert keys == sorted(keys) and len(set(keys)) == len(keys) > 1200


def test_a_store_from_before_migrations_is_upgraded_in_place(tmp_path: Path) -> None:
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine, insert

    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    old_tables = [tables.meta, tables.users, tables.groups, tables.tickets, tables.judgements]
    tables.metadata.create_all(engine, tables=old_tables)  # what the first release created, no Alembic
    with engine.begin() as conn:
        conn.execute(insert(tables.users).values(id="5", name="Ana", role="agent", fields="{}"))
    engine.dispose()
    store = Store.open(path)
    assert store.directory().users[5].name == "Ana"  # data kept
    token = store.create_token("sidebar")  # new tables exist
    assert store.token_owner(token) == ("sidebar", "admin")
    with store.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == tables.SCHEMA_VERSION


def test_the_schema_version_is_the_newest_migration() -> None:
    """Opening a store skips Alembic when the store is at SCHEMA_VERSION: it must name the newest migration, or a
    new migration would never run on existing stores."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import intently.store.store as store_module

    config = Config()
    config.set_main_option("script_location", str(Path(store_module.__file__).with_name("migrations")))
    assert ScriptDirectory.from_config(config).get_heads() == [tables.SCHEMA_VERSION]


def test_a_store_one_migration_behind_is_upgraded_when_opened(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    import intently.store.store as store_module

    path = tmp_path / "behind.db"
    store = Store.open(path)
    config = Config()
    config.set_main_option("script_location", str(Path(store_module.__file__).with_name("migrations")))
    with store.engine.begin() as conn:  # back to what the previous release left
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    assert "web_accounts" not in inspect(store.engine).get_table_names()
    store.close()
    store = Store.open(path)
    assert "web_accounts" in inspect(store.engine).get_table_names()
    assert store.token_owner(store.create_token("sidebar")) == ("sidebar", "admin")


def test_migrations_build_exactly_the_tables_the_code_uses(store_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from intently.store import search

    def shared(name: str | None, kind: str, parent: object) -> bool:
        """Not the subject search's own tables and index (one database's, not in the metadata)."""
        return name not in search.OBJECTS

    store = Store.open(store_url)
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": shared})
        differences = compare_metadata(context, tables.metadata)
    assert differences == []


def test_tokens_are_stored_as_hashes(store_url: str) -> None:
    store = Store.open(store_url)
    token = store.create_token("sidebar", role="viewer")
    assert token.startswith("itk_") and len(token) > 40
    assert store.token_owner(token) == ("sidebar", "viewer")
    assert store.token_owner(token + "x") is None and store.token_owner("") is None
    with store.engine.connect() as conn:
        stored = [tuple(row) for row in conn.execute(select(tables.api_tokens))]
    assert token not in repr(stored)
    with pytest.raises(IntentlyError, match="exists"):
        store.create_token("sidebar")
    assert store.revoke_token("sidebar") and not store.revoke_token("sidebar")
    assert store.token_owner(token) is None


def test_webhook_queue_rejects_replays_and_survives_reopening(store_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    store = Store.open(store_url)
    assert store.enqueue_delivery("sig-1", 7, "ticket.comment_added", now)
    assert not store.enqueue_delivery("sig-1", 7, "ticket.comment_added", now)  # a replay
    assert store.enqueue_delivery("sig-2", "T-8", "trigger", now)
    store.close()
    reopened = Store.open(store_url)
    due = reopened.due_deliveries(now)
    assert [(d.key, d.ticket_id) for d in due] == [("sig-1", 7), ("sig-2", "T-8")]
    reopened.finish_delivery(due[0].id)
    reopened.finish_delivery(due[1].id, error="Zendesk 503", retry_at=now + timedelta(minutes=1))
    assert [d.key for d in reopened.due_deliveries(now)] == []
    assert [(d.key, d.attempts) for d in reopened.due_deliveries(now + timedelta(minutes=1))] == [("sig-2", 1)]
    reopened.finish_delivery(due[1].id, error="gave up")
    assert reopened.delivery_counts() == {"done": 1, "failed": 1}


def test_write_backs_happen_once_and_service_users_are_not_agents(store_url: str, tmp_path: Path) -> None:
    store = Store.open(store_url)
    import_path(_small_export().write(tmp_path / "export"), store, load_policy())
    assert store.record_write_back(7, 1002) and not store.record_write_back(7, 1002)
    store.add_service_user(12)
    assert store.directory().users[12].is_agent is False


def test_batches_commit_all_or_nothing(store_url: str, tmp_path: Path) -> None:
    store = Store.open(store_url)
    with store.batch() as batch:
        batch.set_state("zendesk.cursor", "abc")
        batch.mark_synced(7, "2026-03-02T10:00:00Z")
    with pytest.raises(RuntimeError), store.batch() as batch:
        batch.set_state("zendesk.cursor", "def")
        batch.clear_synced()
        raise RuntimeError("network lost")
    assert store.state("zendesk.cursor") == "abc" and store.synced() == {7: "2026-03-02T10:00:00Z"}


def test_the_data_version_changes_with_people_tickets_and_judgements_only(store_url: str, tmp_path: Path) -> None:
    """What the dashboard's cache is checked against: any change of stored data, in any process, and nothing else."""
    store = Store.open(store_url)
    export = _small_export().write(tmp_path / "export")
    policy = load_policy()
    import_path(export, store, policy)
    imported = store.data_version()
    assert imported is not None
    with store.batch() as batch:
        batch.set_state("zendesk.cursor", "abc")  # sync bookkeeping is not data
    assert store.data_version() == imported
    classify_store(store, policy)
    judged = store.data_version()
    assert judged not in (None, imported)
    ticket_id = next(iter(store.histories())).ticket.id
    with pytest.raises(RuntimeError), store.batch() as batch:
        batch.delete_ticket(ticket_id)
        raise RuntimeError("rolled back")
    assert store.data_version() == judged
    other = Store.open(store_url)  # another process's connection
    with other.batch() as batch:
        batch.delete_ticket(ticket_id)
    assert store.data_version() not in (None, imported, judged)
    other.close()
    store.close()


def test_a_write_back_claim_left_by_a_stopped_replica_is_taken_over_once_after_the_lease(store_url: str) -> None:
    """A replica killed between claiming a note and posting it leaves a claim; after its lease another replica
    takes it over (once), so the note is written after all. A claim its replica renews, and a note written, are
    never taken over however old."""
    from datetime import UTC, datetime, timedelta

    store = Store.open(store_url)
    now = datetime.now(UTC)
    lease = timedelta(seconds=60)
    assert store.claim_write_back(7, 70, "a", now + lease) == "new"
    assert store.claim_write_back(7, 70, "b", now + lease) is None  # a is writing it right now
    store.renew_claims("a", now + 2 * lease)
    assert store.claim_write_back(7, 70, "b", now + lease) is None  # still a's
    store.renew_claims("a", now - timedelta(seconds=1))  # as if a's lease ran out (a was killed)
    assert store.claim_write_back(7, 70, "b", now + lease) == "taken"
    assert store.claim_write_back(7, 70, "c", now + lease) is None  # and only once
    store.finish_write_back(7, 70, "a")  # a's late finish changes nothing: the claim is b's
    store.renew_claims("b", now - timedelta(seconds=1))
    store.finish_write_back(7, 70, "b")  # written: never claimed again, whatever the clock says
    assert store.claim_write_back(7, 70, "c", now + lease) is None
    assert store.record_write_back(7, 70) is False
    assert store.claim_write_back(7, 71, "c", now + lease) == "new"  # another comment's note is its own claim
    store.forget_write_back(7, 71)  # Zendesk refused it: claimable again
    assert store.claim_write_back(7, 71, "a", now + lease) == "new"
