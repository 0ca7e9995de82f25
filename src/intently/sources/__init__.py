"""Connect: sources turn outside data into the model (users, groups, ticket histories) and nothing else.

:func:`open_source` opens a Zendesk export directory (:mod:`intently.zendesk.export`) or a neutral JSON Lines
file (:mod:`.neutral`, for any other helpdesk).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from intently.errors import InputError
from intently.model import Directory, TicketHistory
from intently.sources.neutral import NeutralReader
from intently.zendesk.export import ZendeskExport, is_zendesk_export


class Source(Protocol):
    """What every source offers: who is who, then ticket histories one at a time."""

    directory: Directory
    warnings: list[str]

    def histories(self) -> Iterator[TicketHistory]: ...


def open_source(path: str | Path, jobs: int = 1) -> Source:
    """A Zendesk export directory or a neutral ``.jsonl`` file (``jobs`` > 1: a Zendesk export may read its first
    pass in another process; see :class:`~intently.zendesk.export.ZendeskExport`)."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or directory", file=str(path))
    if path.is_dir():
        if not is_zendesk_export(path):
            raise InputError(
                "this folder holds no tickets*.json or ticket_audits*.json files: is it a Zendesk export directory?",
                file=str(path),
            )
        return ZendeskExport(path, jobs)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return NeutralReader(path)
    raise InputError("expected a Zendesk export directory or a neutral .jsonl file", file=str(path))


__all__ = ["NeutralReader", "Source", "ZendeskExport", "open_source"]
