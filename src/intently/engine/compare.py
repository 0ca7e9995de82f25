"""Weigh a proposed policy on real history: which judgements would change, from what to what.

A proposal may change the rules' settings, or their list itself: add a rule, remove one, put them in another
order. Both policies are applied as they are (each its own list, in its own order), so a judgement names the rule
of the policy that made it; :func:`rule_changes` says how the two lists differ.
"""

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


@dataclass(frozen=True, slots=True)
class RuleChanges:
    """How the proposal's list of rules differs from the current one, by rule id."""

    added: tuple[str, ...] = ()
    """In the proposal only (in its order)."""
    removed: tuple[str, ...] = ()
    """In the current policy only (in its order)."""
    moved: tuple[str, ...] = ()
    """In both, but tried in another order: the fewest rules whose moving explains the proposal's order (in the
    proposal's order)."""
    changed: tuple[str, ...] = ()
    """In both, with another verdict, condition, title, rationale or switched on or off (in the proposal's order)."""

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.moved or self.changed)

    def describe(self) -> list[str]:
        """One line per kind of change, e.g. ``added: pairing``."""
        kinds = (("added", self.added), ("removed", self.removed), ("moved", self.moved), ("changed", self.changed))
        return [f"{kind}: {', '.join(ids)}" for kind, ids in kinds if ids]


def rule_changes(current: Policy, proposed: Policy) -> RuleChanges:
    """The rules the proposal adds, removes, moves (another order) or changes."""
    now, then = current.rules, proposed.rules
    both_now = [rule_id for rule_id in now if rule_id in then]
    both_then = [rule_id for rule_id in then if rule_id in now]
    kept = _kept_in_order(both_now, both_then)
    return RuleChanges(
        added=tuple(rule_id for rule_id in then if rule_id not in now),
        removed=tuple(rule_id for rule_id in now if rule_id not in then),
        moved=tuple(rule_id for rule_id in both_then if rule_id not in kept),
        changed=tuple(
            rule_id
            for rule_id in both_then
            if now[rule_id].model_dump(mode="json") != then[rule_id].model_dump(mode="json")
        ),
    )


def _kept_in_order(before: list[str], after: list[str]) -> set[str]:
    """The most rules that keep their order from ``before`` to ``after`` (a longest common subsequence): the
    others moved."""
    longest = [[0] * (len(after) + 1) for _ in range(len(before) + 1)]
    for i in range(len(before) - 1, -1, -1):
        for j in range(len(after) - 1, -1, -1):
            longest[i][j] = (
                longest[i + 1][j + 1] + 1 if before[i] == after[j] else max(longest[i + 1][j], longest[i][j + 1])
            )
    kept: set[str] = set()
    i = j = 0
    while i < len(before) and j < len(after):
        if before[i] == after[j]:
            kept.add(before[i])
            i, j = i + 1, j + 1
        elif longest[i + 1][j] >= longest[i][j + 1]:
            i += 1
        else:
            j += 1
    return kept


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
    rules: RuleChanges = field(default_factory=RuleChanges)
    """How the two lists of rules differ."""
    titles: dict[str, str] = field(default_factory=dict)
    """Every rule id of either policy → its title (the proposal's, for a rule both have)."""

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
    current_reason: str = ""
    proposed_reason: str = ""


def _judged_twice(
    history: TicketHistory, users: Mapping[Id, User], current: Policy, proposed: Policy
) -> Iterator[tuple[Judgement, Judgement | None]]:
    """Each judgement of the ticket under the current policy, with the same comment's under the proposed one."""
    then = {j.comment_id: j for j in judge_ticket(history, users, proposed, outcome=False).judgements}
    for judgement in judge_ticket(history, users, current, outcome=False).judgements:
        yield judgement, then.get(judgement.comment_id)


def compare_policies(
    histories: Iterable[TicketHistory], users: Mapping[Id, User], current: Policy, proposed: Policy
) -> Comparison:
    """Judge every ticket under both policies and count what changes."""
    comparison = Comparison(
        rules=rule_changes(current, proposed), titles={**current.rule_titles(), **proposed.rule_titles()}
    )
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
                    judgement.ticket_id,
                    judgement.comment_id,
                    judgement.author_id,
                    judgement.created_at,
                    before,
                    after,
                    judgement.reason,
                    other.reason,
                )
