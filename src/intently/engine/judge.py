"""Judge one ticket's history under a policy: pure, deterministic, independent of input order.

The history is replayed update by update. Before each update the engine knows the ticket's state
(assignee, tags and who added them, followers and CCs and who added them, priority, preferred region,
who is waiting for a reply); each agent comment in the update is judged against that state, the
update's own changes, and what follows within the ownership window. The rules are tried in the
policy's order; the first that holds decides.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from intently.engine.facts import Context, Moment, evidence, explain, holds, mentions, when
from intently.engine.judgement import Evidence, Judgement, Skipped, Solicitation, TicketResult, invites
from intently.engine.outcomes import ticket_outcome
from intently.engine.voices import MACHINE_CHANNELS, is_agent_reply, is_customer, opening_comment
from intently.model import (
    AssigneeChange,
    Comment,
    Event,
    FieldChange,
    Id,
    StatusChange,
    TagsChange,
    TicketHistory,
    User,
    WatchersChange,
)
from intently.policy.schema import ALL_REGIONS, Policy, Rule


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
    group: Id | None = None
    voices: set[Id] = field(default_factory=set)
    """Agents who replied publicly so far."""
    contributor_voices: set[Id] = field(default_factory=set)
    """Agents who replied publicly so far while not the assignee."""
    notes: list[Comment] = field(default_factory=list)
    """Internal notes by agents so far."""


def _groups(events: Sequence[Event]) -> list[tuple[int, int]]:
    """(start, end) index ranges of consecutive events that belong to one update."""
    ranges: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(events) + 1):
        if index == len(events) or events[index].update != events[start].update:
            ranges.append((start, index))
            start = index
    return ranges


def _start(history: TicketHistory, users: Mapping[Id, User], policy: Policy) -> tuple[Context, _State, Comment | None]:
    """What a replay of the history starts from: its events in order, the state before the first update, and
    the ticket's first comment (its description, never judged)."""
    events = history.events  # in order: a history is made so
    ctx = Context(history=history, users=users, policy=policy, events=events)
    return ctx, _initial_state(history, events, policy), opening_comment(events)


def judge_ticket(
    history: TicketHistory,
    users: Mapping[Id, User],
    policy: Policy,
    *,
    outcome: bool = True,
    unwritten: Id | None = None,
) -> TicketResult:
    """Every agent comment of the ticket gets exactly one judgement (or is skipped, with the cause); with
    ``outcome``, the ticket's outcome too (:mod:`intently.engine.outcomes`; ``classify`` does not show it).
    ``unwritten`` is the id of a reply not yet written (the guide's look-ahead): its reason speaks in the present
    (:attr:`Moment.ahead`), every other comment's in the past."""
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
            judgement = _judge_comment(ctx, event, author, state, group, end, event.id == unwritten)
            if not event.public and judgement.assignee_id != event.author:
                notes.append((len(judgements), end))
            judgements.append(judgement)
        _apply(state, group, ctx, first_comment)
    for index, after in notes:
        judgements[index] = _acknowledge(ctx, judgements[index], after, owners_before)
    found = ticket_outcome(ticket, events, users) if outcome else None
    return TicketResult(ticket.id, tuple(judgements), tuple(skipped), found)


def moment_of(history: TicketHistory, users: Mapping[Id, User], policy: Policy, comment_id: Id) -> Moment | None:
    """The engine's view of one comment of ``history``: the ticket as it stood just before it, as
    :func:`judge_ticket` replays it (what the guide asks the facts about a reply not yet written: the facts speak of
    it in the present, :attr:`Moment.ahead`). None when the comment is not there or would not be judged (the
    description, an unknown author)."""
    ctx, state, first = _start(history, users, policy)
    events = ctx.events
    for start, end in _groups(events):
        group = events[start:end]
        comment = next((e for e in group if isinstance(e, Comment) and e.id == comment_id), None)
        if comment is not None:
            author = users.get(comment.author) if comment.author is not None else None
            if comment is first or author is None:
                return None
            return Moment(history, users, policy, events, comment, author, state, group, end, ahead=True)
        _apply(state, group, ctx, first)
    return None


# --- state ----------------------------------------------------------------------------------------


def _initial_state(history: TicketHistory, events: Sequence[Event], policy: Policy) -> _State:
    """Start empty; where the history never sets a value, fall back on the ticket's current one."""
    state = _State()
    ticket = history.ticket
    assigned = False
    fields_set = set()
    for event in events:  # one pass
        if isinstance(event, FieldChange):
            fields_set.add(event.field.lower())
        elif not assigned and isinstance(event, AssigneeChange):
            assigned = True
    if not assigned:
        state.assignee = ticket.assignee_id
    if "priority" not in fields_set:
        state.priority = ticket.priority
    if "group_id" not in fields_set:
        state.group = ticket.group_id
    if not fields_set & policy.preferred_region_fields:
        for name, value in ticket.fields.items():
            if name.lower() in policy.preferred_region_fields:
                state.preferred = value
    return state


def _apply(state: _State, group: Sequence[Event], ctx: Context, first_comment: Comment | None) -> None:
    owner = state.assignee  # the assignee at the update's comments
    for event in group:  # the commonest kinds first (a status change changes nothing here)
        if isinstance(event, Comment):
            if event.public:
                if _is_agent_reply(ctx, event, first_comment):
                    state.last_agent_reply = event
                    state.waiting_since = None
                    if event.author is not None:
                        state.voices.add(event.author)
                        if event.author != owner:
                            state.contributor_voices.add(event.author)
                elif _is_customer(ctx, event) and state.waiting_since is None:
                    state.waiting_since = event
            elif _is_agent_reply(ctx, event, first_comment):
                state.notes.append(event)
        elif isinstance(event, StatusChange):
            continue
        elif isinstance(event, FieldChange):
            name = event.field.lower()
            if name == "priority":
                state.priority = event.value
            elif name == "group_id":
                state.group = event.value  # type: ignore[assignment]
            elif name in ctx.policy.preferred_region_fields:
                state.preferred = event.value
        elif isinstance(event, AssigneeChange):
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


def _is_agent_reply(ctx: Context, comment: Comment, first: Comment | None) -> bool:
    return is_agent_reply(ctx.users, comment, first)


def _is_customer(ctx: Context, comment: Comment) -> bool:
    return is_customer(ctx.users, comment)


# --- one comment ----------------------------------------------------------------------------------


def _judge_comment(
    ctx: Context,
    comment: Comment,
    author: User,
    state: _State,
    group: Sequence[Event],
    group_end: int,
    ahead: bool = False,
) -> Judgement:
    """The first rule of the policy whose condition holds decides; the reason says why in the facts' words."""
    m = Moment(ctx.history, ctx.users, ctx.policy, ctx.events, comment, author, state, group, group_end, ahead)
    own = evidence(comment, m.kind)
    assigned = (
        [evidence(state.assigned_by, "assigned", f"assigned to {ctx.name(state.assignee)}")]
        if state.assigned_by is not None and state.assignee is not None
        else []
    )
    tried: list[Rule] = []
    for rule in ctx.policy.active_rules:
        if not holds(rule.when, m):
            tried.append(rule)
            continue
        phrases, found = explain(rule.when, m, True)
        reason = _reason(m, rule, phrases, tried)
        extra = [e for e in [*found, *assigned] if e.event_id != comment.id]
        return _judgement(ctx, comment, author, state, rule.id, rule.verdict, reason, [own, *_unique(extra)])
    raise AssertionError("a validated policy ends with a rule that always holds")  # pragma: no cover


def _unique(items: list[Evidence]) -> list[Evidence]:
    seen: set[tuple[Id, str]] = set()
    kept = []
    for item in items:
        if (item.event_id, item.what) not in seen:
            seen.add((item.event_id, item.what))
            kept.append(item)
    return kept


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _reason(m: Moment, rule: Rule, phrases: list[str], tried: list[Rule]) -> str:
    """Why the rule decided, in the facts' words. A drive-by says on whose ticket, and why each rule tried
    before that could have made the comment something else did not hold (the intentional path that was open)."""
    who = m.author.name
    if rule.verdict != "drive_by":
        if len(phrases) == 1:
            return _sentence(phrases[0])
        return _sentence(_led(f"{m.kind} by {who}", phrases))
    owner = (
        f"a ticket assigned to {m.name(m.state.assignee)}" if m.state.assignee is not None else "an unassigned ticket"
    )
    missed = [
        f"not {other.title[:1].lower() + other.title[1:]} ({', '.join(explain(other.when, m, False)[0])})"
        for other in tried
        if other.verdict not in (rule.verdict, "assignee")
    ]
    return _sentence(f"{m.kind} by {who} on {owner}" + (": " + "; ".join(missed) if missed else ""))


def _led(lead: str, phrases: list[str]) -> str:
    """``lead: phrase; phrase``, saying the lead once: a phrase that is the lead (the ``public`` fact's "public
    reply by Lukas Becker") is not said again (and with one phrase left, that phrase says it all), and one that
    starts with it (the ``internal`` fact's "internal note by Lukas Becker: asynchronous help, ...") leads
    instead."""
    own = next((p for p in phrases if p.lower().startswith(lead.lower())), None)
    others = [p for p in phrases if p is not own]
    rest = "; ".join(others)
    if own is None:
        return f"{lead}: {rest}"
    if own.lower() == lead.lower():
        return others[0] if len(others) == 1 else (f"{lead}: {rest}" if rest else lead)
    return f"{own}; {rest}" if rest else own


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

    def describe(self, ctx: Context) -> tuple[str, str]:
        """(what, detail) for evidence and reasons."""
        by = ctx.name(self.event.actor)
        if self.tag is not None:
            return "tag added", f"{by} added the {self.tag} tag at {when(self.event.at)}"
        label = "follower" if self.kind == "follower" else "CC"
        return f"{label.lower()} added", f"{by} added {ctx.name(self.invitee)} as a {label} at {when(self.event.at)}"


def _invitations(ctx: Context, state: _State, author: Id | None = None) -> Iterator[_Invitation]:
    """The invitations in force, in the policy's order (tags, then followers, then CCs); only those that ask
    ``author`` when one is given. :func:`solicitations` reads this; the rules read the same facts
    (``ticket_has_tag``, ``author_added_as``)."""
    tags, followers, ccs = ctx.policy.solicitation
    for tag in tags:
        added = state.tags.get(tag)
        if added is not None:
            invitation = _Invitation(added, "tag", None, tag)
            if author is None or invitation.asks(author):
                yield invitation
    kinds: tuple[tuple[bool, dict[Id, Event], Literal["follower", "cc"]], ...] = (
        (followers, state.followers, "follower"),
        (ccs, state.ccs, "cc"),
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


def solicitations(history: TicketHistory, users: Mapping[Id, User], policy: Policy) -> tuple[Solicitation, ...]:
    """The invitations to help in force at the end of the history (what the policy's intentional rules would
    accept for a comment written now: their ``ticket_has_tag`` and ``author_added_as`` facts), each with the agents
    who have written on the ticket since it was made. An invitation nobody has answered yet is *open*. Empty when
    no rule asks for help that way."""
    tags, followers, ccs = policy.solicitation
    if not (tags or followers or ccs):
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


# --- flags and context ----------------------------------------------------------------------------


def _judgement(
    ctx: Context,
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


def _acknowledge(
    ctx: Context, judgement: Judgement, after: int, owners_before: list[tuple[int, Id | None]]
) -> Judgement:
    """An internal note by a contributor is acknowledged when the assignee later adds its author as a
    follower or writes a comment naming them (@mention or full name)."""
    note_author = judgement.author_id
    user = ctx.users.get(note_author)
    pattern = mentions(user.name) if user is not None and user.name.strip() else None
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
                return _with_ack(judgement, evidence(event, "follower added", detail))
        elif (
            isinstance(event, Comment) and event.author == owner and pattern is not None and pattern.search(event.body)
        ):
            kind = "a public reply" if event.public else "an internal note"
            detail = f"{ctx.name(owner)} named {ctx.name(note_author)} in {kind}"
            return _with_ack(judgement, evidence(event, "acknowledged", detail))
    return _replace(judgement, acknowledged=False)


def _with_ack(judgement: Judgement, evidence: Evidence) -> Judgement:
    return _replace(judgement, acknowledged=True, evidence=(*judgement.evidence, evidence))


def _replace(judgement: Judgement, **changes: object) -> Judgement:
    return replace(judgement, **changes)  # type: ignore[arg-type]
