"""The main line of a ticket's story: it opens, is picked up, is answered, is covered, is reassigned."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from intently.demo.clock import DAY, FAR, HOUR, MINUTE
from intently.demo.organisation import (
    AREA_FIELD_ID,
    BRAND_ID,
    FORM_ID,
    GROUP_IDS,
    PLAN_FIELD_ID,
    PREFERRED_FIELD_ID,
    R_AGENTS_NEW,
    R_ASSIGNEE_UPDATE,
    R_ASSIGNMENT,
    R_RECEIVED,
    R_ROUTE_OWNER,
    R_SURVEY,
    R_UNASSIGNED_URGENT,
    R_URGENT_ACK,
    SOLICIT_TAG,
)
from intently.demo.people import Agent
from intently.demo.plan import (
    K_CCS,
    K_CHANGE,
    K_COMMENT,
    K_CREATE,
    K_FOLLOWERS,
    K_RATING,
    SYSTEM,
    V_AUTOMATION,
    V_EMAIL,
    V_TRIGGER,
    V_WEB,
    Step,
)
from intently.demo.ticket import TicketSim

LATE_PICKUP = (31 * MINUTE, 75 * MINUTE)
"""How long after their first public reply a late pick-up's author assigns the ticket to themself: past the
default 30-minute ownership window, within a 1-hour one for about two thirds of them."""

# Outcomes. The effect of drive-bys on them is synthetic (made up, so that the outcome figures have something to
# find): a ticket with a drive-by is rated good less often, reopened more often and takes a round longer.
SURVEY_ANSWERED = 0.35
"""The share of customers who answer the satisfaction survey."""
RATED_GOOD = (0.85, 0.70)
"""The share of answers that are ``good``: without a drive-by on the ticket, and with one."""
RATING_COMMENTED = 0.4
"""The share of answers with a comment."""
REOPENED = (0.06, 0.15)
"""The share of solved tickets the customer reopens before they close: without a drive-by, and with one."""
DRIVE_BY_DETOUR = 0.4
"""The share of tickets with a drive-by that need one more round with the customer before they are solved."""


class StorySim(TicketSim):
    """A ticket's main line: creation, pick-up, the assignee's replies, cover, out of office, the customer."""

    def create(self, proactive: Agent | None) -> None:
        plan, customer = self.plan, self.customer
        company = self.w.plan.companies[customer.company]
        author = proactive.id if proactive else customer.id
        ops: list[tuple[Any, ...]] = []
        if proactive:
            parts = self.parts("hi_first", "proactive", self.topic_part("cause"), "sign")
        else:
            parts = self.parts("c_hi", self.topic_part("symptom"), "c_ask", "c_sign")
        ops.append((K_COMMENT, author, True, parts, 0, ""))
        region = self.w.region_of_value(self.pref) or self.w.soonest_region(self.created)
        group = GROUP_IDS["ESC"] if self.priority == "urgent" and self.rng.random() < 0.3 else GROUP_IDS[region]
        self.group = group
        tags = [self.topic.tag, company.plan]
        if self.pref:
            tags.append(self.pref)
        if plan.channel == V_WEB and not proactive:
            tags.append("web_form")
        self.tags = tuple(sorted(tags))
        for tag in self.tags:
            self.tag_by.setdefault(tag, author)
        ops += [
            (K_CREATE, "subject", plan.subject),
            (K_CREATE, "requester_id", customer.id),
            (K_CREATE, "status", "open" if proactive else "new"),
            (K_CREATE, "priority", self.priority),
            (K_CREATE, "type", plan.type),
            (K_CREATE, "group_id", group),
            (K_CREATE, "tags", self.tags),
            (K_CREATE, str(PREFERRED_FIELD_ID), self.pref),
            (K_CREATE, str(AREA_FIELD_ID), self.topic.tag),
            (K_CREATE, str(PLAN_FIELD_ID), company.plan),
            (K_CREATE, "organization_id", company.id),
            (K_CREATE, "brand_id", BRAND_ID),
            (K_CREATE, "ticket_form_id", FORM_ID),
        ]
        if proactive:
            ops.append((K_CREATE, "assignee_id", proactive.id))
            self.assignee = proactive.id
            self.status = "open"
        else:
            self.waiting = self.created
        self.notify(ops, R_RECEIVED, (customer.id,))
        if not proactive:
            region_code = next((c for c, g in GROUP_IDS.items() if g == group), "AMER")
            lead = self.w.leads.get(region_code) or self.w.leads[self.w.regions[0]]
            self.notify(ops, R_AGENTS_NEW, (lead.id,))
        self.plan.steps.append(Step(self.created, author, plan.channel, -1, self.w.share(ops)))
        if self.priority == "urgent" and not proactive and self.rng.random() < 0.7:
            at = self.created + self.rand(2, 40)
            self.push(at, SYSTEM, V_TRIGGER, [(K_COMMENT, SYSTEM, True, self.parts("urgent_ack"), 0, "")], R_URGENT_ACK)

    def pickup_region(self) -> str:
        preferred = self.w.region_of_value(self.pref)
        if preferred is None:
            return self.w.soonest_region(self.created + 5 * MINUTE)
        if self.rng.random() < 0.06:
            return self.rng.choice([r for r in self.w.regions if r != preferred])
        closed_long = self.w.cal.next_open(preferred, self.created) - self.created > 3 * HOUR
        if self.priority in ("urgent", "high") and closed_long and self.rng.random() < 0.6:
            return self.w.soonest_region(self.created + 5 * MINUTE)
        return preferred

    def unassigned_alarm(self, until: int) -> None:
        if self.priority == "urgent" and until - self.created > HOUR + 30 * MINUTE:
            at = self.created + HOUR + self.rand(60, 30 * MINUTE)
            if at < until - 60:
                leads = [lead.id for lead in self.w.leads.values()]
                ops: list[tuple[Any, ...]] = []
                self.notify(ops, R_UNASSIGNED_URGENT, leads)
                self.push(self.when(at), SYSTEM, V_AUTOMATION, ops, R_UNASSIGNED_URGENT)

    def pickup(self) -> bool:
        """Someone picks the ticket up. True when the assignee's first public reply has been made."""
        rng = self.rng
        company = self.w.plan.companies[self.customer.company]
        if company.plan == "plan_enterprise" and rng.random() < 0.3:
            return self.auto_assign(self.w.agents[company.owner])
        region = self.pickup_region()
        roll = rng.random()
        t = self.w.cal.next_open(region, self.created + self.rand(3 * MINUTE, 45 * MINUTE))
        if t != self.created and t < FAR:
            t += self.rand(2 * MINUTE, 40 * MINUTE)
        agent = self.choose(self.w.pool[region], t) or self.choose(self.w.everyone, t)
        if agent is None:
            t = self.agent_time(self.w.pool[region][0], t + HOUR)
            agent = self.choose(self.w.everyone, t)
            if agent is None:
                return False
        self.unassigned_alarm(t)
        at = self.when(t)
        if roll < 0.50:  # triage: the lead (or the agent themself) assigns, no comment
            lead = self.w.leads[region]
            actor = lead if rng.random() < 0.7 and self.w.available(lead, at) else agent
            ops: list[tuple[Any, ...]] = []
            self.set_assignee(ops, agent)
            self.set_status(ops, "open")
            if actor is not agent:
                self.notify(ops, R_ASSIGNMENT, (agent.id,))
            self.push(at, actor.id, V_WEB, ops)
            return False
        if roll < 0.76:  # takes it: replies and becomes the assignee in the same update
            ops = [
                self.agent_comment(
                    at, agent.id, True, self.parts("hi_first", "take", self.topic_part("step"), "sign"), takes=True
                )
            ]
            self.set_assignee(ops, agent)
            self.reply_ops(ops)
            self.push(at, agent.id, V_WEB, ops)
            return True
        if roll < 0.83:  # replies first, takes it a few minutes later
            ops = [self.agent_comment(at, agent.id, True, self.parts("hi_first", "first", "sign"), takes=True)]
            self.reply_ops(ops, "open")
            self.push(at, agent.id, V_WEB, ops)
            ops = []
            self.set_assignee(ops, agent)
            self.set_status(ops, "pending")
            self.push(self.when(at + self.rand(3 * MINUTE, 25 * MINUTE)), agent.id, V_WEB, ops)
            return True
        if roll < 0.86:  # a late pick-up: replies, and takes it only after the ownership window has passed
            ops = [self.agent_comment(at, agent.id, True, self.parts("hi_first", "first", "sign"))]
            self.reply_ops(ops, "open")
            self.push(at, agent.id, V_WEB, ops)
            ops = []
            self.set_assignee(ops, agent)
            self.set_status(ops, "pending")
            self.push(at + self.rand(*LATE_PICKUP), agent.id, V_WEB, ops)
            return True
        # someone answers (or notes) without taking it; the lead assigns someone else later
        public = rng.random() < 0.75
        parts = self.parts("hi_first", "unowned", self.topic_part("step"), "sign") if public else self.parts("own_note")
        ops = [self.agent_comment(at, agent.id, public, parts)]
        if public:
            self.reply_ops(ops, "open")
        else:
            self.set_status(ops, "open")
        self.push(at, agent.id, V_WEB, ops)
        later = self.when(at + self.rand(40 * MINUTE, 4 * HOUR))
        region = self.pickup_region()
        later = self.w.cal.next_open(region, later)
        owner = self.choose(self.w.pool[region], later, exclude=(agent.id,))
        if owner is None or later >= FAR:
            return public
        lead = self.w.leads[region]
        ops = []
        self.set_assignee(ops, owner)
        self.notify(ops, R_ASSIGNMENT, (owner.id,))
        self.push(self.when(later), lead.id if self.w.available(lead, later) else owner.id, V_WEB, ops)
        return False

    def auto_assign(self, owner: Agent) -> bool:
        """A trigger routes the ticket to the account owner; if they are off shift, someone may cover."""
        at = self.when(self.created + self.rand(5, 90))
        if self.w.away(owner.id, at):
            owner = self.choose(self.w.pool[owner.region], None, exclude=(owner.id,)) or owner
        ops: list[tuple[Any, ...]] = []
        self.set_assignee(ops, owner)
        self.set_status(ops, "open")
        self.notify(ops, R_ASSIGNMENT, (owner.id,))
        self.push(at, SYSTEM, V_TRIGGER, ops, R_ROUTE_OWNER)
        if not self.w.available(owner, at) and self.rng.random() < 0.75:
            self.cover(first=True)
        return False

    def cover_candidates(self, owner: Agent, earliest: int, latest: int) -> list[tuple[int, Agent]]:
        """Who could answer for an off-shift assignee from ``earliest`` to ``latest``, and from when: the first
        open hour of each other region (or the owner's own, when they are away), before the owner is back."""
        back = self.back(owner, self.t + 1)
        candidates: list[tuple[int, Agent]] = []
        for code in self.w.regions:
            if code == owner.region and not self.w.away(owner.id, earliest):
                continue
            at = self.w.cal.next_open(code, earliest)
            if at > latest or at >= back - 15 * MINUTE:
                continue
            agent = self.choose(self.w.pool[code], at, exclude=(owner.id, *self.followers, *self.ccs))
            if agent is not None:
                candidates.append((at, agent))
        return candidates

    def cover(self, first: bool) -> bool:
        """Another region answers while the assignee is off shift, once the customer waited long enough."""
        owner = self.owner()
        if owner is None:
            return False
        window = self.reply_window()
        if window is None:
            return False
        since, limit = window
        earliest = max(self.t + MINUTE, since + math.ceil(self.w.fraction * limit) + self.rand(5 * MINUTE, 50 * MINUTE))
        candidates = self.cover_candidates(owner, earliest, FAR - 1)
        if not candidates:
            return False
        soonest = min(at for at, _ in candidates)
        at, agent = self.rng.choice([c for c in candidates if c[0] <= soonest + 30 * MINUTE])
        at = self.when(at + self.rand(0, 10 * MINUTE))
        if not self.coverage_holds(at) or not self.w.available(agent, at):
            return False
        why = "coverage_away" if self.w.away(owner.id, at) else "coverage"
        parts = self.parts("hi", why, self.topic_part("step"), "sign")
        ops = [self.agent_comment(at, agent.id, True, parts, named=owner.id)]
        self.reply_ops(ops)
        self.push(at, agent.id, V_WEB, ops)
        return True

    def assignee_reply(self, t: int, final: bool = False, core: str = "next") -> None:
        owner = self.owner()
        if owner is None:
            return
        at = self.when(self.agent_time(owner, t))
        if at >= FAR:
            self.t = FAR
            return
        if self.w.away(owner.id, at):
            self.out_of_office(owner)
            return
        groups: list[str | int] = ["hi_first" if core == "first" else "hi", core]
        named = 0
        ops: list[tuple[Any, ...]] = []
        follow: list[int] = []
        for person, how in self.acks:
            if how == "name" and not named:
                named = person
                groups.insert(1, "ack_name")
            elif how == "follow" or how == "name":
                follow.append(person)
        self.acks = []
        if final and core != "confirm_solve":
            groups += [self.topic_part("fix"), "solve_direct"]
        elif core != "first" and not final:
            groups.append(self.topic_part(self.rng.choice(("cause", "step", "fix"))))
        groups.append("sign")
        ops.append(self.agent_comment(at, owner.id, True, self.parts(*groups), named=named))
        for person in follow:
            self.add_watcher(ops, K_FOLLOWERS, person, owner.id)
        if self.drop_collab or final:
            self.set_tags(ops, owner.id, remove=(SOLICIT_TAG,))
            self.drop_collab = False
        if self.bump and self.priority in (None, "low", "normal"):
            higher = {None: "normal", "low": "normal", "normal": "high"}[self.priority]
            ops.append((K_CHANGE, "priority", higher, self.priority))
            self.priority = higher
            self.bump = False
        self.reply_ops(ops, "solved" if final else "pending")
        if final:
            self.solved_at = at
        self.push(at, owner.id, V_WEB, ops)

    def out_of_office(self, owner: Agent) -> None:
        """The assignee is away: perhaps someone covers, then a lead reassigns the ticket."""
        covered = self.rng.random() < 0.6 and self.cover(first=self.last_reply is None)
        region = self.w.region_of_value(self.pref) or owner.region
        later = self.t + (self.rand(45 * MINUTE, 3 * HOUR) if covered else self.rand(10 * MINUTE, 2 * HOUR))
        lead = self.w.leads[region]
        at = self.when(self.w.cal.next_open(region, later))
        if at >= FAR:
            self.t = FAR
            return
        new = self.choose(self.w.pool[region], at, exclude=(owner.id,), quiet_since=at - 45 * MINUTE)
        if new is None:
            new = self.choose(self.w.everyone, None, exclude=(owner.id,), quiet_since=at - 45 * MINUTE)
        if new is None:
            return
        ops: list[tuple[Any, ...]] = []
        self.set_assignee(ops, new)
        self.notify(ops, R_ASSIGNMENT, (new.id,))
        self.push(at, lead.id, V_WEB, ops)
        self.acks = []
        self.assignee_reply(at, core="take")

    def effect(self, shares: tuple[float, float]) -> bool:
        """A random draw with a synthetic effect of drive-bys: ``shares`` is (without one, with one)."""
        return self.random() < shares[1 if self.drove_by else 0]

    def offer_survey(self, solved_at: int) -> None:
        """A day after the solve, an automation e-mails the requester the satisfaction survey."""
        ops: list[tuple[Any, ...]] = [(K_RATING, "offered", self.assignee, -1)]
        self.notify(ops, R_SURVEY, (self.plan.requester,))
        self.push(self.when(solved_at + DAY + self.rand(0, HOUR)), SYSTEM, V_AUTOMATION, ops, R_SURVEY)

    def answer_survey(self, at: int) -> None:
        """The requester rates the ticket ``good`` or ``bad`` (see :data:`RATED_GOOD`), perhaps with a comment."""
        score = "good" if self.effect(RATED_GOOD) else "bad"
        text = self.parts(f"csat_{score}")[0] if self.random() < RATING_COMMENTED else -1
        self.push(self.when(at), self.customer.id, V_WEB, [(K_RATING, score, self.assignee, text)])

    def customer_reply(
        self, at: int, groups: Sequence[str], cc: Agent | None = None, region: str | None = None
    ) -> None:
        customer = self.customer
        named = cc.id if cc else 0
        if cc is not None:
            groups = (*groups[:-1], "c_cc", groups[-1])
        ops = [self.customer_comment(at, customer.id, self.parts(*groups), named=named)]
        if cc is not None:
            self.add_watcher(ops, K_CCS, cc.id, customer.id)
        if region is not None and region != self.pref:
            ops.append((K_CHANGE, str(PREFERRED_FIELD_ID), region, self.pref))
            self.set_tags(ops, customer.id, add=(region,), remove=(self.pref,) if self.pref else ())
            self.pref = region
        if self.status in ("pending", "solved"):
            self.set_status(ops, "open")
        self.notify(ops, R_ASSIGNEE_UPDATE, (self.assignee,) if self.assignee else ())
        via = V_EMAIL if self.rng.random() < 0.8 else V_WEB
        self.push(at, customer.id, via, ops)
