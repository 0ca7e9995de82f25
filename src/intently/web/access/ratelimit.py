"""Failed logins, counted per user name and per client address: too many in a window answer 429."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


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
