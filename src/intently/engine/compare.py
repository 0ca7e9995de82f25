"""Weigh a proposed policy on real history: which judgements would change, from what to what."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from intently.engine import judge_ticket
from intently.engine.judgement import Judgement
from intently.model import Id, TicketHistory, User
from intently.policy import Policy

Outcome = tuple[str, str]  # (verdict, rule)
EXAMPLES_PER_CHANGE = 5


@dataclass
class Comparison:
    tickets: int = 0
    judgements: int = 0
    changed: int = 0
    tickets_changed: int = 0
    current_verdicts: Counter[str] = field(default_factory=Counter)
    proposed_verdicts: Counter[str] = field(default_factory=Counter)
    transitions: Counter[tuple[Outcome, Outcome]] = field(default_factory=Counter)
    examples: dict[tuple[Outcome, Outcome], list[Id]] = field(default_factory=dict)

    def sorted_transitions(self) -> list[tuple[Outcome, Outcome, int, list[Id]]]:
        return [
            (before, after, count, self.examples.get((before, after), []))
            for (before, after), count in sorted(self.transitions.items(), key=lambda item: (-item[1], item[0]))
        ]


@dataclass(frozen=True, slots=True)
class Change:
    """One comment whose judgement the proposed policy changes."""

    ticket_id: Id
    comment_id: Id
    author_id: Id
    created_at: datetime
    current: Outcome
    proposed: Outcome


def _judged_twice(
    history: TicketHistory, users: Mapping[Id, User], current: Policy, proposed: Policy
) -> Iterator[tuple[Judgement, Judgement | None]]:
    """Each judgement of the ticket under the current policy, with the same comment's under the proposed one."""
    then = {j.comment_id: j for j in judge_ticket(history, users, proposed).judgements}
    for judgement in judge_ticket(history, users, current).judgements:
        yield judgement, then.get(judgement.comment_id)


def compare_policies(
    histories: Iterable[TicketHistory], users: Mapping[Id, User], current: Policy, proposed: Policy
) -> Comparison:
    """Judge every ticket under both policies and count what changes."""
    comparison = Comparison()
    for history in histories:
        comparison.tickets += 1
        ticket_changed = False
        for judgement, other in _judged_twice(history, users, current, proposed):
            comparison.judgements += 1
            comparison.current_verdicts[judgement.verdict] += 1
            if other is None:  # pragma: no cover - both policies judge the same comments
                continue
            comparison.proposed_verdicts[other.verdict] += 1
            before, after = (judgement.verdict, judgement.rule), (other.verdict, other.rule)
            if before != after:
                comparison.changed += 1
                ticket_changed = True
                key = (before, after)
                comparison.transitions[key] += 1
                examples = comparison.examples.setdefault(key, [])
                if len(examples) < EXAMPLES_PER_CHANGE and history.ticket.id not in examples:
                    examples.append(history.ticket.id)
        comparison.tickets_changed += ticket_changed
    return comparison


def changed_judgements(
    histories: Iterable[TicketHistory], users: Mapping[Id, User], current: Policy, proposed: Policy
) -> Iterator[Change]:
    """Every judgement the proposed policy changes, ticket by ticket in the order given, comments in time order
    (the same judgements that :func:`compare_policies` counts as changed)."""
    for history in histories:
        for judgement, other in _judged_twice(history, users, current, proposed):
            if other is None:  # pragma: no cover - both policies judge the same comments
                continue
            before, after = (judgement.verdict, judgement.rule), (other.verdict, other.rule)
            if before != after:
                yield Change(
                    judgement.ticket_id, judgement.comment_id, judgement.author_id, judgement.created_at, before, after
                )
