"""Persistence behind one small interface: SQLite by default, any SQLAlchemy URL (PostgreSQL) too."""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    Engine,
    Select,
    and_,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError

from intently.engine import Judgement, TicketResult
from intently.engine.outcomes import Outcome
from intently.errors import IntentlyError, some_of
from intently.model import Directory, Id, Ticket, TicketHistory
from intently.model.codec import history_from_record
from intently.store import schema
from intently.store.batch import Batch, ImportStats
from intently.store.rows import (
    BATCH,
    DATA_VERSION,
    JUDGED_POLICY,
    JUDGED_VERSION,
    SAVED_POLICY,
    UPGRADED,
    decode_id,
    encode_id,
    judgement_from_row,
    meta_value,
    meta_values,
    outcome_from_row,
    read_directory,
    read_histories,
    set_meta,
)
from intently.store.rows import utc as _utc

DEFAULT_DB = "intently.db"
ZENDESK_BASE = "zendesk.base_url"
"""Meta key: the Zendesk account's address (``https://acme.zendesk.com``), from the import's ticket URLs or the
sync's base URL; pages link each ticket to ``{base}/agent/tickets/{id}``."""
SYNCED_FROM = "zendesk.url"
"""Sync state key (:data:`intently.zendesk.sync.URL_KEY`): the account a synced store was filled from."""

__all__ = [
    "DEFAULT_DB",
    "ApiToken",
    "Batch",
    "Delivery",
    "ImportStats",
    "Store",
    "database_url",
    "decode_id",
    "encode_id",
]


def database_url(db: str | Path | None) -> str:
    """A SQLAlchemy URL from a URL or a plain file path (default ``./intently.db``). A PostgreSQL URL without a
    driver uses psycopg 3 (LGPL, an unmodified dependency; its bulk writes use COPY); a URL naming a driver
    (``postgresql+psycopg://``, or ``postgresql+pg8000://`` where pg8000 is installed) is taken as it is."""
    text = str(db) if db is not None else DEFAULT_DB
    for plain in ("postgresql://", "postgres://"):
        if text.startswith(plain):
            return "postgresql+psycopg://" + text.removeprefix(plain)
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


class Store:
    """The intently store. Open with :meth:`open`; every write is one transaction."""

    def __init__(self, engine: Engine, url: str) -> None:
        self._new_file: Path | None = None
        self.engine = engine
        self.url = url
        """The URL as given (it may hold a password): print :attr:`shown_url` instead."""

    @classmethod
    def open(cls, db: str | Path | None = None, *, create: bool = True) -> Store:
        url = database_url(db)
        new_file: Path | None = None
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            new_file = None if path.exists() else path
            if not create and not path.exists():
                raise IntentlyError(
                    f"no store at {path}: run `intently import PATH` (or `intently demo`) first, or pass --db"
                )
            if not path.parent.is_dir():
                raise IntentlyError(f"cannot create the store {path}: folder {path.parent} does not exist")
        try:
            engine = create_engine(url)
        except (ArgumentError, ImportError) as exc:
            raise IntentlyError(f"cannot open store {safe_url(url)}: {exc}") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine, url)
        store._new_file = new_file
        try:
            store._ensure_schema()
        except (OperationalError, DBAPIError) as exc:
            store.discard_if_new()
            raise IntentlyError(f"cannot open store {safe_url(url)}: {exc.orig}") from None
        return store

    def discard_if_new(self) -> None:
        """Close the store and, if this process created its file just now (a SQLite store), delete it: a failed
        first import leaves no empty store behind."""
        self.close()
        new_file = self._new_file
        if new_file is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{new_file}{suffix}").unlink(missing_ok=True)

    @property
    def shown_url(self) -> str:
        """The store's URL with any password masked: the only form of it that is printed or logged."""
        return safe_url(self.url)

    def __repr__(self) -> str:
        return f"Store({self.shown_url!r})"

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
            if tables and schema.meta.name not in tables:  # another application's database: never write into it
                raise IntentlyError(
                    f"{self.shown_url} is not an intently store: it holds other tables ({some_of(sorted(tables))}) "
                    "and none of intently's. Point --db at an intently store, or at a new or empty database to make "
                    "one there."
                )
            if "alembic_version" in tables:
                current = conn.execute(sql_text("SELECT version_num FROM alembic_version")).scalars().all()
                if current == [schema.SCHEMA_VERSION]:
                    return
                if current and current[0] > schema.SCHEMA_VERSION:  # revisions are numbered 0001, 0002, ...
                    from intently._version import __version__

                    raise IntentlyError(
                        f"this store was written by a newer intently (store schema {current[0]}; this intently, "
                        f"{__version__}, knows up to {schema.SCHEMA_VERSION}): upgrade intently to use it"
                    )
            from alembic import command as alembic_command
            from alembic.config import Config as AlembicConfig

            config = AlembicConfig()
            config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
            config.attributes["connection"] = conn
            if schema.meta.name in tables and "alembic_version" not in tables:
                alembic_command.stamp(config, "0001")  # a store from before migrations existed
            alembic_command.upgrade(config, "head")
            set_meta(conn, "schema_version", schema.SCHEMA_VERSION)
            if schema.tickets.name not in tables:  # a new store: nothing stored, so no judgement is stale
                version = secrets.token_hex(8)
                set_meta(conn, DATA_VERSION, version)
                set_meta(conn, JUDGED_VERSION, version)

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
        """Store users, groups and ticket histories in one transaction: all or nothing (see
        :meth:`Batch.import_data`; :func:`intently.store.pipeline.import_path` judges them in the same one)."""
        with self.batch() as batch:
            return batch.import_data(directory, histories, progress=progress)

    # --- reading the model ----------------------------------------------------------------------

    def directory(self) -> Directory:
        with self.engine.connect() as conn:
            return read_directory(conn)

    def ticket_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.tickets)).scalar_one())

    def histories(self) -> Iterator[TicketHistory]:
        """Every stored ticket history, in id order, read a page at a time (a connection a page)."""
        return read_histories(self.engine.connect)

    def history(self, ticket_id: Id) -> TicketHistory | None:
        with self.engine.connect() as conn:
            blob = conn.execute(
                select(schema.tickets.c.history).where(schema.tickets.c.id == encode_id(ticket_id))
            ).scalar_one_or_none()
        return None if blob is None else history_from_record(orjson.loads(blob))

    # --- judgements -----------------------------------------------------------------------------

    def replace_judgements(self, results: Iterable[TicketResult], policy: str, save: Any = None) -> int:
        """Replace all stored judgements with ``results`` in one transaction (see :meth:`Batch.replace_judgements`:
        ``results`` should judge the tickets as stored; :func:`intently.store.pipeline.classify_store` reads and
        judges them inside the transaction)."""
        with self.batch() as batch:
            return batch.replace_judgements(results, policy, save)

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
                yield judgement_from_row(row, full)
            if len(page) < BATCH:
                return
            last = page[-1]
            after = (last.created_at, last.ticket_id, last.comment_id)

    def tickets(self) -> dict[Id, Ticket]:
        """Every stored ticket as it is now, without its history (id, creation, subject, status, priority,
        assignee, group, requester), by id."""
        table = schema.tickets
        columns = [c for c in table.c if c.name != "history"]
        found: dict[Id, Ticket] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(select(*columns)):
                ticket_id = decode_id(row.id)
                if ticket_id is None:  # pragma: no cover - ids are never null
                    continue
                found[ticket_id] = Ticket(
                    id=ticket_id,
                    created_at=_utc(row.created_at),
                    subject=row.subject or "",
                    status=row.status,
                    priority=row.priority,
                    assignee_id=decode_id(row.assignee_id),
                    group_id=decode_id(row.group_id),
                    requester_id=decode_id(row.requester_id),
                )
        return found

    def outcomes(self) -> dict[Id, Outcome]:
        """Every stored ticket's outcome (written with its judgements), by ticket id."""
        found: dict[Id, Outcome] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(select(schema.outcomes)):
                outcome = outcome_from_row(row)
                found[outcome.ticket_id] = outcome
        return found

    def ticket_judgements(self, ticket_id: Id) -> list[Judgement]:
        return list(self.judgements(ticket_id))

    def mark_changed(self) -> str:
        """Give the stored data a new version token (a store made before versions existed gets its first)."""
        with self.batch() as batch:
            batch.touch()
        return self.data_version() or ""

    def data_version(self) -> str | None:
        """A token that changes whenever people, tickets or judgements change (in any process): what a cache of
        the stored data is checked against. None before anything was stored."""
        with self.engine.connect() as conn:
            return meta_value(conn, DATA_VERSION)

    def kept_figure(self, kind: str, key: str) -> bytes | None:
        """A figure kept in the store under ``key`` (:mod:`intently.store.kept`), or None."""
        from intently.store import kept

        with self.engine.connect() as conn:
            return kept.read(conn, kind, key)

    def keep_figure(self, kind: str, key: str, version: str, value: bytes) -> bool:
        """Keep a figure computed from the data of ``version`` (:func:`intently.store.kept.keep`); False when it
        was not kept (the data changed meanwhile, or the store cannot be written now)."""
        from intently.store import kept

        return kept.keep(self.engine, kind, key, version, value)

    def zendesk_base(self) -> str | None:
        """The Zendesk account's address (``https://acme.zendesk.com``) when the data came from Zendesk: from the
        export's ticket URLs or the sync's base URL; None when not known (a neutral file, an older store)."""
        with self.engine.connect() as conn:
            found = meta_value(conn, ZENDESK_BASE)
            if found:
                return found
            return conn.execute(
                select(schema.sync_state.c.value).where(schema.sync_state.c.key == SYNCED_FROM)
            ).scalar_one_or_none()

    def judgements_stale(self, policy_fingerprint: str) -> str | None:
        """Why the stored judgements are not those of ``policy_fingerprint`` over the data as stored now, in
        words; None when they are (see :mod:`intently.store.batch`)."""
        with self.engine.connect() as conn:
            meta = meta_values(conn, DATA_VERSION, JUDGED_VERSION, JUDGED_POLICY)
        judged = meta.get(JUDGED_POLICY)
        if judged is None:
            return "nothing was judged yet"
        if judged != policy_fingerprint:
            return f"they were made under another policy (fingerprint {judged})"
        if meta.get(JUDGED_VERSION) == UPGRADED:
            return "this store was upgraded: tickets' outcomes are counted by judging them again"
        if meta.get(JUDGED_VERSION) is None or meta.get(JUDGED_VERSION) != meta.get(DATA_VERSION):
            return "the data changed since they were made"
        return None

    def judgements_are_current(self, policy_fingerprint: str) -> bool:
        """Whether the stored judgements are those of ``policy_fingerprint`` over the data as stored now: what
        a reader checks before trusting them (else it judges again, or says why not)."""
        return self.judgements_stale(policy_fingerprint) is None

    def authored_judgements(self, user_id: Id) -> int:
        """How many stored judgements are of comments by ``user_id``."""
        table = schema.judgements
        with self.engine.connect() as conn:
            found = conn.execute(
                select(func.count()).select_from(table).where(table.c.author_id == encode_id(user_id))
            ).scalar_one()
        return int(found)

    def verdict_counts(self) -> Counter[str]:
        """Stored judgements by verdict."""
        table = schema.judgements
        with self.engine.connect() as conn:
            rows = conn.execute(select(table.c.verdict, func.count()).group_by(table.c.verdict)).all()
        return Counter({verdict: int(count) for verdict, count in rows})

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

    def finish_delivery(
        self,
        delivery_id: int,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
        claimed_by: str | None = None,
    ) -> bool:
        """Mark a delivery done, or record its error and when to try again (``retry_at``), or give up; its claim
        ends. With ``claimed_by`` only while that replica holds the claim: False when it does not (its lease ran
        out and another replica claimed the delivery), and nothing changes."""
        table = schema.webhook_deliveries
        if error is None:
            values: dict[str, Any] = {"status": "done", "last_error": None}
        elif retry_at is not None:
            values = {"status": "pending", "last_error": error, "next_attempt_at": _utc(retry_at)}
        else:
            values = {"status": "failed", "last_error": error}
        where = [table.c.id == delivery_id]
        if claimed_by is not None:
            where += [table.c.claimed_by == claimed_by, table.c.status == "pending"]
        change = update(table).where(*where)
        change = change.values(attempts=table.c.attempts + 1, claimed_by=None, lease_until=None, **values)
        with self.engine.begin() as conn:
            return bool(conn.execute(change).rowcount)

    def claim_deliveries(self, replica: str, now: datetime, lease: float, limit: int = 50) -> list[Delivery]:
        """Claim up to ``limit`` due deliveries for ``replica`` until ``lease`` seconds from ``now``, in one
        statement: no claim by another replica is live on any of them. On PostgreSQL the candidates are locked
        with ``FOR UPDATE SKIP LOCKED``, so replicas claiming at the same time take different deliveries; they are
        picked once, in a materialized CTE (as a subquery of the UPDATE, PostgreSQL may scan them again, and each scan
        skips other rows: a claim of more than ``limit``)."""
        table = schema.webhook_deliveries
        at = _utc(now)
        claimable = (
            table.c.status == "pending",
            table.c.next_attempt_at <= at,
            or_(table.c.lease_until.is_(None), table.c.lease_until < at),
        )
        candidates = select(table.c.id).where(*claimable).order_by(table.c.next_attempt_at, table.c.id).limit(limit)
        if self.engine.dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        picked = candidates.cte("candidates").prefix_with("MATERIALIZED", dialect="postgresql")
        claim = (
            update(table)
            .where(table.c.id.in_(select(picked.c.id)), *claimable)
            .values(claimed_by=replica, lease_until=at + timedelta(seconds=lease))
            .returning(*table.c)
        )
        with self.engine.begin() as conn:
            rows = conn.execute(claim).all()
        return sorted((_delivery(row) for row in rows), key=lambda d: d.id)

    def renew_claims(self, replica: str, until: datetime) -> int:
        """Extend every live claim of ``replica`` (deliveries it still works, notes it is writing) to ``until``;
        how many deliveries."""
        table, notes = schema.webhook_deliveries, schema.write_backs
        with self.engine.begin() as conn:
            renewed = conn.execute(
                update(table)
                .where(table.c.claimed_by == replica, table.c.status == "pending")
                .values(lease_until=_utc(until))
            )
            conn.execute(update(notes).where(notes.c.claimed_by == replica).values(lease_until=_utc(until)))
        return int(renewed.rowcount)

    def release_claims(self, replica: str) -> int:
        """Give up every claim of ``replica`` (it stops): other replicas may take the deliveries at once."""
        table = schema.webhook_deliveries
        with self.engine.begin() as conn:
            released = conn.execute(
                update(table).where(table.c.claimed_by == replica).values(claimed_by=None, lease_until=None)
            )
        return int(released.rowcount)

    def queue_state(self, replica: str | None, now: datetime) -> dict[str, Any]:
        """The queue for ``/healthz``: deliveries pending, due now, claimed by ``replica`` (live claims) and by
        any replica, and the age in seconds of the oldest due one (0 without any)."""
        table = schema.webhook_deliveries
        at = _utc(now)
        live = and_(table.c.claimed_by.is_not(None), table.c.lease_until >= at)
        due = table.c.next_attempt_at <= at

        def count(condition: Any) -> Any:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        mine = and_(live, table.c.claimed_by == (replica or ""))
        query = select(
            func.count(),
            count(due),
            count(live),
            count(mine),
            func.min(case((due, table.c.next_attempt_at), else_=None)),
        ).where(table.c.status == "pending")
        with self.engine.connect() as conn:
            pending, due_now, claimed, claimed_here, oldest = conn.execute(query).one()
        age = max(0.0, (at - _utc(oldest)).total_seconds()) if oldest is not None else 0.0
        return {
            "pending": int(pending),
            "due": int(due_now),
            "claimed": int(claimed),
            "claimed_here": int(claimed_here),
            "oldest_due_age_s": round(age, 1),
        }

    # --- failed logins (the login limit, shared by the replicas of one store) ---------------------

    def add_login_failure(self, keys: Iterable[str], at: datetime) -> None:
        table = schema.login_failures
        rows = [{"key": key[:200], "failed_at": _utc(at)} for key in keys]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(insert(table), rows)

    def login_failures(self, keys: Iterable[str], since: datetime) -> dict[str, list[datetime]]:
        """When each of ``keys`` failed since ``since``, oldest first; failures before it are deleted."""
        table = schema.login_failures
        wanted = [key[:200] for key in keys]
        found: dict[str, list[datetime]] = {key: [] for key in wanted}
        with self.engine.begin() as conn:
            conn.execute(delete(table).where(table.c.key.in_(wanted), table.c.failed_at <= _utc(since)))
            rows = conn.execute(
                select(table.c.key, table.c.failed_at)
                .where(table.c.key.in_(wanted))
                .order_by(table.c.failed_at, table.c.id)
            ).all()
        for key, failed_at in rows:
            found[key].append(_utc(failed_at))
        return found

    def clear_login_failures(self, key: str) -> None:
        table = schema.login_failures
        with self.engine.begin() as conn:
            conn.execute(delete(table).where(table.c.key == key[:200]))

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

    def claim_write_back(self, ticket_id: Id, comment_id: Id, replica: str, until: datetime) -> str | None:
        """Claim the writing of this comment's note for ``replica`` until ``until`` (renewed with its delivery
        claims by :meth:`renew_claims`): ``"new"`` when nobody claimed it; ``"taken"`` when a claim whose lease ran
        out was left by a replica that did not finish (killed between its claim and :meth:`finish_write_back`;
        the caller then looks in Zendesk for the note before posting it); None when the note is written or
        another live replica is writing it. Compare-and-set: of two replicas taking over the same claim, one wins."""
        table = schema.write_backs
        keys = {"ticket_id": encode_id(ticket_id), "comment_id": encode_id(comment_id)}
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            found = conn.execute(select(table.c.claimed_by, table.c.lease_until).filter_by(**keys)).first()
            if found is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(table).values(**keys, written_at=now, claimed_by=replica, lease_until=_utc(until))
                        )
                except IntegrityError:
                    return None
                return "new"
            holder, lease_until = found
            if holder is None or lease_until is None or _utc(lease_until) >= now:
                return None  # written, or being written by a replica that is alive
            taken = conn.execute(
                update(table)
                .filter_by(**keys)
                .where(table.c.claimed_by == holder, table.c.lease_until == lease_until)
                .values(claimed_by=replica, lease_until=_utc(until), written_at=now)
            )
            return "taken" if taken.rowcount else None

    def finish_write_back(self, ticket_id: Id, comment_id: Id, replica: str) -> None:
        """The note claimed by ``replica`` is posted: the claim becomes the record that it was written."""
        table = schema.write_backs
        keys = {"ticket_id": encode_id(ticket_id), "comment_id": encode_id(comment_id)}
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .filter_by(**keys)
                .where(table.c.claimed_by == replica)
                .values(claimed_by=None, lease_until=None, written_at=datetime.now(UTC))
            )

    def forget_write_back(self, ticket_id: Id, comment_id: Id) -> None:
        """Release a claim made by :meth:`claim_write_back` when the note could not be written after all."""
        table = schema.write_backs
        keys = {"ticket_id": encode_id(ticket_id), "comment_id": encode_id(comment_id)}
        with self.engine.begin() as conn:
            conn.execute(delete(table).filter_by(**keys))

    # --- policy and service users ---------------------------------------------------------------

    def add_service_user(self, user_id: Id) -> None:
        """Mark the API user intently writes as (write-back notes): its comments are never judged."""
        with self.batch() as batch:
            batch.add_service_user(user_id)

    def save_policy(self, policy: Any) -> None:
        """Remember ``policy`` as the store's own, so later commands on this store judge the same way (the stored
        judgements are judged again by the next reader: :meth:`judgements_are_current`)."""
        with self.batch() as batch:
            batch.save_policy(policy)

    def saved_policy(self) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            text = meta_value(conn, SAVED_POLICY)
        return None if text is None else orjson.loads(text)

    def judged_policy(self) -> str | None:
        with self.engine.connect() as conn:
            return meta_value(conn, JUDGED_POLICY)

    # --- added for intently serve's /healthz (web) ---------------------------------------------------

    def check_writable(self) -> None:
        """Raise the database's error if the store cannot be written now (a read-only file or database, a lost
        connection): an update of no row, rolled back, so nothing changes."""
        with self.engine.connect() as conn, conn.begin() as transaction:
            nothing = schema.meta.c.key == "intently.healthz.probe"
            conn.execute(schema.meta.update().where(nothing).values(value=schema.meta.c.value))
            transaction.rollback()


def safe_url(url: str) -> str:
    """The URL without a password, for messages (every URL intently prints goes through this)."""
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
