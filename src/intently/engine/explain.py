"""A ticket's timeline with each judgement, the rule that decided it (by id and title, from the policy's own list of
rules) and its reason, for people to read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from intently.engine import Judgement, judge_ticket
from intently.model import (
    AssigneeChange,
    Comment,
    Event,
    FieldChange,
    Group,
    Id,
    StatusChange,
    TagsChange,
    TicketHistory,
    User,
    WatchersChange,
    user_name,
)
from intently.policy import Policy

PREVIEW = 90


@dataclass(frozen=True)
class TimelineEntry:
    event: Event
    who: str
    what: str
    judgement: Judgement | None = None
    not_judged: str | None = None
    rule_title: str | None = None
    """The title of the rule that decided the judgement: the policy's own, whatever rules its list holds."""

    @property
    def decided(self) -> str | None:
        """``intentional by rule handed_voice (Handed the reply): <reason>``; None for an event not judged."""
        j = self.judgement
        if j is None:
            return None
        title = f" ({self.rule_title})" if self.rule_title else ""
        return f"{j.verdict} by rule {j.rule}{title}: {j.reason}"


def _name(users: Mapping[Id, User], user_id: Id | None) -> str:
    if user_id == -1:
        return "system"
    known = user_id is None or user_id in users
    return user_name(users, user_id) + ("" if known else " (unknown)")


def _names(users: Mapping[Id, User], ids: tuple[Id, ...]) -> str:
    return ", ".join(_name(users, user_id) for user_id in ids)


def describe(event: Event, users: Mapping[Id, User], groups: Mapping[Id, Group] | None = None) -> str:
    """One line saying what the event did (comment text shortened; it is the user's own terminal)."""
    if isinstance(event, Comment):
        text = " ".join(event.body[: PREVIEW * 4].split())  # a comment can be 100 MB: split only its start
        if len(text) > PREVIEW:
            text = text[: PREVIEW - 1] + "…"
        author = users.get(event.author) if event.author is not None else None
        if author is not None and author.is_agent:
            kind = "public reply" if event.public else "internal note"
        else:
            kind = "public comment" if event.public else "private comment"
        return f"{kind}: {text}" if text else kind
    if isinstance(event, AssigneeChange):
        return f"assigned to {_name(users, event.assignee)}" if event.assignee is not None else "unassigned"
    if isinstance(event, WatchersChange):
        label = "follower" if event.kind == "follower" else "CC"
        parts = []
        if event.added:
            parts.append(f"added {label} {_names(users, event.added)}")
        if event.removed:
            parts.append(f"removed {label} {_names(users, event.removed)}")
        return "; ".join(parts) or f"{label}s unchanged"
    if isinstance(event, TagsChange):
        parts = []
        if event.added:
            parts.append("tagged " + ", ".join(event.added))
        if event.removed:
            parts.append("untagged " + ", ".join(event.removed))
        return "; ".join(parts)
    if isinstance(event, FieldChange):
        group = groups.get(event.value) if groups is not None and isinstance(event.value, int | str) else None
        if event.field == "group_id" and group is not None:
            return f"moved to group {group.name}"
        value = event.value
        if value is None or value == "" or value == [] or value == ():
            return f"set {event.field} to none"  # never a raw "None" where a person reads
        if isinstance(value, list | tuple):
            return f"set {event.field} to " + ", ".join(str(v) for v in value)
        return f"set {event.field} to {value}"
    if isinstance(event, StatusChange):
        return f"status {event.status or 'unknown'}"
    return type(event).__name__  # pragma: no cover


def timeline(
    history: TicketHistory,
    users: Mapping[Id, User],
    policy: Policy,
    groups: Mapping[Id, Group] | None = None,
) -> list[TimelineEntry]:
    result = judge_ticket(history, users, policy, outcome=False)
    judged = {j.comment_id: j for j in result.judgements}
    skipped = {s.comment_id: s.why for s in result.skipped}
    first_comment = next((e for e in history.events if isinstance(e, Comment)), None)
    titles = policy.rule_titles()
    entries = []
    for event in history.events:
        who = _name(users, event.author if isinstance(event, Comment) else event.actor)
        note = None
        if isinstance(event, Comment) and event.id not in judged:
            if event.id in skipped:
                note = f"not judged: {skipped[event.id]}"
            elif event is first_comment:
                note = "not judged: the opening description"
            elif event.via in ("rule", "system"):
                note = "not judged: written by a trigger or automation"
            else:
                note = f"not judged: {_not_an_agent(event, users, history.ticket.requester_id)}"
        judgement = judged.get(event.id)
        title = titles.get(judgement.rule) if judgement is not None else None
        entries.append(TimelineEntry(event, who, describe(event, users, groups), judgement, note, title))
    return entries


def _not_an_agent(comment: Comment, users: Mapping[Id, User], requester: Id | None) -> str:
    """Who wrote a comment the engine does not judge because no agent wrote it, in words."""
    author = users.get(comment.author) if comment.author is not None else None
    if comment.author is None:
        return "the comment names no author"
    if author is not None and author.role == "service":
        return "a note by intently itself (its Zendesk API user)"
    if comment.author == requester:
        return "written by the customer"
    return "written by an end-user, not an agent (a CC, or someone Zendesk no longer lists as an agent)"
