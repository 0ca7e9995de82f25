"""The delivery worker: takes due webhook deliveries from the store's queue and processes them.

The queue lives in the database, so a delivery that was acknowledged survives a crash or a restart: the
worker resumes every pending delivery when it starts. Deliveries of one ticket that are due together are
served by one fetch (the ticket is read whole, so one fresh read answers all of them); different tickets
are processed side by side on a small thread pool, and one ticket is never processed twice at once. Batches
start at least ``settle`` seconds apart, so a burst of events (Zendesk sends several for one ticket update)
costs one fetch per ticket per batch.

A failure is retried with exponential backoff and jitter (``retry_base`` doubled per attempt, capped at
``retry_max``); after ``max_attempts`` the delivery is marked failed (``intently serve`` logs it, and
``/healthz`` counts it). A ticket that no longer exists in Zendesk is removed from the store (done).

Several replicas (``intently serve`` processes on one PostgreSQL store) share the queue: each worker claims its
batch in one statement (:meth:`Store.claim_deliveries`, ``FOR UPDATE SKIP LOCKED``) for a lease of ``lease``
seconds, renews the lease while it works, and finishes a delivery only while it still holds the claim. A replica
killed mid-job leaves its claims to the others once the lease runs out; one that stops releases them at once.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta

from intently.model import Id
from intently.store.store import Delivery
from intently.web.logs import elapsed_ms, emit, error_text
from intently.web.services import Services
from intently.zendesk.live.processing import Processed, process_ticket

BATCH = 200
"""Deliveries claimed at once on SQLite (one server takes all that is due)."""
SHARED_BATCH = 50
"""Deliveries claimed at once on PostgreSQL, so that a burst is spread over the replicas."""


class Worker:
    def __init__(
        self,
        services: Services,
        process: Callable[[Services, Id], Processed] = process_ticket,
    ) -> None:
        self.services = services
        self._process = process
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._random = random.Random()

    @property
    def replica(self) -> str:
        """This replica's name in the queue's claims."""
        return self.services.replica

    @property
    def lease(self) -> float:
        """Seconds a claim holds unless renewed (one value for deliveries and notes: ``intently serve --lease``)."""
        return self.services.claim_lease

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="intently-worker", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A delivery was queued: look at the queue now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the tickets in hand; deliveries not finished stay pending for the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _claim_size(self) -> int:
        return BATCH if self.services.store.engine.dialect.name == "sqlite" else SHARED_BATCH

    def _await(self, jobs: list[Future[None]]) -> None:
        """Wait for the jobs of a batch, renewing this replica's claims every third of the lease meanwhile."""
        store = self.services.store
        pending = set(jobs)
        while pending:
            _, pending = wait(pending, timeout=max(0.1, self.lease / 3), return_when=FIRST_EXCEPTION)
            if pending:
                try:
                    store.renew_claims(self.replica, datetime.now(UTC) + timedelta(seconds=self.lease))
                except Exception as exc:
                    emit("worker.queue_error", logging.ERROR, error=error_text(exc))
        for job in jobs:
            try:
                job.result()
            except Exception as exc:  # _serve handles its failures; this is a last resort
                emit("worker.error", logging.ERROR, error=error_text(exc))

    def _run(self) -> None:
        settings = self.services.settings
        try:
            pending: int | None = self.services.store.delivery_counts().get("pending", 0)
        except Exception:
            pending = None
        emit("worker.started", pending=pending, replica=self.replica, lease_s=self.lease)
        with ThreadPoolExecutor(max_workers=max(1, settings.concurrency), thread_name_prefix="intently-job") as pool:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    due = self.services.store.claim_deliveries(
                        self.replica, datetime.now(UTC), self.lease, limit=self._claim_size()
                    )
                except Exception as exc:
                    emit("worker.queue_error", logging.ERROR, error=error_text(exc))
                    self._stop.wait(settings.poll_interval)
                    continue
                if not due:
                    if self._wake.wait(settings.poll_interval) and settings.settle > 0:
                        self._stop.wait(settings.settle)
                    continue
                started = time.monotonic()
                by_ticket: dict[Id, list[Delivery]] = {}
                for delivery in due:
                    by_ticket.setdefault(delivery.ticket_id, []).append(delivery)
                self._await([pool.submit(self._serve, ticket_id, batch) for ticket_id, batch in by_ticket.items()])
                # Batches start at least ``settle`` apart: a burst of events costs one fetch per ticket per
                # batch, not one per event (Zendesk's API rate limit is per minute, for the whole account).
                rest = settings.settle - (time.monotonic() - started)
                if rest > 0:
                    self._stop.wait(rest)
        try:  # deliveries claimed but not worked (a stop mid-batch): the other replicas need not wait for the lease
            self.services.store.release_claims(self.replica)
        except Exception as exc:
            emit("worker.queue_error", logging.ERROR, error=error_text(exc))
        self.services.close_clients()
        emit("worker.stopped")

    def _serve(self, ticket_id: Id, deliveries: list[Delivery]) -> None:
        """Process one ticket for its due deliveries, then finish each of them (never raises)."""
        started = time.perf_counter()
        ids = [d.key for d in deliveries]
        try:
            outcome = self._process(self.services, ticket_id)
        except Exception as exc:
            self._retry(deliveries, exc, started)
            return
        lost: list[str] = []
        try:
            with self.services.writing():
                for delivery in deliveries:
                    if not self.services.store.finish_delivery(delivery.id, claimed_by=self.replica):
                        lost.append(delivery.key)
        except Exception as exc:  # the work is done and idempotent: the deliveries will simply run again
            emit("delivery.finish_error", logging.ERROR, ticket_id=ticket_id, deliveries=ids, error=error_text(exc))
            return
        if lost:  # the lease ran out and another replica claimed them: it finishes them, not this one
            emit("delivery.claim_lost", logging.WARNING, ticket_id=ticket_id, deliveries=lost, replica=self.replica)
        emit(
            "delivery.done",
            ticket_id=ticket_id,
            delivery_id=ids[0] if len(ids) == 1 else None,
            deliveries=ids if len(ids) > 1 else None,
            status="deleted" if outcome.deleted else "done",
            duration_ms=elapsed_ms(started),
            judgements=outcome.judgements,
            drive_bys=outcome.drive_bys,
            write_back=outcome.written if self.services.settings.write_back else None,
        )

    def _retry(self, deliveries: list[Delivery], exc: Exception, started: float) -> None:
        settings = self.services.settings
        now = datetime.now(UTC)
        error = error_text(exc)
        for delivery in deliveries:
            attempt = delivery.attempts + 1
            retry_at: datetime | None = None
            if attempt < settings.max_attempts:
                retry_at = now + timedelta(seconds=self.backoff(attempt))
            try:
                with self.services.writing():
                    self.services.store.finish_delivery(
                        delivery.id, error=error, retry_at=retry_at, claimed_by=self.replica
                    )
            except Exception as store_exc:
                emit("delivery.finish_error", logging.ERROR, delivery_id=delivery.key, error=error_text(store_exc))
                continue
            emit(
                "delivery.retry" if retry_at else "delivery.failed",
                logging.WARNING if retry_at else logging.ERROR,
                ticket_id=delivery.ticket_id,
                delivery_id=delivery.key,
                status="pending" if retry_at else "failed",
                attempt=attempt,
                retry_in_s=round((retry_at - now).total_seconds(), 1) if retry_at else None,
                duration_ms=elapsed_ms(started),
                error=error,
            )

    def backoff(self, attempt: int) -> float:
        """Seconds before attempt ``attempt + 1``: ``retry_base`` doubled per attempt, capped, with jitter."""
        settings = self.services.settings
        ceiling = min(settings.retry_max, settings.retry_base * 2 ** (attempt - 1))
        return ceiling * self._random.uniform(0.8, 1.0)
