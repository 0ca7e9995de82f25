"""The side stories woven into a ticket: drive-bys, requests for help, pod and lead notes, handovers, cover."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from intently.demo.clock import FAR, HOUR, MINUTE
from intently.demo.organisation import R_ASSIGNMENT, SOLICIT_TAG
from intently.demo.people import Agent
from intently.demo.plan import K_FOLLOWERS, V_WEB
from intently.demo.stories import StorySim

EARLY_COVER_SHARE = (0.45, 0.74)
"""The share of the reply target a customer has waited when an early cover steps in (below the default 75%)."""


class EpisodeSim(StorySim):
    """The episodes a ticket's script can schedule between the customer's messages."""

    def drive_by(self) -> None:
        owner = self.owner()
        if SOLICIT_TAG in self.tags:
            return
        at = self.when(self.t + self.rand(8 * MINUTE, 80 * MINUTE))
        pool: Sequence[Agent] = self.w.everyone
        pod = self.w.pod_of_tag.get(self.topic.tag)
        if pod and self.rng.random() < 0.3:
            pool = self.w.pod_members[pod]
        exclude = (owner.id if owner else 0, *self.followers, *self.ccs)
        agent = self.choose(pool, at, exclude=exclude)
        if agent is None or (owner is not None and self.coverage_holds(at)):
            return
        ops = [self.agent_comment(at, agent.id, True, self.parts("hi", "driveby", self.topic_part("step"), "sign"))]
        self.reply_ops(ops, "pending" if owner else "open")
        self.push(at, agent.id, V_WEB, ops)

    def helper_reply(self, helper: Agent, t: int, public: bool, ack: float) -> None:
        at = self.when(self.agent_time(helper, t, fast=True))
        if at >= FAR or self.w.away(helper.id, at):
            return
        if public:
            parts = self.parts("hi", "helper_public", self.topic_part("cause"), self.topic_part("step"), "sign")
        else:
            parts = self.parts("helper_note", self.topic_part("cause"), self.topic_part("fix"))
        ops = [self.agent_comment(at, helper.id, public, parts)]
        if public:
            self.reply_ops(ops)
        self.push(at, helper.id, V_WEB, ops)
        if not public and self.rng.random() < ack:
            self.acks.append((helper.id, "name"))

    def helper_for(self, t: int) -> Agent | None:
        owner = self.owner()
        pod = self.w.pod_of_tag.get(self.topic.tag)
        pool: Sequence[Agent] = self.w.pod_members[pod] if pod and self.rng.random() < 0.6 else self.w.everyone
        exclude = (owner.id if owner else 0,)
        return self.choose(pool, None, exclude=exclude) if pool else None

    def owner_update(self, t: int) -> tuple[Agent, int] | None:
        owner = self.owner()
        if owner is None:
            return None
        at = self.when(self.agent_time(owner, t, fast=True))
        if at >= FAR or self.w.away(owner.id, at):
            return None
        return owner, at

    def collaboration(self, how: str) -> None:
        """The assignee asks for help (tag, follower or @mention); the helper answers."""
        update = self.owner_update(self.t)
        if update is None:
            return
        owner, at = update
        helper = self.helper_for(at)
        if helper is None or helper.id in self.followers:
            return
        ops: list[tuple[Any, ...]] = []
        if how == "tag":
            ops.append(self.agent_comment(at, owner.id, False, self.parts("collab_note", self.topic_part("symptom"))))
            self.set_tags(ops, owner.id, add=(SOLICIT_TAG,))
            self.drop_collab = True
            public = self.rng.random() < 0.4
        elif how == "follower":
            if self.rng.random() < 0.6:
                ops.append(self.agent_comment(at, owner.id, False, self.parts("loop_note"), named=helper.id))
            self.add_watcher(ops, K_FOLLOWERS, helper.id, owner.id)
            public = self.rng.random() < 0.5
        else:  # an @mention in an internal note adds a follower
            ops.append(self.agent_comment(at, owner.id, False, self.parts("mention_note"), named=helper.id))
            self.add_watcher(ops, K_FOLLOWERS, helper.id, owner.id)
            public = self.rng.random() < 0.3
        self.push(at, owner.id, V_WEB, ops)
        self.helper_reply(helper, at + self.rand(10 * MINUTE, 3 * HOUR), public, ack=0.45)

    def pod_note(self) -> None:
        owner = self.owner()
        pod = self.w.pod_of_tag.get(self.topic.tag)
        if owner is None or pod is None or pod in owner.pods:
            return
        member = self.choose(self.w.pod_members[pod], None, exclude=(owner.id,))
        if member is None:
            return
        t = self.t + self.rand(15 * MINUTE, 5 * HOUR)
        for index in range(2 if self.rng.random() < 0.3 else 1):
            at = self.when(self.agent_time(member, t, fast=True))
            if at >= FAR or self.w.away(member.id, at):
                return
            if index:
                groups: tuple[str | int, ...] = ("pod_followup", self.topic_part("fix"))
            else:
                groups = ("pod_note", self.topic_part("cause"), self.topic_part("step"))
            ops = [self.agent_comment(at, member.id, False, self.parts(*groups))]
            self.push(at, member.id, V_WEB, ops)
            t = at + self.rand(20 * MINUTE, 3 * HOUR)
        roll = self.rng.random()
        if roll < 0.4:
            self.acks.append((member.id, "name"))
        elif roll < 0.6 and member.id not in self.followers:
            self.acks.append((member.id, "follow"))

    def lead_note(self) -> None:
        owner = self.owner()
        lead = self.w.leads[owner.region] if owner else self.rng.choice(list(self.w.leads.values()))
        if owner is not None and lead.id == owner.id:
            return
        at = self.when(self.agent_time(lead, self.t + self.rand(10 * MINUTE, 3 * HOUR), fast=True))
        if at >= FAR or self.w.away(lead.id, at):
            return
        self.push(at, lead.id, V_WEB, [self.agent_comment(at, lead.id, False, self.parts("lead_note"))])
        if self.rng.random() < 0.15:
            self.acks.append((lead.id, "name"))

    def own_note(self) -> None:
        update = self.owner_update(self.t)
        if update is None:
            return
        owner, at = update
        self.push(at, owner.id, V_WEB, [self.agent_comment(at, owner.id, False, self.parts("own_note"))])

    def cc_reply(self) -> None:
        owner = self.owner()
        helper = self.choose(self.w.everyone, None, exclude=(owner.id if owner else 0,))
        if helper is None:
            return
        self.customer_reply(self.customer_time(self.t), ("c_hi", "c_followup", "c_sign"), cc=helper)
        self.helper_reply(helper, self.t, public=self.rng.random() < 0.8, ack=0.3)

    def handover(self) -> bool:
        """Follow the sun: the assignee hands over to another region. True when the new owner replied."""
        update = self.owner_update(self.t)
        if update is None:
            return False
        owner, at = update
        preferred = self.w.region_of_value(self.pref)
        if preferred and preferred != owner.region:
            region = preferred
        else:
            region = self.w.soonest_region(self.w.cal.close_after(owner.region, at), exclude=owner.region)
        take_at = self.w.cal.next_open(region, at + self.rand(10 * MINUTE, 2 * HOUR))
        if take_at >= FAR:
            return False
        take_at += self.rand(0, 40 * MINUTE)
        new = self.choose(self.w.pool[region], take_at, exclude=(owner.id,), quiet_since=at - HOUR)
        if new is None:
            return False
        ops: list[tuple[Any, ...]]
        if self.rng.random() < 0.4:  # the assignee reassigns with a note; the new owner replies later
            ops = [self.agent_comment(at, owner.id, False, self.parts("handover_named", "summary"), named=new.id)]
            self.set_assignee(ops, new)
            self.notify(ops, R_ASSIGNMENT, (new.id,))
            self.push(at, owner.id, V_WEB, ops)
            self.acks = []
            return False
        ops = [self.agent_comment(at, owner.id, False, self.parts("handover_note", "summary"), named=new.id)]
        self.push(at, owner.id, V_WEB, ops)
        take_at = self.when(take_at)
        if not self.w.available(new, take_at):
            return False
        parts = self.parts("hi", "handover_take", self.topic_part("step"), "sign")
        ops = [self.agent_comment(take_at, new.id, True, parts, takes=True)]
        self.set_assignee(ops, new)
        self.reply_ops(ops)
        self.push(take_at, new.id, V_WEB, ops)
        self.acks = []
        return True

    def coverage_round(self, early: bool = False) -> bool:
        """A customer message lands as the assignee's day ends; another region covers after the wait.

        ``early``: a colleague steps in before the customer has waited long enough (see :meth:`early_cover`).
        """
        owner = self.owner()
        if owner is None or self.last_reply is None:
            return False
        natural = self.customer_time(self.t)
        close = self.w.cal.close_after(owner.region, natural)
        if close >= FAR:
            return False
        at = max(self.t + 10 * MINUTE, close - self.rand(0, 60 * MINUTE))
        self.customer_reply(self.when(at), ("c_hi", "c_followup", "c_sign"))
        return self.early_cover() if early else self.cover(first=False)

    def early_cover(self) -> bool:
        """A colleague in another region answers while the assignee is off shift, but too early to be cover.

        The customer has waited 45-74% of the reply target (exactly, from the state the engine replays): a
        drive-by under the default 75% threshold, cover under a lower one.
        """
        owner = self.owner()
        if owner is None:
            return False
        window = self.reply_window()
        if window is None:
            return False
        since, limit = window
        low, high = EARLY_COVER_SHARE
        latest = since + math.floor(high * limit)
        earliest = max(self.t + MINUTE, since + self.rand(math.ceil(low * limit), math.floor(high * limit)))
        candidates = self.cover_candidates(owner, earliest, latest)
        if not candidates:
            return False
        at, agent = self.rng.choice(candidates)
        at += self.rand(0, min(10 * MINUTE, latest - at))
        if self.coverage_holds(at) or self.w.available(owner, at) or not self.w.available(agent, at):
            return False
        parts = self.parts("hi", "coverage", self.topic_part("step"), "sign")
        ops = [self.agent_comment(at, agent.id, True, parts, named=owner.id)]
        self.reply_ops(ops)
        self.push(at, agent.id, V_WEB, ops)
        return True

    def self_follow(self) -> None:
        """A colleague of the assignee follows the ticket on their own, then replies while the assignee is at work.

        Nobody asked them (a follower added by themself solicits nothing) and the assignee was available, so the
        reply is a drive-by whatever the thresholds: the unclear case of someone who did take an interest.
        """
        owner = self.owner()
        if owner is None or SOLICIT_TAG in self.tags:
            return
        at = self.w.cal.next_open(owner.region, self.t + self.rand(5 * MINUTE, 60 * MINUTE))
        if at >= FAR:
            return
        at = self.when(at + self.rand(0, 30 * MINUTE))
        pool: Sequence[Agent] = self.w.pool[owner.region]
        pod = self.w.pod_of_tag.get(self.topic.tag)
        if pod and self.rng.random() < 0.5:
            pool = [a for a in self.w.pod_members[pod] if a.region == owner.region and not a.lead] or pool
        agent = self.choose(pool, at, exclude=(owner.id, *self.followers, *self.ccs))
        if agent is None:
            return
        ops: list[tuple[Any, ...]] = []
        self.add_watcher(ops, K_FOLLOWERS, agent.id, agent.id)
        self.push(at, agent.id, V_WEB, ops)
        at += self.rand(20 * MINUTE, 3 * HOUR)
        if not (self.w.available(agent, at) and self.w.available(owner, at)) or self.coverage_holds(at):
            return
        parts = self.parts("hi", "self_follow", self.topic_part("step"), "sign")
        ops = [self.agent_comment(at, agent.id, True, parts)]
        self.reply_ops(ops)
        self.push(at, agent.id, V_WEB, ops)
