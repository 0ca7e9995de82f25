"""What a reply would be judged before it is sent, and what the agent could do instead.

Nothing here knows a rule. Every answer comes from the engine: the stored history gets hypothetical
events appended (the reply itself, an internal note instead, being asked, being assigned), the ticket is
judged with :func:`intently.engine.judge_ticket`, and the judgement of the hypothetical comment is read.
So the advice always agrees with the policy in force, whatever it says.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from intently.engine import Judgement, judge_ticket, solicitations
from intently.model import (
    AssigneeChange,
    Comment,
    Directory,
    Event,
    Id,
    TagsChange,
    TicketHistory,
    User,
    WatchersChange,
)
from intently.policy import Policy

REPLY_ID = "intently:reply"
_PROBE = User(id="intently:probe", name="intently", role="agent")


@dataclass(frozen=True, slots=True)
class PathStep:
    """One thing the agent could do instead of a drive-by, and how the policy would judge it."""

    action: str
    """``internal_note``, ``ask_assignee`` or ``request_handover``."""
    description: str
    verdict: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "description": self.description, "verdict": self.verdict, "rule": self.rule}


def judge_reply(
    history: TicketHistory,
    users: Mapping[Id, User],
    policy: Policy,
    agent_id: Id,
    public: bool,
    at: datetime,
    before: tuple[Event, ...] = (),
    same_update: tuple[Event, ...] = (),
) -> Judgement | None:
    """The judgement a comment by ``agent_id`` at ``at`` would get, after the ``before`` events and with
    the ``same_update`` events made together with it; None when the engine would not judge it (e.g. the
    ticket has no comment yet, so it would be the ticket's description)."""
    reply = Comment(
        id=REPLY_ID, at=at, actor=agent_id, update=REPLY_ID, via="web", author=agent_id, public=public, body=""
    )
    events = (*history.events, *before, *same_update, reply)
    result = judge_ticket(TicketHistory(ticket=history.ticket, events=events), users, policy)
    return next((j for j in result.judgements if j.comment_id == REPLY_ID), None)


def reply_time(history: TicketHistory, now: datetime) -> datetime:
    """``now``, or just after the last event when the history runs ahead of this clock."""
    if history.events:
        last = max(event.at for event in history.events)
        if last >= now:
            return last + timedelta(seconds=1)
    return now


def check_reply(
    history: TicketHistory, users: Mapping[Id, User], policy: Policy, agent_id: Id, public: bool, now: datetime
) -> dict[str, Any] | None:
    """What a reply by ``agent_id`` would be judged if sent ``now``, and the intentional path for a drive-by;
    None when the ticket has no description yet. Used by ``POST /api/check-reply`` and the sidebar page."""
    at = reply_time(history, now)
    judged = judge_reply(history, users, policy, agent_id, public, at)
    if judged is None:
        return None
    path = (
        [step.to_dict() for step in intentional_path(history, users, policy, agent_id, at)]
        if judged.verdict == "drive_by"
        else []
    )
    return {
        "verdict": judged.verdict,
        "rule": judged.rule,
        "reason": judged.reason,
        "intentional_path": path,
        "assignee_id": judged.assignee_id,
        "out_of_region": judged.out_of_region,
    }


def intentional_path(
    history: TicketHistory, users: Mapping[Id, User], policy: Policy, agent_id: Id, at: datetime
) -> list[PathStep]:
    """For a public reply that would be a drive-by: the alternatives that would not be, each judged."""
    steps: list[PathStep] = []
    reply = judge_reply(history, users, policy, agent_id, True, at)
    if reply is None:
        return steps
    assignee = reply.assignee_id

    note = judge_reply(history, users, policy, agent_id, False, at)
    if note is not None and note.verdict != "drive_by":
        steps.append(
            PathStep(
                "internal_note",
                "Leave an internal note with what you found instead of a public reply"
                + (f"; {_name(users, assignee)} keeps the ticket and answers the customer." if assignee else "."),
                note.verdict,
                note.rule,
            )
        )

    if assignee is not None and assignee != agent_id:
        asked = _ask(history, users, policy, agent_id, at, assignee)
        if asked is not None:
            steps.append(asked)

    handover = AssigneeChange(
        id="intently:handover", at=at, actor=agent_id, update=REPLY_ID, via="web", assignee=agent_id
    )
    taken = judge_reply(history, users, policy, agent_id, True, at, same_update=(handover,))
    if taken is not None and taken.verdict != "drive_by":
        window = policy.ownership_window
        when = (
            f"in the same update or within {_minutes(window)} after replying"
            if window > timedelta(0)
            else "in the same update"
        )
        whom = f"ask {_name(users, assignee)} to hand the ticket over" if assignee is not None else "take the ticket"
        steps.append(
            PathStep(
                "request_handover",
                f"Request a handover: {whom} and be assigned {when}; you own the reply.",
                taken.verdict,
                taken.rule,
            )
        )
    return steps


def _ask(
    history: TicketHistory,
    users: Mapping[Id, User],
    policy: Policy,
    agent_id: Id,
    at: datetime,
    assignee: Id,
) -> PathStep | None:
    """Being asked by the assignee: the first way the policy accepts (a tag, being added as follower, as CC)."""
    tags, followers, ccs = policy.solicitation
    asker = _name(users, assignee)
    asks: list[tuple[Event, str]] = []
    for tag in tags:
        event: Event = TagsChange(
            id="intently:ask", at=at, actor=assignee, update="intently:ask", via="web", added=(tag,)
        )
        asks.append((event, f"ask {asker} to add the {tag} tag before you reply"))
    for enabled, kind, label in ((followers, "follower", "a follower"), (ccs, "cc", "a CC")):
        if enabled:
            event = WatchersChange(
                id="intently:ask",
                at=at,
                actor=assignee,
                update="intently:ask",
                via="web",
                kind=kind,  # type: ignore[arg-type]
                added=(agent_id,),
            )
            asks.append((event, f"ask {asker} to add you as {label} before you reply"))
    later = at + timedelta(seconds=1)
    for ask, how in asks:
        judged = judge_reply(history, users, policy, agent_id, True, later, before=(ask,))
        if judged is not None and judged.verdict != "drive_by":
            return PathStep("ask_assignee", f"Ask the assignee: {how}.", judged.verdict, judged.rule)
    return None


def history_before(history: TicketHistory, comment_id: Id) -> tuple[TicketHistory, datetime] | None:
    """The history up to (not including) the update that carries ``comment_id``, and that update's time."""
    for index, event in enumerate(history.events):
        if isinstance(event, Comment) and event.id == comment_id:
            start = index
            while start > 0 and history.events[start - 1].update == event.update:
                start -= 1
            return TicketHistory(ticket=history.ticket, events=history.events[:start]), event.at
    return None


@dataclass(frozen=True, slots=True)
class TicketNow:
    assignee_id: Id | None
    preferred_region: str | None
    assignee_region: str | None = None


def ticket_now(history: TicketHistory, users: Mapping[Id, User], policy: Policy, now: datetime) -> TicketNow:
    """The ticket's assignee and preferred region at the end of its history, as the engine sees them."""
    probe = judge_reply(history, ChainMap({_PROBE.id: _PROBE}, users), policy, _PROBE.id, False, now)  # type: ignore[arg-type]
    if probe is None:
        return TicketNow(history.ticket.assignee_id, None)
    return TicketNow(probe.assignee_id, probe.preferred_region, probe.assignee_region)


def invitations(
    history: TicketHistory, directory: Directory, policy: Policy, agent_id: Id | None = None
) -> list[dict[str, Any]]:
    """The ticket's invitations to help in force (:func:`intently.engine.solicitations`), open ones first,
    with names, and with ``asks_agent`` when an agent is given: what the sidebar lists and
    ``GET /api/tickets/{id}/judgements`` answers."""
    found = sorted(solicitations(history, directory.users, policy), key=lambda s: (not s.open, s.at))
    return [
        {
            **item.to_dict(),
            "invitee": directory.name_of(item.invitee_id) if item.invitee_id is not None else None,
            "asked_by_name": directory.name_of(item.asked_by) if item.asked_by is not None else None,
            "answered_by_names": [directory.name_of(user_id) for user_id in item.answered_by],
            **({"asks_agent": item.asks(agent_id)} if agent_id is not None else {}),
        }
        for item in found
    ]


def _name(users: Mapping[Id, User], user_id: Id | None) -> str:
    if user_id is None:
        return "nobody"
    user = users.get(user_id)
    return user.name if user else f"user {user_id}"


def _minutes(window: timedelta) -> str:
    from intently.policy.schema import format_duration

    return format_duration(window)
