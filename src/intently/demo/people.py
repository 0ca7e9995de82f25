"""The demo account's people: agents, the customers' companies and the customers, drawn from the seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from intently.demo.clock import DAY, epoch
from intently.demo.organisation import AGENTS, COMPANIES, GROUP_IDS, PODS, REGION_TIME_ZONES, email_address
from intently.model import User
from intently.policy import Policy


@dataclass(frozen=True, slots=True)
class Agent:
    id: int
    name: str
    email: str
    time_zone: str
    support_region: str | None
    role: str
    region: str
    """Effective region code under the policy (the user field, else the time zone)."""
    group: int
    lead: bool
    pods: frozenset[str]
    created: int

    @property
    def first(self) -> str:
        return self.name.split()[0]


@dataclass(frozen=True, slots=True)
class Company:
    id: int
    name: str
    domain: str
    region: str
    time_zone: str
    plan: str
    owner: int
    """The account owner (an agent of the company's region)."""


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    name: str
    email: str
    company: int
    """Index into the companies."""
    time_zone: str
    preferred: str | None
    offset: int
    """The customer's UTC offset in seconds at the start of the quarter (for plausible reply times)."""
    created: int

    @property
    def first(self) -> str:
        return self.name.split()[0]


# fmt: off
_FIRST_NAMES = (
    "Aaliyah", "Adam", "Aisha", "Alejandro", "Alex", "Amelia", "Ananya", "Andrea", "Ben", "Bianca", "Carlos",
    "Caroline", "Chen", "Chiara", "Chris", "Dana", "Daniela", "David", "Elena", "Elif", "Emma", "Erik", "Fatima",
    "Felix", "Gabriel", "Georgia", "Hana", "Hugo", "Ian", "Imani", "Isaac", "Jade", "James", "Jana", "Jasmine",
    "Jonas", "Julia", "Kai", "Karim", "Kate", "Laura", "Leila", "Leon", "Lina", "Louis", "Lucy", "Luis", "Maja",
    "Malik", "Marco", "Maria", "Mateo", "Maya", "Mohammed", "Nadia", "Naomi", "Nathan", "Nia", "Noah", "Nora",
    "Oliver", "Oscar", "Paula", "Pedro", "Rafael", "Rania", "Ravi", "Rebecca", "Rosa", "Ryan", "Saanvi", "Samuel",
    "Sandra", "Sean", "Shira", "Simone", "Sipho", "Sophie", "Stefan", "Tariq", "Tessa", "Theo", "Valentina",
    "Victor", "Yara", "Yuki", "Zara", "Zoe",
)
_LAST_NAMES = (
    "Abbott", "Adeyemi", "Alvarez", "Andersson", "Bauer", "Bennett", "Brooks", "Campbell", "Carvalho", "Chen",
    "Cohen", "Costa", "Dang", "Davies", "Dimitrov", "Edwards", "Eriksen", "Evans", "Fischer", "Flores", "Foster",
    "Garcia", "Gupta", "Hall", "Hansen", "Hayes", "Horvat", "Hughes", "Ito", "Jansen", "Johansson", "Kaur",
    "Khan", "Kowalski", "Kruger", "Lambert", "Larsson", "Lopez", "Mahlangu", "Moreau", "Morales", "Murphy",
    "Nakamura", "Nielsen", "Novak", "Obi", "Okoro", "Oliveira", "Park", "Patel", "Petrov", "Quinn", "Reyes",
    "Richter", "Rossi", "Russo", "Sánchez", "Schmidt", "Shah", "Silva", "Singh", "Sørensen", "Tanaka", "Torres",
    "Turner", "Usman", "Van Dijk", "Varga", "Wagner", "Walsh", "Wang", "Weber", "Williams", "Wong", "Yamamoto",
    "Yilmaz", "Young", "Zhou",
)
# fmt: on


class _Ids:
    """Zendesk-looking ids: increasing, with irregular gaps."""

    def __init__(self, rng: random.Random, first: int) -> None:
        self.rng = rng
        self.value = first

    def __call__(self) -> int:
        self.value += self.rng.randint(200_000, 9_000_000)
        return self.value


def make_people(
    rng: random.Random, policy: Policy, start: date, customers: int
) -> tuple[list[Agent], list[Company], list[Customer]]:
    start_ts = epoch(start)
    ids = _Ids(rng, 381_020_000_000 * 100)
    pods_of: dict[str, set[str]] = {}
    for pod, (members, _, _) in PODS.items():
        for member in members:
            pods_of.setdefault(member, set()).add(pod)
    agents: list[Agent] = []
    for name, zone, field_value, role in AGENTS:
        email = email_address(name, "example.com")
        user = User(
            id=0,
            name=name,
            role=role,
            email=email,
            time_zone=zone,
            fields={"support_region": field_value} if field_value else {},
        )
        region = policy.region_of_user(user)
        if region is None:
            raise ValueError(f"demo agent {name} has no region under the policy")
        agents.append(
            Agent(
                id=ids(),
                name=name,
                email=email,
                time_zone=zone,
                support_region=field_value,
                role=role,
                region=region,
                group=GROUP_IDS.get(region, GROUP_IDS["AMER"]),
                lead=role == "admin",
                pods=frozenset(pods_of.get(name, ())),
                created=start_ts - rng.randint(120, 1400) * DAY - rng.randrange(DAY),
            )
        )
    companies: list[Company] = []
    by_region: dict[str, list[Agent]] = {}
    for agent in agents:
        if not agent.lead:
            by_region.setdefault(agent.region, []).append(agent)
    for index, (name, region) in enumerate(COMPANIES):
        slug = "".join(ch for ch in name.lower() if ch.isalnum())
        plan = rng.choices(("plan_starter", "plan_business", "plan_enterprise"), (3, 4, 3))[0]
        companies.append(
            Company(
                id=360_020_000_000 + 1_000 * index + rng.randint(1, 999),
                name=name,
                domain=f"{slug}.example.com",
                region=region,
                time_zone=rng.choice(REGION_TIME_ZONES[region]),
                plan=plan,
                owner=rng.choice(by_region[region.upper()]).id,
            )
        )
    names = [(first, last) for first in _FIRST_NAMES for last in _LAST_NAMES]
    chosen = rng.sample(names, customers)
    people: list[Customer] = []
    for first, last in chosen:
        company_index = rng.randrange(len(companies))
        company = companies[company_index]
        roll = rng.random()
        if roll < 0.76:
            preferred: str | None = company.region
        elif roll < 0.88:
            preferred = "all_regions"
        elif roll < 0.95:
            preferred = None
        else:
            preferred = rng.choice([r for r in ("amer", "emea", "apac") if r != company.region])
        zone = company.time_zone if rng.random() < 0.8 else rng.choice(REGION_TIME_ZONES[company.region])
        offset_delta = ZoneInfo(zone).utcoffset(datetime(start.year, start.month, start.day)) or timedelta(0)
        offset = int(offset_delta.total_seconds())
        people.append(
            Customer(
                id=0,
                name=f"{first} {last}",
                email=email_address(f"{first} {last}", company.domain),
                company=company_index,
                time_zone=zone,
                preferred=preferred,
                offset=offset,
                created=start_ts - rng.randint(20, 900) * DAY - rng.randrange(DAY),
            )
        )
    people = [
        Customer(
            id=ids(),
            name=c.name,
            email=c.email,
            company=c.company,
            time_zone=c.time_zone,
            preferred=c.preferred,
            offset=c.offset,
            created=c.created,
        )
        for c in people
    ]
    return agents, companies, people
