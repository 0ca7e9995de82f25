"""Local dashboard accounts (``intently user add``) and their server-side sessions, kept in the store.

Passwords are hashed with argon2id (argon2-cffi's defaults); a session cookie holds a random id of which the
store keeps only the SHA-256, with the session's CSRF token and expiry.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, insert, select, update

from intently.errors import IntentlyError
from intently.store import Store, schema

ROLES = ("viewer", "admin")
MAX_NAME = 128
MAX_PASSWORD = 1024
MIN_PASSWORD = 8
SESSION_LIFETIME = timedelta(hours=12)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password: makes unknown names as slow as wrong passwords")


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    role: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Session:
    account: str
    role: str
    csrf: str
    expires_at: datetime


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or any(ch.isspace() or not ch.isprintable() for ch in name):
        raise IntentlyError(f"a user name is 1 to {MAX_NAME} printable characters without spaces")
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise IntentlyError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise IntentlyError(f"a password has at most {MAX_PASSWORD} characters")


def add_account(store: Store, name: str, role: str, password: str) -> Account:
    name = check_name(name)
    if role not in ROLES:
        raise IntentlyError(f"unknown role {role!r}: use viewer or admin")
    check_password(password)
    created = datetime.now(UTC)
    table = schema.web_accounts
    with store.engine.begin() as conn:
        if conn.execute(select(table.c.name).where(table.c.name == name)).first():
            raise IntentlyError(f"a user named {name!r} exists: remove it first, or pick another name")
        conn.execute(
            insert(table).values(name=name, password_hash=_hasher.hash(password), role=role, created_at=created)
        )
    return Account(name, role, created)


class LastAdmin(IntentlyError):
    """The change would leave the store without an admin account."""


def _admins(conn: Connection) -> list[str]:
    """The admin accounts' names, locked until the transaction ends (on PostgreSQL: two admins demoting each other
    at once cannot both succeed; SQLite has one writer at a time anyway)."""
    table = schema.web_accounts
    return list(conn.execute(select(table.c.name).where(table.c.role == "admin").with_for_update()).scalars())


def _refuse_last_admin(conn: Connection, name: str, what: str) -> None:
    if _admins(conn) == [name]:
        raise LastAdmin(f"{name!r} is the last admin: make another account an admin first, then {what}")


def _an_admin_is_left(conn: Connection, name: str, what: str) -> None:
    """After the change, in its transaction: refuse it (rolled back) when no admin is left. The check before the
    change locks the admins' rows on PostgreSQL; on SQLite a read before the transaction's first write is not
    isolated from another writer, so two admins demoting each other at once could both pass it. The write holds
    SQLite's lock, so this read sees every change committed before it."""
    if not _admins(conn):
        raise LastAdmin(f"{name!r} is the last admin: make another account an admin first, then {what}")


def account(store: Store, name: str) -> Account | None:
    table = schema.web_accounts
    with store.engine.connect() as conn:
        row = conn.execute(
            select(table.c.name, table.c.role, table.c.created_at).where(table.c.name == name[:MAX_NAME])
        ).first()
    return None if row is None else Account(row.name, row.role, _utc(row.created_at))


def remove_account(store: Store, name: str, *, keep_an_admin: bool = False) -> int | None:
    """Remove an account, end its sessions and revoke its API tokens, in one transaction (so a new account of the
    same name later gets none of them). The number of tokens revoked; None when there is no such account. With
    ``keep_an_admin`` (the dashboard), removing the last admin raises :class:`LastAdmin` and changes nothing."""
    with store.engine.begin() as conn:
        if keep_an_admin:
            _refuse_last_admin(conn, name, "remove this one")
        was_admin = keep_an_admin and name in _admins(conn)
        done = conn.execute(delete(schema.web_accounts).where(schema.web_accounts.c.name == name))
        if not done.rowcount:
            return None
        if was_admin:
            _an_admin_is_left(conn, name, "remove this one")
        conn.execute(delete(schema.web_sessions).where(schema.web_sessions.c.account == name))
        revoked = conn.execute(delete(schema.api_tokens).where(schema.api_tokens.c.user_name == name))
    return int(revoked.rowcount)


def set_role(store: Store, name: str, role: str) -> str | None:
    """Give an account ``role``; its role before, or None when there is no such account. Its sessions and the API
    tokens made for it carry the new role from their next request. Demoting the last admin raises
    :class:`LastAdmin` and changes nothing."""
    if role not in ROLES:
        raise IntentlyError(f"unknown role {role!r}: use viewer or admin")
    table = schema.web_accounts
    with store.engine.begin() as conn:
        if role != "admin":
            _refuse_last_admin(conn, name, "make this one a viewer")
        before = conn.execute(select(table.c.role).where(table.c.name == name).with_for_update()).scalar()
        if before is None:
            return None
        conn.execute(update(table).where(table.c.name == name).values(role=role))
        if before == "admin" and role != "admin":
            _an_admin_is_left(conn, name, "make this one a viewer")
    return str(before)


def set_password(store: Store, name: str, password: str, *, keep_session: str | None = None) -> int | None:
    """Give an account a new password and end its sessions, except the one whose cookie value is ``keep_session``
    (the browser that changed it); how many sessions ended, or None when there is no such account."""
    check_password(password)
    hashed = _hasher.hash(password)
    sessions = schema.web_sessions
    with store.engine.begin() as conn:
        done = conn.execute(
            update(schema.web_accounts).where(schema.web_accounts.c.name == name).values(password_hash=hashed)
        )
        if not done.rowcount:
            return None
        ending = delete(sessions).where(sessions.c.account == name)
        if keep_session:
            ending = ending.where(sessions.c.id_hash != _sha(keep_session))
        return int(conn.execute(ending).rowcount)


def accounts(store: Store) -> list[Account]:
    table = schema.web_accounts
    with store.engine.connect() as conn:
        rows = conn.execute(select(table.c.name, table.c.role, table.c.created_at).order_by(table.c.name)).all()
    return [Account(row.name, row.role, _utc(row.created_at)) for row in rows]


def authenticate(store: Store, name: str, password: str) -> Account | None:
    """The account when the password is right, else None (the same work either way)."""
    table = schema.web_accounts
    with store.engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.name == name[:MAX_NAME])).first()
    stored = _DUMMY_HASH if row is None else row.password_hash
    ok: bool
    try:
        ok = _hasher.verify(stored, password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None:
        return None
    if _hasher.check_needs_rehash(stored):
        with store.engine.begin() as conn:
            conn.execute(update(table).where(table.c.name == row.name).values(password_hash=_hasher.hash(password)))
    return Account(row.name, row.role, _utc(row.created_at))


def start_session(store: Store, account: str, now: datetime | None = None) -> tuple[str, Session]:
    """A new session: (the cookie value, shown only to the browser; the session)."""
    now = now or datetime.now(UTC)
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + SESSION_LIFETIME
    table = schema.web_sessions
    with store.engine.begin() as conn:
        _delete_expired(conn, now)  # housekeeping
        role = conn.execute(select(schema.web_accounts.c.role).where(schema.web_accounts.c.name == account)).scalar()
        if role is None:
            raise IntentlyError(f"no user named {account!r}")
        conn.execute(
            insert(table).values(
                id_hash=_sha(session_id), account=account, csrf=csrf, created_at=now, expires_at=expires
            )
        )
    return session_id, Session(account, str(role), csrf, expires)


def session(store: Store, session_id: str, now: datetime | None = None) -> Session | None:
    """The live session behind a cookie value, with the account's role now; None when unknown or expired."""
    if not session_id or len(session_id) > 128:
        return None
    now = now or datetime.now(UTC)
    sessions, table = schema.web_sessions, schema.web_accounts
    with store.engine.connect() as conn:
        row = conn.execute(
            select(sessions.c.account, sessions.c.csrf, sessions.c.expires_at, table.c.role)
            .select_from(sessions.join(table, table.c.name == sessions.c.account))
            .where(sessions.c.id_hash == _sha(session_id))
        ).first()
    if row is None or _utc(row.expires_at) <= now:
        return None
    return Session(row.account, row.role, row.csrf, _utc(row.expires_at))


def _delete_expired(conn: Connection, now: datetime) -> int:
    table = schema.web_sessions
    return conn.execute(delete(table).where(table.c.expires_at < now)).rowcount


def purge_sessions(store: Store, now: datetime | None = None) -> int:
    """Delete the sessions that have expired; how many there were."""
    with store.engine.begin() as conn:
        return _delete_expired(conn, now or datetime.now(UTC))


def end_session(store: Store, session_id: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(delete(schema.web_sessions).where(schema.web_sessions.c.id_hash == _sha(session_id)))
