"""Persistence behind one small interface: SQLite by default, any SQLAlchemy URL (PostgreSQL) too."""

from __future__ import annotations

import hashlib
import secrets
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    tuple_,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError

from intently.engine import Evidence, Judgement, TicketResult
from intently.errors import IntentlyError
from intently.model import Directory, Group, Id, TicketHistory, User
from intently.model.codec import history_from_record, history_to_record
from intently.store import schema

DEFAULT_DB = "intently.db"
DATA_VERSION = "data_version"
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
    for plain in ("postgresql://", "postgres://"):
        if text.startswith(plain):  # no driver named: the BSD-licensed pure-Python pg8000
            return "postgresql+pg8000://" + text.removeprefix(plain)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


@dataclass(frozen=True)
class Delivery:
    id: int
    key: str
    ticket_id: Id
    event_type: str
    received_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A listed API token (never the token itself)."""

    name: str
    role: str | None
    """The role it carries now: its own, or its web account's; None when its account was removed (it is void)."""
    user: str | None
    """The web account it belongs to, if any."""
    created_at: datetime


def _token_role(row: Any) -> str | None:
    """The role a token row carries now (``user_role``: its account's, joined): an account's token has the
    account's role and is void (None) once the account is gone."""
    if row.user_name is not None:
        return None if row.user_role is None else str(row.user_role)
    return str(row.role)


def _tokens_query() -> Select[Any]:
    """Tokens with the role of the account each belongs to (``user_role``: NULL without one, or once removed)."""
    table, accounts = schema.api_tokens, schema.web_accounts
    return select(
        table.c.name, table.c.role, table.c.user_name, table.c.created_at, accounts.c.role.label("user_role")
    ).select_from(table.outerjoin(accounts, accounts.c.name == table.c.user_name))


def _policy_json(policy: Any) -> str:
    return orjson.dumps(policy.model_dump(mode="json")).decode()


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        key=row.delivery_key,
        ticket_id=decode_id(row.ticket_id),  # type: ignore[arg-type]
        event_type=row.event_type,
        received_at=_utc(row.received_at),
        attempts=row.attempts,
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
        """Create the store, or upgrade an existing one in place (Alembic migrations). A store already at the
        current revision is left alone without loading Alembic (most opens: every command opens the store)."""
        with self.engine.begin() as conn:
            tables = set(inspect(conn).get_table_names())
            if "alembic_version" in tables:
                current = conn.execute(sql_text("SELECT version_num FROM alembic_version")).scalars().all()
                if current == [schema.SCHEMA_VERSION]:
                    return
            from alembic import command as alembic_command
            from alembic.config import Config as AlembicConfig

            config = AlembicConfig()
            config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
            config.attributes["connection"] = conn
            if schema.meta.name in tables and "alembic_version" not in tables:
                alembic_command.stamp(config, "0001")  # a store from before migrations existed
            alembic_command.upgrade(config, "head")
            _set_meta(conn, "schema_version", schema.SCHEMA_VERSION)

    def batch(self) -> Batch:
        """One transaction: ``with store.batch() as batch: ...`` commits everything or nothing."""
        return Batch(self.engine)

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
        with self.batch() as batch:
            stats.users = batch.put_users(directory.users.values())
            stats.groups = batch.put_groups(directory.groups.values())
            rows: list[TicketHistory] = []
            for history in histories:
                rows.append(history)
                stats.tickets += 1
                stats.events += len(history.events)
                if len(rows) >= BATCH:
                    batch.put_histories(rows)
                    rows = []
                if progress is not None:
                    progress(1)
            batch.put_histories(rows)
        return stats

    # --- reading the model ----------------------------------------------------------------------

    def directory(self) -> Directory:
        directory = Directory()
        with self.engine.connect() as conn:
            service = conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == "service_users")
            ).scalar_one_or_none()
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

    def ticket_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.tickets)).scalar_one())

    def histories(self) -> Iterator[TicketHistory]:
        """Every stored ticket history, in id order, read a page at a time (keyset paging, any driver)."""
        table = schema.tickets
        after: str | None = None
        while True:
            query = select(table.c.id, table.c.history).order_by(table.c.id).limit(BATCH)
            if after is not None:
                query = query.where(table.c.id > after)
            with self.engine.connect() as conn:
                page = conn.execute(query).all()
            for row in page:
                yield history_from_record(orjson.loads(row.history))
            if len(page) < BATCH:
                return
            after = page[-1].id

    def history(self, ticket_id: Id) -> TicketHistory | None:
        with self.engine.connect() as conn:
            blob = conn.execute(
                select(schema.tickets.c.history).where(schema.tickets.c.id == encode_id(ticket_id))
            ).scalar_one_or_none()
        return None if blob is None else history_from_record(orjson.loads(blob))

    # --- judgements -----------------------------------------------------------------------------

    def replace_judgements(self, results: Iterable[TicketResult], policy: str, save: Any = None) -> int:
        """Replace all stored judgements with ``results`` (one transaction); returns how many. ``save``: a policy
        to remember as the store's own (:meth:`save_policy`) in the same transaction."""
        count = 0
        with self.engine.begin() as conn:
            conn.execute(delete(schema.judgements))
            rows: list[dict[str, Any]] = []
            for result in results:
                for judgement in result.judgements:
                    rows.append(_judgement_row(judgement, policy))
                if len(rows) >= BATCH:
                    _insert_many(conn, schema.judgements, rows)
                    count += len(rows)
                    rows = []
            if rows:
                _insert_many(conn, schema.judgements, rows)
                count += len(rows)
            _set_meta(conn, "policy", policy)
            _set_meta(conn, "judged_at", datetime.now(UTC).isoformat())
            _touch(conn)
            if save is not None:
                _set_meta(conn, "policy_data", _policy_json(save))
        return count

    def judgements(self, ticket_id: Id | None = None, *, full: bool = True) -> Iterator[Judgement]:
        """Stored judgements in time order, read a page at a time (keyset paging, any driver). Without ``full``
        each comes without its reason and evidence (metrics need neither): read faster, kept in less memory."""
        table = schema.judgements
        order = (table.c.created_at, table.c.ticket_id, table.c.comment_id)
        columns = list(table.c) if full else [c for c in table.c if c.name not in ("evidence", "reason")]
        after: tuple[Any, ...] | None = None
        while True:
            query = select(*columns).order_by(*order).limit(BATCH)
            if ticket_id is not None:
                query = query.where(table.c.ticket_id == encode_id(ticket_id))
            if after is not None:
                query = query.where(tuple_(*order) > tuple_(*after))
            with self.engine.connect() as conn:
                page = conn.execute(query).all()
            for row in page:
                yield _judgement_from_row(row, full)
            if len(page) < BATCH:
                return
            last = page[-1]
            after = (last.created_at, last.ticket_id, last.comment_id)

    def ticket_judgements(self, ticket_id: Id) -> list[Judgement]:
        return list(self.judgements(ticket_id))

    def mark_changed(self) -> str:
        """Give the stored data a new version token (a store made before versions existed gets its first)."""
        with self.engine.begin() as conn:
            _touch(conn)
        return self.data_version() or ""

    def data_version(self) -> str | None:
        """A token that changes whenever people, tickets or judgements change (in any process): what a cache of
        the stored data is checked against. None before anything was stored."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == DATA_VERSION)
            ).scalar_one_or_none()

    # --- sync checkpoints -----------------------------------------------------------------------

    def state(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(schema.sync_state.c.value).where(schema.sync_state.c.key == key)
            ).scalar_one_or_none()

    def synced(self) -> dict[Id, str]:
        """Tickets of the current incremental page already synced, with the stamp they were synced at."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(schema.sync_done)).all()
        return {decode_id(row.ticket_id): row.stamp for row in rows}  # type: ignore[misc]

    # --- API tokens -----------------------------------------------------------------------------

    def create_token(self, name: str, role: str = "admin", user: str | None = None) -> str:
        """A new API token for ``name``; only its hash is stored, so it is shown once. A token made for a web
        account (``user``) carries that account's role, whatever ``role`` says, and ends with the account."""
        if not name.strip():
            raise IntentlyError("a token needs a name")
        if role not in ("viewer", "admin"):
            raise IntentlyError(f"unknown role {role!r}: use viewer or admin")
        token = "itk_" + secrets.token_urlsafe(32)
        table = schema.api_tokens
        with self.engine.begin() as conn:
            if conn.execute(select(table.c.name).where(table.c.name == name)).first():
                raise IntentlyError(f"a token named {name!r} exists: revoke it first, or pick another name")
            if user is not None:
                account = conn.execute(
                    select(schema.web_accounts.c.role).where(schema.web_accounts.c.name == user)
                ).first()
                if account is None:
                    raise IntentlyError(f"no user named {user!r} (see intently user list)")
                role = account.role
            conn.execute(
                insert(table).values(
                    name=name, token_hash=_token_hash(token), role=role, created_at=datetime.now(UTC), user_name=user
                )
            )
        return token

    def revoke_token(self, name: str) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(delete(schema.api_tokens).where(schema.api_tokens.c.name == name))
        return bool(done.rowcount)

    def token_owner(self, token: str) -> tuple[str, str] | None:
        """(name, role) of a valid token, else None. Looked up by hash: the token itself is never stored."""
        if not token:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(_tokens_query().where(schema.api_tokens.c.token_hash == _token_hash(token))).first()
        if row is None:
            return None
        role = _token_role(row)  # the account's role, now; a token of a removed account is void
        return None if role is None else (row.name, role)

    def tokens(self) -> list[ApiToken]:
        """Every API token by name, with the role it carries now (as :meth:`token_owner` decides it)."""
        with self.engine.connect() as conn:
            rows = conn.execute(_tokens_query().order_by(schema.api_tokens.c.name)).all()
        return [ApiToken(row.name, _token_role(row), row.user_name, _utc(row.created_at)) for row in rows]

    # --- webhook deliveries (a queue that survives restarts) ------------------------------------

    def enqueue_delivery(self, key: str, ticket_id: Id, event_type: str, received_at: datetime) -> bool:
        """Queue a webhook delivery; False when a delivery with this key was seen before (a replay)."""
        table = schema.webhook_deliveries
        with self.engine.begin() as conn:
            if conn.execute(select(table.c.id).where(table.c.delivery_key == key)).first():
                return False
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(table).values(
                            delivery_key=key,
                            ticket_id=encode_id(ticket_id),
                            event_type=event_type,
                            received_at=_utc(received_at),
                            status="pending",
                            attempts=0,
                            next_attempt_at=_utc(received_at),
                        )
                    )
            except IntegrityError:  # a concurrent delivery with the same key won the race
                return False
        return True

    def due_deliveries(self, now: datetime, limit: int = 50) -> list[Delivery]:
        table = schema.webhook_deliveries
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table)
                .where(table.c.status == "pending", table.c.next_attempt_at <= _utc(now))
                .order_by(table.c.next_attempt_at, table.c.id)
                .limit(limit)
            ).all()
        return [_delivery(row) for row in rows]

    def finish_delivery(self, delivery_id: int, *, error: str | None = None, retry_at: datetime | None = None) -> None:
        """Mark a delivery done, or record its error and when to try again (``retry_at``), or give up."""
        table = schema.webhook_deliveries
        if error is None:
            values: dict[str, Any] = {"status": "done", "last_error": None}
        elif retry_at is not None:
            values = {"status": "pending", "last_error": error, "next_attempt_at": _utc(retry_at)}
        else:
            values = {"status": "failed", "last_error": error}
        with self.engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == delivery_id).values(attempts=table.c.attempts + 1, **values))

    def delivery_counts(self) -> dict[str, int]:
        table = schema.webhook_deliveries
        with self.engine.connect() as conn:
            rows = conn.execute(select(table.c.status, func.count()).group_by(table.c.status)).all()
        return {status: int(count) for status, count in rows}

    # --- write-backs ----------------------------------------------------------------------------

    def record_write_back(self, ticket_id: Id, comment_id: Id) -> bool:
        """Remember that a note was written for this comment; False when one was written before."""
        table = schema.write_backs
        keys = {"ticket_id": encode_id(ticket_id), "comment_id": encode_id(comment_id)}
        with self.engine.begin() as conn:
            if conn.execute(select(table.c.ticket_id).filter_by(**keys)).first():
                return False
            try:
                with conn.begin_nested():
                    conn.execute(insert(table).values(**keys, written_at=datetime.now(UTC)))
            except IntegrityError:
                return False
        return True

    def forget_write_back(self, ticket_id: Id, comment_id: Id) -> None:
        """Release a claim made by :meth:`record_write_back` when the note could not be written after all."""
        table = schema.write_backs
        keys = {"ticket_id": encode_id(ticket_id), "comment_id": encode_id(comment_id)}
        with self.engine.begin() as conn:
            conn.execute(delete(table).filter_by(**keys))

    # --- policy and service users ---------------------------------------------------------------

    def add_service_user(self, user_id: Id) -> None:
        """Mark the API user intently writes as (write-back notes): its comments are never judged."""
        with self.engine.begin() as conn:
            text = conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == "service_users")
            ).scalar_one_or_none()
            ids = set(orjson.loads(text)) if text else set()
            ids.add(user_id)
            _set_meta(conn, "service_users", orjson.dumps(sorted(ids, key=str)).decode())
            _touch(conn)

    def save_policy(self, policy: Any) -> None:
        """Remember the effective policy, so later commands on this store judge the same way."""
        with self.engine.begin() as conn:
            _set_meta(conn, "policy_data", _policy_json(policy))

    def saved_policy(self) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            text = conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == "policy_data")
            ).scalar_one_or_none()
        return None if text is None else orjson.loads(text)

    def judged_policy(self) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "policy")).scalar_one_or_none()


class Batch:
    """Writes that commit together (a context manager around one transaction)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._context: Any = None
        self._changed = False
        self.conn: Connection

    def __enter__(self) -> Batch:
        self._context = self._engine.begin()
        self.conn = self._context.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._changed and exc[0] is None:
            _touch(self.conn)
        self._context.__exit__(*exc)

    def put_users(self, users: Iterable[User]) -> int:
        self._changed = True
        rows = [_user_row(user) for user in users]
        for chunk in _batches(rows):
            _replace(self.conn, schema.users, chunk)
        return len(rows)

    def put_groups(self, groups: Iterable[Group]) -> int:
        self._changed = True
        rows = [_group_row(group) for group in groups]
        for chunk in _batches(rows):
            _replace(self.conn, schema.groups, chunk)
        return len(rows)

    def put_histories(self, histories: Iterable[TicketHistory]) -> None:
        self._changed = True
        _replace(self.conn, schema.tickets, [_ticket_row(history) for history in histories])

    def put_judgements(self, result: TicketResult, policy: str) -> None:
        """Replace one ticket's judgements."""
        self._changed = True
        table = schema.judgements
        self.conn.execute(delete(table).where(table.c.ticket_id == encode_id(result.ticket_id)))
        rows = [_judgement_row(judgement, policy) for judgement in result.judgements]
        if rows:
            _insert_many(self.conn, table, rows)

    def delete_ticket(self, ticket_id: Id) -> None:
        """Remove a ticket and its judgements (a ticket deleted in the helpdesk)."""
        self._changed = True
        key = encode_id(ticket_id)
        self.conn.execute(delete(schema.judgements).where(schema.judgements.c.ticket_id == key))
        self.conn.execute(delete(schema.tickets).where(schema.tickets.c.id == key))

    def set_state(self, key: str, value: str) -> None:
        table = schema.sync_state
        self.conn.execute(delete(table).where(table.c.key == key))
        self.conn.execute(insert(table).values(key=key, value=value))

    def mark_synced(self, ticket_id: Id, stamp: str) -> None:
        table = schema.sync_done
        self.conn.execute(delete(table).where(table.c.ticket_id == encode_id(ticket_id)))
        self.conn.execute(insert(table).values(ticket_id=encode_id(ticket_id), stamp=stamp))

    def clear_synced(self) -> None:
        self.conn.execute(delete(schema.sync_done))

    def set_meta(self, key: str, value: str) -> None:
        _set_meta(self.conn, key, value)


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
    _insert_many(conn, table, list(unique.values()))


def _insert_many(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Many rows at once: SQLite's executemany is fastest in-process; over the network, one multi-row
    INSERT per chunk costs one round trip per chunk instead of one per row."""
    if conn.dialect.name == "sqlite":
        if rows:
            conn.execute(insert(table), rows)
        return
    for start in range(0, len(rows), BATCH):
        conn.execute(insert(table).values(rows[start : start + BATCH]))


def _set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(delete(schema.meta).where(schema.meta.c.key == key))
    conn.execute(insert(schema.meta).values(key=key, value=value))


def _touch(conn: Connection) -> None:
    """Note in the transaction that stored data changed (see :meth:`Store.data_version`)."""
    _set_meta(conn, DATA_VERSION, secrets.token_hex(8))


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


def _judgement_from_row(row: Any, full: bool = True) -> Judgement:
    return Judgement(
        ticket_id=decode_id(row.ticket_id),  # type: ignore[arg-type]
        comment_id=decode_id(row.comment_id),  # type: ignore[arg-type]
        author_id=decode_id(row.author_id),  # type: ignore[arg-type]
        created_at=_utc(row.created_at),
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
