"""What the engine says about each agent comment, and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from intently.engine.outcomes import Outcome
from intently.model import Id, iso

VERDICT_LABELS: dict[str, str] = {
    "assignee": "Assignee's own work",
    "ownership_change": "Took the ticket",
    "intentional": "Intentional help",
    "drive_by": "Drive-by",
}
"""Plain-language names for the verdicts: the one vocabulary of the terminal, the report, the handbook, the pages
and their CSV (the verdict's id stays in machine output: ``classify``'s JSON Lines and the API)."""


def verdict_label(verdict: str) -> str:
    """A verdict's plain-language name (its id when it has none)."""
    return VERDICT_LABELS.get(verdict, verdict)


EXPORT_FIELDS = (
    "ticket_id",
    "comment_id",
    "author_id",
    "created_at",
    "public",
    "assignee_id",
    "verdict",
    "rule",
    "reason",
    "evidence",
    "out_of_region",
    "acknowledged",
)
"""The fields of one judgement in ``classify --format jsonl``, in order."""


@dataclass(slots=True)
class Evidence:
    """One event a judgement rests on: what happened, when, and by whom."""

    event_id: Id
    what: str
    at: datetime
    by: Id | None
    detail: str = ""

    def to_dict(self, time: Callable[[datetime], Any] = iso) -> dict[str, Any]:
        """As JSON; ``time`` writes the time (see :meth:`Judgement.to_export`)."""
        return {"event_id": self.event_id, "what": self.what, "at": time(self.at), "by": self.by, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        return cls(
            event_id=data["event_id"],
            what=data["what"],
            at=datetime.fromisoformat(data["at"]),
            by=data.get("by"),
            detail=data.get("detail", ""),
        )


@dataclass(slots=True, kw_only=True)
class Judgement:
    """The one judgement of one agent comment."""

    ticket_id: Id
    comment_id: Id
    author_id: Id
    created_at: datetime
    public: bool
    assignee_id: Id | None
    verdict: str
    rule: str
    reason: str
    evidence: tuple[Evidence, ...]
    out_of_region: bool | None
    acknowledged: bool | None
    # Context for metrics, from the policy's organisation facts (not part of the jsonl export).
    author_region: str | None = None
    preferred_region: str | None = None
    assignee_region: str | None = None
    priority: str | None = None
    pod: str | None = None
    """The author's pod when the ticket carried that pod's topic tags at the comment."""
    assignee_in_pod: bool | None = None

    def to_export(self, time: Callable[[datetime], Any] = iso) -> dict[str, Any]:
        """The judgement as one ``classify --format jsonl`` object: exactly :data:`EXPORT_FIELDS`. ``time`` writes
        each time (:func:`~intently.model.iso`; :func:`~intently.model.utc` leaves a UTC time for orjson, which
        writes it the same way, faster)."""
        return {
            "ticket_id": self.ticket_id,
            "comment_id": self.comment_id,
            "author_id": self.author_id,
            "created_at": time(self.created_at),
            "public": self.public,
            "assignee_id": self.assignee_id,
            "verdict": self.verdict,
            "rule": self.rule,
            "reason": self.reason,
            "evidence": [item.to_dict(time) for item in self.evidence],
            "out_of_region": self.out_of_region,
            "acknowledged": self.acknowledged,
        }


@dataclass(frozen=True, slots=True)
class Skipped:
    """An agent-looking comment the engine could not judge, and why (e.g. its author is unknown)."""

    ticket_id: Id
    comment_id: Id
    author_id: Id | None
    why: str


@dataclass(frozen=True, slots=True)
class TicketResult:
    ticket_id: Id
    judgements: tuple[Judgement, ...]
    skipped: tuple[Skipped, ...] = field(default=())
    outcome: Outcome | None = None
    """What happened to the ticket (solved, reopened, rated, answered): :mod:`intently.engine.outcomes`."""


def invites(asked_by: Id | None, invitee_id: Id | None, agent_id: Id | None) -> bool:
    """An invitation asks ``agent_id`` when someone else made it, to them or (a tag) to anyone."""
    return asked_by != agent_id and (invitee_id is None or invitee_id == agent_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Solicitation:
    """An invitation to help in force on a ticket: a solicitation tag (anyone but its author may answer) or an
    agent made follower or CC by someone else. ``answered_by``: the agents who have written since, in order."""

    kind: str
    """``tag``, ``follower`` or ``cc``."""
    tag: str | None
    invitee_id: Id | None
    """The agent asked; None for a tag."""
    asked_by: Id | None
    at: datetime
    event_id: Id
    detail: str
    """In words, e.g. "Ana Lima added Bo Chen as a follower at 2026-03-02 10:00 UTC"."""
    answered_by: tuple[Id, ...] = ()

    @property
    def open(self) -> bool:
        return not self.answered_by

    def asks(self, agent_id: Id | None) -> bool:
        """Whether a comment by ``agent_id`` now would count as asked for."""
        return invites(self.asked_by, self.invitee_id, agent_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "tag": self.tag,
            "invitee_id": self.invitee_id,
            "asked_by": self.asked_by,
            "at": iso(self.at),
            "event_id": self.event_id,
            "detail": self.detail,
            "open": self.open,
            "answered_by": list(self.answered_by),
        }
