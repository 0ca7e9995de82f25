"""What the web app and its worker share: the store, the policy, settings, and Zendesk clients."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from intently.model import Directory, Id
from intently.policy import Policy, fingerprint
from intently.store import Store

WRITE_BACK_SINCE = "serve.write_back_since"
"""Store state: when write-back was first enabled on this store (earlier comments are never written back)."""
DEFAULT_TAG = "intently_drive_by"


class ZendeskApi(Protocol):
    """The part of :class:`intently.sources.zendesk_api.ZendeskClient` the server uses."""

    def me(self) -> dict[str, Any]: ...

    def ticket(self, ticket_id: Id) -> dict[str, Any]: ...

    def ticket_audit_pages(self, ticket_id: Id) -> Iterator[dict[str, Any]]: ...

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
    max_body: int = 1024 * 1024


class Services:
    """Shared by the request handlers and the worker threads; every method is thread-safe."""

    def __init__(self, store: Store, policy: Policy, client_factory: ClientFactory, settings: Settings) -> None:
        self.store = store
        self.policy = policy
        self.fingerprint = fingerprint(policy)
        self.settings = settings
        self._client_factory = client_factory
        self._local = threading.local()
        self._clients: list[ZendeskApi] = []
        self._lock = threading.RLock()
        # SQLite has one writer at a time; in one process a lock is cheaper than its busy-wait retries.
        self._write_lock: threading.Lock | None = threading.Lock() if store.engine.dialect.name == "sqlite" else None
        self._directory: tuple[float, Directory, dict[str, str]] | None = None
        self.service_user: Id | None = None
        self._write_back_since: datetime | None = None

    # --- store access ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold while writing to the store (serialises writers on SQLite; free on PostgreSQL)."""
        if self._write_lock is None:
            yield
            return
        with self._write_lock:
            yield

    def directory(self) -> tuple[Directory, dict[str, str]]:
        """The people directory and the custom field titles, cached for ``directory_ttl`` seconds."""
        cached = self._directory
        if cached is not None and time.monotonic() - cached[0] < self.settings.directory_ttl:
            return cached[1], cached[2]
        from intently.sync import stored_field_titles  # the custom field titles the last sync saw

        directory = self.store.directory()
        titles = stored_field_titles(self.store)
        self._directory = (time.monotonic(), directory, titles)
        return directory, titles

    def forget_directory(self) -> None:
        self._directory = None

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
