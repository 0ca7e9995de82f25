"""The policy as typed data: rules with stable ids, thresholds and organisation defaults.

Validation errors name the key (``rules.ownership.window``), so a policy file can be fixed by reading the
message. The few helpers here (regions, business hours, pods) are organisation facts the engine asks
about; the rules themselves are applied in :mod:`intently.engine`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from intently.model import Id, User

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RULE_IDS = (
    "assignee",
    "ownership",
    "solicited",
    "internal_note",
    "coverage",
    "unowned_reply",
    "unsolicited_reply",
)
VERDICTS = ("assignee", "ownership_change", "intentional", "drive_by")
ALL_REGIONS = "ALL"

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$")


def parse_duration(value: Any) -> timedelta:
    """``30m``, ``4h``, ``1h30m``, ``2d`` or a number of minutes."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30m, 4h or 1h30m")
    if isinstance(value, int | float):
        return timedelta(minutes=value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match and any(match.groups()):
            days, hours, minutes = (int(part or 0) for part in match.groups())
            return timedelta(days=days, hours=hours, minutes=minutes)
    raise ValueError(f"expected a duration such as 30m, 4h or 1h30m, got {value!r}")


def format_duration(value: timedelta) -> str:
    """``30m``, ``4h``, ``1h30m``, ``24h``: the way the policy file writes durations."""
    hours, minutes = divmod(int(value.total_seconds() // 60), 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, when_used="json")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    verdict: str
    title: str
    rationale: str
    enabled: bool = True


class AssigneeRule(Rule):
    verdict: Literal["assignee"] = "assignee"


class OwnershipRule(Rule):
    verdict: Literal["ownership_change"] = "ownership_change"
    window: Duration = timedelta(minutes=30)

    @field_validator("window")
    @classmethod
    def _non_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("must not be negative")
        return value


class SolicitedRule(Rule):
    verdict: Literal["intentional"] = "intentional"
    tags: tuple[str, ...] = ("needs_collaboration",)
    followers: bool = True
    ccs: bool = True


class InternalNoteRule(Rule):
    verdict: Literal["intentional"] = "intentional"


class CoverageRule(Rule):
    verdict: Literal["intentional"] = "intentional"
    wait_fraction: float = Field(0.75, ge=0.0, le=10.0)


class UnownedReplyRule(Rule):
    verdict: Literal["drive_by"] = "drive_by"


class UnsolicitedReplyRule(Rule):
    verdict: Literal["drive_by"] = "drive_by"


class Rules(_Strict):
    """The rules in the order they are tried; the first that holds decides."""

    assignee: AssigneeRule
    ownership: OwnershipRule
    solicited: SolicitedRule
    internal_note: InternalNoteRule
    coverage: CoverageRule
    unowned_reply: UnownedReplyRule
    unsolicited_reply: UnsolicitedReplyRule

    @model_validator(mode="after")
    def _catch_alls_stay(self) -> Rules:
        for rule_id in ("assignee", "internal_note", "unsolicited_reply"):
            if not getattr(self, rule_id).enabled:
                raise ValueError(
                    f"rules.{rule_id} cannot be disabled: every agent comment must get exactly one judgement"
                )
        return self

    def ordered(self) -> list[tuple[str, Rule]]:
        return [(rule_id, getattr(self, rule_id)) for rule_id in RULE_IDS]


class Region(_Strict):
    time_zone: str
    hours: str = Field(description="Business hours in the region's time zone, e.g. 08:00-18:00")
    days: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        _parse_hours(value)
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else _check_days(value)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @cached_property
    def span(self) -> tuple[time, time]:
        return _parse_hours(self.hours)


def _parse_hours(value: str) -> tuple[time, time]:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if not match:
        raise ValueError(f"expected hours such as 08:00-18:00, got {value!r}")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if not (0 <= h1 <= 24 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60):
        raise ValueError(f"hours out of range in {value!r}")
    start = time(23, 59, 59, 999999) if h1 == 24 else time(h1, m1)
    end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
    if end <= start:
        raise ValueError(f"the end of {value!r} must be after its start")
    return start, end


def _check_days(value: tuple[str, ...]) -> tuple[str, ...]:
    days = tuple(day.strip().lower()[:3] for day in value)
    unknown = [day for day in days if day not in WEEKDAYS]
    if unknown:
        raise ValueError(f"unknown weekday(s) {unknown}; use mon, tue, wed, thu, fri, sat, sun")
    return days


class ReplyTarget(_Strict):
    first: Duration
    next: Duration


class PreferredRegionSetting(_Strict):
    fields: tuple[str, ...] = ("Preferred Region for Support", "preferred_region")
    all_regions: tuple[str, ...] = ("all_regions",)


class AgentRegionSetting(_Strict):
    user_field: str = "support_region"
    time_zone_prefixes: dict[str, str] = Field(default_factory=dict)


class Pod(_Strict):
    members: tuple[int | str, ...] = Field(description="Agent ids or e-mail addresses")
    tags: tuple[str, ...] = Field(description="Ticket tags that mark the pod's topic")
    description: str = ""


def _date_or_time(value: Any) -> Any:
    """``2026-03-02`` is a whole day; ``2026-03-02T14:00:00Z`` a moment."""
    if isinstance(value, str) and len(value.strip()) == 10:
        return date.fromisoformat(value.strip())
    return value


DateOrTime = Annotated[datetime | date, BeforeValidator(_date_or_time)]


class OutOfOffice(_Strict):
    """A period an agent is away. Dates are whole days; times without a zone are UTC."""

    agent: int | str = Field(description="Agent id or e-mail address")
    start: DateOrTime
    end: DateOrTime
    note: str = ""

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> OutOfOffice:
        if self.bounds[1] < self.bounds[0]:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")
        return self

    @cached_property
    def bounds(self) -> tuple[datetime, datetime]:
        """The first and the last moment of the period (a date runs from its first to its last microsecond)."""
        start = self.start if isinstance(self.start, datetime) else datetime.combine(self.start, time.min)
        end = self.end if isinstance(self.end, datetime) else datetime.combine(self.end, time.max)
        return (start if start.tzinfo else start.replace(tzinfo=UTC), end if end.tzinfo else end.replace(tzinfo=UTC))

    def covers(self, at: datetime) -> bool:
        start, end = self.bounds
        return start <= at <= end


class Organisation(_Strict):
    business_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    regions: dict[str, Region]
    reply_targets: dict[str, ReplyTarget]
    default_priority: str = "normal"
    preferred_region: PreferredRegionSetting = PreferredRegionSetting()
    agent_region: AgentRegionSetting = AgentRegionSetting()
    pods: dict[str, Pod] = Field(default_factory=dict)
    out_of_office: tuple[OutOfOffice, ...] = ()

    @field_validator("business_days")
    @classmethod
    def _days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_days(value)

    @model_validator(mode="after")
    def _consistent(self) -> Organisation:
        if not self.regions:
            raise ValueError("organisation.regions must name at least one region")
        if self.default_priority not in self.reply_targets:
            raise ValueError(
                f"organisation.default_priority {self.default_priority!r} has no entry in "
                f"organisation.reply_targets ({', '.join(self.reply_targets)})"
            )
        for prefix, region in self.agent_region.time_zone_prefixes.items():
            if region not in self.regions:
                raise ValueError(
                    f"organisation.agent_region.time_zone_prefixes.{prefix}: unknown region {region!r} "
                    f"(known: {', '.join(self.regions)})"
                )
        return self


def refers_to(ref: int | str, user: User) -> bool:
    """Whether a person named in the policy (a pod member, an out-of-office agent) is ``user``: by id, or by
    e-mail address in any case."""
    return ref == user.id or (isinstance(ref, str) and bool(user.email) and ref.lower() == (user.email or "").lower())


class Policy(_Strict):
    """A complete, validated policy."""

    name: str
    version: str
    summary: str = ""
    principles: tuple[str, ...] = ()
    definitions: dict[str, str] = Field(default_factory=dict)
    rules: Rules
    organisation: Organisation

    # --- organisation facts the engine asks about -------------------------------------------------

    @cached_property
    def _region_lookup(self) -> dict[str, str]:
        lookup: dict[str, str] = {}
        for code, region in self.organisation.regions.items():
            lookup[code.lower()] = code
            for alias in region.aliases:
                lookup[alias.strip().lower()] = code
        for value in self.organisation.preferred_region.all_regions:
            lookup[value.strip().lower()] = ALL_REGIONS
        return lookup

    @cached_property
    def preferred_region_fields(self) -> frozenset[str]:
        return frozenset(name.strip().lower() for name in self.organisation.preferred_region.fields)

    def region_of_value(self, value: object) -> str | None:
        """A region code (or ``ALL``) for a field value such as ``emea``, ``EMEA`` or ``Europe``."""
        if value is None:
            return None
        return self._region_lookup.get(str(value).strip().lower())

    def region_of_user(self, user: User | None) -> str | None:
        """An agent's region: the user field (``support_region``), else from their IANA time zone."""
        if user is None:
            return None
        setting = self.organisation.agent_region
        raw = user.fields.get(setting.user_field) if user.fields else None
        region = self.region_of_value(raw)
        if region and region != ALL_REGIONS:
            return region
        if user.time_zone:
            prefix = user.time_zone.split("/", 1)[0]
            return setting.time_zone_prefixes.get(prefix)
        return None

    def is_business_hours(self, region_code: str, at: datetime) -> bool:
        region = self.organisation.regions[region_code]
        local = at.astimezone(region.zone)
        days = region.days or self.organisation.business_days
        if WEEKDAYS[local.weekday()] not in days:
            return False
        start, end = region.span
        return start <= local.time() < end

    def out_of_office(self, user: User, at: datetime) -> OutOfOffice | None:
        for period in self.organisation.out_of_office:
            if refers_to(period.agent, user) and period.covers(at):
                return period
        return None

    def reply_target(self, priority: str | None) -> ReplyTarget:
        targets = self.organisation.reply_targets
        key = (priority or "").strip().lower()
        return targets.get(key) or targets[self.organisation.default_priority]

    @cached_property
    def _pod_members(self) -> list[tuple[str, frozenset[Id], frozenset[str], frozenset[str]]]:
        pods = []
        for name, pod in self.organisation.pods.items():
            ids = frozenset(m for m in pod.members if not (isinstance(m, str) and "@" in m))
            emails = frozenset(m.lower() for m in pod.members if isinstance(m, str) and "@" in m)
            pods.append((name, ids, emails, frozenset(pod.tags)))
        return pods

    def pods_of(self, user: User | None) -> list[tuple[str, frozenset[str]]]:
        """The pods (name, topic tags) the user belongs to."""
        if user is None:
            return []
        email = (user.email or "").lower()
        return [
            (name, tags)
            for name, ids, emails, tags in self._pod_members
            if user.id in ids or (email and email in emails)
        ]

    def in_pod(self, pod_name: str, user: User | None) -> bool:
        return any(name == pod_name for name, _ in self.pods_of(user))

    def rule(self, rule_id: str) -> Rule:
        return getattr(self.rules, rule_id)
