"""What the web app and its worker share: the store, the policy, settings, and Zendesk clients."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from intently.model import Directory, Id
from intently.policy import Policy, fingerprint
from intently.store import Store
from intently.web.logs import emit

if TYPE_CHECKING:
    from intently.web.pages.views import Base

WRITE_BACK_SINCE = "serve.write_back_since"
"""Store state: when write-back was first enabled (or last resumed) on this store; earlier comments are never
written back."""
WRITE_BACK_PAUSED = "serve.write_back_paused"
"""Store state: set (JSON: who paused write-back and when) while an admin has paused it."""
DEFAULT_TAG = "intently_drive_by"


@dataclass(frozen=True, slots=True)
class ActivePolicy:
    """The policy in force and its fingerprint, swapped together (read once per piece of work)."""

    policy: Policy
    fingerprint: str
    source: str
    """Where it came from, in words: "file intently.yaml", "saved in the store", "built-in default"."""
    from_file: bool = False


@dataclass(frozen=True, slots=True)
class Pause:
    by: str
    at: datetime


class ZendeskApi(Protocol):
    """The part of :class:`intently.zendesk.client.ZendeskClient` the server uses."""

    def me(self) -> dict[str, Any]: ...

    def ticket(self, ticket_id: Id) -> dict[str, Any]: ...

    def ticket_audit_pages(self, ticket_id: Id) -> Iterator[dict[str, Any]]: ...

    def users_by_id(self, ids: Iterable[Id]) -> list[dict[str, Any]]: ...

    def update_ticket(
        self, ticket_id: Id, ticket: dict[str, Any], *, safe_update_stamp: str | None = None
    ) -> dict[str, Any]: ...


ClientFactory = Callable[[], ZendeskApi]


@dataclass(frozen=True, slots=True)
class Settings:
    write_back: bool = False
    write_back_tag: str = DEFAULT_TAG
    max_attempts: int = 8
    """Attempts per delivery before it is marked failed."""
    retry_base: float = 10.0
    """Seconds before the first retry; doubled on every further attempt (with jitter), up to ``retry_max``."""
    retry_max: float = 3600.0
    poll_interval: float = 1.0
    """Seconds between looks at the queue when nothing wakes the worker (retries coming due)."""
    settle: float = 0.5
    """Seconds the worker waits after a wake-up, and at least between two batches, so that the several events
    Zendesk sends for one ticket update (and a burst of them) are served by one fetch per ticket."""
    concurrency: int = 4
    """Tickets fetched and judged at the same time."""
    conflict_retries: int = 3
    """Times a write-back is tried again after Zendesk answers 409 (the ticket changed meanwhile)."""
    directory_ttl: float = 30.0
    """Seconds the people directory is cached before it is read from the store again."""
    dashboard_wait: float = 1.0
    """A dashboard request waits for a fresh read of the store when the last read took less than this many
    seconds; otherwise it is served the last read while a new one runs in the background."""
    max_body: int = 1024 * 1024
    request_timeout: float = 10.0
    """Seconds a request may take to arrive in full, headers and body, from its first byte (for a connection's
    first request, from the connection opening): a slower client gets 408 and the connection is closed
    (:mod:`intently.web.server`)."""


def replica_name() -> str:
    """This process's name in the queue's claims: host, process id and a random part (a restart is new)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(3)}"


LEASE = 60.0
"""Seconds a claim holds without being renewed (``intently serve --lease``)."""


class Services:
    """Shared by the request handlers and the worker threads; every method is thread-safe."""

    def __init__(
        self,
        store: Store,
        policy: Policy,
        client_factory: ClientFactory,
        settings: Settings,
        policy_source: str = "given",
        policy_from_file: bool = False,
    ) -> None:
        self.store = store
        self.active = ActivePolicy(policy, fingerprint(policy), policy_source, policy_from_file)
        self.settings = settings
        self._client_factory = client_factory
        self._local = threading.local()
        self._clients: list[ZendeskApi] = []
        self._lock = threading.RLock()
        self._policy_lock = threading.RLock()
        # SQLite has one writer at a time; in one process a lock is cheaper than its busy-wait retries.
        self._write_lock: threading.Lock | None = threading.Lock() if store.engine.dialect.name == "sqlite" else None
        self._directory: tuple[float, Directory, dict[str, str]] | None = None
        self._base: Base | None = None
        self._base_lock = threading.Lock()
        self._refreshing = False
        self.service_user: Id | None = None
        self._write_back_since: datetime | None = None
        self.replica = replica_name()
        """This process's name in the queue's claims (deliveries it works, notes it posts)."""
        self.claim_lease: float = LEASE
        """Seconds after which a claim left by a replica that stopped (a delivery, a note to write) is taken over
        (``intently serve --lease``)."""

    @property
    def policy(self) -> Policy:
        return self.active.policy

    @property
    def fingerprint(self) -> str:
        return self.active.fingerprint

    def adopt_policy(self, policy: Policy, progress: Callable[[int], None] | None = None) -> int:
        """Make ``policy`` the one in force: saved in the store and every stored ticket judged again under it,
        in one transaction; then swapped in for the pages, the API and the worker. Returns the judgements made."""
        from intently.store.pipeline import classify_store

        with self._policy_lock, self.writing():
            count = classify_store(self.store, policy, progress=progress, save=True)
            self.active = ActivePolicy(policy, fingerprint(policy), "saved in the store")
        with self._base_lock:
            self._base = None  # the next page waits for judgements under the new policy
        return count

    @contextlib.contextmanager
    def judging(self) -> Iterator[ActivePolicy]:
        """Hold while judging a ticket and storing the result: the policy cannot change in between (an adoption
        waits, and re-judges everything after), so no judgement made under the old policy outlives it."""
        with self._policy_lock:
            yield self.active

    # --- store access ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold while writing to the store (serialises writers on SQLite; free on PostgreSQL)."""
        if self._write_lock is None:
            yield
            return
        with self._write_lock:
            yield

    def check_writable(self) -> None:
        """Raise the store's error if it cannot be written now (for ``/healthz``). When a writer of this process
        holds the store (an adoption judging every ticket again, say), it is being written: not waited for."""
        if self._write_lock is None:
            self.store.check_writable()
        elif self._write_lock.acquire(timeout=1.0):
            try:
                self.store.check_writable()
            finally:
                self._write_lock.release()

    def directory(self) -> tuple[Directory, dict[str, str]]:
        """The people directory and the custom field titles, cached for ``directory_ttl`` seconds."""
        cached = self._directory
        if cached is not None and time.monotonic() - cached[0] < self.settings.directory_ttl:
            return cached[1], cached[2]
        from intently.zendesk.sync import stored_field_titles  # the custom field titles the last sync saw

        directory = self.store.directory()
        titles = stored_field_titles(self.store)
        self._directory = (time.monotonic(), directory, titles)
        return directory, titles

    def forget_directory(self) -> None:
        self._directory = None

    def dashboard_base(self) -> tuple[Base, bool]:
        """The stored data the dashboard reads, and whether it is behind the store. It is kept while the store's
        data version stays the same (one small query a request instead of reading every judgement again). When
        the store has changed, a quick read (a small store) is redone at once; a slow one (a big store under
        live webhooks) is redone in the background while requests get the data read last, marked as behind."""
        from intently.web.pages.views import read_base

        version = self.store.data_version()
        if version is None:  # a store from before data versions: give it one, so it can be kept
            with self.writing():
                version = self.store.mark_changed()
        with self._base_lock:
            cached = self._base
            if cached is not None and cached.version == version:
                return cached, False
            if cached is None or cached.took < self.settings.dashboard_wait:
                cached = self._base = read_base(self.store)
                return cached, False
            if not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh_base, name="intently-dashboard-refresh", daemon=True).start()
            return cached, True

    def _refresh_base(self) -> None:
        from intently.web.pages.views import read_base

        try:
            fresh = read_base(self.store)
            with self._base_lock:
                self._base = fresh
        except Exception as exc:  # the next request tries again
            emit("dashboard.refresh_failed", logging.WARNING, reason=type(exc).__name__)
        finally:
            with self._base_lock:
                self._refreshing = False

    # --- Zendesk ----------------------------------------------------------------------------------

    def client(self) -> ZendeskApi:
        """This thread's Zendesk client (each worker thread has its own connection pool)."""
        client: ZendeskApi | None = getattr(self._local, "client", None)
        if client is None:
            client = self._client_factory()
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def close_clients(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            close = getattr(client, "close", None)
            if callable(close):
                with contextlib.suppress(Exception):
                    close()

    def ensure_service_user(self) -> Id:
        """The API user intently writes as: registered in the store so its notes are never judged."""
        if self.service_user is not None:
            return self.service_user
        with self._lock:
            if self.service_user is None:
                me = self.client().me()
                user_id = me.get("id")
                if isinstance(user_id, bool) or not isinstance(user_id, int | str) or user_id == "":
                    raise ValueError("Zendesk's users/me answer has no user id")
                with self.writing():
                    self.store.add_service_user(user_id)
                self.forget_directory()
                self.service_user = user_id
        return self.service_user

    def write_back_pause(self) -> Pause | None:
        """Who paused write-back and when, while it is paused (read from the store: it outlasts a restart)."""
        import orjson

        text = self.store.state(WRITE_BACK_PAUSED)
        if not text:
            return None
        data = orjson.loads(text)
        return Pause(str(data["by"]), datetime.fromisoformat(data["at"]))

    def writing_back(self) -> bool:
        """Whether drive-bys are written back now: ``--write-back`` was given and no admin has paused it."""
        return self.settings.write_back and self.write_back_pause() is None

    def pause_write_back(self, by: str) -> None:
        import orjson

        with self._lock, self.writing(), self.store.batch() as batch:
            batch.set_state(WRITE_BACK_PAUSED, orjson.dumps({"by": by, "at": datetime.now(UTC).isoformat()}).decode())

    def resume_write_back(self) -> None:
        """Write-back goes on for comments made from now: none made while it was paused is annotated later."""
        now = datetime.now(UTC)
        with self._lock, self.writing(), self.store.batch() as batch:
            batch.set_state(WRITE_BACK_PAUSED, "")
            batch.set_state(WRITE_BACK_SINCE, now.isoformat())
            self._write_back_since = now

    def write_back_since(self) -> datetime:
        """When write-back was first enabled on this store; set now on first use."""
        if self._write_back_since is not None:
            return self._write_back_since
        with self._lock:
            text = self.store.state(WRITE_BACK_SINCE)
            if text is None:
                since = datetime.now(UTC)
                with self.writing(), self.store.batch() as batch:
                    batch.set_state(WRITE_BACK_SINCE, since.isoformat())
            else:
                since = datetime.fromisoformat(text)
            self._write_back_since = since
        return since
