"""Data flows one way: source → model → engine → store. These are the library calls behind the CLI."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from intently.engine import TicketResult, judge_ticket
from intently.model import Id, TicketHistory, User
from intently.policy import Policy, fingerprint
from intently.sources import open_source
from intently.store import ImportStats, Store
from intently.store.batch import Batch


@dataclass
class Tally:
    """What a classification run saw, for the summary line and the warnings."""

    tickets: int = 0
    judged: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    skipped_authors: Counter[Id] = field(default_factory=Counter)

    def add(self, result: TicketResult) -> None:
        self.tickets += 1
        self.judged += len(result.judgements)
        for judgement in result.judgements:
            self.verdicts[judgement.verdict] += 1
            self.rules[judgement.rule] += 1
        for skipped in result.skipped:
            if skipped.author_id is not None:
                self.skipped_authors[skipped.author_id] += 1

    def warnings(self) -> list[str]:
        return [
            f"{count} comment(s) by user {author} not judged: the user is not in the data"
            for author, count in sorted(self.skipped_authors.items(), key=lambda item: str(item[0]))
        ]


def judge_all(
    histories: Iterable[TicketHistory], users: Mapping[Id, User], policy: Policy, tally: Tally | None = None
) -> Iterator[TicketResult]:
    """Judge ticket after ticket; memory is bounded by the largest ticket."""
    for history in histories:
        result = judge_ticket(history, users, policy)
        if tally is not None:
            tally.add(result)
        yield result


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
    return ImportOutcome(stats=stats, tally=tally, warnings=[*source.warnings, *tally.warnings()], judged=judged)


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
