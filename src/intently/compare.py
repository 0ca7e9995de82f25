"""Weigh a proposed policy on real history: which judgements would change, from what to what."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from intently.engine import judge_ticket
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


def compare_policies(
    histories: Iterable[TicketHistory], users: Mapping[Id, User], current: Policy, proposed: Policy
) -> Comparison:
    """Judge every ticket under both policies and count what changes."""
    comparison = Comparison()
    for history in histories:
        now = judge_ticket(history, users, current).judgements
        then = {j.comment_id: j for j in judge_ticket(history, users, proposed).judgements}
        comparison.tickets += 1
        ticket_changed = False
        for judgement in now:
            other = then.get(judgement.comment_id)
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
