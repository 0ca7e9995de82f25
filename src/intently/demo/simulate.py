"""Planning an export: ticket arrivals, each ticket's script of rounds and episodes, and :func:`plan_export`."""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from intently.demo.clock import DAY, FAR, HOUR, epoch
from intently.demo.episodes import EpisodeSim
from intently.demo.organisation import (
    PODS,
    POLICY_FILE,
    R_AUTO_SOLVE,
    R_CLOSE,
    R_REMINDER,
    SOLICIT_TAG,
    policy_override,
)
from intently.demo.people import Customer, make_people
from intently.demo.plan import K_COMMENT, SYSTEM, V_API, V_AUTOMATION, V_EMAIL, V_WEB, DemoPlan, TicketPlan
from intently.demo.progress import Reporter
from intently.demo.stories import DRIVE_BY_DETOUR, REOPENED, SURVEY_ANSWERED
from intently.demo.texts import TOPICS
from intently.demo.world import World
from intently.policy import policy_from_mapping

FIRST_TICKET_ID = 48_213
_POD_TAGS = frozenset(tag for _, tags, _ in PODS.values() for tag in tags)

_PRIORITIES = (None, "low", "normal", "high", "urgent")
_PRIORITY_WEIGHTS = (12, 15, 45, 20, 8)
_TYPES = (None, "question", "incident", "problem", "task")
_TYPE_WEIGHTS = (30, 35, 25, 5, 5)
_COVERAGE_CHANCE = {"urgent": 0.30, "high": 0.18, "normal": 0.06, "low": 0.03}
# borderline cases, which a proposal that moves a threshold judges differently (see EpisodeSim.early_cover)
_EARLY_COVER_CHANCE = {"urgent": 0.16, "high": 0.10, "normal": 0.04, "low": 0.025}
_SELF_FOLLOW_CHANCE = 0.007


class _Sim(EpisodeSim):
    """A whole ticket: its script of rounds and episodes, played out, then solved and closed."""

    def run(self) -> None:
        rng = self.rng
        proactive = None
        if rng.random() < 0.03:
            region = self.w.region_of_value(self.pref) or self.w.soonest_region(self.created)
            proactive = self.choose(self.w.pool[region], None)
        self.create(proactive)
        replied = True if proactive else self.pickup()
        rounds = rng.choices((1, 2, 3, 4, 5), (35, 35, 18, 8, 4))[0]
        plan: list[list[str]] = [[] for _ in range(rounds + 1)]

        def put(name: str, first: int = 1) -> None:
            plan[rng.randint(first, rounds)].append(name)

        if rng.random() < 0.14:
            put("drive_by", 0 if not replied else 1)
        if rng.random() < 0.05:
            put("drive_by")
        if rng.random() < _COVERAGE_CHANCE.get(self.priority or "normal", 0.05):
            put("coverage")
        if rng.random() < _EARLY_COVER_CHANCE.get(self.priority or "normal", 0.02):
            put("early_cover")
        if rng.random() < _SELF_FOLLOW_CHANCE:
            put("self_follow")
        for name, chance in (("tag", 0.06), ("follower", 0.05), ("mention", 0.05), ("cc", 0.025)):
            if rng.random() < chance:
                put(name)
        if self.topic.tag in _POD_TAGS and rng.random() < 0.6:
            put("pod_note", 0)
        for name, chance in (("lead_note", 0.05), ("handover", 0.08), ("bump", 0.04), ("own_note", 0.12)):
            if rng.random() < chance:
                put(name)
        if rng.random() < 0.01:
            put("region")
        final = rng.choices(("reply", "confirm", "silent"), (50, 30, 20))[0]

        if not replied:
            for name in plan[0]:
                if name == "drive_by":
                    self.drive_by()
                elif name == "pod_note":
                    self.pod_note()
            self.assignee_reply(self.t, core="first", final=False)
        else:
            for name in plan[0]:
                plan[min(1, rounds)].append(name)
        detour = False
        index = 0
        while index < rounds:
            index += 1
            if self.t >= self.end:
                return
            episodes = plan[index]
            last = index == rounds
            if "coverage" in episodes and self.coverage_round():
                self.assignee_reply(self.t, final=last and final == "reply")
                continue
            if "early_cover" in episodes and self.coverage_round(early=True):
                self.assignee_reply(self.t, final=last and final == "reply")
                continue
            if "cc" in episodes:
                self.cc_reply()
            else:
                region_change = None
                if "region" in episodes:
                    region_change = rng.choice([r for r in ("amer", "emea", "apac") if r != self.pref])
                groups = (
                    ("c_hi", "c_followup", "c_region", "c_sign") if region_change else ("c_hi", "c_followup", "c_sign")
                )
                self.customer_reply(self.customer_time(self.t), groups, region=region_change)
            taken = False
            for name in (
                "drive_by", "self_follow", "lead_note", "pod_note", "own_note", "tag", "follower", "mention", "bump"
            ):  # fmt: skip
                if name not in episodes:
                    continue
                if name == "drive_by":
                    self.drive_by()
                elif name == "self_follow":
                    self.self_follow()
                elif name == "lead_note":
                    self.lead_note()
                elif name == "pod_note":
                    self.pod_note()
                elif name == "own_note":
                    self.own_note()
                elif name == "bump":
                    self.bump = True
                else:
                    self.collaboration(name)
            if self.drove_by and not detour and self.random() < DRIVE_BY_DETOUR:  # a second voice costs a round
                detour, last = True, False
                rounds += 1
                plan.append([])
            if "handover" in episodes:
                taken = self.handover()
            if not taken:
                self.assignee_reply(self.t, final=last and final == "reply")
        self.finish(final)

    def finish(self, how: str) -> None:
        if self.t >= self.end or self.assignee is None:
            return
        owner = self.owner()
        assert owner is not None
        if self.status != "solved":
            if how == "silent":
                at = self.when(self.t + 72 * HOUR + self.rand(0, HOUR))
                parts = self.parts("reminder")
                self.push(at, SYSTEM, V_AUTOMATION, [(K_COMMENT, owner.id, True, parts, 0, "")], R_REMINDER)
                at = self.when(at + 96 * HOUR + self.rand(0, HOUR))
                ops: list[tuple[Any, ...]] = []
                self.set_status(ops, "solved")
                self.push(at, SYSTEM, V_AUTOMATION, ops, R_AUTO_SOLVE)
                self.solved_at = at
            else:
                self.customer_reply(self.customer_time(self.t), ("c_hi", "c_thanks", "c_sign"))
                at = self.when(self.agent_time(owner, self.t))
                if at >= FAR:
                    return
                ops = []
                if self.rng.random() < 0.5 or self.w.away(owner.id, at):
                    self.set_status(ops, "solved")
                    self.set_tags(ops, owner.id, remove=(SOLICIT_TAG,))
                    self.push(at, owner.id, V_WEB, ops)
                    self.solved_at = at
                else:
                    self.assignee_reply(self.t, final=True, core="confirm_solve")
        if self.solved_at is None:
            return
        offered = False
        if self.effect(REOPENED):  # reopened before it closed
            at = self.when(self.customer_time(self.t))
            if at < self.solved_at + 4 * DAY:
                if at > self.solved_at + DAY + HOUR:  # the survey went out before the customer wrote back
                    self.offer_survey(self.solved_at)
                    offered = True
                self.customer_reply(at, ("c_hi", "c_reopen", "c_sign"))
                self.solved_at = None
                self.assignee_reply(self.t, final=True)
                if self.solved_at is None:
                    return
        if not offered:
            self.offer_survey(self.solved_at)
        self.close(self.solved_at + 4 * DAY + self.rand(0, HOUR))

    def close(self, at: int) -> None:
        """The automation closes the solved ticket; a customer who answers the survey does so before or after."""
        answer = self.customer_time(self.t) if self.random() < SURVEY_ANSWERED else None
        if answer is not None and answer < at:
            self.answer_survey(answer)
            answer = None
        ops: list[tuple[Any, ...]] = []
        self.set_status(ops, "closed")
        self.push(self.when(at), SYSTEM, V_AUTOMATION, ops, R_CLOSE)
        if answer is not None:
            self.answer_survey(answer)


def _arrivals(
    rng: random.Random, count: int, customers: list[Customer], start: date, days: int, start_ts: int, end_ts: int
) -> list[tuple[int, Customer]]:
    weights = [1.0 / (1 + (index % 97)) ** 0.35 for index in range(len(customers))]
    cum = list(_accumulate(weights))
    zones: dict[str, ZoneInfo] = {}
    out: list[tuple[int, Customer]] = []
    while len(out) < count:
        customer = customers[bisect.bisect_right(cum, rng.random() * cum[-1])]
        day = start + timedelta(days=rng.randrange(days))
        if day.weekday() >= 5 and rng.random() > 0.12:
            continue
        business = rng.random() < 0.85
        hour = min(23, max(0, int(rng.gauss(12.5, 2.6)))) if business else rng.randrange(24)
        zone = zones.setdefault(customer.time_zone, ZoneInfo(customer.time_zone))
        at = epoch(day, hour, rng.randrange(60), zone) + rng.randrange(60)
        if start_ts <= at < end_ts - 2 * HOUR:
            out.append((at, customer))
    out.sort(key=lambda item: (item[0], item[1].id))
    return out


def _accumulate(values: Iterable[float]) -> Iterable[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


def plan_export(
    *,
    tickets: int = 3000,
    seed: int = 7,
    start: date = date(2026, 7, 1),
    days: int = 91,
    progress: Callable[[int], None] | None = None,
) -> DemoPlan:
    """The people, the policy override and every ticket's plan, deterministically for ``seed``.

    ``progress``, if given, is called with increments (tickets planned since the last call, as a progress
    bar's ``advance`` takes them) that add up to the number of tickets.
    """
    if tickets < 0 or days < 1:
        raise ValueError("tickets must be >= 0 and days >= 1")
    rng = random.Random(seed)
    report = Reporter(progress)
    start_ts = epoch(start)
    end_ts = epoch(start + timedelta(days=days))
    base = policy_from_mapping({}, "default policy")
    override = policy_override(start)
    policy = policy_from_mapping(override, POLICY_FILE)
    customer_count = max(120, min(1500, 300 + tickets // 50))
    agents, companies, customers = make_people(rng, base, start, customer_count)
    plan = DemoPlan(
        seed=seed,
        start=start,
        days=days,
        start_ts=start_ts,
        end_ts=end_ts,
        override=override,
        policy=policy,
        agents=agents,
        companies=companies,
        customers=customers,
        tickets=[],
    )
    plan.by_id = {**{a.id: a for a in agents}, **{c.id: c for c in customers}}
    world = World(plan, rng)
    topic_cum = list(_accumulate(t.weight for t in TOPICS))
    prio_cum = list(_accumulate(_PRIORITY_WEIGHTS))
    type_cum = list(_accumulate(_TYPE_WEIGHTS))
    for index, (created, customer) in enumerate(_arrivals(rng, tickets, customers, start, days, start_ts, end_ts)):
        topic = TOPICS[bisect.bisect_right(topic_cum, rng.random() * topic_cum[-1])]
        priority = _PRIORITIES[bisect.bisect_right(prio_cum, rng.random() * prio_cum[-1])]
        kind = _TYPES[bisect.bisect_right(type_cum, rng.random() * type_cum[-1])]
        company = companies[customer.company]
        pref = customer.preferred if rng.random() < 0.95 else rng.choice(("amer", "emea", "apac", "all_regions", None))
        channel = rng.choices((V_EMAIL, V_WEB, V_API), (60, 33, 7))[0]
        case = rng.randrange(len(topic.cases))
        subject = topic.cases[case][0]
        ticket = TicketPlan(
            id=FIRST_TICKET_ID + index,
            created=created,
            requester=customer.id,
            submitter=customer.id,
            organization=company.id,
            subject=subject,
            topic=TOPICS.index(topic),
            case=case,
            channel=channel,
            type=kind,
        )
        sim = _Sim(world, ticket, customer, topic, priority, pref)
        sim.run()
        first = ticket.steps[0]
        if first.author != customer.id:
            ticket.submitter = first.author
            ticket.channel = V_WEB
            first.via = V_WEB
        ticket.steps = [step for step in ticket.steps if step.at < end_ts]
        plan.tickets.append(ticket)
        if (index + 1) % 500 == 0:
            report.at(index + 1)
    report.at(len(plan.tickets))
    return plan
