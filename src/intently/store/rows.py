"""The model as table rows and back, and the few SQL helpers every writer and reader of the store shares."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select, update

from intently.engine import Evidence, Judgement
from intently.engine.outcomes import Outcome
from intently.model import Directory, Group, Id, TicketHistory, User
from intently.model.codec import history_from_record, history_to_record
from intently.store import schema

BATCH = 500
DATA_VERSION = "data_version"
"""Meta key: a token that changes whenever people, tickets or judgements change."""
JUDGED_VERSION = "judged_version"
"""Meta key: the data version the stored judgements agree with (equal to the data version while they are current)."""
UPGRADED = "upgraded"
"""The judged version a schema upgrade leaves when the stored judgements lack what the new schema adds (migration
0005: outcomes): the next reader judges every ticket again."""
JUDGED_POLICY = "policy"
"""Meta key: the fingerprint of the policy the stored judgements were made under."""
SAVED_POLICY = "policy_data"
"""Meta key: the store's own policy (JSON), when one was saved."""
SERVICE_USERS = "service_users"

Connect = Callable[[], AbstractContextManager[Connection]]
"""Where reads run: a new connection a page (the store) or the one of a transaction (a batch)."""


def encode_id(value: Id | None) -> str | None:
    """An id as its JSON text: ``123`` or ``"abc"``. Any integer encodes (as orjson would, without its 64-bit
    limit), so looking up an id no store can hold finds nothing instead of failing."""
    if value is None:
        return None
    return str(value) if isinstance(value, int) else orjson.dumps(value).decode()


def decode_id(text: str | None) -> Id | None:
    return None if text is None else orjson.loads(text)


def utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# --- SQL helpers ------------------------------------------------------------------------------------------------


ANALYSIS_LIMIT = 400
"""Rows SQLite's ``ANALYZE`` samples per index (``PRAGMA analysis_limit``): enough for the planner to know that a
ticket id picks a few judgements where a verdict picks a quarter of them; about half a second at 500,000 tickets."""


def refresh_statistics(conn: Connection) -> None:
    """On SQLite, sample the tables' indexes for the query planner (``ANALYZE``, in the caller's transaction), after
    a write that filled or replaced them: without statistics SQLite may read every drive-by through the verdict's
    index to find the few of 50 tickets. PostgreSQL gathers its own (autovacuum)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        conn.exec_driver_sql("ANALYZE")


def chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def replace_rows(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert or replace rows by primary key, portably (delete, then insert, in the caller's transaction)."""
    if not rows:
        return
    conn.execute(delete(table).where(table.c.id.in_([row["id"] for row in rows])))
    unique: dict[str, dict[str, Any]] = {row["id"]: row for row in rows}
    insert_many(conn, table, list(unique.values()))


def insert_many(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Many rows at once, in the caller's transaction: SQLite's executemany is fastest in-process; on PostgreSQL
    through psycopg, one COPY streams every row in a round trip or two; any other driver gets one multi-row INSERT
    per chunk (one round trip per chunk instead of one per row)."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        conn.execute(insert(table), rows)
        return
    if conn.dialect.driver == "psycopg" and copy_rows(conn, table, rows):
        return
    for start in range(0, len(rows), BATCH):
        conn.execute(insert(table).values(rows[start : start + BATCH]))


def copy_rows(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> bool:
    """Rows written with PostgreSQL's COPY through psycopg's own connection (the one of the caller's transaction,
    so the rows commit or roll back with it). False, with nothing written, when the rows do not all name the same
    columns of ``table`` (the caller then inserts them as usual)."""
    keys = rows[0].keys()
    names = [column.name for column in table.columns if column.name in keys]
    if len(names) != len(keys) or any(row.keys() != keys for row in rows):
        return False
    columns = ", ".join(conn.dialect.identifier_preparer.quote(name) for name in names)
    target = conn.dialect.identifier_preparer.format_table(table)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in names])
    finally:
        cursor.close()
    return True


def set_meta(conn: Connection, key: str, value: str) -> None:
    """Set a meta value in place: an update of the existing row (never delete and insert: the data-version row is
    the writers' lock, and a deleted row would let the next writer in before this one commits)."""
    table = schema.meta
    if not conn.execute(update(table).where(table.c.key == key).values(value=value)).rowcount:
        conn.execute(insert(table).values(key=key, value=value))


def meta_value(conn: Connection, key: str) -> str | None:
    return conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == key)).scalar_one_or_none()


def meta_values(conn: Connection, *keys: str) -> dict[str, str]:
    rows = conn.execute(select(schema.meta.c.key, schema.meta.c.value).where(schema.meta.c.key.in_(keys)))
    return {row.key: row.value for row in rows}


# --- reading the model ------------------------------------------------------------------------------------------


def read_directory(conn: Connection) -> Directory:
    directory = Directory()
    service = meta_value(conn, SERVICE_USERS)
    service_ids = set(orjson.loads(service)) if service else set()
    for row in conn.execute(select(schema.users)):
        user_id = decode_id(row.id)
        directory.add_user(
            User(
                id=user_id,  # type: ignore[arg-type]
                name=row.name,
                role="service" if user_id in service_ids else row.role,
                email=row.email,
                time_zone=row.time_zone,
                fields=orjson.loads(row.fields or "{}"),
            )
        )
    for row in conn.execute(select(schema.groups)):
        directory.add_group(
            Group(id=decode_id(row.id), name=row.name, members=tuple(orjson.loads(row.members or "[]")))  # type: ignore[arg-type]
        )
    return directory


def read_histories(connect: Connect) -> Iterator[TicketHistory]:
    """Every stored ticket history, in id order, read a page at a time (keyset paging, any driver)."""
    table = schema.tickets
    after: str | None = None
    while True:
        query = select(table.c.id, table.c.history).order_by(table.c.id).limit(BATCH)
        if after is not None:
            query = query.where(table.c.id > after)
        with connect() as conn:
            page = conn.execute(query).all()
        for row in page:
            yield history_from_record(orjson.loads(row.history))
        if len(page) < BATCH:
            return
        after = page[-1].id


# --- rows -------------------------------------------------------------------------------------------------------


def kept_text(value: str | None) -> str | None:
    """Text as every store can keep it: NUL, which PostgreSQL refuses in text, becomes U+FFFD (the replacement
    character); everything else is kept as it is. (A ticket's history is kept as JSON bytes, NUL and all.)"""
    return value.replace("\x00", "\ufffd") if value and "\x00" in value else value


def user_row(user: User) -> dict[str, Any]:
    return {
        "id": encode_id(user.id),
        "name": kept_text(user.name),
        "role": kept_text(user.role),
        "email": kept_text(user.email),
        "time_zone": kept_text(user.time_zone),
        "fields": orjson.dumps(dict(user.fields)).decode(),
    }


def group_row(group: Group) -> dict[str, Any]:
    return {
        "id": encode_id(group.id),
        "name": kept_text(group.name),
        "members": orjson.dumps(list(group.members)).decode(),
    }


def ticket_row(history: TicketHistory) -> dict[str, Any]:
    ticket = history.ticket
    return {
        "id": encode_id(ticket.id),
        "created_at": utc(ticket.created_at),
        "subject": kept_text(ticket.subject),
        "status": kept_text(ticket.status),
        "priority": kept_text(ticket.priority),
        "assignee_id": encode_id(ticket.assignee_id),
        "group_id": encode_id(ticket.group_id),
        "requester_id": encode_id(ticket.requester_id),
        "history": orjson.dumps(history_to_record(history)),
    }


def judgement_row(judgement: Judgement, policy: str) -> dict[str, Any]:
    return {
        "ticket_id": encode_id(judgement.ticket_id),
        "comment_id": encode_id(judgement.comment_id),
        "author_id": encode_id(judgement.author_id),
        "created_at": utc(judgement.created_at),
        "public": judgement.public,
        "assignee_id": encode_id(judgement.assignee_id),
        "verdict": judgement.verdict,
        "rule": judgement.rule,
        "reason": kept_text(judgement.reason),
        "evidence": orjson.dumps([item.to_dict() for item in judgement.evidence]).decode(),
        "out_of_region": judgement.out_of_region,
        "acknowledged": judgement.acknowledged,
        "author_region": kept_text(judgement.author_region),
        "preferred_region": kept_text(judgement.preferred_region),
        "assignee_region": kept_text(judgement.assignee_region),
        "priority": kept_text(judgement.priority),
        "pod": kept_text(judgement.pod),
        "assignee_in_pod": judgement.assignee_in_pod,
        "policy": policy,
    }


def outcome_row(outcome: Outcome) -> dict[str, Any]:
    return {
        "ticket_id": encode_id(outcome.ticket_id),
        "created_at": utc(outcome.created_at),
        "solved_at": None if outcome.solved_at is None else utc(outcome.solved_at),
        "reopens": outcome.reopens,
        "satisfaction": outcome.satisfaction,
        "first_reply_at": None if outcome.first_reply_at is None else utc(outcome.first_reply_at),
        "customer_replies": outcome.customer_replies,
        "agent_replies": outcome.agent_replies,
    }


def outcome_from_row(row: Any) -> Outcome:
    return Outcome(
        ticket_id=decode_id(row.ticket_id),  # type: ignore[arg-type]
        created_at=utc(row.created_at),
        solved_at=None if row.solved_at is None else utc(row.solved_at),
        reopens=row.reopens,
        satisfaction=_label(row.satisfaction),
        first_reply_at=None if row.first_reply_at is None else utc(row.first_reply_at),
        customer_replies=row.customer_replies,
        agent_replies=row.agent_replies,
    )


def judgement_from_row(row: Any, full: bool = True) -> Judgement:
    return Judgement(
        ticket_id=decode_id(row.ticket_id),  # type: ignore[arg-type]
        comment_id=decode_id(row.comment_id),  # type: ignore[arg-type]
        author_id=decode_id(row.author_id),  # type: ignore[arg-type]
        created_at=utc(row.created_at),
        public=bool(row.public),
        assignee_id=decode_id(row.assignee_id),
        verdict=sys.intern(row.verdict),
        rule=sys.intern(row.rule),
        reason=row.reason if full else "",
        evidence=tuple(Evidence.from_dict(item) for item in orjson.loads(row.evidence)) if full else (),
        out_of_region=row.out_of_region,
        acknowledged=row.acknowledged,
        author_region=_label(row.author_region),
        preferred_region=_label(row.preferred_region),
        assignee_region=_label(row.assignee_region),
        priority=_label(row.priority),
        pod=_label(row.pod),
        assignee_in_pod=row.assignee_in_pod,
    )


def _label(value: str | None) -> str | None:
    """Short repeated values (regions, priorities, pods) shared rather than copied per row."""
    return None if value is None else sys.intern(value)
