"""The shared facts a ticket simulation asks about: calendars, agent pools, pods, time off, reply targets."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from intently.demo.clock import FAR, Calendar
from intently.demo.organisation import ESCALATION_TEAM
from intently.demo.people import Agent
from intently.demo.plan import K_COMMENT, DemoPlan


class World:
    """The shared facts a ticket simulation asks about."""

    def __init__(self, plan: DemoPlan, rng: random.Random) -> None:
        self.plan = plan
        self.rng = rng
        policy = plan.policy
        self.cal = Calendar(policy, plan.start - timedelta(days=7), plan.start + timedelta(days=plan.days + 150))
        self.regions = tuple(policy.organisation.regions)
        self.agents = {agent.id: agent for agent in plan.agents}
        self.pool = {code: [a for a in plan.agents if a.region == code and not a.lead] for code in self.regions}
        self.everyone = [a for a in plan.agents if not a.lead]
        self.leads = {a.region: a for a in plan.agents if a.lead}
        self.escalations = frozenset(a.id for a in plan.agents if a.name in ESCALATION_TEAM)
        self.pod_members = {name: [a for a in plan.agents if name in a.pods] for name in policy.organisation.pods}
        self.pod_of_tag = {tag: name for name, pod in policy.organisation.pods.items() for tag in pod.tags}
        self.away_periods: dict[int, list[tuple[int, int]]] = {}
        by_email = {a.email.lower(): a.id for a in plan.agents}
        for period in policy.organisation.out_of_office:
            agent_id = by_email.get(str(period.agent).lower(), period.agent)
            begin = (
                period.start
                if isinstance(period.start, datetime)
                else datetime.combine(period.start, datetime.min.time())
            )
            end = period.end if isinstance(period.end, datetime) else datetime.combine(period.end, datetime.max.time())
            span = (
                int(begin.replace(tzinfo=begin.tzinfo or UTC).timestamp()),
                int(end.replace(tzinfo=end.tzinfo or UTC).timestamp()),
            )
            self.away_periods.setdefault(agent_id, []).append(span)  # type: ignore[arg-type]
        targets = policy.organisation.reply_targets
        self.targets = {k: (int(v.first.total_seconds()), int(v.next.total_seconds())) for k, v in targets.items()}
        self.default_priority = policy.organisation.default_priority
        self.fraction = policy.wait_share if policy.wait_share is not None else 1.0
        self.drive_by_rules = frozenset(rule.id for rule in policy.rules.values() if rule.verdict == "drive_by")
        """The rules whose verdict is a drive-by (see :attr:`intently.demo.ticket.TicketSim.drove_by`)."""
        self.region_values = {code: code.lower() for code in self.regions}
        self.shared: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def away(self, agent_id: int, t: int) -> bool:
        periods = self.away_periods.get(agent_id)
        return bool(periods) and any(a <= t <= b for a, b in periods)  # type: ignore[union-attr]

    def share(self, ops: list[tuple[Any, ...]]) -> tuple[tuple[Any, ...], ...]:
        """The ops as a tuple, with repeated non-comment ops (status changes, notifications, ...) shared."""
        shared = self.shared
        return tuple(op if op[0] == K_COMMENT else shared.setdefault(op, op) for op in ops)

    def away_until(self, agent_id: int, t: int) -> int | None:
        """The end of the agent's time off that covers ``t``, if any."""
        for begin, end in self.away_periods.get(agent_id, ()):
            if begin <= t <= end:
                return end
        return None

    def available(self, agent: Agent, t: int) -> bool:
        return self.cal.is_open(agent.region, t) and not self.away(agent.id, t)

    def region_of_value(self, value: str | None) -> str | None:
        if value is None or value == "all_regions":
            return None
        return value.upper()

    def soonest_region(self, t: int, exclude: str | None = None) -> str:
        best, when = self.regions[0], FAR
        for code in self.regions:
            if code == exclude:
                continue
            opens = self.cal.next_open(code, t)
            if opens < when:
                best, when = code, opens
        return best
