"""One row per worked ticket: its collaboration class, what the judgements say about it, and its outcome.

What :mod:`intently.report.outcomes` (outcomes by class, adjusted comparison) and :mod:`intently.report.pilot`
(before/after evaluation of a pilot) count. Built from stored judgements and outcomes, or from a what-if run's
results in memory; never by applying a rule again (the class is :func:`intently.engine.outcomes.collaboration_class`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Self

from intently.engine import judge_ticket
from intently.engine.judgement import Judgement, TicketResult
from intently.engine.outcomes import Outcome, collaboration_class
from intently.model import Group, Id, Ticket, TicketHistory, User, id_sort_key
from intently.policy import Policy
from intently.store import Store

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketFacts:
    """A ticket with at least one judged comment (a ticket nobody worked is in no class)."""

    ticket_id: Id
    created_at: datetime
    klass: str
    """``solo``, ``intentional`` or ``drive_by``."""
    priority: str | None
    """The ticket's priority now."""
    group: str | None
    """The ticket's group now, by name (its id where the name is unknown)."""
    preferred_region: str | None
    assignee_id: Id | None
    """The ticket's assignee now."""
    assignee_region: str | None
    """The region of the assignee at the ticket's last judged comment."""
    drive_bys: int
    intentional: int
    """Judgements ``intentional`` (help by a contributor)."""
    notes: int
    """Internal notes by contributors (someone other than the assignee)."""
    notes_acknowledged: int
    outcome: Outcome
    group_id: Id | None = None
    judged: int = 0
    """Judged comments on the ticket."""
    last_at: datetime | None = None
    """When the last judged comment was written."""


OUTCOMES: dict[str, Callable[[Outcome], bool]] = {
    "rated": lambda o: o.satisfaction is not None,
    "good": lambda o: o.satisfaction == "good",
    "bad": lambda o: o.satisfaction == "bad",
    "solved": lambda o: o.solved_at is not None,
    "unsolved": lambda o: o.solved_at is None,
    "reopened": lambda o: o.reopened,
    "replied": lambda o: o.first_reply_at is not None,
}
"""The tickets behind each outcome figure, by name (what a link to them says): rated (good or bad), rated good,
rated bad, solved (at least once), never solved, reopened, answered by an agent."""


def _group_name(group_id: Id | None, groups: Mapping[Id, Group]) -> str | None:
    if group_id is None:
        return None
    group = groups.get(group_id)
    return group.name if group is not None and group.name else str(group_id)


def _facts(
    ticket_id: Id, found: Sequence[Judgement], outcome: Outcome, ticket: Ticket | None, groups: Mapping[Id, Group]
) -> TicketFacts | None:
    klass = collaboration_class(j.verdict for j in found)
    if klass is None:
        return None
    found = sorted(found, key=lambda j: j.created_at)
    last = found[-1]
    notes = [j for j in found if not j.public and j.author_id != j.assignee_id]
    return TicketFacts(
        ticket_id=ticket_id,
        created_at=outcome.created_at,
        klass=klass,
        priority=ticket.priority if ticket is not None and ticket.priority is not None else last.priority,
        group=_group_name(ticket.group_id if ticket else None, groups),
        group_id=ticket.group_id if ticket else None,
        preferred_region=next((j.preferred_region for j in reversed(found) if j.preferred_region), None),
        assignee_id=ticket.assignee_id if ticket else last.assignee_id,
        assignee_region=last.assignee_region,
        drive_bys=sum(1 for j in found if j.verdict == "drive_by"),
        intentional=sum(1 for j in found if j.verdict == "intentional"),
        notes=len(notes),
        notes_acknowledged=sum(1 for j in notes if j.acknowledged is True),
        outcome=outcome,
        judged=len(found),
        last_at=last.created_at,
    )


def ticket_facts(
    judgements: Iterable[Judgement],
    outcomes: Mapping[Id, Outcome],
    tickets: Mapping[Id, Ticket],
    groups: Mapping[Id, Group],
) -> list[TicketFacts]:
    """A :class:`TicketFacts` for every ticket with a judgement and a known outcome (the store's), by ticket id."""
    by_ticket: dict[Id, list[Judgement]] = defaultdict(list)
    for judgement in judgements:
        by_ticket[judgement.ticket_id].append(judgement)
    facts: list[TicketFacts] = []
    for ticket_id in sorted(by_ticket, key=id_sort_key):
        outcome = outcomes.get(ticket_id)
        if outcome is None:
            continue
        row = _facts(ticket_id, by_ticket[ticket_id], outcome, tickets.get(ticket_id), groups)
        if row is not None:
            facts.append(row)
    return facts


class FactsCollector:
    """The worked tickets of a run that judges in memory (a what-if, or files), gathered while its judgements
    stream on to the metrics: the tickets are judged once for both."""

    def __init__(self, groups: Mapping[Id, Group]) -> None:
        self._groups = groups
        self._facts: list[TicketFacts] = []

    def add(self, ticket: Ticket, result: TicketResult) -> None:
        if result.outcome is None:
            return
        row = _facts(ticket.id, result.judgements, result.outcome, ticket, self._groups)
        if row is not None:
            self._facts.append(row)

    def judgements(
        self, histories: Iterable[TicketHistory], users: Mapping[Id, User], policy: Policy
    ) -> Iterator[Judgement]:
        """Judge each history, keep its facts, and yield its judgements."""
        for history in histories:
            result = judge_ticket(history, users, policy)
            self.add(history.ticket, result)
            yield from result.judgements

    def facts(self) -> list[TicketFacts]:
        """What was gathered so far, in ticket id order."""
        return sorted(self._facts, key=lambda f: id_sort_key(f.ticket_id))


def _text(value: Id | None) -> str:
    return "" if value is None else str(value)


def utc_day(at: datetime) -> date:
    """The calendar day of ``at`` in UTC (a naive time is taken as UTC)."""
    return (at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)).date()


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """Which tickets an outcome figure counts, as the dashboard's filters read at the ticket's level:
    ``start``/``end``: the day the ticket was created (UTC, inclusive); ``region``: its preferred region
    (``unknown`` for none); ``pod``: its assignee now is in that pod; ``group``: its group now (name or id);
    ``priority``: its priority now."""

    start: date | None = None
    end: date | None = None
    region: str | None = None
    pod: str | None = None
    group: str | None = None
    priority: str | None = None

    def items(self) -> list[tuple[str, str]]:
        """The filters set, as (name, value) in the command line's words: ``[("from", "2026-10-01"), ...]``."""
        pairs = [
            ("from", self.start.isoformat() if self.start else None),
            ("to", self.end.isoformat() if self.end else None),
            ("region", self.region),
            ("pod", self.pod),
            ("group", self.group),
            ("priority", self.priority),
        ]
        return [(name, value) for name, value in pairs if value]

    def reversed_period(self) -> str | None:
        """What is wrong with a period that ends before it starts, naming both dates; None for any other."""
        if self.start is not None and self.end is not None and self.end < self.start:
            return f"to {self.end.isoformat()}: before from {self.start.isoformat()}"
        return None

    def known(self, policy: Policy, groups: Iterable[Group]) -> Self:
        """The filter with its region and priority in the policy's words ("emea" is EMEA, "High" high). A period
        that ends before it starts, or a region, pod, group or priority nobody knows, is a ValueError naming the
        filter and the known values: a typo would otherwise count nothing, silently."""
        reversed_period = self.reversed_period()
        if reversed_period is not None:
            raise ValueError(reversed_period)
        chosen = self
        if self.region is not None and self.region != UNKNOWN:
            code = policy.region_of_value(self.region)
            if code not in policy.organisation.regions:
                known = ", ".join([*policy.organisation.regions, UNKNOWN])
                raise ValueError(f"region {self.region}: no such region in the policy (regions: {known})")
            chosen = replace(chosen, region=code)
        if self.pod is not None and self.pod not in policy.organisation.pods:
            known = ", ".join(sorted(policy.organisation.pods)) or "none"
            raise ValueError(f"pod {self.pod}: no such pod in the policy (pods: {known})")
        if self.group is not None:
            groups = list(groups)
            if self.group not in {str(g.id) for g in groups} | {g.name for g in groups if g.name}:
                known = ", ".join(sorted(g.name or str(g.id) for g in groups)) or "none"
                raise ValueError(f"group {self.group}: no such group (groups: {known})")
        if self.priority is not None:
            priorities = list(policy.organisation.reply_targets)  # Zendesk's urgent, high, normal, low
            match = next((p for p in priorities if p.lower() == self.priority.strip().lower()), None)
            if match is None:
                raise ValueError(f"priority {self.priority}: no such priority (priorities: {', '.join(priorities)})")
            chosen = replace(chosen, priority=match)
        return chosen

    def keep(self, fact: TicketFacts, policy: Policy, users: Mapping[Id, User]) -> bool:
        day = utc_day(fact.created_at)
        if self.start is not None and day < self.start:
            return False
        if self.end is not None and day > self.end:
            return False
        if self.region is not None and (fact.preferred_region or UNKNOWN) != self.region:
            return False
        if self.priority is not None and (fact.priority or "") != self.priority:
            return False
        if self.group is not None and self.group not in (
            fact.group,
            "" if fact.group_id is None else str(fact.group_id),
        ):
            return False
        return self.pod is None or (
            fact.assignee_id is not None and policy.in_pod(self.pod, users.get(fact.assignee_id))
        )

    def apply(self, facts: Iterable[TicketFacts], policy: Policy, users: Mapping[Id, User]) -> list[TicketFacts]:
        return [fact for fact in facts if self.keep(fact, policy, users)]


def stored_facts(store: Store, judgements: Iterable[Judgement] | None = None) -> list[TicketFacts]:
    """Every worked ticket in the store, by ticket id (the caller brings the judgements up to date first:
    :func:`intently.cli.common.judge_again_if_stale`). Read from the store's ticket rollups, outcomes and tickets
    in one query, without reading any judgement; from ``judgements`` instead when given (with the stored
    outcomes)."""
    groups = store.directory().groups
    if judgements is not None:
        return ticket_facts(judgements, store.outcomes(), store.tickets(), groups)
    from intently.store import queries

    with store.engine.connect() as conn:
        rows = queries.facet_rows(conn, times_as_text=True)
    return _facts_of_rows(rows, groups)


def _time(value: datetime | str) -> datetime:
    """A stored time in UTC: a datetime, or SQLite's ISO text (UTC, usually without an offset: parsed with one
    added, about five times faster than the driver's parsing and a ``replace``)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    try:
        return datetime.fromisoformat(value + "+00:00")
    except ValueError:
        return _time(datetime.fromisoformat(value))


def _facts_of_rows(rows: Iterable[Any], groups: Mapping[Id, Group]) -> list[TicketFacts]:
    """:class:`TicketFacts` of :func:`intently.store.queries.facet_rows`' rows, by ticket id. Ids repeated over
    tickets (groups, assignees) are decoded once."""
    from intently.store import decode_id

    decoded: dict[str, Id | None] = {}
    group_names: dict[Id | None, str | None] = {}
    labels: dict[str, str] = {}

    def decode(text: str | None) -> Id | None:
        if text is None:
            return None
        found = decoded.get(text, decoded)
        if found is decoded:
            found = decoded[text] = decode_id(text)
        return found  # type: ignore[return-value]

    def group_name(group_id: Id | None) -> str | None:
        if group_id not in group_names:
            group_names[group_id] = _group_name(group_id, groups)
        return group_names[group_id]

    facts = []
    for row in rows:
        (
            ticket_key,
            klass,
            judged,
            drive_bys,
            intentional,
            notes,
            notes_acknowledged,
            last_at,
            preferred_region,
            assignee_region,
            last_priority,
            last_assignee_id,
            stored_ticket,
            priority,
            assignee_id,
            group_key,
            created_at,
            solved_at,
            reopens,
            satisfaction,
            first_reply_at,
            customer_replies,
            agent_replies,
        ) = row
        stored = stored_ticket is not None
        group_id = decode(group_key) if stored else None
        ticket_id: Id = decode_id(ticket_key)  # type: ignore[assignment]
        created = _time(created_at)
        if satisfaction is not None:
            satisfaction = labels.setdefault(satisfaction, satisfaction)
        facts.append(
            TicketFacts(
                ticket_id=ticket_id,
                created_at=created,
                klass=klass,
                priority=priority if stored and priority is not None else last_priority,
                group=group_name(group_id),
                group_id=group_id,
                preferred_region=preferred_region,
                assignee_id=decode(assignee_id if stored else last_assignee_id),
                assignee_region=assignee_region,
                drive_bys=drive_bys,
                intentional=intentional,
                notes=notes,
                notes_acknowledged=notes_acknowledged,
                outcome=Outcome(
                    ticket_id=ticket_id,
                    created_at=created,
                    solved_at=None if solved_at is None else _time(solved_at),
                    reopens=reopens,
                    satisfaction=satisfaction,
                    first_reply_at=None if first_reply_at is None else _time(first_reply_at),
                    customer_replies=customer_replies,
                    agent_replies=agent_replies,
                ),
                judged=judged,
                last_at=_time(last_at),
            )
        )
    facts.sort(key=lambda f: id_sort_key(f.ticket_id))
    return facts


def judged_facts(
    histories: Iterable[TicketHistory], users: Mapping[Id, User], policy: Policy, groups: Mapping[Id, Group]
) -> list[TicketFacts]:
    """Every worked ticket of ``histories`` judged under ``policy`` in memory (files, or a what-if: nothing is
    written)."""
    collector = FactsCollector(groups)
    for _ in collector.judgements(histories, users, policy):
        pass
    return collector.facts()
