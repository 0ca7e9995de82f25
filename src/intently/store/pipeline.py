"""Data flows one way: source → model → engine → store. These are the library calls behind the CLI."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from intently.engine import Tally, TicketResult, judge_ticket
from intently.model import Id, TicketHistory, User
from intently.policy import Policy, fingerprint
from intently.sources import open_source
from intently.store import ImportStats, Store
from intently.store.batch import Batch
from intently.store.store import ZENDESK_BASE


def judge_all(
    histories: Iterable[TicketHistory], users: Mapping[Id, User], policy: Policy, tally: Tally | None = None
) -> Iterator[TicketResult]:
    """Judge ticket after ticket; memory is bounded by the largest ticket."""
    for history in histories:
        result = judge_ticket(history, users, policy)
        if tally is not None:
            tally.add(result)
        yield result


_TICKET_URL = re.compile(rb'"url"\s*:\s*"(https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?)/api/v2/tickets/')
_HEAD = 256 * 1024
"""Bytes of a tickets file read for its first ticket's URL."""


def zendesk_base_of(url: str) -> str | None:
    """The account's address of a Zendesk API URL: ``https://acme.zendesk.com/api/v2/tickets/7.json`` gives
    ``https://acme.zendesk.com``; None for anything else."""
    found = _TICKET_URL.match(b'"url":"' + url.encode("utf-8", "replace"))
    return found.group(1).decode("ascii") if found else None


def export_base(path: str | Path) -> str | None:
    """The Zendesk account a directory export came from, read from its own ticket records' ``url`` (the head of
    the first tickets file that has one); None for a neutral file or an export without URLs."""
    path = Path(path)
    if not path.is_dir():
        return None
    for file in sorted(path.glob("tickets*.json")):
        try:
            with file.open("rb") as stream:
                head = stream.read(_HEAD)
        except OSError:
            continue
        found = _TICKET_URL.search(head)
        if found:
            return found.group(1).decode("ascii")
    return None


@dataclass
class ImportOutcome:
    stats: ImportStats
    tally: Tally
    warnings: list[str]
    judged: int


def import_path(
    path: str | Path,
    store: Store,
    policy: Policy,
    *,
    progress: Callable[[int], None] | None = None,
    save: bool = False,
) -> ImportOutcome:
    """Import a Zendesk export directory or a neutral ``.jsonl`` into the store and judge every stored ticket
    under ``policy``, all in one transaction: a failure or a killed process at any moment leaves the store as it
    was. With ``save``, ``policy`` becomes the store's own in the same transaction."""
    source = open_source(path)
    tally = Tally()
    with store.batch() as batch:
        stats = batch.import_data(source.directory, source.histories(), progress=progress)
        judged = judge_stored(batch, policy, tally=tally, save=save)
        base = export_base(path)
        if base is not None:  # each ticket links to it in the pages (nothing to configure)
            batch.set_meta(ZENDESK_BASE, base)
    lost = stats.lost_warning()
    warnings = [*source.warnings, *([lost] if lost else []), *tally.warnings()]
    return ImportOutcome(stats=stats, tally=tally, warnings=warnings, judged=judged)


def judge_stored(
    batch: Batch,
    policy: Policy,
    *,
    tally: Tally | None = None,
    progress: Callable[[int], None] | None = None,
    save: bool = False,
) -> int:
    """Judge every ticket as stored in ``batch``'s transaction under ``policy`` and replace the stored judgements
    with those; with ``save``, ``policy`` becomes the store's own too."""
    users = batch.directory().users

    def counted() -> Iterator[TicketHistory]:
        for history in batch.histories():
            yield history
            if progress is not None:
                progress(1)

    return batch.replace_judgements(
        judge_all(counted(), users, policy, tally), fingerprint(policy), policy if save else None
    )


def classify_store(
    store: Store,
    policy: Policy,
    *,
    tally: Tally | None = None,
    progress: Callable[[int], None] | None = None,
    save: bool = False,
) -> int:
    """Judge every stored ticket under ``policy`` and replace the stored judgements, in one transaction that
    reads what it judges; with ``save``, the store also remembers ``policy`` as its own."""
    with store.batch() as batch:
        return judge_stored(batch, policy, tally=tally, progress=progress, save=save)
