"""Errors a user can fix. The CLI prints them without a traceback and exits with status 1."""

from __future__ import annotations

from collections.abc import Sequence


class IntentlyError(Exception):
    """A failure the user can fix: bad input, a missing file, an invalid policy."""


class InputError(IntentlyError):
    """Bad input data, located by file, record and field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        record: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.record = record
        self.field = field
        super().__init__(self._text())

    def _text(self) -> str:
        where = [part for part in (self.file, self.record, f"field {self.field}" if self.field else None) if part]
        return f"{': '.join(where)}: {self.message}" if where else self.message


class PolicyError(IntentlyError):
    """An invalid policy file; each problem names the key it is about."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"invalid policy {source}:\n{lines}")


def some_of(items: Sequence[object], shown: int = 5) -> str:
    """The first few of a list a message names, and how many more: ``1, 2, 3, 4, 5 and 12 more``."""
    named = ", ".join(map(str, items[:shown]))
    return named + (f" and {len(items) - shown:,} more" if len(items) > shown else "")
