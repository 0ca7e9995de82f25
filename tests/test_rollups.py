"""The store's rollups always agree with the judgements they count: after an import, a ticket judged again (sync,
webhooks), a ticket deleted, a failed batch (rolled back with the judgements), and an upgrade from schema 0006; and
the report's figures counted from them are those counted from the judgements one by one, under every filter."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from intently.engine import judge_ticket
from intently.policy import Policy, load_policy
from intently.policy.loader import policy_from_mapping
from intently.report.facts import stored_facts
from intently.report.metrics import build_metrics, stored_metrics
from intently.store import Store, encode_id, rollups, schema, search
from intently.store.queries import Scope, id_encodings
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import loaded_store


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    store = loaded_store(store_url, FakeZendesk(ZendeskDataset.generate(tickets=40)), tmp_path, load_policy())
    yield store
    store.close()


def _rollups(store: Store) -> tuple[Counter[tuple[Any, ...]], list[dict[str, Any]]]:
    with store.engine.connect() as conn:
        cells = Counter(
            {tuple(row[1:-1]): row[-1] for row in conn.execute(select(schema.judgement_rollups)).all() if row[-1]}
        )
        tickets = [dict(r._mapping) for r in conn.execute(select(schema.ticket_rollups).order_by("ticket_id"))]
    return cells, tickets


def _rebuilt(store: Store) -> tuple[Counter[tuple[Any, ...]], list[dict[str, Any]]]:
    """The rollups as counted afresh from the judgements (in a transaction rolled back)."""
    with store.engine.connect() as conn, conn.begin() as transaction:
        rollups.rebuild(conn)
        cells = Counter({tuple(row[1:-1]): row[-1] for row in conn.execute(select(schema.judgement_rollups)).all()})
        tickets = [dict(r._mapping) for r in conn.execute(select(schema.ticket_rollups).order_by("ticket_id"))]
        transaction.rollback()
    return cells, tickets


def _same_figures(store: Store, policy: Policy, scope: Scope, keep: Any) -> None:
    users = store.directory().users
    names = {"policy_name": policy.name, "policy_version": policy.version, "policy": policy}
    streamed = build_metrics((j for j in store.judgements(full=False) if keep(j)), users, **names)
    counted = stored_metrics(store, users, scope=scope, **names)
    assert counted.to_dict() == streamed.to_dict()


def test_rollups_follow_every_write(store: Store) -> None:
    policy = load_policy()
    assert _rollups(store) == _rebuilt(store)
    assert stored_facts(store) == stored_facts(store, store.judgements(full=False))
    histories = list(store.histories())
    users = store.directory().users
    with store.batch() as batch:  # one ticket judged again, another deleted (what sync and webhooks write)
        batch.put_judgements(judge_ticket(histories[0], users, policy), "other-policy")
        batch.delete_ticket(histories[1].ticket.id)
    assert _rollups(store) == _rebuilt(store)
    before = _rollups(store)
    with pytest.raises(RuntimeError), store.batch() as batch:  # all or nothing: the rollups roll back too
        batch.delete_ticket(histories[2].ticket.id)
        raise RuntimeError("killed mid-batch")
    assert _rollups(store) == before
    _same_figures(store, policy, Scope(), lambda j: True)


def test_writers_side_by_side_lose_no_count(store: Store) -> None:
    """The webhook worker judges tickets side by side and replicas share one store: several batches at once, each
    judging its tickets again under one policy and then another (so that cells shared with the others' tickets
    change), count every judgement once and fail none (no lost update, no clashing insert, no deadlock)."""
    histories = list(store.histories())
    users = store.directory().users
    strict = policy_from_mapping({"rules": {"solicited": {"enabled": False}, "coverage": {"enabled": False}}}, "x")
    judged = {
        name: [judge_ticket(history, users, policy) for history in histories]
        for name, policy in (("default", load_policy()), ("strict", strict))
    }
    assert judged["default"] != judged["strict"]
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def judge_again(share: int) -> None:
        start.wait()
        try:
            for name in ("strict", "default", "strict"):
                with store.batch() as batch:
                    for result in judged[name][share::4]:
                        batch.put_judgements(result, name)
        except BaseException as exc:  # reported below, with the others
            failures.append(exc)

    workers = [threading.Thread(target=judge_again, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    assert _rollups(store) == _rebuilt(store)


def test_figures_from_rollups_are_those_of_the_judgements_under_every_filter(store: Store) -> None:
    policy = load_policy()
    judgements = list(store.judgements(full=False))
    first = min(j.created_at for j in judgements).date()
    region = next(j.preferred_region for j in judgements if j.preferred_region)
    priority = next(j.priority for j in judgements if j.priority)
    tickets = store.tickets()
    group = next(t.group_id for t in tickets.values() if t.group_id is not None)
    author = judgements[0].author_id
    end = first + timedelta(days=3)
    cases = [
        (Scope(start=first, end=end), lambda j: first <= j.created_at.date() <= end),
        (Scope(region=region), lambda j: j.preferred_region == region),
        (Scope(region="unknown"), lambda j: not j.preferred_region),
        (Scope(priority=priority), lambda j: j.priority == priority),
        (
            Scope(groups=frozenset(id_encodings(str(group)))),
            lambda j: j.ticket_id in tickets and tickets[j.ticket_id].group_id == group,
        ),
        (Scope(authors=frozenset({encode_id(author) or ""})), lambda j: j.author_id == author),
        (Scope(authors=frozenset()), lambda j: False),
    ]
    for scope, keep in cases:
        _same_figures(store, policy, scope, keep)


def test_an_upgraded_store_gets_its_rollups(store: Store, store_url: str) -> None:
    expected = _rollups(store)
    with store.engine.begin() as conn:  # back to schema 0006, as a store written before rollups
        search.drop(conn)  # and before the search index and kept figures (0009)
        conn.execute(text("DROP TABLE kept_figures"))
        conn.execute(text("DROP INDEX ix_tickets_now"))
        conn.execute(text("DROP INDEX ix_tickets_assignee"))
        conn.execute(text("DROP TABLE judgement_rollups"))
        conn.execute(text("DROP TABLE ticket_rollups"))
        for index in ("ix_judgements_verdict_created", "ix_judgements_rule_created", "ix_judgements_pod"):
            conn.execute(text(f"DROP INDEX {index}"))
        conn.execute(text("DROP INDEX ix_tickets_group"))
        for column in ("claimed_by", "lease_until"):  # and before the notes' claims (0008)
            conn.execute(text(f"ALTER TABLE write_backs DROP COLUMN {column}"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0006'"))
    store.close()
    with Store.open(store_url) as upgraded:
        assert _rollups(upgraded) == expected
        with upgraded.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == schema.SCHEMA_VERSION
