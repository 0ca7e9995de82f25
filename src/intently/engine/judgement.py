"""What the engine says about each agent comment, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from intently.model import Id, iso

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

    def to_dict(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "what": self.what, "at": iso(self.at), "by": self.by, "detail": self.detail}

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

    def to_export(self) -> dict[str, Any]:
        """The judgement as one ``classify --format jsonl`` object: exactly :data:`EXPORT_FIELDS`."""
        return {
            "ticket_id": self.ticket_id,
            "comment_id": self.comment_id,
            "author_id": self.author_id,
            "created_at": iso(self.created_at),
            "public": self.public,
            "assignee_id": self.assignee_id,
            "verdict": self.verdict,
            "rule": self.rule,
            "reason": self.reason,
            "evidence": [item.to_dict() for item in self.evidence],
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
