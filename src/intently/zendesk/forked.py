"""One function run in a forked process while this one goes on: its result (or its exception) comes back pickled.

Used to overlap the first pass over an export's audit pages with reading its people and ticket records
(:class:`intently.zendesk.export.ZendeskExport` with ``jobs`` > 1).
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

T = TypeVar("T")


class Forked(Generic[T]):
    """``function()`` computed in a forked process; :meth:`result` waits for it, :meth:`close` ends the process."""

    def __init__(self, function: Callable[[], T]) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(function, send), daemon=True)
        self._process.start()
        send.close()

    @staticmethod
    def possible() -> bool:
        """Whether this platform can fork (Linux, macOS); elsewhere the caller computes in its own process."""
        return can_fork()

    def result(self) -> T:
        """The function's result, or its exception raised here."""
        try:
            failed, value = pickle.loads(self._receive.recv_bytes())
        except (EOFError, OSError):
            raise RuntimeError("a worker process ended unexpectedly") from None
        if failed:
            raise value
        return value

    def close(self) -> None:
        self._receive.close()
        if self._process.is_alive():
            self._process.kill()
        self._process.join()


def can_fork() -> bool:
    """Whether this platform can fork processes (Linux, macOS)."""
    return "fork" in multiprocessing.get_all_start_methods()


def picklable(exc: BaseException) -> BaseException:
    """An exception as it can be sent to another process: itself, or (where it does not pickle) a RuntimeError
    that names it."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _run(function: Callable[[], object], send: Connection) -> None:
    try:
        message: tuple[bool, object] = (False, function())
    except BaseException as exc:  # sent back, raised there
        message = (True, picklable(exc))
    send.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
    send.close()
