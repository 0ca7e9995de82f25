"""Judge one ticket's history under a policy: pure, deterministic, independent of input order.

The history is replayed update by update. Before each update the engine knows the ticket's state
(assignee, tags and who added them, followers and CCs and who added them, priority, preferred region,
who is waiting for a reply); each agent comment in the update is judged against that state, the
update's own changes, and what follows within the ownership window. The rules are tried in the
policy's order; the first that holds decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from intently.engine.judgement import Evidence, Judgement, Skipped, Solicitation, TicketResult, invites
from intently.engine.outcomes import ticket_outcome
from intently.engine.voices import MACHINE_CHANNELS, is_agent_reply, is_customer, opening_comment
from intently.model import (
    AssigneeChange,
    Comment,
    Event,
    FieldChange,
    Id,
    TagsChange,
    TicketHistory,
    User,
    WatchersChange,
    ordered,
)
from intently.policy.schema import ALL_REGIONS, Policy, format_duration


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at.utcoffset() == timedelta(0) else at.isoformat()


@dataclass(slots=True)
class _State:
    """The ticket as it stood just before an update."""

    assignee: Id | None = None
    assigned_by: Event | None = None
    tags: dict[str, Event | None] = field(default_factory=dict)
    followers: dict[Id, Event] = field(default_factory=dict)
    ccs: dict[Id, Event] = field(default_factory=dict)
    priority: object = None
    preferred: object = None
    last_agent_reply: Comment | None = None
    waiting_since: Comment | None = None


@dataclass(slots=True)
class _Context:
    history: TicketHistory
    users: Mapping[Id, User]
    policy: Policy
    events: Sequence[Event]

    def name(self, user_id: Id | None) -> str:
        if user_id is None:
            return "nobody"
        user = self.users.get(user_id)
        return user.name if user else f"user {user_id}"


def _groups(events: Sequence[Event]) -> list[tuple[int, int]]:
    """(start, end) index ranges of consecutive events that belong to one update."""
    ranges: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(events) + 1):
        if index == len(events) or events[index].update != events[start].update:
            ranges.append((start, index))
            start = index
    return ranges


def _start(history: TicketHistory, users: Mapping[Id, User], policy: Policy) -> tuple[_Context, _State, Comment | None]:
    """What a replay of the history starts from: its events in order, the state before the first update, and
    the ticket's first comment (its description, never judged)."""
    events = ordered(history.events)
    ctx = _Context(history=history, users=users, policy=policy, events=events)
    return ctx, _initial_state(history, events, policy), opening_comment(events)


def judge_ticket(history: TicketHistory, users: Mapping[Id, User], policy: Policy) -> TicketResult:
    """Every agent comment of the ticket gets exactly one judgement (or is skipped, with the cause)."""
    ctx, state, first_comment = _start(history, users, policy)
    events = ctx.events
    ticket = history.ticket
    judgements: list[Judgement] = []
    skipped: list[Skipped] = []
    # For acknowledgements: (group start index, assignee before that update).
    owners_before: list[tuple[int, Id | None]] = []
    notes: list[tuple[int, int]] = []  # (index into judgements, group end index) of contributor notes
    for start, end in _groups(events):
        owners_before.append((start, state.assignee))
        group = events[start:end]
        for event in group:
            if not isinstance(event, Comment) or event is first_comment:
                continue
            if event.via in MACHINE_CHANNELS:
                continue
            author = users.get(event.author) if event.author is not None else None
            if author is None:
                if event.author is not None and event.author != -1:
                    skipped.append(
                        Skipped(ticket.id, event.id, event.author, f"author {event.author} is not a known user")
                    )
                continue
            if not author.is_agent:
                continue
            judgement = _judge_comment(ctx, event, author, state, group, end)
            if not event.public and judgement.assignee_id != event.author:
                notes.append((len(judgements), end))
            judgements.append(judgement)
        _apply(state, group, ctx, first_comment)
    for index, after in notes:
        judgements[index] = _acknowledge(ctx, judgements[index], after, owners_before)
    return TicketResult(ticket.id, tuple(judgements), tuple(skipped), ticket_outcome(ticket, events, users))


# --- state ----------------------------------------------------------------------------------------


def _initial_state(history: TicketHistory, events: Sequence[Event], policy: Policy) -> _State:
    """Start empty; where the history never sets a value, fall back on the ticket's current one."""
    state = _State()
    ticket = history.ticket
    if not any(isinstance(e, AssigneeChange) for e in events):
        state.assignee = ticket.assignee_id
    fields_set = {e.field.lower() for e in events if isinstance(e, FieldChange)}
    if "priority" not in fields_set:
        state.priority = ticket.priority
    if not fields_set & policy.preferred_region_fields:
        for name, value in ticket.fields.items():
            if name.lower() in policy.preferred_region_fields:
                state.preferred = value
    return state


def _apply(state: _State, group: Sequence[Event], ctx: _Context, first_comment: Comment | None) -> None:
    for event in group:
        if isinstance(event, AssigneeChange):
            state.assignee = event.assignee
            state.assigned_by = event
        elif isinstance(event, TagsChange):
            for tag in event.removed:
                state.tags.pop(tag, None)
            for tag in event.added:
                state.tags.setdefault(tag, event)
        elif isinstance(event, WatchersChange):
            watchers = state.followers if event.kind == "follower" else state.ccs
            for user_id in event.removed:
                watchers.pop(user_id, None)
            for user_id in event.added:
                watchers.setdefault(user_id, event)
        elif isinstance(event, FieldChange):
            name = event.field.lower()
            if name == "priority":
                state.priority = event.value
            elif name in ctx.policy.preferred_region_fields:
                state.preferred = event.value
        elif isinstance(event, Comment) and event.public:
            if _is_agent_reply(ctx, event, first_comment):
                state.last_agent_reply = event
                state.waiting_since = None
            elif _is_customer(ctx, event) and state.waiting_since is None:
                state.waiting_since = event


def _is_agent_reply(ctx: _Context, comment: Comment, first: Comment | None) -> bool:
    return is_agent_reply(ctx.users, comment, first)


def _is_customer(ctx: _Context, comment: Comment) -> bool:
    return is_customer(ctx.users, comment)


# --- one comment ----------------------------------------------------------------------------------


def _evidence(event: Event, what: str, detail: str = "") -> Evidence:
    return Evidence(event.id, what, event.at, event.actor, detail)


def _judge_comment(
    ctx: _Context, comment: Comment, author: User, state: _State, group: Sequence[Event], group_end: int
) -> Judgement:
    policy = ctx.policy
    rules = policy.rules
    kind = "public reply" if comment.public else "internal note"
    who = author.name
    assignee = state.assignee
    own = _evidence(comment, kind)
    assigned = (
        [_evidence(state.assigned_by, "assigned", f"assigned to {ctx.name(assignee)}")]
        if state.assigned_by is not None and assignee is not None
        else []
    )

    def decide(rule: str, reason: str, evidence: list[Evidence]) -> Judgement:
        return _judgement(ctx, comment, author, state, rule, policy.rule(rule).verdict, reason, evidence)

    # 1. assignee
    if assignee == comment.author:
        return decide("assignee", f"{who} was the assignee when writing this {kind}.", [own, *assigned])

    # 2. ownership
    if rules.ownership.enabled:
        taken = _taken(ctx, comment, group, group_end)
        if taken is not None:
            window = format_duration(rules.ownership.window)
            if taken.update == comment.update:
                when = "in the same update"
            else:
                when = f"{format_duration(taken.at - comment.at)} later, within the {window} ownership window"
            by = "" if taken.actor == comment.author else f" (assigned by {ctx.name(taken.actor)})"
            reason = f"{who} became the assignee {when}{by}: the ticket changed owner, it did not gain a second voice."
            return decide("ownership", reason, [own, _evidence(taken, "assigned", f"assigned to {who}")])

    # 3. solicited
    if rules.solicited.enabled:
        asked = _solicitation(ctx, comment, state)
        if asked is not None:
            event, what, detail = asked
            reason = (
                f"{who} was asked to help before this {kind}: {detail}; {ctx.name(assignee)} stays the owner."
                if assignee is not None
                else f"{who} was asked to help before this {kind}: {detail}."
            )
            return decide("solicited", reason, [own, _evidence(event, what, detail), *assigned])

    # 4. internal note
    if not comment.public:
        if assignee is not None:
            reason = (
                f"Internal note by {who}: asynchronous help, {ctx.name(assignee)} keeps ownership "
                "and the customer hears one voice."
            )
        else:
            reason = (
                f"Internal note by {who} on an unassigned ticket: asynchronous help for whoever takes it; "
                "the customer hears no second voice."
            )
        return decide("internal_note", reason, [own, *assigned])

    # 5. coverage
    coverage_miss = ""
    if rules.coverage.enabled and assignee is not None:
        covered, coverage_reason, waited_on = _coverage(ctx, comment, state, group)
        if covered:
            extra = [_evidence(waited_on, "customer waiting")] if waited_on is not None else []
            return decide("coverage", f"{who} covered: {coverage_reason}.", [own, *assigned, *extra])
        coverage_miss = coverage_reason

    # 6. unowned reply
    window = format_duration(rules.ownership.window)
    if assignee is None and rules.unowned_reply.enabled:
        reason = (
            f"Public reply by {who} on an unassigned ticket that {who} did not take "
            f"(no assignment to {who} within {window})."
        )
        return decide("unowned_reply", reason, [own])

    # 7. unsolicited reply
    tags = ", ".join(rules.solicited.tags) or "none configured"
    owner = f"a ticket assigned to {ctx.name(assignee)}" if assignee is not None else "an unassigned ticket"
    why_not = f"; no coverage: {coverage_miss}" if coverage_miss else ""
    reason = (
        f"Public reply by {who} on {owner} without being asked (no {tags} tag, not added as follower or CC "
        f"by someone else) and without taking the ticket{why_not}."
    )
    return decide("unsolicited_reply", reason, [own, *assigned])


def _taken(ctx: _Context, comment: Comment, group: Sequence[Event], group_end: int) -> AssigneeChange | None:
    """The assignment that made the author the assignee in the same update or within the window after."""
    for event in group:
        if isinstance(event, AssigneeChange) and event.assignee == comment.author:
            return event
    deadline = comment.at + ctx.policy.rules.ownership.window
    for event in ctx.events[group_end:]:
        if event.at > deadline:
            break
        if isinstance(event, AssigneeChange) and event.assignee == comment.author:
            return event
    return None


@dataclass(frozen=True, slots=True)
class _Invitation:
    """Someone asking for help, as the state stands: a solicitation tag, or an agent made follower/CC."""

    event: Event
    kind: Literal["tag", "follower", "cc"]
    invitee: Id | None
    """The agent asked; None for a tag, which asks anyone but the one who added it."""
    tag: str | None = None

    def asks(self, author: Id | None) -> bool:
        return invites(self.event.actor, self.invitee, author)

    def describe(self, ctx: _Context) -> tuple[str, str]:
        """(what, detail) for evidence and reasons."""
        by = ctx.name(self.event.actor)
        if self.tag is not None:
            return "tag added", f"{by} added the {self.tag} tag at {_when(self.event.at)}"
        label = "follower" if self.kind == "follower" else "CC"
        return f"{label.lower()} added", f"{by} added {ctx.name(self.invitee)} as a {label} at {_when(self.event.at)}"


def _invitations(ctx: _Context, state: _State, author: Id | None = None) -> Iterator[_Invitation]:
    """The invitations in force, in the policy's order (tags, then followers, then CCs); only those that ask
    ``author`` when one is given. The ``solicited`` rule and :func:`solicitations` both read this."""
    rule = ctx.policy.rules.solicited
    for tag in rule.tags:
        added = state.tags.get(tag)
        if added is not None:
            invitation = _Invitation(added, "tag", None, tag)
            if author is None or invitation.asks(author):
                yield invitation
    kinds: tuple[tuple[bool, dict[Id, Event], Literal["follower", "cc"]], ...] = (
        (rule.followers, state.followers, "follower"),
        (rule.ccs, state.ccs, "cc"),
    )
    for enabled, watchers, kind in kinds:
        if not enabled:
            continue
        if author is None:
            added_by = list(watchers.items())
        else:  # one look-up, not a scan: this runs for every comment judged
            added_by = [(author, watchers[author])] if author in watchers else []
        for user_id, added in added_by:
            if added.actor != user_id:
                yield _Invitation(added, kind, user_id)


def _solicitation(ctx: _Context, comment: Comment, state: _State) -> tuple[Event, str, str] | None:
    invitation = next(_invitations(ctx, state, comment.author), None)
    if invitation is None:
        return None
    return (invitation.event, *invitation.describe(ctx))


def solicitations(history: TicketHistory, users: Mapping[Id, User], policy: Policy) -> tuple[Solicitation, ...]:
    """The invitations to help in force at the end of the history (what the ``solicited`` rule would accept
    for a comment written now), each with the agents who have written on the ticket since it was made.
    An invitation nobody has answered yet is *open*. Empty when the policy's ``solicited`` rule is off."""
    if not policy.rules.solicited.enabled:
        return ()
    ctx, state, first_comment = _start(history, users, policy)
    events = ctx.events
    for start, end in _groups(events):
        _apply(state, events[start:end], ctx, first_comment)
    found: list[Solicitation] = []
    for invitation in _invitations(ctx, state):
        position = next(index for index, event in enumerate(events) if event is invitation.event)
        answered: list[Id] = []
        for event in events[position + 1 :]:
            if not isinstance(event, Comment) or not _is_agent_reply(ctx, event, first_comment):
                continue
            author = event.author
            if author is None or author in answered or not invitation.asks(author):
                continue
            if invitation.invitee is None and author == state.assignee:
                continue  # the owner writing is not someone answering a call for help
            answered.append(author)
        found.append(
            Solicitation(
                kind=invitation.kind,
                tag=invitation.tag,
                invitee_id=invitation.invitee,
                asked_by=invitation.event.actor,
                at=invitation.event.at,
                event_id=invitation.event.id,
                detail=invitation.describe(ctx)[1],
                answered_by=tuple(answered),
            )
        )
    return tuple(found)


def _coverage(
    ctx: _Context, comment: Comment, state: _State, group: Sequence[Event]
) -> tuple[bool, str, Comment | None]:
    """Whether a public reply covered for an unavailable assignee, with the reason either way."""
    policy = ctx.policy
    assignee = ctx.users.get(state.assignee) if state.assignee is not None else None
    name = ctx.name(state.assignee)
    if any(isinstance(e, AssigneeChange) for e in group):
        return False, "the assignee was changed in the same update", None
    away = policy.out_of_office(assignee, comment.at) if assignee is not None else None
    if away is not None:
        unavailable = f"{name} was out of office"
    else:
        region = policy.region_of_user(assignee)
        if region is None:
            return False, f"{name}'s region is unknown, so their business hours are too", None
        if policy.is_business_hours(region, comment.at):
            return False, f"{name} was within {region} business hours", None
        unavailable = f"{name} was outside {region} business hours"
    target = policy.reply_target(state.priority if isinstance(state.priority, str) else None)
    first = state.last_agent_reply is None
    limit = target.first if first else target.next
    label = "first" if first else "next"
    if first:
        since: datetime | None = ctx.history.ticket.created_at
        waited_on = state.waiting_since
        since_what = "ticket creation"
    else:
        waited_on = state.waiting_since
        since = waited_on.at if waited_on is not None else None
        since_what = "the customer's comment"
    if since is None:
        return False, f"{unavailable}, but no customer comment was waiting for a reply", None
    waited = comment.at - since
    needed = limit * policy.rules.coverage.wait_fraction
    share = waited / limit if limit else 1.0
    priority = state.priority or policy.organisation.default_priority
    detail = (
        f"the customer had waited {format_duration(waited)} since {since_what}, "
        f"{_percent(share, policy.rules.coverage.wait_fraction)} of the "
        f"{format_duration(limit)} {label}-reply target for {priority} priority"
    )
    if waited < needed:
        return False, f"{unavailable}, but {detail} (coverage needs {policy.rules.coverage.wait_fraction:.0%})", None
    return True, f"{unavailable}, {detail}, and the assignee was left unchanged", waited_on


def _percent(share: float, threshold: float) -> str:
    """``88%``; a share below the threshold never reads as the threshold itself (``74.8%``, not ``75%``)."""
    text = f"{share:.0%}"
    for decimals in range(1, 4):
        if share >= threshold or float(text.rstrip("%")) < threshold * 100:
            break
        text = f"{share:.{decimals}%}"
    return text


# --- flags and context ----------------------------------------------------------------------------


def _judgement(
    ctx: _Context,
    comment: Comment,
    author: User,
    state: _State,
    rule: str,
    verdict: str,
    reason: str,
    evidence: list[Evidence],
) -> Judgement:
    policy = ctx.policy
    author_region = policy.region_of_user(author)
    preferred = policy.region_of_value(state.preferred)
    if author_region is None or preferred is None or preferred == ALL_REGIONS:
        out_of_region = None
    else:
        out_of_region = author_region != preferred
    assignee = ctx.users.get(state.assignee) if state.assignee is not None else None
    pod, assignee_in_pod = None, None
    for pod_name, pod_tags in policy.pods_of(author):
        if pod_tags & state.tags.keys():
            pod = pod_name
            assignee_in_pod = None if state.assignee is None else policy.in_pod(pod_name, assignee)
            break
    priority = state.priority if isinstance(state.priority, str) and state.priority else None
    return Judgement(
        ticket_id=ctx.history.ticket.id,
        comment_id=comment.id,
        author_id=author.id,
        created_at=comment.at,
        public=comment.public,
        assignee_id=state.assignee,
        verdict=verdict,
        rule=rule,
        reason=reason,
        evidence=tuple(evidence),
        out_of_region=out_of_region,
        acknowledged=None,
        author_region=author_region,
        preferred_region=preferred,
        assignee_region=policy.region_of_user(assignee),
        priority=priority or policy.organisation.default_priority,
        pod=pod,
        assignee_in_pod=assignee_in_pod,
    )


def _mentions(name: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])@?" + re.escape(name.strip()) + r"(?![\w])", re.IGNORECASE)


def _acknowledge(
    ctx: _Context, judgement: Judgement, after: int, owners_before: list[tuple[int, Id | None]]
) -> Judgement:
    """An internal note by a contributor is acknowledged when the assignee later adds its author as a
    follower or writes a comment naming them (@mention or full name)."""
    note_author = judgement.author_id
    user = ctx.users.get(note_author)
    pattern = _mentions(user.name) if user is not None and user.name.strip() else None
    owner_at = dict(owners_before)
    owner: Id | None = None
    for index in range(after, len(ctx.events)):
        event = ctx.events[index]
        owner = owner_at.get(index, owner)
        if owner is None or owner == note_author:
            continue
        if isinstance(event, WatchersChange) and event.kind == "follower" and event.actor == owner:
            if note_author in event.added:
                detail = f"{ctx.name(owner)} added {ctx.name(note_author)} as a follower"
                return _with_ack(judgement, _evidence(event, "follower added", detail))
        elif (
            isinstance(event, Comment) and event.author == owner and pattern is not None and pattern.search(event.body)
        ):
            kind = "a public reply" if event.public else "an internal note"
            detail = f"{ctx.name(owner)} named {ctx.name(note_author)} in {kind}"
            return _with_ack(judgement, _evidence(event, "acknowledged", detail))
    return _replace(judgement, acknowledged=False)


def _with_ack(judgement: Judgement, evidence: Evidence) -> Judgement:
    return _replace(judgement, acknowledged=True, evidence=(*judgement.evidence, evidence))


def _replace(judgement: Judgement, **changes: object) -> Judgement:
    return replace(judgement, **changes)  # type: ignore[arg-type]
