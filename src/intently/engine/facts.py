"""Whether each fact of a rule's condition holds for a comment, and why, in words a person can check.

The facts are defined (names, parameters, meaning) in :mod:`intently.policy.conditions`; here is what each one
reads from the ticket's state at the comment. :func:`holds` answers only yes or no (it runs for every rule tried
on every comment, so it stays cheap); :func:`explain` says why, with the evidence, for the rule that decided and
for the rules that did not.

The words speak of a comment written (``was``, ``had``) or, for the guide's reply not yet written
(:attr:`Moment.ahead`), in the present (``is``, ``has``): each phrase picks its tense with :meth:`Moment.tense`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from intently.engine.judgement import Evidence
from intently.model import AssigneeChange, Comment, Event, Id, TicketHistory, User, user_name
from intently.policy.conditions import AllOf, AnyOf, Condition, Fact, Not, format_duration
from intently.policy.messages import counted
from intently.policy.schema import Policy


def when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at.utcoffset() == timedelta(0) else at.isoformat()


def mentions(name: str) -> re.Pattern[str]:
    """A person's name in a text, as written or as an @mention, in any case."""
    return re.compile(r"(?<![\w])@?" + re.escape(name.strip()) + r"(?![\w])", re.IGNORECASE)


def evidence(event: Event, what: str, detail: str = "") -> Evidence:
    return Evidence(event.id, what, event.at, event.actor, detail)


@dataclass(slots=True)
class Context:
    """A ticket's history as the engine replays it: its events in order, who is who, the policy."""

    history: TicketHistory
    users: Mapping[Id, User]
    policy: Policy
    events: Sequence[Event]

    def name(self, user_id: Id | None) -> str:
        return user_name(self.users, user_id)


@dataclass(slots=True)
class Moment(Context):
    """One comment being judged, and the ticket as it stood just before the update that carries it."""

    comment: Comment
    author: User
    state: Any
    """The engine's replay state (:class:`intently.engine.judge._State`)."""
    group: Sequence[Event]
    group_end: int
    ahead: bool = False
    """A reply not yet written (the guide asking what it would be): the facts speak of it in the present."""

    def tense(self, past: str, present: str) -> str:
        """``past`` for a comment written, ``present`` for a reply not yet written (:attr:`ahead`)."""
        return present if self.ahead else past

    @property
    def unassigned(self) -> str:
        """The ticket had no assignee at the comment: one phrase for every fact that needs one (so that the guide,
        which lists what does not hold, says it once)."""
        return self.tense("the ticket was unassigned", "the ticket is unassigned")

    @property
    def kind(self) -> str:
        return "public reply" if self.comment.public else "internal note"

    @property
    def assignee(self) -> User | None:
        assignee = self.state.assignee
        return self.users.get(assignee) if assignee is not None else None


Said = tuple[str, list[Evidence]]


@dataclass(frozen=True, slots=True)
class FactRule:
    """What a fact reads: ``test`` (yes or no) and ``say`` (why, when it held or did not)."""

    test: Callable[[Moment, Any], bool]
    say: Callable[[Moment, Any, bool], Said]


# --- the comment ------------------------------------------------------------------------------------------------


def _public_say(m: Moment, _: Any, held: bool) -> Said:
    return (f"public reply by {m.author.name}", []) if held else ("it is an internal note", [])


def _internal_say(m: Moment, _: Any, held: bool) -> Said:
    if not held:
        return "it is a public reply", []
    who = m.author.name
    if m.state.assignee is not None:
        owner = m.name(m.state.assignee)
        return (
            f"internal note by {who}: asynchronous help, {owner} keeps ownership and the customer hears one voice",
            [],
        )
    return (
        f"internal note by {who} on an unassigned ticket: asynchronous help for whoever takes it; the customer hears "
        "no second voice",
        [],
    )


def _channel(m: Moment, p: Any) -> bool:
    return (m.comment.via or "") in p.values


def _channel_say(m: Moment, p: Any, held: bool) -> Said:
    via = m.comment.via or "an unknown channel"
    return (f"written through {via}" if held else f"written through {via}, not {', '.join(p.values)}"), []


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


def _text_say(_: Moment, p: Any, held: bool) -> Said:
    return (f"its text matches {p.pattern}" if held else f"its text does not match {p.pattern}"), []


# --- the author -------------------------------------------------------------------------------------------------


def _is_assignee_say(m: Moment, _: Any, held: bool) -> Said:
    who = m.author.name
    if not held:
        return f"{who} {m.tense('was', 'is')} not the assignee", []
    return m.tense(f"{who} was the assignee when writing this {m.kind}", f"{who} is the assignee"), []


def taken(m: Moment, within: timedelta) -> AssigneeChange | None:
    """The assignment that made the author the assignee in the same update or within ``within`` after."""
    author = m.comment.author
    for event in m.group:
        if isinstance(event, AssigneeChange) and event.assignee == author:
            return event
    deadline = m.comment.at + within
    for event in m.events[m.group_end :]:
        if event.at > deadline:
            break
        if isinstance(event, AssigneeChange) and event.assignee == author:
            return event
    return None


def _takes_say(m: Moment, p: Any, held: bool) -> Said:
    who, window = m.author.name, format_duration(p.within)
    event = taken(m, p.within) if held else None
    if event is None:
        return f"no assignment to {who} within {window}", []
    if event.update == m.comment.update:
        at = "in the same update"
    else:
        at = f"{format_duration(event.at - m.comment.at)} later, within the {window} ownership window"
    by = "" if event.actor == m.comment.author else f", assigned by {m.name(event.actor)}"
    phrase = m.tense(
        f"{who} became the assignee {at}{by}: the ticket changed owner, it did not gain a second voice",
        f"{who} becomes the assignee {at}{by}: the ticket changes owner, it does not gain a second voice",
    )
    return phrase, [evidence(event, "assigned", f"assigned to {who}")]


def _region_codes(m: Moment, values: Sequence[str]) -> set[str | None]:
    return {m.policy.region_of_value(v) or v for v in values}


def _author_region_say(m: Moment, p: Any, held: bool) -> Said:
    region = m.policy.region_of_user(m.author) or "an unknown region"
    return f"{m.author.name} works in {region}", []


def _pods_say(m: Moment, p: Any, held: bool) -> Said:
    pods = ", ".join(name for name, _ in m.policy.pods_of(m.author)) or "no pod"
    if held:
        return f"{m.author.name} is in the {pods} pod", []
    return f"{m.author.name} is in {pods}, not {', '.join(p.values)}", []


def _same_pod(m: Moment, _: Any) -> bool:
    mine = {name for name, _ in m.policy.pods_of(m.author)}
    return bool(mine) and bool(mine & {name for name, _ in m.policy.pods_of(m.assignee)})


def _same_pod_say(m: Moment, _: Any, held: bool) -> Said:
    if m.state.assignee is None:
        return m.unassigned, []
    owner = m.name(m.state.assignee)
    return (f"{m.author.name} is in {owner}'s pod" if held else f"{m.author.name} is not in {owner}'s pod"), []


def _added(m: Moment, p: Any) -> Event | None:
    author = m.comment.author
    for enabled, watchers in ((p.follower, m.state.followers), (p.cc, m.state.ccs)):
        if enabled and author in watchers and watchers[author].actor != author:
            return watchers[author]
    return None


def _added_say(m: Moment, p: Any, held: bool) -> Said:
    who = m.author.name
    event = _added(m, p) if held else None
    if event is None:
        return f"{who} {m.tense('was not', 'has not been')} added as follower or CC by someone else", []
    label = "follower" if event is m.state.followers.get(m.comment.author) else "CC"
    detail = f"{m.name(event.actor)} added {who} as a {label} at {when(event.at)}"
    return f"{_asked(m)}: {detail}", [evidence(event, f"{label.lower()} added", detail)]


def _asked(m: Moment) -> str:
    who = m.author.name
    return m.tense(f"{who} was asked to help before this {m.kind}", f"{who} has been asked to help")


def _naming_note(m: Moment) -> Comment | None:
    owner = m.state.assignee
    if owner is None or not m.author.name.strip():
        return None
    pattern = mentions(m.author.name)
    for note in m.state.notes:
        if note.author == owner and pattern.search(note.body):
            return note
    return None


def _named_say(m: Moment, _: Any, held: bool) -> Said:
    note = _naming_note(m) if held else None
    owner, who = m.name(m.state.assignee), m.author.name
    if note is None:
        if m.state.assignee is None:
            return m.unassigned, []
        return f"{owner} {m.tense('had', 'has')} not named {who} in an internal note", []
    detail = f"{owner} named {who} in an internal note at {when(note.at)}"
    return f"{who} {m.tense('was', 'has been')} handed the reply: {detail}", [evidence(note, "named", detail)]


# --- the ticket -------------------------------------------------------------------------------------------------


def _unassigned_say(m: Moment, _: Any, held: bool) -> Said:
    if held:
        return m.unassigned, []
    return f"the ticket {m.tense('was', 'is')} assigned to {m.name(m.state.assignee)}", []


def _tag_event(m: Moment, p: Any) -> tuple[str, Event] | None:
    for tag in p.tags:
        added = m.state.tags.get(tag)
        if added is not None and added.actor != m.comment.author:
            return tag, added
    return None


def _tag_say(m: Moment, p: Any, held: bool) -> Said:
    found = _tag_event(m, p) if held else None
    if found is None:
        return f"no {', '.join(p.tags)} tag added by someone else", []
    tag, event = found
    detail = f"{m.name(event.actor)} added the {tag} tag at {when(event.at)}"
    return f"{_asked(m)}: {detail}", [evidence(event, "tag added", detail)]


def _priority(m: Moment, p: Any) -> bool:
    value = m.state.priority if isinstance(m.state.priority, str) else m.policy.organisation.default_priority
    return value.strip().lower() in {v.strip().lower() for v in p.values}


def _group(m: Moment, p: Any) -> bool:
    return m.state.group is not None and str(m.state.group) in p.values


def _value_say(label: str, read: Callable[[Moment], object]) -> Callable[[Moment, Any, bool], Said]:
    def say(m: Moment, p: Any, held: bool) -> Said:
        value = read(m) or "not set"
        phrase = f"the {label} {m.tense('was', 'is')} {value}"
        return (phrase if held else f"{phrase}, not {', '.join(p.values)}"), []

    return say


def _count(found: int, p: Any) -> bool:
    return found >= p.at_least and (p.at_most is None or found <= p.at_most)


def _count_say(label: str, read: Callable[[Moment], int]) -> Callable[[Moment, Any, bool], Said]:
    def say(m: Moment, p: Any, held: bool) -> Said:
        found = read(m)
        verb = m.tense("had", "has" if found == 1 else "have")
        return f"{counted(found, label)} {verb} replied publicly before", []

    return say


# --- the assignee and the customer ----------------------------------------------------------------------------


def availability(m: Moment) -> tuple[bool | None, str]:
    """Whether the assignee is available (on shift and in the office), None when that cannot be told, and why."""
    assignee = m.assignee
    name = m.name(m.state.assignee)
    if assignee is None:
        return None, m.unassigned
    was = m.tense("was", "is")
    if m.policy.out_of_office(assignee, m.comment.at) is not None:
        return False, f"{name} {was} out of office"
    region = m.policy.region_of_user(assignee)
    if region is None:
        return None, f"{name}'s region is unknown, so their business hours are too"
    if m.policy.is_business_hours(region, m.comment.at):
        return True, f"{name} {was} within {region} business hours"
    return False, f"{name} {was} outside {region} business hours"


def _availability_say(m: Moment, _: Any, held: bool) -> Said:
    return availability(m)[1], []


def _away(m: Moment, _: Any) -> bool:
    return m.assignee is not None and m.policy.out_of_office(m.assignee, m.comment.at) is not None


def _away_say(m: Moment, _: Any, held: bool) -> Said:
    if m.state.assignee is None:
        return m.unassigned, []
    name = m.name(m.state.assignee)
    return f"{name} {m.tense('was', 'is')}{'' if held else ' not'} out of office", []


def _unchanged_say(m: Moment, __: Any, held: bool) -> Said:
    if held:
        return m.tense("the assignee was left unchanged", "the assignee is left unchanged"), []
    return m.tense("the assignee was changed in the same update", "the assignee changes in the same update"), []


def _percent(share: float, threshold: float) -> str:
    """``88%``; a share below the threshold never reads as the threshold itself (``74.8%``, not ``75%``)."""
    text = f"{share:.0%}"
    for decimals in range(1, 4):
        if share >= threshold or float(text.rstrip("%")) < threshold * 100:
            break
        text = f"{share:.{decimals}%}"
    return text


@dataclass(frozen=True, slots=True)
class ReplyClock:
    """The customer's wait at a comment, as ``customer_waited`` counts it: since the ticket was created (before
    the first agent reply) or since the customer's comment that no agent reply has answered yet."""

    since: datetime
    first: bool
    """Whether the first-reply target applies (no agent has replied yet), else the next-reply target."""
    target: timedelta
    priority: str
    waited_on: Comment | None
    """The customer comment waited on (None while waiting for the first reply since creation)."""

    def wait(self, at: datetime) -> timedelta:
        return at - self.since

    def share(self, at: datetime) -> float:
        return self.wait(at) / self.target if self.target else 1.0


def reply_clock(m: Moment) -> ReplyClock | None:
    """The customer's wait at ``m``'s comment; None when no customer comment is waiting for a reply."""
    state, policy = m.state, m.policy
    target = policy.reply_target(state.priority if isinstance(state.priority, str) else None)
    first = state.last_agent_reply is None
    waited_on = state.waiting_since
    since = m.history.ticket.created_at if first else (waited_on.at if waited_on is not None else None)
    if since is None:
        return None
    priority = state.priority or policy.organisation.default_priority
    return ReplyClock(since, first, target.first if first else target.next, str(priority), waited_on)


def waited(m: Moment, share: float) -> tuple[bool, str, Comment | None]:
    """Whether the customer had waited at least ``share`` of the reply target, the figures in words, and the
    customer comment waited on."""
    clock = reply_clock(m)
    if clock is None:
        return False, f"no customer comment {m.tense('was', 'is')} waiting for a reply", None
    wait, limit = clock.wait(m.comment.at), clock.target
    since_what = "ticket creation" if clock.first else "the customer's comment"
    ratio = _percent(clock.share(m.comment.at), share)
    detail = (
        f"the customer {m.tense('had', 'has')} waited {format_duration(wait)} since {since_what}, {ratio} of the "
        f"{format_duration(limit)} {'first' if clock.first else 'next'}-reply target for {clock.priority} priority"
    )
    if wait < limit * share:
        return False, f"{detail}, short of the {share:.0%} needed", None
    return True, detail, clock.waited_on


def _waited_say(m: Moment, p: Any, held: bool) -> Said:
    ok, detail, on = waited(m, p.share)
    return detail, ([evidence(on, "customer waiting")] if ok and on is not None else [])


FACT_RULES: dict[str, FactRule] = {
    "always": FactRule(lambda m, p: True, lambda m, p, held: ("", [])),
    "public": FactRule(lambda m, p: m.comment.public, _public_say),
    "internal": FactRule(lambda m, p: not m.comment.public, _internal_say),
    "channel": FactRule(_channel, _channel_say),
    "text_matches": FactRule(lambda m, p: bool(_pattern(p.pattern).search(m.comment.body)), _text_say),
    "author_is_assignee": FactRule(lambda m, p: m.state.assignee == m.comment.author, _is_assignee_say),
    "author_takes_ticket": FactRule(lambda m, p: taken(m, p.within) is not None, _takes_say),
    "author_role": FactRule(
        lambda m, p: m.author.role in p.values, lambda m, p, held: (f"{m.author.name} is {m.author.role}", [])
    ),
    "author_region": FactRule(
        lambda m, p: m.policy.region_of_user(m.author) in _region_codes(m, p.values), _author_region_say
    ),
    "author_in_pod": FactRule(lambda m, p: any(m.policy.in_pod(v, m.author) for v in p.values), _pods_say),
    "author_in_assignees_pod": FactRule(_same_pod, _same_pod_say),
    "author_added_as": FactRule(lambda m, p: _added(m, p) is not None, _added_say),
    "author_named_by_assignee": FactRule(lambda m, p: _naming_note(m) is not None, _named_say),
    "unassigned": FactRule(lambda m, p: m.state.assignee is None, _unassigned_say),
    "ticket_has_tag": FactRule(lambda m, p: _tag_event(m, p) is not None, _tag_say),
    "priority": FactRule(_priority, _value_say("priority", lambda m: m.state.priority)),
    "group": FactRule(_group, _value_say("group", lambda m: m.state.group)),
    "preferred_region": FactRule(
        lambda m, p: m.policy.region_of_value(m.state.preferred) in _region_codes(m, p.values),
        _value_say("preferred region", lambda m: m.policy.region_of_value(m.state.preferred)),
    ),
    "public_voices": FactRule(
        lambda m, p: _count(len(m.state.voices), p), _count_say("agent", lambda m: len(m.state.voices))
    ),
    "contributor_voices": FactRule(
        lambda m, p: _count(len(m.state.contributor_voices), p),
        _count_say("contributor", lambda m: len(m.state.contributor_voices)),
    ),
    "assignee_on_shift": FactRule(lambda m, p: availability(m)[0] is True, _availability_say),
    "assignee_unavailable": FactRule(lambda m, p: availability(m)[0] is False, _availability_say),
    "assignee_out_of_office": FactRule(_away, _away_say),
    "assignee_unchanged": FactRule(
        lambda m, p: not any(isinstance(e, AssigneeChange) for e in m.group), _unchanged_say
    ),
    "customer_waited": FactRule(lambda m, p: waited(m, p.share)[0], _waited_say),
}


def holds(condition: Condition, m: Moment) -> bool:
    """Whether ``condition`` holds for the comment (no words: cheap)."""
    if isinstance(condition, Fact):
        return FACT_RULES[condition.name].test(m, condition.params)
    if isinstance(condition, AllOf):
        return all(holds(part, m) for part in condition.parts)
    if isinstance(condition, AnyOf):
        return any(holds(part, m) for part in condition.parts)
    return not holds(condition.part, m)


def explain(condition: Condition, m: Moment, held: bool) -> tuple[list[str], list[Evidence]]:
    """Why ``condition`` held (``held``) or did not: the phrases of the facts that decided it, and their
    evidence. For ``all`` that held, every part; for ``any`` that held, the first part that did; for a failed
    ``all``, its first failed part; for a failed ``any``, every part."""
    if isinstance(condition, Fact):
        phrase, shown = FACT_RULES[condition.name].say(m, condition.params, held)
        return ([phrase] if phrase else []), shown
    if isinstance(condition, Not):
        return explain(condition.part, m, not held)
    parts = condition.parts
    if isinstance(condition, AllOf) == held:  # every part says the same: all held, or (any) none held
        chosen: Sequence[Condition] = parts
    else:
        chosen = [next(p for p in parts if holds(p, m) == held)]
    phrases: list[str] = []
    gathered: list[Evidence] = []
    for part in chosen:
        said, shown = explain(part, m, held)
        phrases.extend(said)
        gathered.extend(shown)
    return phrases, gathered
