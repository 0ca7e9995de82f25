"""Failed logins, counted per user name and per client address: too many in a window answer 429.

One server (SQLite) counts them in memory (:class:`LoginLimiter`); the replicas of a PostgreSQL store count them
in the store (:class:`SharedLoginLimiter`), so failures on one replica count on every other.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from intently.store import Store


@dataclass
class LoginLimiter:
    """At most ``per_name`` failed logins for one user name and ``per_address`` from one client address within
    ``window`` seconds; beyond that every attempt (even with the right password) is refused until the oldest
    failure leaves the window. Kept in memory: a restart forgets, which only ever lets someone try again."""

    per_name: int = 5
    per_address: int = 20
    window: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _keys(self, name: str, address: str) -> list[tuple[str, int]]:
        return [("name:" + name.strip().lower()[:128], self.per_name), ("addr:" + address, self.per_address)]

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, name: str, address: str) -> int | None:
        """Seconds to wait before trying again, or None when an attempt may be made now."""
        now = self.clock()
        waits: list[float] = []
        with self._lock:
            for key, limit in self._keys(name, address):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(times[len(times) - limit] + self.window - now)
                if not times:
                    self._failures.pop(key, None)
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key, _ in self._keys(name, address):
                self._recent(key, now).append(now)

    def succeeded(self, name: str) -> None:
        """A right password clears the name's failures (not the address's: one good account must not reset it)."""
        with self._lock:
            self._failures.pop(self._keys(name, "")[0][0], None)


@dataclass
class SharedLoginLimiter(LoginLimiter):
    """The same limit, counted in the store's ``login_failures`` table: every replica of the store sees every
    failure (and a restart forgets nothing). Times are the wall clock (``clock`` gives epoch seconds)."""

    store: Store | None = None
    clock: Callable[[], float] = time.time

    def _stamp(self, at: float) -> datetime:
        return datetime.fromtimestamp(at, UTC)

    def retry_after(self, name: str, address: str) -> int | None:
        if self.store is None:
            return super().retry_after(name, address)
        now = self.clock()
        keys = self._keys(name, address)
        found = self.store.login_failures([key for key, _ in keys], self._stamp(now - self.window))
        waits: list[float] = []
        for key, limit in keys:
            times = found.get(key[:200], [])
            if len(times) >= limit:
                oldest = times[len(times) - limit].timestamp()
                waits.append(oldest + self.window - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, name: str, address: str) -> None:
        if self.store is None:
            super().failed(name, address)
            return
        self.store.add_login_failure([key for key, _ in self._keys(name, address)], self._stamp(self.clock()))

    def succeeded(self, name: str) -> None:
        if self.store is None:
            super().succeeded(name)
            return
        self.store.clear_login_failures(self._keys(name, "")[0][0])


def login_limiter(store: Store) -> LoginLimiter:
    """The login limit for ``store``: in memory on SQLite (one server), in the store on PostgreSQL (replicas)."""
    if store.engine.dialect.name == "sqlite":
        return LoginLimiter()
    return SharedLoginLimiter(store=store)
