"""One ticket's simulation state: its fields, what the engine will remember, and the primitive updates."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from intently.demo.clock import DAY, FAR, HOUR, MINUTE
from intently.demo.organisation import GROUP_IDS, R_COMMENT_UPDATE, SOLICIT_TAG
from intently.demo.people import Agent, Customer
from intently.demo.plan import K_CHANGE, K_COMMENT, K_FOLLOWERS, K_NOTIFY, Step, TicketPlan
from intently.demo.texts import TEXT_GROUPS, Topic
from intently.demo.world import World

# reply delays (seconds) by priority: (min, max) after the customer's message, before business hours apply
_DELAYS = {"urgent": (5 * MINUTE, 40 * MINUTE), "high": (15 * MINUTE, 150 * MINUTE), "normal": (30 * MINUTE, 6 * HOUR)}
_DELAYS["low"] = (HOUR, 12 * HOUR)


class TicketSim:
    """One ticket, simulated update by update, with the state the engine will replay.

    This layer holds the state and the primitive updates; :class:`~intently.demo.stories.StorySim` and
    :class:`~intently.demo.episodes.EpisodeSim` build the ticket's story on it.
    """

    def __init__(
        self, world: World, plan: TicketPlan, customer: Customer, topic: Topic, priority: str | None, pref: str | None
    ) -> None:
        self.w = world
        self.rng = world.rng
        self.random = world.rng.random
        self.plan = plan
        self.customer = customer
        self.topic = topic
        self.created = plan.created
        self.t = plan.created
        self.end = world.plan.end_ts
        # ticket state
        self.status = "new"
        self.priority = priority
        self.assignee: int | None = None
        self.group: int | None = None
        self.tags: tuple[str, ...] = ()
        self.followers: tuple[int, ...] = ()
        self.ccs: tuple[int, ...] = ()
        self.pref = pref
        # what the engine remembers
        self.tag_by: dict[str, int] = {}
        self.follower_by: dict[int, int] = {}
        self.cc_by: dict[int, int] = {}
        self.last_reply: int | None = None
        self.waiting: int | None = None
        self.recent: list[tuple[int, int]] = []  # (time, agent) of agent comments
        # follow-ups owed by the assignee's next reply
        self.acks: list[tuple[int, str]] = []
        self.drop_collab = False
        self.bump = False
        self.solved_at: int | None = None
        self.drove_by = False
        """Whether an agent comment so far is one the engine will judge a drive-by."""

    # --- small helpers --------------------------------------------------------------------------

    def rand(self, low: int, high: int) -> int:
        """A random integer in [low, high] (cheaper than ``randint``)."""
        return low + int(self.random() * (high - low + 1))

    def when(self, t: int) -> int:
        return t if t > self.t else self.t + self.rand(20, 90)

    def push(self, at: int, author: int, via: int, ops: list[tuple[Any, ...]], rule: int = -1) -> None:
        assert at > self.t or not self.plan.steps, "steps must move forward in time"
        self.plan.steps.append(Step(at, author, via, rule, self.w.share(ops)))
        self.t = at

    def parts(self, *groups: str | int) -> tuple[int, ...]:
        """Text indices: a random text of each named group (an int is a text index already)."""
        out = []
        for name in groups:
            if isinstance(name, int):
                out.append(name)
            else:
                low, high = TEXT_GROUPS[name]
                out.append(low + int(self.random() * (high - low)))
        return tuple(out)

    def topic_part(self, kind: str) -> int:
        """This ticket's case of its topic: its symptom, cause, step or fix."""
        return TEXT_GROUPS[f"{self.topic.tag}.{kind}"][0] + self.plan.case

    def agent_time(self, agent: Agent, t: int, fast: bool = False) -> int:
        low, high = _DELAYS.get(self.priority or "normal", _DELAYS["normal"])
        if fast:
            low, high = low // 3, high // 3
        x = t + self.rand(low, high)
        opens = self.w.cal.next_open(agent.region, x)
        if opens != x and opens < FAR:
            opens += self.rand(3 * MINUTE, 50 * MINUTE)
        return opens

    def customer_time(self, t: int) -> int:
        roll = self.rng.random()
        if roll < 0.55:
            x = t + self.rand(15 * MINUTE, 4 * HOUR)
        elif roll < 0.9:
            x = t + self.rand(4 * HOUR, 26 * HOUR)
        else:
            x = t + self.rand(26 * HOUR, 72 * HOUR)
        local = x + self.customer.offset
        hour = (local // HOUR) % 24
        if hour < 7 or hour >= 22:
            x += ((7 - hour) % 24) * HOUR + self.rand(0, 150 * MINUTE)
            local = x + self.customer.offset
        weekday = (local // DAY + 3) % 7
        if weekday >= 5 and self.rng.random() < 0.7:
            x += (7 - weekday) * DAY
        return x

    def choose(
        self, pool: Sequence[Agent], t: int | None, exclude: Iterable[int] = (), quiet_since: int | None = None
    ) -> Agent | None:
        """A random agent of the pool, available at ``t`` (if given), not excluded."""
        skip = set(exclude)
        if quiet_since is not None:
            skip.update(agent for at, agent in self.recent if at >= quiet_since)
        candidates = [a for a in pool if a.id not in skip and (t is None or self.w.available(a, t))]
        return self.rng.choice(candidates) if candidates else None

    def reply_window(self) -> tuple[int, int] | None:
        """(when the customer's wait began, the reply target in seconds), counted as the engine counts them;
        None when no customer is waiting."""
        first_target, next_target = self.w.targets.get(self.priority or "", self.w.targets[self.w.default_priority])
        since = self.created if self.last_reply is None else self.waiting
        if since is None:
            return None
        return since, first_target if self.last_reply is None else next_target

    def owner(self) -> Agent | None:
        return self.w.agents.get(self.assignee) if self.assignee is not None else None

    # --- engine mirror ------------------------------------------------------------------------------

    def back(self, agent: Agent, t: int) -> int:
        """When the agent is next at work at or after ``t``'s shift end (or the end of their time off)."""
        after = self.w.away_until(agent.id, t)
        if after is not None:
            return self.w.cal.next_open(agent.region, after + 1)
        if self.w.cal.is_open(agent.region, t):
            t = self.w.cal.close_after(agent.region, t)
        return self.w.cal.next_open(agent.region, t)

    def coverage_holds(self, at: int) -> bool:
        owner = self.owner()
        if owner is None:
            return False
        if not self.w.away(owner.id, at) and self.w.cal.is_open(owner.region, at):
            return False
        first, following = self.w.targets.get(self.priority or "", self.w.targets[self.w.default_priority])
        since: int | None
        if self.last_reply is None:
            limit, since = first, self.created
        else:
            limit, since = following, self.waiting
        return since is not None and at - since >= self.w.fraction * limit

    def intent(self, author: int, public: bool, at: int, takes: bool) -> str:
        """The rule the engine will apply to this agent comment (mirrors the policy's rule order)."""
        if author == self.assignee:
            return "assignee"
        if takes:
            return "ownership"
        by = self.tag_by.get(SOLICIT_TAG)
        if by is not None and by != author:
            return "solicited"
        for watchers in (self.follower_by, self.cc_by):
            by = watchers.get(author)
            if by is not None and by != author:
                return "solicited"
        if not public:
            return "internal_note"
        if self.assignee is not None and self.coverage_holds(at):
            return "coverage"
        return "unowned_reply" if self.assignee is None else "unsolicited_reply"

    # --- updates ------------------------------------------------------------------------------------

    def agent_comment(
        self, at: int, author: int, public: bool, parts: tuple[int, ...], named: int = 0, takes: bool = False
    ) -> tuple[Any, ...]:
        intent = self.intent(author, public, at, takes)
        if intent in self.w.drive_by_rules:
            self.drove_by = True
        if public:
            self.last_reply = at
            self.waiting = None
        self.recent.append((at, author))
        return (K_COMMENT, author, public, parts, named, intent)

    def customer_comment(self, at: int, author: int, parts: tuple[int, ...], named: int = 0) -> tuple[Any, ...]:
        if self.waiting is None:
            self.waiting = at
        return (K_COMMENT, author, True, parts, named, "")

    def set_status(self, ops: list[tuple[Any, ...]], value: str) -> None:
        if self.status != value:
            ops.append((K_CHANGE, "status", value, self.status))
            self.status = value

    def set_assignee(self, ops: list[tuple[Any, ...]], agent: Agent | None) -> None:
        value = agent.id if agent else None
        if value == self.assignee:
            return
        ops.append((K_CHANGE, "assignee_id", value, self.assignee))
        self.assignee = value
        stays = self.group == GROUP_IDS["ESC"] and agent is not None and agent.id in self.w.escalations
        if agent is not None and self.group != agent.group and not stays:
            ops.append((K_CHANGE, "group_id", agent.group, self.group))
            self.group = agent.group

    def set_tags(
        self, ops: list[tuple[Any, ...]], actor: int, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        old = set(self.tags)
        new = (old | set(add)) - set(remove)
        if new == old:
            return
        value = tuple(sorted(new))
        ops.append((K_CHANGE, "tags", value, self.tags))
        for tag in old - new:
            self.tag_by.pop(tag, None)
        for tag in sorted(new - old):
            self.tag_by.setdefault(tag, actor)
        self.tags = value

    def add_watcher(self, ops: list[tuple[Any, ...]], kind: int, user: int, actor: int) -> bool:
        current = self.followers if kind == K_FOLLOWERS else self.ccs
        if user in current:
            return False
        new = (*current, user)
        ops.append((kind, new, current, self.rng.random() < 0.35))
        if kind == K_FOLLOWERS:
            self.followers = new
            self.follower_by.setdefault(user, actor)
        else:
            self.ccs = new
            self.cc_by.setdefault(user, actor)
        return True

    def notify(self, ops: list[tuple[Any, ...]], rule: int, recipients: Iterable[int]) -> None:
        people = tuple(dict.fromkeys(r for r in recipients if r))
        if people:
            ops.append((K_NOTIFY, rule, people))

    def reply_ops(self, ops: list[tuple[Any, ...]], status: str = "pending") -> None:
        self.set_status(ops, status)
        self.notify(ops, R_COMMENT_UPDATE, (self.plan.requester, *self.ccs_customers()))

    def ccs_customers(self) -> tuple[int, ...]:
        return tuple(c for c in self.ccs if c not in self.w.agents)
