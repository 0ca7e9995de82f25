"""Rollups: what the report and the dashboard count, kept in the store beside the judgements they count.

Two tables (:mod:`intently.store.schema`):

- ``judgement_rollups``: judgements counted per UTC day × verdict × rule × author × public × contributor ×
  acknowledged × region relation × author's region × preferred region × priority × pod-outside, the dimensions
  every figure of :mod:`intently.report.metrics` and every page-wide filter but the group read;
- ``ticket_rollups``: one row per ticket with judgements (distinct public voices, drive-bys, notes, class, first
  and last judged comment): the per-ticket figures a sum of counts cannot give.

Every writer of judgements (:class:`intently.store.batch.Batch`: a ticket's judgements replaced, a ticket
deleted, all judged again) updates both in its own transaction, so a reader never sees rollups that disagree with
the judgements. :func:`rebuild` fills them from the stored judgements (the upgrade to schema 0007).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from intently.engine.outcomes import collaboration_class
from intently.store import schema
from intently.store.rows import BATCH, insert_many, utc

INSIDE, OUTSIDE, UNKNOWN = "inside", "outside", "unknown"


class CellKey(NamedTuple):
    """One combination of the rollup's dimensions (text dimensions ``''`` for none; ids as stored)."""

    day: date
    verdict: str
    rule: str
    author_id: str
    public: bool
    contributor: bool
    acknowledged: bool
    relation: str
    author_region: str
    preferred_region: str
    priority: str
    pod_outside: str


CELL_COLUMNS = CellKey._fields

JUDGEMENT_COLUMNS = (
    "ticket_id",
    "comment_id",
    "author_id",
    "created_at",
    "public",
    "assignee_id",
    "verdict",
    "rule",
    "out_of_region",
    "acknowledged",
    "author_region",
    "preferred_region",
    "assignee_region",
    "priority",
    "pod",
    "assignee_in_pod",
)
"""The judgement columns the rollups are counted from (a stored row or :func:`intently.store.rows.judgement_row`)."""


def relation_of(out_of_region: bool | None) -> str:
    return UNKNOWN if out_of_region is None else (OUTSIDE if out_of_region else INSIDE)


def cell_of(row: Mapping[str, Any]) -> CellKey:
    """The rollup cell one judgement (a row's mapping) counts in."""
    assignee = row["assignee_id"]
    in_pod = row["assignee_in_pod"]
    pod = row["pod"]
    return CellKey(
        utc(row["created_at"]).date(),
        row["verdict"],
        row["rule"],
        row["author_id"],
        bool(row["public"]),
        assignee is None or row["author_id"] != assignee,
        bool(row["acknowledged"]),
        relation_of(row["out_of_region"]),
        row["author_region"] or "",
        row["preferred_region"] or "",
        row["priority"] or "",
        pod if pod is not None and in_pod is not None and not in_pod else "",
    )


def cell_digest(cell: CellKey) -> str:
    return hashlib.blake2b(orjson.dumps([cell.day.isoformat(), *cell[1:]]), digest_size=16).hexdigest()


def ticket_rollup(ticket_id: str, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The ``ticket_rollups`` row of one ticket from all its judgements (None without any), taken in the store's
    order (time, then comment id) as :func:`intently.report.facts.ticket_facts` reads them."""
    if not rows:
        return None
    found = sorted(rows, key=lambda r: (utc(r["created_at"]), r["comment_id"]))
    last = found[-1]
    notes = [r for r in found if not r["public"] and (r["assignee_id"] is None or r["author_id"] != r["assignee_id"])]
    return {
        "ticket_id": ticket_id,
        "judged": len(found),
        "voices": len({r["author_id"] for r in found if r["public"]}),
        "drive_bys": sum(1 for r in found if r["verdict"] == "drive_by"),
        "intentional": sum(1 for r in found if r["verdict"] == "intentional"),
        "notes": len(notes),
        "notes_acknowledged": sum(1 for r in notes if r["acknowledged"]),
        "klass": collaboration_class(r["verdict"] for r in found),
        "first_at": utc(found[0]["created_at"]),
        "last_at": utc(last["created_at"]),
        "preferred_region": next((r["preferred_region"] for r in reversed(found) if r["preferred_region"]), None),
        "assignee_region": last["assignee_region"],
        "priority": last["priority"],
        "assignee_id": last["assignee_id"],
    }


def stored_rows(conn: Connection, ticket_id: str) -> list[dict[str, Any]]:
    """One ticket's stored judgements, as the columns the rollups read."""
    table = schema.judgements
    query = select(*(table.c[name] for name in JUDGEMENT_COLUMNS)).where(table.c.ticket_id == ticket_id)
    return [dict(row._mapping) for row in conn.execute(query)]


def apply_cells(conn: Connection, deltas: Mapping[CellKey, int]) -> None:
    """Add ``deltas`` (negative: judgements removed) to the cells, in the caller's transaction; a cell that counts
    nothing any more is deleted.

    Several writers may change the same cells at once (the webhook worker judges tickets side by side, replicas
    share a PostgreSQL store), so each change is one upsert (``INSERT … ON CONFLICT (key) DO UPDATE SET n = n +
    …``, atomic under the row's lock: no count is lost and no insert collides with another's), made in the order
    of the cells' keys, so that two writers lock shared cells in the same order and never deadlock."""
    table = schema.judgement_rollups
    keyed = sorted((cell_digest(cell), cell, change) for cell, change in deltas.items() if change)
    if not keyed:
        return
    upsert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    rows = [_cell_row(key, cell, change) for key, cell, change in keyed]
    for start in range(0, len(rows), BATCH):
        statement = upsert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key], set_={"n": table.c.n + statement.excluded.n}
        )
        conn.execute(statement, rows[start : start + BATCH])
    gone = [key for key, _, change in keyed if change < 0]
    for start in range(0, len(gone), BATCH):
        conn.execute(delete(table).where(table.c.key.in_(gone[start : start + BATCH]), table.c.n <= 0))


def _cell_row(key: str, cell: CellKey, n: int) -> dict[str, Any]:
    return {"key": key, **cell._asdict(), "n": n}


def replace_ticket(conn: Connection, ticket_id: str, new_rows: Sequence[Mapping[str, Any]]) -> None:
    """Before one ticket's stored judgements are replaced by ``new_rows`` (none: the ticket is deleted): its old
    judgements leave the cells and the new ones enter, and its ticket row is written again."""
    old_rows = stored_rows(conn, ticket_id)
    deltas: Counter[CellKey] = Counter()
    for old in old_rows:
        deltas[cell_of(old)] -= 1
    for new in new_rows:
        deltas[cell_of(new)] += 1
    apply_cells(conn, deltas)
    conn.execute(delete(schema.ticket_rollups).where(schema.ticket_rollups.c.ticket_id == ticket_id))
    summary = ticket_rollup(ticket_id, new_rows)
    if summary is not None:
        insert_many(conn, schema.ticket_rollups, [summary])


def clear(conn: Connection) -> None:
    conn.execute(delete(schema.judgement_rollups))
    conn.execute(delete(schema.ticket_rollups))


class Builder:
    """Rollups of every judgement, gathered ticket by ticket while they are written (all judged again)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.cells: Counter[CellKey] = Counter()
        self._tickets: list[dict[str, Any]] = []

    def add_ticket(self, ticket_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
        for row in rows:
            self.cells[cell_of(row)] += 1
        summary = ticket_rollup(ticket_id, rows)
        if summary is not None:
            self._tickets.append(summary)
        if len(self._tickets) >= BATCH:
            self.flush_tickets()

    def flush_tickets(self) -> None:
        insert_many(self._conn, schema.ticket_rollups, self._tickets)
        self._tickets = []

    def finish(self) -> None:
        self.flush_tickets()
        rows = [_cell_row(cell_digest(cell), cell, n) for cell, n in self.cells.items() if n]
        for start in range(0, len(rows), BATCH * 10):
            insert_many(self._conn, schema.judgement_rollups, rows[start : start + BATCH * 10])


def rebuild(conn: Connection) -> None:
    """Fill both rollups from the stored judgements, in the caller's transaction (a store upgraded to 0007)."""
    clear(conn)
    table = schema.judgements
    builder = Builder(conn)
    query = select(*(table.c[name] for name in JUDGEMENT_COLUMNS)).order_by(table.c.ticket_id)
    current: str | None = None
    rows: list[dict[str, Any]] = []
    for row in _streamed(conn, query):
        values = dict(row._mapping)
        if values["ticket_id"] != current:
            if current is not None:
                builder.add_ticket(current, rows)
            current, rows = values["ticket_id"], []
        rows.append(values)
    if current is not None:
        builder.add_ticket(current, rows)
    builder.finish()


def _streamed(conn: Connection, query: Any) -> Iterable[Any]:
    if conn.dialect.name == "postgresql":
        return conn.execute(query.execution_options(stream_results=True, yield_per=10_000))
    return conn.execute(query)
