"""Work through a source's histories on every core, with the results in the order of one process.

:func:`in_order` calls a function on every ticket history of a source and yields the results in the order of
``source.histories()``. With a Zendesk export directory and more than one job, the tickets are shared among
forked processes by ticket id (:meth:`intently.zendesk.export.ZendeskExport.share`): each reads every audit page
but decodes the events of, builds and works only its own tickets; this process merges their results by each
ticket's place in the order of one process. The source's warnings, an error in the data and where it
stops the output are those of one process too: whatever the number of jobs, the output is the same, byte for byte.

The people, the ticket records and the first pass over the audit pages are read once, before the processes are
forked (the first pass in a process of its own, beside the rest); they share that memory, the ticket records kept
in one buffer that reading does not copy (:mod:`intently.zendesk.ticket_table`), the rest out of the garbage
collector's sight. Memory stays bounded: each process holds only its open tickets, and this one at
most :data:`_AHEAD` batches of results from each (a thread per process takes them off its pipe, so a process
that is ahead is not held up by one that is behind, within that slack).
"""

from __future__ import annotations

import gc
import heapq
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from queue import Queue
from typing import Any, Protocol, TypeVar

from intently.model import Directory, Id, TicketHistory
from intently.zendesk.export import ZendeskExport, missing_user
from intently.zendesk.forked import can_fork, picklable

T = TypeVar("T")

_BATCH = 64
"""Results a process sends at once (fewer, larger messages; still a small share of the output in memory)."""
_AHEAD = 64
"""Messages of one process this process holds while the merge waits for another (the slack between them)."""


class HistorySource(Protocol):
    directory: Directory
    warnings: list[str]

    def histories(self) -> Iterator[TicketHistory]: ...


def default_jobs() -> int:
    """Every core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def in_order(source: HistorySource, work: Callable[[TicketHistory], T], jobs: int = 1) -> Iterator[T]:
    """``work(history)`` for every history of ``source``, in the order of ``source.histories()``; with a Zendesk
    export directory and ``jobs`` > 1, computed by that many forked processes. ``work`` must be a pure function
    of the history (it runs in another process) and its results picklable."""
    if jobs <= 1 or not isinstance(source, ZendeskExport) or not can_fork():  # elsewhere one process works
        for history in source.histories():
            yield work(history)
        return
    yield from _shared(source, work, jobs)


# --- the forked processes -----------------------------------------------------------------------------------------

_ITEMS, _ERROR, _END = 0, 1, 2


def _send(conn: Connection, message: Any) -> None:
    conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _work_share(
    source: ZendeskExport, work: Callable[[TicketHistory], Any], job: int, jobs: int, conn: Connection
) -> None:
    """In a forked process: work the tickets of share ``job``, sending results in batches, then an end, or the
    first error with where it stops the output of one process: an error reading audit page ``p`` before any ticket
    completed after that page (``(p, 0, audit)``), an error working a history at that ticket (its key)."""
    batch: list[tuple[Any, ...]] = []
    closing = source.share(job, jobs)
    while True:
        try:
            closed = next(closing)
        except StopIteration:
            break
        except BaseException as exc:
            page, audit = source.position
            _fail(conn, batch, (page, 0, audit), exc)
            return
        try:
            batch.append((closed.key, work(closed.history), closed.warnings))
        except BaseException as exc:
            _fail(conn, batch, closed.key, exc)
            return
        if len(batch) >= _BATCH:
            _send(conn, (_ITEMS, batch))
            batch = []
    if batch:
        _send(conn, (_ITEMS, batch))
    _send(conn, (_END, source.missing_first()))


def _fail(conn: Connection, batch: list[tuple[Any, ...]], key: tuple[Any, ...], exc: BaseException) -> None:
    if batch:
        _send(conn, (_ITEMS, batch))
    _send(conn, (_ERROR, key, picklable(exc)))


def _drain(conn: Connection, queue: Queue[bytes | None]) -> None:
    """In a thread of this process: take one process's messages off its pipe as they come (so it never waits for
    the merge while another process is behind), at most :data:`_AHEAD` of them."""
    try:
        while True:
            queue.put(conn.recv_bytes())
    except (EOFError, OSError):
        queue.put(None)


def _stream(
    queue: Queue[bytes | None], ends: list[dict[Id, tuple[tuple[int, int, int], str]]]
) -> Iterator[tuple[Any, ...]]:
    """The items one process sends, in its order: ``(key, 0, result, warnings)`` or ``(key, 1, error, None)``."""
    while True:
        data = queue.get()
        if data is None:
            raise RuntimeError("a worker process ended unexpectedly")
        message = pickle.loads(data)
        kind = message[0]
        if kind == _ITEMS:
            for key, result, warnings in message[1]:
                yield key, 0, result, warnings
        elif kind == _ERROR:
            yield message[1], 1, message[2], None
            return
        else:
            ends.append(message[1])
            return


def _shared(source: ZendeskExport, work: Callable[[TicketHistory], T], jobs: int) -> Iterator[T]:
    context = multiprocessing.get_context("fork")
    processes = []
    ends: list[dict[Id, tuple[tuple[int, int, int], str]]] = []
    streams = []
    # What the processes share (the people, the ticket records) lives to the end: out of the garbage collector's
    # sight in them, a collection neither walks it nor copies its memory pages by touching it.
    gc.freeze()
    try:
        for job in range(jobs):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_work_share, args=(source, work, job, jobs, send), daemon=True)
            process.start()
            send.close()
            processes.append(process)
            queue: Queue[bytes | None] = Queue(maxsize=_AHEAD)
            threading.Thread(target=_drain, args=(receive, queue), daemon=True).start()
            streams.append(_stream(queue, ends))
        gc.unfreeze()
        for _key, failed, result, warnings in heapq.merge(*streams, key=lambda item: item[0]):
            if failed:
                raise result
            source.warnings.extend(warnings)
            yield result
        first: dict[Id, tuple[tuple[int, int, int], str]] = {}
        for end in ends:
            for user, (at, reference) in end.items():
                if user not in first or at < first[user][0]:
                    first[user] = (at, reference)
        for user, (_, reference) in sorted(first.items(), key=lambda item: item[1][0]):
            source.warnings.append(missing_user(user, reference))
    finally:
        gc.unfreeze()
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join()
