"""The Ticket page's timeline: one lane per participant (customer, assignees, contributors), every event in the
lane of who made it. Events and their descriptions come from :func:`intently.engine.explain.timeline`; a comment's
judgement is the stored one (what the charts counted), else the one the timeline made."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from intently.engine.explain import describe, timeline
from intently.engine.judgement import Judgement
from intently.model import AssigneeChange, Comment, Directory, Id, TicketHistory, User, WatchersChange, user_name
from intently.policy import Policy
from intently.report.formatting import shortened
from intently.store import Store

SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Lane:
    key: str
    name: str
    role: str
    region: str | None = None
    """The person's region under the policy (:meth:`~intently.policy.Policy.region_of_user`); None: unknown."""

    @property
    def region_text(self) -> str:
        """The region for people: its code, "region unknown", or "" for the system lane."""
        if self.key == SYSTEM:
            return ""
        return self.region or "region unknown"


@dataclass(frozen=True, slots=True)
class Row:
    at: datetime
    lane: str
    kind: str
    """``public``, ``internal`` (comments) or ``change`` (assignment, followers, tags, fields, status)."""
    label: str
    what: str
    body: str | None = None
    """A comment's text, shortened for the page (:func:`~intently.report.formatting.shortened`)."""
    comment_id: Id | None = None
    judgement: Judgement | None = None
    not_judged: str | None = None
    marker: str | None = None
    """``assignment`` or ``followers`` for the changes the issue asks to be marked."""
    body_omitted: int = 0
    """Characters of the comment left out of ``body``."""


@dataclass
class TicketView:
    history: TicketHistory
    users: dict[Id, User]
    lanes: list[Lane]
    rows: list[Row]
    judgements: list[Judgement] = field(default_factory=list)
    rule_titles: dict[str, str] = field(default_factory=dict)

    def lane(self, key: str) -> Lane:
        """The lane of ``key`` (every row's lane is one of :attr:`lanes`)."""
        return next(lane for lane in self.lanes if lane.key == key)

    def name(self, user_id: Id | None) -> str:
        return user_name(self.users, user_id)


def _lane_key(user_id: Id | None) -> str:
    return SYSTEM if user_id is None or user_id == -1 else f"u{user_id}"


def ticket_view(store: Store, policy: Policy, ticket_id: Id, directory: Directory) -> TicketView | None:
    """The ticket's timeline page; ``directory``: the people (the server keeps it cached, see Services.directory)."""
    history = store.history(ticket_id)
    if history is None:
        return None
    users = dict(directory.users)
    entries = timeline(history, users, policy, directory.groups)
    stored = {j.comment_id: j for j in store.ticket_judgements(ticket_id)}
    requester = history.ticket.requester_id
    assignees: list[Id] = [
        e.assignee for e in history.events if isinstance(e, AssigneeChange) and e.assignee is not None
    ]
    if history.ticket.assignee_id is not None:
        assignees.append(history.ticket.assignee_id)

    rows: list[Row] = []
    order: list[str] = []
    people: dict[str, Id | None] = {}
    for entry in entries:
        event = entry.event
        who = event.author if isinstance(event, Comment) else event.actor
        key = _lane_key(who)
        if key not in people:
            people[key] = None if key == SYSTEM else who
            order.append(key)
        marker = None
        if isinstance(event, Comment):
            author = users.get(event.author) if event.author is not None else None
            agent = author is not None and author.is_agent
            kind = "public" if event.public else "internal"
            label = (
                ("public reply" if event.public else "internal note")
                if agent
                else ("public comment" if event.public else "private comment")
            )
            judgement = stored.get(event.id, entry.judgement)
            body, omitted = shortened(event.body)
            rows.append(
                Row(
                    event.at,
                    key,
                    kind,
                    label,
                    "",
                    body,
                    event.id,
                    judgement,
                    None if judgement else entry.not_judged,
                    body_omitted=omitted,
                )
            )
            continue
        if isinstance(event, AssigneeChange):
            marker, label = "assignment", "assignment"
        elif isinstance(event, WatchersChange):
            marker, label = "followers", "followers" if event.kind == "follower" else "CCs"
        else:
            label = "change"
        rows.append(Row(event.at, key, "change", label, describe(event, users, directory.groups), marker=marker))

    def role(key: str) -> str:
        user_id = people[key]
        if key == SYSTEM:
            return "triggers and system"
        roles = []
        if user_id == requester:
            roles.append("customer")
        if user_id in assignees:
            roles.append("assignee")
        if any(
            r.lane == key and r.judgement is not None and r.judgement.author_id != r.judgement.assignee_id for r in rows
        ):
            roles.append("contributor")
        return ", ".join(roles) or "participant"

    def rank(key: str) -> tuple[int, int]:
        user_id = people[key]
        if key == SYSTEM:
            return (4, 0)
        if user_id == requester:
            return (0, 0)
        if user_id in assignees:
            return (1, assignees.index(user_id))
        return (2, order.index(key))

    def region(key: str) -> str | None:
        user_id = people[key]
        return None if user_id is None else policy.region_of_user(users.get(user_id))

    lanes = [
        Lane(key, "system" if key == SYSTEM else user_name(users, people[key]), role(key), region(key))
        for key in sorted(order, key=rank)
    ]
    return TicketView(
        history,
        users,
        lanes,
        rows,
        sorted(stored.values(), key=lambda j: j.created_at),
        policy.rule_titles(),
    )
