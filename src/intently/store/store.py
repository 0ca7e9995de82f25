"""Persistence behind one small interface: SQLite by default, any SQLAlchemy URL (PostgreSQL) too."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, inspect, select
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from intently.codec import history_from_record, history_to_record
from intently.engine import Evidence, Judgement, TicketResult
from intently.errors import IntentlyError
from intently.model import Directory, Group, Id, TicketHistory, User
from intently.store import schema

DEFAULT_DB = "intently.db"
BATCH = 500


def encode_id(value: Id | None) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def decode_id(text: str | None) -> Id | None:
    return None if text is None else orjson.loads(text)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def database_url(db: str | Path | None) -> str:
    """A SQLAlchemy URL from a URL or a plain file path (default ``./intently.db``)."""
    text = str(db) if db is not None else DEFAULT_DB
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


@dataclass
class ImportStats:
    users: int = 0
    groups: int = 0
    tickets: int = 0
    events: int = 0


class Store:
    """The intently store. Open with :meth:`open`; every write is one transaction."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    @classmethod
    def open(cls, db: str | Path | None = None, *, create: bool = True) -> Store:
        url = database_url(db)
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if not create and not path.exists():
                raise IntentlyError(
                    f"no store at {path}: run `intently import PATH` (or `intently demo`) first, or pass --db"
                )
            if not path.parent.is_dir():
                raise IntentlyError(f"cannot create the store {path}: folder {path.parent} does not exist")
        try:
            engine = create_engine(url)
        except (ArgumentError, ImportError) as exc:
            raise IntentlyError(f"cannot open store {url!r}: {exc}") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine, url)
        try:
            store._ensure_schema()
        except (OperationalError, DBAPIError) as exc:
            raise IntentlyError(f"cannot open store {_safe_url(url)}: {exc.orig}") from None
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _ensure_schema(self) -> None:
        with self.engine.begin() as conn:
            existing = set(inspect(conn).get_table_names())
            schema.metadata.create_all(conn)
            if schema.meta.name not in existing:
                conn.execute(insert(schema.meta).values(key="schema_version", value=schema.SCHEMA_VERSION))

    # --- import ---------------------------------------------------------------------------------

    def import_data(
        self,
        directory: Directory,
        histories: Iterable[TicketHistory],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> ImportStats:
        """Store users, groups and ticket histories in one transaction: all or nothing.

        Re-importing the same data is idempotent: records are replaced by id.
        """
        stats = ImportStats()
        with self.engine.begin() as conn:
            user_rows = [_user_row(user) for user in directory.users.values()]
            for batch in _batches(user_rows):
                _replace(conn, schema.users, batch)
            stats.users = len(user_rows)
            group_rows = [_group_row(group) for group in directory.groups.values()]
            for batch in _batches(group_rows):
                _replace(conn, schema.groups, batch)
            stats.groups = len(group_rows)
            rows: list[dict[str, Any]] = []
            for history in histories:
                rows.append(_ticket_row(history))
                stats.tickets += 1
                stats.events += len(history.events)
                if len(rows) >= BATCH:
                    _replace(conn, schema.tickets, rows)
                    rows = []
                if progress is not None:
                    progress(1)
            if rows:
                _replace(conn, schema.tickets, rows)
        return stats

    # --- reading the model ----------------------------------------------------------------------

    def directory(self) -> Directory:
        directory = Directory()
        with self.engine.connect() as conn:
            for row in conn.execute(select(schema.users)):
                directory.add_user(
                    User(
                        id=decode_id(row.id),  # type: ignore[arg-type]
                        name=row.name,
                        role=row.role,
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

    def ticket_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.tickets)).scalar_one())

    def histories(self) -> Iterator[TicketHistory]:
        """Every stored ticket history, streamed in id order."""
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
                select(schema.tickets.c.history).order_by(schema.tickets.c.id)
            )
            for (blob,) in result:
                yield history_from_record(orjson.loads(blob))

    def history(self, ticket_id: Id) -> TicketHistory | None:
        with self.engine.connect() as conn:
            blob = conn.execute(
                select(schema.tickets.c.history).where(schema.tickets.c.id == encode_id(ticket_id))
            ).scalar_one_or_none()
        return None if blob is None else history_from_record(orjson.loads(blob))

    # --- judgements -----------------------------------------------------------------------------

    def replace_judgements(self, results: Iterable[TicketResult], policy: str) -> int:
        """Replace all stored judgements with ``results`` (one transaction); returns how many."""
        count = 0
        with self.engine.begin() as conn:
            conn.execute(delete(schema.judgements))
            rows: list[dict[str, Any]] = []
            for result in results:
                for judgement in result.judgements:
                    rows.append(_judgement_row(judgement, policy))
                if len(rows) >= BATCH:
                    conn.execute(insert(schema.judgements), rows)
                    count += len(rows)
                    rows = []
            if rows:
                conn.execute(insert(schema.judgements), rows)
                count += len(rows)
            _set_meta(conn, "policy", policy)
            _set_meta(conn, "judged_at", datetime.now(UTC).isoformat())
        return count

    def judgements(self, ticket_id: Id | None = None) -> Iterator[Judgement]:
        query = select(schema.judgements).order_by(
            schema.judgements.c.created_at, schema.judgements.c.ticket_id, schema.judgements.c.comment_id
        )
        if ticket_id is not None:
            query = query.where(schema.judgements.c.ticket_id == encode_id(ticket_id))
        with self.engine.connect() as conn:
            for row in conn.execution_options(stream_results=True, yield_per=BATCH).execute(query):
                yield _judgement_from_row(row)

    def save_policy(self, policy: Any) -> None:
        """Remember the effective policy, so later commands on this store judge the same way."""
        with self.engine.begin() as conn:
            _set_meta(conn, "policy_data", orjson.dumps(policy.model_dump(mode="json")).decode())

    def saved_policy(self) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            text = conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == "policy_data")
            ).scalar_one_or_none()
        return None if text is None else orjson.loads(text)

    def judged_policy(self) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "policy")).scalar_one_or_none()


def _safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable URL)"


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _replace(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert or replace rows by primary key, portably (delete, then insert, in the caller's transaction)."""
    if not rows:
        return
    conn.execute(delete(table).where(table.c.id.in_([row["id"] for row in rows])))
    unique: dict[str, dict[str, Any]] = {row["id"]: row for row in rows}
    conn.execute(insert(table), list(unique.values()))


def _set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(delete(schema.meta).where(schema.meta.c.key == key))
    conn.execute(insert(schema.meta).values(key=key, value=value))


def _user_row(user: User) -> dict[str, Any]:
    return {
        "id": encode_id(user.id),
        "name": user.name,
        "role": user.role,
        "email": user.email,
        "time_zone": user.time_zone,
        "fields": orjson.dumps(dict(user.fields)).decode(),
    }


def _group_row(group: Group) -> dict[str, Any]:
    return {"id": encode_id(group.id), "name": group.name, "members": orjson.dumps(list(group.members)).decode()}


def _ticket_row(history: TicketHistory) -> dict[str, Any]:
    ticket = history.ticket
    return {
        "id": encode_id(ticket.id),
        "created_at": _utc(ticket.created_at),
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee_id": encode_id(ticket.assignee_id),
        "group_id": encode_id(ticket.group_id),
        "requester_id": encode_id(ticket.requester_id),
        "history": orjson.dumps(history_to_record(history)),
    }


def _judgement_row(judgement: Judgement, policy: str) -> dict[str, Any]:
    return {
        "ticket_id": encode_id(judgement.ticket_id),
        "comment_id": encode_id(judgement.comment_id),
        "author_id": encode_id(judgement.author_id),
        "created_at": _utc(judgement.created_at),
        "public": judgement.public,
        "assignee_id": encode_id(judgement.assignee_id),
        "verdict": judgement.verdict,
        "rule": judgement.rule,
        "reason": judgement.reason,
        "evidence": orjson.dumps([item.to_dict() for item in judgement.evidence]).decode(),
        "out_of_region": judgement.out_of_region,
        "acknowledged": judgement.acknowledged,
        "author_region": judgement.author_region,
        "preferred_region": judgement.preferred_region,
        "assignee_region": judgement.assignee_region,
        "priority": judgement.priority,
        "pod": judgement.pod,
        "assignee_in_pod": judgement.assignee_in_pod,
        "policy": policy,
    }


def _judgement_from_row(row: Any) -> Judgement:
    return Judgement(
        ticket_id=decode_id(row.ticket_id),  # type: ignore[arg-type]
        comment_id=decode_id(row.comment_id),  # type: ignore[arg-type]
        author_id=decode_id(row.author_id),  # type: ignore[arg-type]
        created_at=_utc(row.created_at),
        public=bool(row.public),
        assignee_id=decode_id(row.assignee_id),
        verdict=row.verdict,
        rule=row.rule,
        reason=row.reason,
        evidence=tuple(Evidence.from_dict(item) for item in orjson.loads(row.evidence)),
        out_of_region=row.out_of_region,
        acknowledged=row.acknowledged,
        author_region=row.author_region,
        preferred_region=row.preferred_region,
        assignee_region=row.assignee_region,
        priority=row.priority,
        pod=row.pod,
        assignee_in_pod=row.assignee_in_pod,
    )
