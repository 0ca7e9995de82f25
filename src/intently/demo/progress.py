"""Progress reporting: running totals turned into a progress bar's increments."""

from __future__ import annotations

from collections.abc import Callable


class Reporter:
    """Turns running totals into the increments a progress bar's ``advance`` takes."""

    def __init__(self, progress: Callable[[int], None] | None) -> None:
        self.progress = progress
        self.sent = 0

    def at(self, done: int) -> None:
        if self.progress is not None and done > self.sent:
            self.progress(done - self.sent)
            self.sent = done
