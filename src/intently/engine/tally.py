"""What a run of the engine over many tickets saw: the counts of its summary line, and its warnings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from intently.engine.judgement import TicketResult
from intently.errors import some_of
from intently.model import Id


@dataclass
class Tally:
    """What a classification run saw, for the summary line and the warnings."""

    tickets: int = 0
    judged: int = 0
    worked: int = 0
    """Tickets with at least one judged agent comment (what the report and the dashboard count as tickets)."""
    verdicts: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    skipped_authors: Counter[Id] = field(default_factory=Counter)
    skipped_tickets: dict[Id, dict[Id, None]] = field(default_factory=dict)
    """The tickets of each unknown author's comments not judged, in the order met (for the warnings)."""

    def add(self, result: TicketResult) -> None:
        self.tickets += 1
        self.judged += len(result.judgements)
        self.worked += bool(result.judgements)
        for judgement in result.judgements:
            self.verdicts[judgement.verdict] += 1
            self.rules[judgement.rule] += 1
        for skipped in result.skipped:
            if skipped.author_id is not None:
                self.skip(skipped.author_id, skipped.ticket_id)

    def skip(self, author: Id, ticket: Id) -> None:
        """A comment by ``author``, whom the data does not name, on ``ticket`` was not judged."""
        self.skipped_authors[author] += 1
        self.skipped_tickets.setdefault(author, {})[ticket] = None

    def warnings(self) -> list[str]:
        return [
            f"{count:,} comment(s) by user {author} not judged: the user is not in the data{self._on(author)}"
            for author, count in sorted(self.skipped_authors.items(), key=lambda item: str(item[0]))
        ]

    def _on(self, author: Id) -> str:
        tickets = list(self.skipped_tickets.get(author, ()))
        if not tickets:
            return ""
        return f" (ticket{'s' if len(tickets) > 1 else ''} {some_of(tickets)})"
