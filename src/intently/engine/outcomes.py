"""What happened to a ticket, read from its history: solved when, reopened how often, rated how, answered when.

Pure and per ticket, like the judgements (:func:`intently.engine.judge_ticket` returns both), so every source
gives the same figures: a Zendesk export, the API sync, webhooks or neutral JSON Lines. And the one definition of
a ticket's **collaboration class** from its judgements (:func:`collaboration_class`).

Definitions (the handbook and ``docs/outcomes.md`` say the same in words):

* **solved**: the first change of status to ``solved``; *resolution hours* are calendar hours from the ticket's
  creation to then;
* **reopened**: each change from ``solved`` back to ``new``, ``open``, ``pending`` or ``hold``;
* **satisfaction**: the last ``good`` or ``bad`` rating in the history; where the history has no rating at all,
  the ticket's own rating; ``offered`` and ``unoffered`` are not ratings;
* **first reply**: the first public comment by an agent after the ticket's description (hours from creation);
* **customer replies**: comments by the customer (anyone who is not an agent) after the description; *agent
  replies*: public comments by agents after the description. Machine comments (triggers) count as neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from intently.engine.voices import is_agent_reply, is_customer, opening_comment
from intently.model import (
    Comment,
    Event,
    Id,
    SatisfactionRating,
    StatusChange,
    Ticket,
    User,
    satisfaction_score,
)

SOLVED = "solved"
REOPEN_TO = frozenset({"new", "open", "pending", "hold"})
RATED = ("good", "bad")

CLASSES = ("solo", "intentional", "drive_by")
"""A ticket's collaboration class, from its judgements (:func:`collaboration_class`)."""
CLASS_LABELS = {"solo": "Solo", "intentional": "Intentional help", "drive_by": "Drive-by"}


def collaboration_class(verdicts: Iterable[str]) -> str | None:
    """``drive_by`` with at least one drive-by; else ``intentional`` with at least one intentional judgement; else
    ``solo`` (every judged comment the assignee's or taking the ticket: one voice at a time). ``None`` for a ticket
    without a judged comment: nobody worked it, so it is in no class."""
    seen = set(verdicts)
    if not seen:
        return None
    if "drive_by" in seen:
        return "drive_by"
    if "intentional" in seen:
        return "intentional"
    return "solo"


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 3600


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """One ticket's outcome (see the module's definitions)."""

    ticket_id: Id
    created_at: datetime
    solved_at: datetime | None = None
    reopens: int = 0
    satisfaction: str | None = None
    """``good``, ``bad`` or ``None`` (not rated)."""
    first_reply_at: datetime | None = None
    customer_replies: int = 0
    agent_replies: int = 0

    @property
    def resolution_hours(self) -> float | None:
        return _hours(self.created_at, self.solved_at)

    @property
    def first_reply_hours(self) -> float | None:
        return _hours(self.created_at, self.first_reply_at)

    @property
    def reopened(self) -> bool:
        return self.reopens > 0


def _satisfaction(ticket: Ticket, ratings: Sequence[str]) -> str | None:
    if not ratings:
        score = satisfaction_score(ticket.satisfaction)
        return score if score in RATED else None
    rated = [score for score in ratings if score in RATED]
    return rated[-1] if rated else None


def ticket_outcome(ticket: Ticket, events: Sequence[Event], users: Mapping[Id, User]) -> Outcome:
    """The outcome of one ticket from its events (in time order) and who is an agent."""
    opening = opening_comment(events)
    status: str | None = None
    solved_at: datetime | None = None
    reopens = 0
    ratings: list[str] = []
    first_reply_at: datetime | None = None
    customer = agent = 0
    for event in events:
        if isinstance(event, StatusChange):
            new = event.status
            if new == SOLVED and solved_at is None:
                solved_at = event.at
            elif status == SOLVED and new in REOPEN_TO:
                reopens += 1
            status = new
        elif isinstance(event, Comment):
            if event is opening:
                continue
            if event.public and is_agent_reply(users, event, opening):
                agent += 1
                if first_reply_at is None:
                    first_reply_at = event.at
            elif is_customer(users, event):
                customer += 1
        elif isinstance(event, SatisfactionRating):
            score = satisfaction_score(event.score)
            if score is not None:
                ratings.append(score)
    return Outcome(
        ticket_id=ticket.id,
        created_at=ticket.created_at,
        solved_at=solved_at,
        reopens=reopens,
        satisfaction=_satisfaction(ticket, ratings),
        first_reply_at=first_reply_at,
        customer_replies=customer,
        agent_replies=agent,
    )
