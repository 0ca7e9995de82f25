"""What a reply would be judged before it is sent, and what the agent could do instead.

Nothing here knows a rule. Every answer comes from the engine: the stored history gets hypothetical
events appended (the reply itself, an internal note instead, being asked, being assigned), the ticket is
judged with :func:`intently.engine.judge_ticket`, and the judgement of the hypothetical comment is read.
So the advice always agrees with the policy in force, whatever it says.

The intentional path is read from the policy's own list of rules: for each rule that makes a comment
intentional (or takes the ticket), the facts of its condition that do not hold yet say what the agent could do
(:data:`ASK_FACTS` and the others below: write a note instead, be asked by the assignee, take the ticket, wait
until cover is possible). Each way is then tried on the engine, so a step is listed only with the verdict the
engine gives it; a rule that no step reaches is listed as not open now, with the facts that do not hold.
"""

from __future__ import annotations

import math
from collections import ChainMap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from msgspec import structs

from intently.engine import Judgement, judge_ticket, solicitations
from intently.engine.facts import Moment, availability, explain, holds, reply_clock, when
from intently.engine.judge import moment_of
from intently.model import (
    AssigneeChange,
    Comment,
    Directory,
    Event,
    FieldChange,
    Id,
    StatusChange,
    TagsChange,
    Ticket,
    TicketHistory,
    User,
    WatchersChange,
    user_name,
)
from intently.policy import Policy
from intently.policy.conditions import AnyOf, Condition, Fact, Not, format_duration
from intently.policy.schema import WEEKDAYS, Rule, refers_to

REPLY_ID = "intently:reply"
ASK_ID = "intently:ask"
_PROBE = User(id="intently:probe", name="intently", role="agent")

HELPING_VERDICTS = ("intentional", "ownership_change")
"""The rules the intentional path looks for: those that make a comment something other than a drive-by by
someone who is not the assignee."""
ACTIONS = ("internal_note", "ask_assignee", "request_handover")
"""What the agent can do now, in the order the path lists it: act alone, ask someone, take the ticket."""
ASK_FACTS = frozenset({"ticket_has_tag", "author_added_as", "author_named_by_assignee"})
"""Facts the assignee can make hold by asking: a tag, a follower or CC, a note that names the agent."""
TIME_FACTS = frozenset({"assignee_on_shift", "assignee_unavailable", "assignee_out_of_office", "customer_waited"})
"""Facts that change with time alone: a rule that needs them is not open now, but may open later (cover for an
unavailable assignee); the path says from when."""
HORIZON = timedelta(days=8)
"""How far ahead the path looks for the moment a rule opens."""
MAX_PLANS = 8
"""Ways tried per rule (each is a judgement of the ticket)."""


@dataclass(frozen=True, slots=True)
class PathStep:
    """One thing the agent could do instead of a drive-by, and how the policy would judge it."""

    action: str
    """``internal_note``, ``ask_assignee`` or ``request_handover`` (see :data:`ACTIONS`)."""
    description: str
    verdict: str
    rule: str
    title: str = ""
    """The title of the rule the engine judges it by."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "description": self.description,
            "verdict": self.verdict,
            "rule": self.rule,
            "title": self.title,
        }


@dataclass(frozen=True, slots=True)
class ClosedPath:
    """A rule of the policy that would make the reply intentional (or take the ticket), but that nothing the
    agent can do now reaches: ``why`` says what does not hold, or from when the rule opens (``opens_at``: the
    first moment the engine judges a reply by the rule, e.g. cover once the assignee's shift has ended)."""

    rule: str
    title: str
    verdict: str
    """The rule's verdict (what it gives)."""
    why: str
    opens_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        opens = self.opens_at.isoformat().replace("+00:00", "Z") if self.opens_at is not None else None
        return {"rule": self.rule, "title": self.title, "verdict": self.verdict, "why": self.why, "opens_at": opens}


@dataclass(frozen=True, slots=True)
class Paths:
    """The intentional path for a reply that would be a drive-by: the steps open now (each judged by the engine)
    and the rules no step reaches now (some opening later)."""

    steps: tuple[PathStep, ...] = ()
    closed: tuple[ClosedPath, ...] = ()


def _hypothesis(
    history: TicketHistory,
    agent_id: Id,
    public: bool,
    at: datetime,
    before: tuple[Event, ...] = (),
    same_update: tuple[Event, ...] = (),
) -> TicketHistory:
    """The history with a comment by ``agent_id`` at ``at`` appended (after ``before``, with ``same_update``)."""
    reply = Comment(
        id=REPLY_ID, at=at, actor=agent_id, update=REPLY_ID, via="web", author=agent_id, public=public, body=""
    )
    return TicketHistory(ticket=history.ticket, events=(*history.events, *before, *same_update, reply))


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
    hypothesis = _hypothesis(history, agent_id, public, at, before, same_update)
    result = judge_ticket(hypothesis, users, policy, outcome=False, unwritten=REPLY_ID)
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
    """What a reply by ``agent_id`` would be judged if sent ``now``, and the intentional path for a drive-by
    (``intentional_path``: the steps open now; ``not_open``: the policy's other rules that would make it
    intentional, and what does not hold for them); None when the ticket has no description yet. Used by
    ``POST /api/check-reply`` and the sidebar page."""
    at = reply_time(history, now)
    judged = judge_reply(history, users, policy, agent_id, public, at)
    if judged is None:
        return None
    paths = open_paths(history, users, policy, agent_id, at) if judged.verdict == "drive_by" else Paths()
    assignee = judged.assignee_id
    rule = policy.rules.get(judged.rule)
    named = user_name(users, assignee) if assignee is not None else None
    status = status_now(history)
    said = headline(public, judged.verdict, rule.title if rule else "", paths, named)
    return {
        "verdict": judged.verdict,
        "rule": judged.rule,
        "title": rule.title if rule is not None else "",
        "headline": " ".join(filter(None, (STATUS_NOTES.get(status or ""), said))),
        "ticket_status": status,
        "reason": judged.reason,
        "intentional_path": [step.to_dict() for step in paths.steps],
        "not_open": [closed.to_dict() for closed in paths.closed],
        "assignee_id": assignee,
        "out_of_region": judged.out_of_region,
        "coverage": coverage(history, users, policy, agent_id, at),
        "actions": actions(history, users, policy, agent_id, assignee),
    }


WOULD_BE = {
    "assignee": "your own work as the assignee",
    "ownership_change": "taking the ticket",
    "intentional": "intentional collaboration",
    "drive_by": "a drive-by",
}
"""A verdict as the end of "A public reply now would be …"."""


STATUS_NOTES = {
    "solved": "This ticket is solved: the customer has been told it is done, and an answer from them reopens it.",
    "closed": "This ticket is closed: Zendesk adds nothing to a closed ticket, so you would write on a follow-up "
    "ticket.",
}
"""What the panel says first on a ticket in one of these statuses (:func:`status_now`), before what a reply would
be judged on this ticket."""


def status_now(history: TicketHistory) -> str | None:
    """The ticket's status at the end of its history: the last status change, else the ticket's own status."""
    status = history.ticket.status
    for event in history.events:
        if isinstance(event, StatusChange):
            status = event.status
    return status.strip().lower() if status else None


def headline(public: bool, verdict: str, title: str, paths: Paths, assignee: str | None) -> str:
    """The panel's first line, for a reply not yet written: what it would be and, for a drive-by, the first thing
    to do instead ("A public reply now would be a drive-by: ask Jordan first."). ``assignee`` is the assignee's
    name; None on an unassigned ticket (taking it is then the way to reply)."""
    text = f"{'A public reply' if public else 'An internal note'} now would be {WOULD_BE.get(verdict, verdict)}"
    named = title[:1].lower() + title[1:]
    if verdict in HELPING_VERDICTS and title and named != WOULD_BE.get(verdict):
        text += f" ({named})"
    elif verdict == "drive_by":
        open_now = {step.action for step in paths.steps}
        ways = []  # a way to reply to the customer first, then the note, which leaves the reply to the assignee
        if "ask_assignee" in open_now and assignee is not None:
            ways.append(f"ask {assignee} first")
        elif "request_handover" in open_now:
            ways.append(
                f"ask {assignee} to hand the ticket over first"
                if assignee is not None
                else "take the ticket first (assign it to yourself)"
            )
        if "internal_note" in open_now:
            if ways:
                ways.append("leave an internal note")
            else:
                ways.append(f"leave an internal note{f' for {assignee}' if assignee is not None else ''} instead")
        if ways:
            if len(ways) > 1:  # one level of brackets: the first way may carry its own
                ways[1] = f", or {ways[1]}" if ways[0].endswith(")") else f" (or {ways[1]})"
            text += ": " + "".join(ways)
        elif assignee is None:
            text += ": leave it to whoever takes the ticket"
        else:
            opening = min((c.opens_at for c in paths.closed if c.opens_at is not None), default=None)
            text += f": leave it to {assignee}" + (f" until {when(opening)}" if opening is not None else "")
    return text + "."


def coverage(
    history: TicketHistory, users: Mapping[Id, User], policy: Policy, agent_id: Id, at: datetime
) -> dict[str, Any] | None:
    """What the rules about covering for the assignee look at, now, read from the engine's view of a public reply
    by ``agent_id`` at ``at``: the assignee's local time, whether they are on shift or out of office, and how long
    the customer has waited against the reply target. None when the ticket has no description yet."""
    m = moment_of(_hypothesis(history, agent_id, True, at), users, policy, REPLY_ID)
    if m is None:
        return None
    answer: dict[str, Any] = {"assignee": None, "customer": None}
    assignee = m.assignee
    if assignee is not None:
        region = policy.region_of_user(assignee)
        zone = policy.organisation.regions[region].zone if region else None
        away = policy.out_of_office(assignee, at)
        on_shift, _ = availability(m)
        local = at.astimezone(zone) if zone is not None else None
        name = assignee.name
        if away is not None:
            said = f"{name} is out of office until {_day(away.bounds[1], zone)}"
        elif region is None:
            said = f"{name}'s region is unknown, so their business hours are too"
        else:
            hours = policy.organisation.regions[region].hours
            within = "within" if on_shift else "outside"
            said = f"{name} is {within} {region} business hours ({hours})"
        answer["assignee"] = {
            "name": name,
            "region": region,
            "time_zone": str(zone) if zone is not None else None,
            "local_time": local.strftime("%a %H:%M") if local is not None else None,
            "on_shift": on_shift,
            "out_of_office_until": away.bounds[1].isoformat().replace("+00:00", "Z") if away is not None else None,
            "said": _sentence(said),
        }
    clock = reply_clock(m)
    if clock is not None:
        waited = clock.wait(at)
        kind = "first" if clock.first else "next"
        answer["customer"] = {
            "waiting_since": clock.since.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "waited_minutes": int(waited.total_seconds() // 60),
            "target_minutes": int(clock.target.total_seconds() // 60),
            "share": round(clock.share(at), 3),
            "first_reply": clock.first,
            "said": (
                f"The customer has waited {_long(waited)} of the {format_duration(clock.target)} {kind}-reply target "
                f"for {clock.priority} priority ({_share(clock.share(at))})."
            ),
        }
    else:
        answer["customer"] = {"said": "Nobody is waiting for a reply: the last word on the ticket is an agent's."}
    return answer


def _long(value: timedelta) -> str:
    """A wait in words: ``3h20m``; from two days on, ``12 days 4h``."""
    if value < timedelta(days=2):
        return format_duration(value)
    return f"{value.days} days" + (f" {value.seconds // 3600}h" if value.seconds >= 3600 else "")


def _share(share: float) -> str:
    """``80%`` of a target; ``15 times the target`` once far past it."""
    return f"{share:.0%}" if share < 3 else f"{share:,.0f} times the target"


def _day(at: datetime, zone: Any) -> str:
    """``Wed 2 Dec 17:00`` in the zone (UTC when none)."""
    local = at.astimezone(zone) if zone is not None else at.astimezone(UTC)
    return local.strftime("%a %-d %b %H:%M") + ("" if zone is not None else " UTC")


def actions(
    history: TicketHistory, users: Mapping[Id, User], policy: Policy, agent_id: Id, assignee: Id | None
) -> list[dict[str, Any]]:
    """One-click actions for the agent: the assignee can ask for help by adding the policy's first asking tag
    (:attr:`Policy.solicitation`, when it is not on the ticket yet); anyone else can start an internal note that
    names the assignee; on an unassigned ticket, the agent can take it (assign it to themselves)."""
    if assignee is None:
        return [{"kind": "take_ticket", "label": "Take the ticket: assign it to yourself", "assignee_id": agent_id}]
    if assignee == agent_id:
        current = set(_current_tags(history))
        return [
            {"kind": "add_tag", "tag": tag, "label": f"Ask for help: add the {tag} tag"}
            for tag in policy.solicitation[0][:1]
            if tag not in current
        ]
    name = user_name(users, assignee)
    return [
        {
            "kind": "internal_note",
            "label": f"Ask {name} in an internal note",
            "text": f"@{name} I looked into this ticket: … Could I answer the customer, or will you?",
        }
    ]


def _current_tags(history: TicketHistory) -> list[str]:
    tags = list(history.ticket.tags)
    for event in history.events:
        if isinstance(event, TagsChange):
            tags = [t for t in tags if t not in event.removed] + [t for t in event.added if t not in tags]
    return tags


def intentional_path(
    history: TicketHistory, users: Mapping[Id, User], policy: Policy, agent_id: Id, at: datetime
) -> list[PathStep]:
    """For a public reply that would be a drive-by: the alternatives that would not be, each judged."""
    return list(open_paths(history, users, policy, agent_id, at).steps)


def open_paths(history: TicketHistory, users: Mapping[Id, User], policy: Policy, agent_id: Id, at: datetime) -> Paths:
    """For a public reply by ``agent_id`` at ``at`` that would be a drive-by: for each rule of the policy that
    would make it intentional (or take the ticket), the first way to it the engine confirms; the rules none
    reaches now, with why or from when they open. Steps are listed by what they ask of the agent
    (:data:`ACTIONS`), then in the policy's order; a step two rules share is listed once."""
    m = moment_of(_hypothesis(history, agent_id, True, at), users, policy, REPLY_ID)
    if m is None:
        return Paths()
    advisor = _Advisor(history, users, policy, agent_id, at, m)
    found: list[tuple[tuple[int, int], PathStep]] = []
    closed: list[ClosedPath] = []
    for index, rule in enumerate(policy.active_rules):
        if rule.verdict not in HELPING_VERDICTS:
            continue
        step, why, opens_at = advisor.way_to(rule)
        if step is not None:
            found.append(((ACTIONS.index(step.action), index), step))
        elif why:
            closed.append(ClosedPath(rule.id, rule.title, rule.verdict, why, opens_at))
    steps: list[PathStep] = []
    for _, step in sorted(found, key=lambda item: item[0]):
        if all(step.description != other.description for other in steps):
            steps.append(step)
    return Paths(tuple(steps), tuple(closed))


# --- the ways to a rule -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Move:
    """One thing the agent can do (or have done) before replying, as the events the engine is shown."""

    action: str
    key: str
    description: str
    """The step, when it is the only one."""
    phrase: str
    """The step as a clause, when it is one of several."""
    public: bool = True
    before: tuple[Event, ...] = ()
    """Events made just before the reply (by the assignee, asked)."""
    same_update: tuple[Event, ...] = ()
    """Events made together with the reply."""


_WAIT = _Move("wait", "wait", "", "")
"""Not a step: the rule needs time to pass (:meth:`_Advisor.opens` finds from when)."""

Plan = tuple[_Move, ...]


def _join(plan: Plan, more: Plan) -> Plan:
    keys = {move.key for move in plan}
    return plan + tuple(move for move in more if move.key not in keys)


def _rank(plan: Plan) -> int:
    return max((ACTIONS.index(move.action) for move in plan), default=0)


def _in_turn(plan: Plan) -> Plan:
    """The moves in the order the agent makes them: being asked first, then the reply (a note, a handover)."""
    return tuple(sorted(plan, key=lambda move: (not move.before, move.action)))


def _signed_facts(condition: Condition, positive: bool = True) -> Iterator[tuple[Fact, bool]]:
    """Every fact of the condition, with whether it counts as itself (True) or under a ``not`` (False)."""
    if isinstance(condition, Fact):
        yield condition, positive
    elif isinstance(condition, Not):
        yield from _signed_facts(condition.part, not positive)
    else:
        for part in condition.parts:
            yield from _signed_facts(part, positive)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


@dataclass
class _Advisor:
    """Finds, for one rule at a time, what the agent could do so that the rule decides their reply."""

    history: TicketHistory
    users: Mapping[Id, User]
    policy: Policy
    agent_id: Id
    at: datetime
    moment: Moment
    """The engine's view of a public reply by the agent at ``at``, nothing else done."""
    blocked: list[str] = field(default_factory=list)

    @property
    def assignee(self) -> Id | None:
        assignee: Id | None = self.moment.state.assignee
        return assignee

    @property
    def asker(self) -> Id | None:
        """Who can ask the agent to help: the assignee (when that is not the agent)."""
        return self.assignee if self.assignee is not None and self.assignee != self.agent_id else None

    def name(self, user_id: Id | None) -> str:
        return user_name(self.users, user_id)

    # --- one rule -------------------------------------------------------------------------------------------

    def way_to(self, rule: Rule) -> tuple[PathStep | None, str, datetime | None]:
        """The first way to ``rule`` open now that the engine confirms; else no step, and why the rule is not open
        (with the moment it opens, when waiting opens it). No step and no reason: a reply as it is would already
        be judged by the rule (the path is for a reply that is not)."""
        self.blocked = []
        plans = self.plans(rule.when)
        now = sorted((plan for plan in plans if _WAIT not in plan), key=lambda plan: (len(plan), _rank(plan)))
        later = sorted((plan for plan in plans if _WAIT in plan), key=len)
        failures: list[str] = []
        for plan in now[:MAX_PLANS]:
            step, failure = self.attempt(rule, plan)
            if step is not None:
                return (step if plan else None), "", None
            failures.append(failure)
        for plan in later[:MAX_PLANS]:
            opens, why = self.opens(rule, plan)
            if opens is not None:
                return None, why, opens
            failures.append(why)
        reasons = list(dict.fromkeys(self.blocked))
        if reasons:
            return None, "does not hold now: " + "; ".join(reasons), None
        return None, (failures[0] if failures else "does not hold now"), None

    def plans(self, condition: Condition) -> list[Plan]:
        """The ways to make ``condition`` hold for the reply (each a set of moves; ``()``: it holds already);
        empty when none. What cannot be changed is noted in :attr:`blocked`."""
        m = self.moment
        if holds(condition, m):
            return [()]
        if isinstance(condition, Fact):
            moves = self.moves(condition)
            if not moves:
                self.blocked.extend(self.cannot(condition))
            return [(move,) for move in moves]
        if isinstance(condition, Not):
            part = condition.part
            if isinstance(part, Fact) and part.name == "public":
                return [(self.note(),)]
            if isinstance(part, Fact) and part.name in TIME_FACTS and self.turning_points([part], m):
                return [(_WAIT,)]
            self.blocked.extend(explain(condition, m, False)[0] or ["a condition the agent cannot change"])
            return []
        if isinstance(condition, AnyOf):
            return [plan for part in condition.parts for plan in self.plans(part)][: MAX_PLANS * 2]
        options = [self.plans(part) for part in condition.parts]
        if not all(options):
            return []
        combined: list[Plan] = [()]
        for option in options:
            combined = [_join(done, more) for done in combined for more in option][: MAX_PLANS * 2]
        return combined

    def cannot(self, fact: Fact) -> list[str]:
        """Why a fact the agent cannot make hold does not hold now, in the engine's words."""
        said = explain(fact, self.moment, False)[0] or [f"{fact.name} does not hold"]
        if fact.name in ASK_FACTS and self.asker is None:
            keep = fact.name != "author_named_by_assignee"  # (it would name the assignee, and there is none)
            said = [*(said if keep else []), "there is no assignee to ask"]
        if fact.name == "text_matches":
            said = [f"the reply's text would have to match {fact.params.pattern}"]  # type: ignore[attr-defined]
        return said

    def moves(self, fact: Fact) -> list[_Move]:
        """What the agent can do so that ``fact`` holds for their reply."""
        p: Any = fact.params
        if fact.name == "internal":
            return [self.note()]
        if fact.name in TIME_FACTS:
            return [_WAIT] if self.turning_points([fact], self.moment) else []
        if fact.name == "author_takes_ticket":
            return [self.handover(p.within)]
        if fact.name not in ASK_FACTS or self.asker is None:
            return []
        if fact.name == "ticket_has_tag":
            return [self.ask_tag(tag) for tag in p.tags]
        if fact.name == "author_added_as":
            kinds = (("follower", "a follower", p.follower), ("cc", "a CC", p.cc))
            return [self.ask_watch(kind, label) for kind, label, enabled in kinds if enabled]
        return [self.ask_named()]

    # --- the moves ----------------------------------------------------------------------------------------------

    def note(self) -> _Move:
        assignee = self.assignee
        keeps = f"; {self.name(assignee)} keeps the ticket and answers the customer." if assignee is not None else "."
        return _Move(
            "internal_note",
            "note",
            f"Leave an internal note with what you found instead of a public reply{keeps}",
            "leave an internal note instead of a public reply",
            public=False,
        )

    def handover(self, window: timedelta) -> _Move:
        assignee = self.assignee
        when_taken = (
            f"in the same update or within {format_duration(window)} after replying"
            if window > timedelta(0)
            else "in the same update"
        )
        event = AssigneeChange(
            id="intently:handover", at=self.at, actor=self.agent_id, update=REPLY_ID, via="web", assignee=self.agent_id
        )
        if assignee is None:
            whom = f"assign the ticket to yourself {when_taken}"
            description = f"Take the ticket: assign it to yourself {when_taken}; you own the reply."
        else:
            whom = f"ask {self.name(assignee)} to hand the ticket over and be assigned {when_taken}"
            description = f"Request a handover: {whom}; you own the reply."
        return _Move("request_handover", "handover", description, whom, same_update=(event,))

    def _ask(self, key: str, event: Event, how: str) -> _Move:
        return _Move("ask_assignee", key, f"Ask the assignee: {how}.", how, before=(event,))

    def ask_tag(self, tag: str) -> _Move:
        asker = self.asker
        event = TagsChange(id=f"{ASK_ID}:tag:{tag}", at=self.at, actor=asker, update=ASK_ID, via="web", added=(tag,))
        return self._ask(f"tag:{tag}", event, f"ask {self.name(asker)} to add the {tag} tag before you reply")

    def ask_watch(self, kind: str, label: str) -> _Move:
        asker = self.asker
        event = WatchersChange(
            id=f"{ASK_ID}:{kind}",
            at=self.at,
            actor=asker,
            update=ASK_ID,
            via="web",
            kind=kind,  # type: ignore[arg-type]
            added=(self.agent_id,),
        )
        return self._ask(kind, event, f"ask {self.name(asker)} to add you as {label} before you reply")

    def ask_named(self) -> _Move:
        asker, me = self.asker, self.name(self.agent_id)
        event = Comment(
            id=f"{ASK_ID}:named",
            at=self.at,
            actor=asker,
            update=ASK_ID,
            via="web",
            author=asker,
            public=False,
            body=f"@{me}, please answer the customer.",
        )
        how = f"ask {self.name(asker)} to hand you the reply in an internal note that names you, before you reply"
        return self._ask("named", event, how)

    # --- trying a way on the engine -------------------------------------------------------------------------

    def _events(self, plan: Plan) -> tuple[bool, tuple[Event, ...], tuple[Event, ...], datetime]:
        """What the engine is shown for ``plan``: whether the reply is public, the events before it and with it,
        and when it is written."""
        public = all(move.public for move in plan)
        before = tuple(event for move in plan for event in move.before)
        same = tuple(event for move in plan for event in move.same_update)
        return public, before, same, self.at + timedelta(seconds=1) if before else self.at

    def attempt(self, rule: Rule, plan: Plan) -> tuple[PathStep | None, str]:
        """The step for ``plan`` if the engine judges the reply made that way by ``rule`` (so never a drive-by);
        else why not."""
        public, before, same, at = self._events(plan)
        judged = judge_reply(self.history, self.users, self.policy, self.agent_id, public, at, before, same)
        if judged is None:  # pragma: no cover - the plain reply is judged, so is this one
            return None, "does not hold now"
        decided = self.policy.rules.get(judged.rule)
        which = f"rule {judged.rule}" + (f" ({decided.title})" if decided is not None else "")
        if judged.verdict == "drive_by":
            if not plan:
                return None, f"it holds, but {which} is tried first and judges the reply a drive-by"
            return None, f"even then {which} judges the reply a drive-by"
        if judged.rule != rule.id:  # a way to another rule: listed for that rule, if it is one
            return None, f"{which} is tried first and judges the reply {judged.verdict.replace('_', ' ')}"
        action = max((move.action for move in plan), key=ACTIONS.index, default=ACTIONS[0])
        description = (
            plan[0].description if len(plan) == 1 else _sentence("; then ".join(m.phrase for m in _in_turn(plan)))
        )
        title = self.policy.rule(judged.rule).title
        return PathStep(action, description, judged.verdict, judged.rule, title), ""

    # --- later ------------------------------------------------------------------------------------------------

    def opens(self, rule: Rule, plan: Plan) -> tuple[datetime | None, str]:
        """The first moment (within :data:`HORIZON`) from which a reply made as ``plan`` says is judged by
        ``rule``, and the rule's opening in words; else None and why not."""
        public, before, same, at = self._events(plan)
        m = moment_of(
            _hypothesis(self.history, self.agent_id, public, at, before, same), self.users, self.policy, REPLY_ID
        )
        if m is None:  # pragma: no cover - the plain reply is judged, so is this one
            return None, "does not hold now"
        times = [fact for fact, _ in _signed_facts(rule.when) if fact.name in TIME_FACTS]
        failure = ""
        for moment in self.turning_points(times, m):
            later = replace(m, comment=structs.replace(m.comment, at=moment))
            if not holds(rule.when, later):  # the engine's own test, without judging the whole ticket again
                continue
            shifted = tuple(structs.replace(event, at=moment) for event in same)
            judged = judge_reply(self.history, self.users, self.policy, self.agent_id, public, moment, before, shifted)
            if judged is not None and judged.rule == rule.id:
                return moment, self._opening(rule, plan, later)
            if judged is not None and not failure:
                decided = self.policy.rules.get(judged.rule)
                which = f"rule {judged.rule}" + (f" ({decided.title})" if decided is not None else "")
                failure = f"when it would hold, {which} is tried first"
        if failure:
            return None, failure
        said = [p for fact in times if not holds(fact, m) for p in explain(fact, m, False)[0]]
        return None, f"not within the next {HORIZON.days} days" + (f": {'; '.join(said)}" if said else "")

    def _opening(self, rule: Rule, plan: Plan, later: Moment) -> str:
        """``open from <time>: by then …`` for the moment ``later`` the rule first decides."""
        said: list[str] = []
        waits_for_customer = False
        for fact, positive in _signed_facts(rule.when):
            if fact.name not in TIME_FACTS or holds(fact, later) != positive:
                continue
            phrase = self._time_words(fact, positive, later)
            if phrase and phrase not in said:
                said.append(phrase)
            waits_for_customer = waits_for_customer or fact.name == "customer_waited"
        text = f"open from {when(later.comment.at)}"
        others = [move.phrase for move in _in_turn(plan) if move is not _WAIT]
        if others:
            text += " if you " + " and ".join(others)
        if said:
            text += ": by then " + " and ".join(said)
        if waits_for_customer:
            text += ", if nobody has answered the customer before"
        return text

    def _time_words(self, fact: Fact, positive: bool, later: Moment) -> str:
        assignee, name = later.assignee, self.name(later.state.assignee)
        region = self.policy.region_of_user(assignee) if assignee is not None else None
        hours = f"{region} business hours" if region else "their business hours"
        away = assignee is not None and self.policy.out_of_office(assignee, later.comment.at) is not None
        if fact.name == "customer_waited":
            if not positive:
                return ""
            share: float = fact.params.share  # type: ignore[attr-defined]
            return f"the customer will have waited {share:.0%} of the reply target"
        if fact.name == "assignee_out_of_office":
            return f"{name} is out of office" if positive else f"{name} is back in the office"
        on_shift = (fact.name == "assignee_on_shift") == positive
        if on_shift:
            return f"{name} is within {hours}"
        return f"{name} is out of office" if away else f"{name} is outside {hours}"

    def turning_points(self, facts: Sequence[Fact], m: Moment) -> list[datetime]:
        """The moments after the reply (to the minute, within :data:`HORIZON`) at which one of these facts can
        change: the assignee's shift starting or ending, an out-of-office period starting or ending, the customer
        reaching the share of the reply target. Between two of them the facts stay as they are."""
        start = m.comment.at
        points: set[datetime] = set()
        for fact in facts:
            if fact.name == "customer_waited":
                reached = _wait_reached(m, fact.params.share)  # type: ignore[attr-defined]
                if reached is not None:
                    points.add(reached)
            elif fact.name in TIME_FACTS:
                points.update(_shift_changes(m, start, with_hours=fact.name != "assignee_out_of_office"))
        return sorted({_minute(point) for point in points if start < point <= start + HORIZON})


def _minute(at: datetime) -> datetime:
    """``at`` in UTC, rounded up to a whole minute (so that the advice reads as a time on a clock)."""
    at = at.astimezone(UTC)
    whole = at.replace(second=0, microsecond=0)
    return whole if whole == at else whole + timedelta(minutes=1)


def _wait_reached(m: Moment, share: float) -> datetime | None:
    """When the customer will have waited ``share`` of the reply target (the engine's :func:`reply_clock`);
    None when nobody is waiting."""
    clock = reply_clock(m)
    if clock is None:
        return None
    return clock.since + timedelta(seconds=math.ceil((clock.target * share).total_seconds()))


def _shift_changes(m: Moment, start: datetime, with_hours: bool) -> set[datetime]:
    """When the assignee's shift starts and ends, and their out-of-office periods start and end, around
    :data:`HORIZON` after ``start``."""
    assignee, policy = m.assignee, m.policy
    if assignee is None:
        return set()
    points: set[datetime] = set()
    for period in policy.organisation.out_of_office:
        if refers_to(period.agent, assignee):
            begins, ends = period.bounds
            points.update((begins, ends + timedelta(microseconds=1)))
    region_code = policy.region_of_user(assignee) if with_hours else None
    if region_code is None:
        return points
    region = policy.organisation.regions[region_code]
    days = region.days or policy.organisation.business_days
    opens, closes = region.span
    first = start.astimezone(region.zone).date()
    for offset in range(-1, HORIZON.days + 2):
        day = first + timedelta(days=offset)
        if WEEKDAYS[day.weekday()] not in days:
            continue
        for moment in (opens, closes):
            points.add(datetime.combine(day, moment, tzinfo=region.zone))
    return points


def history_before(history: TicketHistory, comment_id: Id) -> tuple[TicketHistory, datetime] | None:
    """The history up to (not including) the update that carries ``comment_id``, and that update's time. The
    engine replays it as it replays the whole history up to there (see :func:`_as_replayed`)."""
    for index, event in enumerate(history.events):
        if isinstance(event, Comment) and event.id == comment_id:
            start = index
            while start > 0 and history.events[start - 1].update == event.update:
                start -= 1
            return TicketHistory(ticket=_as_replayed(history), events=history.events[:start]), event.at
    return None


def _as_replayed(history: TicketHistory) -> Ticket:
    """The ticket, without the current values the engine falls back on only when the history never sets them
    (assignee, priority, group, custom fields) where the whole history does set them: so that a part of the
    history starts from the same state as the whole. (A ticket unassigned at a comment and assigned later is not
    taken to have had its later assignee all along.)"""
    ticket, events = history.ticket, history.events
    fields_set = {event.field.lower() for event in events if isinstance(event, FieldChange)}
    changes: dict[str, Any] = {}
    if ticket.assignee_id is not None and any(isinstance(event, AssigneeChange) for event in events):
        changes["assignee_id"] = None
    if ticket.priority is not None and "priority" in fields_set:
        changes["priority"] = None
    if ticket.group_id is not None and "group_id" in fields_set:
        changes["group_id"] = None
    if any(str(name).lower() in fields_set for name in ticket.fields):
        changes["fields"] = {name: v for name, v in ticket.fields.items() if str(name).lower() not in fields_set}
    return replace(ticket, **changes) if changes else ticket


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
