"""The plan of an export: every ticket as compact abstract events, with the people and the policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from intently.demo.people import Agent, Company, Customer
from intently.policy import Policy

SYSTEM = -1
"""The author id of updates by triggers and automations."""


# --- abstract events of a plan (compact tuples) ----------------------------------------------------

K_COMMENT, K_CREATE, K_CHANGE, K_FOLLOWERS, K_CCS, K_NOTIFY, K_RATING = range(7)
# (K_COMMENT, author, public, parts, named, intent)   parts: indices into TEXTS; named: a user id or 0
# (K_CREATE, field_name, value)
# (K_CHANGE, field_name, value, previous)
# (K_FOLLOWERS | K_CCS, current, previous, as_email)
# (K_NOTIFY, rule, recipients)
# (K_RATING, score, assignee, text)   score: offered, good or bad; text: the customer's comment (index) or -1

V_WEB, V_EMAIL, V_API, V_TRIGGER, V_AUTOMATION = range(5)
CHANNELS = ("web", "email", "api", "rule", "rule")


@dataclass(slots=True)
class Step:
    """One update of a ticket: a Zendesk audit."""

    at: int
    author: int
    via: int
    rule: int
    ops: tuple[tuple[Any, ...], ...]
    id: int = 0


@dataclass(slots=True)
class TicketPlan:
    """A ticket and every update of its history, in time order."""

    id: int
    created: int
    requester: int
    submitter: int
    organization: int
    subject: str
    topic: int
    case: int
    channel: int
    type: str | None
    steps: list[Step] = field(default_factory=list)


@dataclass(slots=True)
class DemoPlan:
    """Everything the writer needs: the account, the people, the policy override and the ticket plans."""

    seed: int
    start: date
    days: int
    start_ts: int
    end_ts: int
    override: dict[str, Any]
    policy: Policy
    agents: list[Agent]
    companies: list[Company]
    customers: list[Customer]
    tickets: list[TicketPlan]
    by_id: dict[int, Agent | Customer] = field(default_factory=dict)

    def name_of(self, user_id: int) -> str:
        person = self.by_id.get(user_id)
        return person.name if person else ""
