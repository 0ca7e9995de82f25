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
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from intently.model import Id, User
from intently.model.zones import known_zone, zone_hint
from intently.policy.conditions import (
    FACTS,
    REPLY_TARGET_RANGE,
    Condition,
    Fact,
    always_holds,
    condition_data,
    facts_in,
    format_duration,
    located_facts,
    parse_condition,
    parse_duration,
)
from intently.policy.messages import DATE_WORDS, problem_words

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
"""The default policy's rules, in order (a policy may have others: :attr:`Policy.rule_ids`)."""
KEEP_ENABLED = ("assignee", "internal_note", "unsolicited_reply")
VERDICTS = ("assignee", "ownership_change", "intentional", "drive_by")
ALL_REGIONS = "ALL"


def _reply_target(value: Any) -> timedelta:
    return parse_duration(value, REPLY_TARGET_RANGE)


ReplyTargetDuration = Annotated[
    timedelta, BeforeValidator(_reply_target), PlainSerializer(format_duration, when_used="json")
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


CONDITION_HELP = "see the facts in the handbook"

RuleCondition = Annotated[Condition, BeforeValidator(parse_condition), PlainSerializer(condition_data)]
_RULE_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class Rule(_Strict):
    """One rule: when its condition holds for a comment, the comment gets its verdict (the first rule that holds
    decides)."""

    id: str = ""
    verdict: Literal["assignee", "ownership_change", "intentional", "drive_by"]
    title: str
    rationale: str
    when: RuleCondition
    enabled: bool = True

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _RULE_ID.match(value):
            raise ValueError("a rule id is lower-case letters, digits and _, starting with a letter, e.g. pod_voice")
        return value

    def facts(self, name: str) -> list[Fact]:
        """The rule's facts of that name (e.g. every ``author_takes_ticket``)."""
        return [fact for fact in facts_in(self.when) if fact.name == name]

    def _param(self, name: str, fact: str, param: str) -> Any:
        found = self.facts(fact)
        if not found:
            raise AttributeError(f"rule {self.id} has no {fact} fact, so no {name}")
        return getattr(found[0].params, param)

    # the keys of a policy file before rules were data, read from the condition (see LEGACY_KEYS)
    @property
    def window(self) -> timedelta:
        return self._param("window", "author_takes_ticket", "within")

    @property
    def tags(self) -> tuple[str, ...]:
        return self._param("tags", "ticket_has_tag", "tags")

    @property
    def followers(self) -> bool:
        return self._param("followers", "author_added_as", "follower")

    @property
    def ccs(self) -> bool:
        return self._param("ccs", "author_added_as", "cc")

    @property
    def wait_fraction(self) -> float:
        return self._param("wait_fraction", "customer_waited", "share")


class RuleSet(dict[str, Rule]):
    """The rules by id, in the order they are tried; ``rules.ownership`` reads one by id."""

    def __getattr__(self, rule_id: str) -> Rule:
        try:
            return self[rule_id]
        except KeyError:
            raise AttributeError(rule_id) from None

    def ordered(self) -> list[tuple[str, Rule]]:
        return list(self.items())


LEGACY_KEYS = {
    "window": ("author_takes_ticket", "within"),
    "tags": ("ticket_has_tag", "tags"),
    "followers": ("author_added_as", "follower"),
    "ccs": ("author_added_as", "cc"),
    "wait_fraction": ("customer_waited", "share"),
}
"""Keys of the policy file before rules were data (``rules.ownership.window: 2m``): each sets that parameter of
that fact in the rule's condition, so override files written then keep working."""

_RULE_KEYS = frozenset(Rule.model_fields)


def _set_param(raw: Any, fact: str, param: str, value: Any) -> tuple[Any, bool]:
    """The raw condition with ``param`` of every ``fact`` in it set to ``value``; and whether there was one."""
    if isinstance(raw, str):
        return ({fact: {param: value}}, True) if raw.strip() == fact else (raw, False)
    if not isinstance(raw, dict) or len(raw) != 1:
        return raw, False
    ((key, inner),) = raw.items()
    if key in ("all", "any") and isinstance(inner, list):
        changed = [_set_param(item, fact, param, value) for item in inner]
        return {key: [c for c, _ in changed]}, any(found for _, found in changed)
    if key == "not":
        part, found = _set_param(inner, fact, param, value)
        return {key: part}, found
    if key != fact:
        return raw, False
    spec = FACTS[fact].params
    params = dict(inner) if isinstance(inner, dict) else ({spec.shorthand: inner} if inner is not None else {})
    params[param] = value
    return {key: params}, True


def patch_rules(rules: list[Any], patches: dict[str, Any]) -> list[Any]:
    """The rule list with ``patches`` (rule id → the keys to change) applied by id, in the list's order: how an
    override file changes a few rules without writing the whole list. A ValueError names every change that cannot
    be made, a line each."""
    result, problems = patched_rules(rules, patches)
    if problems:
        raise ValueError("\n".join(problems))
    return result


def patched_rules(rules: list[Any], patches: Any) -> tuple[list[Any], list[str]]:
    """:func:`patch_rules`, with every change that can be made made, and the problems with the others (each
    ``rules.ID.KEY: what is wrong``), so that a policy file's problems are reported all at once."""
    result = [dict(rule) if isinstance(rule, dict) else rule for rule in rules]
    by_id = {rule.get("id"): rule for rule in result if isinstance(rule, dict)}
    problems: list[str] = []
    for rule_id, patch in patches.items():
        rule = by_id.get(rule_id)
        if rule is None:
            known = ", ".join(str(i) for i in by_id)
            problems.append(
                f"rules.{rule_id}: unknown key: there is no rule {rule_id!r} to change (the rules: {known}); to add "
                "a rule, write the whole list of rules"
            )
            continue
        if not isinstance(patch, dict):
            problems.append(f"rules.{rule_id}: expected a mapping of the keys to change, got {type(patch).__name__}")
            continue
        for key, value in patch.items():
            where = f"rules.{rule_id}.{key}"
            if key in LEGACY_KEYS and key not in _RULE_KEYS:
                fact, param = LEGACY_KEYS[key]
                problem = _param_problem(fact, param, value)
                if problem is not None:
                    problems.append(f"{where}: {problem}")
                    continue
                when, found = _set_param(rule.get("when"), fact, param, value)
                if found:
                    rule["when"] = when
                else:
                    problems.append(f"{where}: this rule's condition has no {fact} fact to set")
            elif key not in _RULE_KEYS:
                from difflib import get_close_matches

                near = get_close_matches(key, [*_RULE_KEYS, *LEGACY_KEYS], n=1)
                hint = f": did you mean {near[0]!r}?" if near else ""
                problems.append(f"{where}: unknown key{hint}")
            else:
                rule[key] = value
    return result, problems


def _param_problem(fact: str, param: str, value: Any) -> str | None:
    """What is wrong with a legacy key's value, checked as the fact's parameter; None when nothing is."""
    spec = FACTS[fact].params
    try:
        spec.model_validate({param: value})
    except ValidationError as exc:
        return problem_words(exc.errors(), spec)
    return None


def _default_rules() -> list[Any]:
    from importlib import resources

    import yaml

    text = resources.files("intently.policy").joinpath("default.yaml").read_text(encoding="utf-8")
    return list(yaml.safe_load(text)["rules"])


def _rules_by_id(value: Any) -> Any:
    """``rules`` as a mapping of id → rule, in order: from a list of rules (each with its ``id``), or from a
    mapping, which changes the default rules by id (a policy saved before rules were data, or written so)."""
    if isinstance(value, dict):
        value = patch_rules(_default_rules(), value)
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list of rules, got {value!r:.60}")
    by_id: dict[str, Any] = {}
    for index, rule in enumerate(value):
        if not isinstance(rule, dict):
            raise ValueError(f"rules[{index}]: expected a rule (id, verdict, title, rationale, when), got {rule!r:.60}")
        rule_id = rule.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            raise ValueError(f"rules[{index}]: every rule needs an id")
        if rule_id in by_id:
            raise ValueError(f"rules[{index}]: the id {rule_id!r} is used twice; each rule id once")
        by_id[rule_id] = rule
    return by_id


def _rules_as_list(rules: dict[str, Rule]) -> list[Any]:
    return [rule.model_dump(mode="json") for rule in rules.values()]


class Region(_Strict):
    time_zone: str
    hours: str = Field(description="Business hours in the region's time zone, e.g. 08:00-18:00")
    days: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not known_zone(value):
            raise ValueError(f"unknown IANA time zone {value!r}: {zone_hint(value)}")
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
    unknown = [repr(given) for given, day in zip(value, days, strict=True) if day not in WEEKDAYS]
    if unknown:
        named = "weekdays " + ", ".join(unknown) if len(unknown) > 1 else f"weekday {unknown[0]}"
        raise ValueError(f"unknown {named}: use mon, tue, wed, thu, fri, sat, sun")
    return days


class ReplyTarget(_Strict):
    first: ReplyTargetDuration
    next: ReplyTargetDuration


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
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError(f"{text} is not a date ({exc})") from None
            raise ValueError(f"expected {DATE_WORDS}, got {text!r}") from None
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


def _near(name: str, known: list[str]) -> str:
    """``: did you mean 'data'?`` for a name close to one of ``known`` (case ignored), else nothing."""
    from difflib import get_close_matches

    by_folded = {item.lower(): item for item in known}
    close = get_close_matches(name.lower(), list(by_folded), n=1, cutoff=0.6)
    return f": did you mean {by_folded[close[0]]!r}?" if close else ""


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
    rules: Annotated[
        dict[str, Rule], BeforeValidator(_rules_by_id), AfterValidator(RuleSet), PlainSerializer(_rules_as_list)
    ]
    """In the order they are tried; the first that holds decides."""
    organisation: Organisation

    @model_validator(mode="after")
    def _rules_judge_every_comment(self) -> Policy:
        for rule in self.rules.values():
            if rule.id in KEEP_ENABLED and not rule.enabled:
                raise ValueError(
                    f"rules.{rule.id} cannot be disabled: every agent comment must get exactly one judgement"
                )
        enabled = [(index, rule) for index, rule in enumerate(self.rules.values()) if rule.enabled]
        catch_all = next(((i, r) for i, r in enabled if always_holds(r.when)), None)
        if catch_all is None:
            last = enabled[-1][1].id if enabled else "none"
            raise ValueError(
                f"rules: no rule holds for every comment (the last is {last}), so a comment could be left "
                "unjudged: end the list with a rule whose condition is `always`"
            )
        for index, rule in enabled:
            if index > catch_all[0]:
                raise ValueError(
                    f"rules[{index}] ({rule.id}) can never match: rules[{catch_all[0]}] ({catch_all[1].id}) "
                    "before it holds for every comment"
                )
        return self

    @model_validator(mode="after")
    def _conditions_name_known_pods_and_regions(self) -> Policy:
        """A condition naming a pod or a region the organisation does not define would never hold: a misspelt
        name is a problem, not a rule that quietly matches nothing."""
        problems = [
            f"rules.{rule.id}.when: {where}: {problem}"
            for rule in self.rules.values()
            for where, fact in located_facts(rule.when)
            for problem in self._unknown_names(fact)
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _unknown_names(self, fact: Fact) -> list[str]:
        values: tuple[str, ...] = getattr(fact.params, "values", ())
        if fact.name == "author_in_pod":
            pods = list(self.organisation.pods)
            known = (
                f"the pods, under organisation.pods: {', '.join(pods)}"
                if pods
                else "organisation.pods defines none: define it there, with its members and tags"
            )
            return [f"unknown pod {value!r}{_near(value, pods)} ({known})" for value in values if value not in pods]
        if fact.name not in ("author_region", "preferred_region"):
            return []
        regions = self.organisation.regions
        codes = ", ".join(regions)
        names = [*regions, *(alias for region in regions.values() for alias in region.aliases)]
        problems = []
        for value in values:
            region = self.region_of_value(value)
            if region is None:
                problems.append(
                    f"unknown region {value!r}{_near(value, names)} (the regions: {codes}, or an alias of one under "
                    "organisation.regions)"
                )
            elif region == ALL_REGIONS and fact.name == "author_region":
                problems.append(f"{value!r} means any region, which is no agent's region: name the regions ({codes})")
        return problems

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

    @cached_property
    def _user_regions(self) -> dict[Id, tuple[User, str | None]]:
        """Each user's region as last worked out, with the user it was worked out for (the engine asks for every
        comment it judges)."""
        return {}

    def region_of_user(self, user: User | None) -> str | None:
        """An agent's region: the user field (``support_region``), else from their IANA time zone."""
        if user is None:
            return None
        known = self._user_regions.get(user.id)
        if known is not None and known[0] is user:
            return known[1]
        region = self._region_of(user)
        self._user_regions[user.id] = (user, region)
        return region

    def _region_of(self, user: User) -> str | None:
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
        """The rule with this id (a :class:`KeyError` for an id the policy does not have)."""
        return self.rules[rule_id]

    @cached_property
    def rule_ids(self) -> tuple[str, ...]:
        """Every rule's id, in the order they are tried."""
        return tuple(self.rules)

    def rule_titles(self) -> dict[str, str]:
        return {rule.id: rule.title for rule in self.rules.values()}

    @cached_property
    def active_rules(self) -> tuple[Rule, ...]:
        """The rules switched on, in order: what the engine applies."""
        return tuple(rule for rule in self.rules.values() if rule.enabled)

    def _facts(self, name: str) -> list[Fact]:
        return [fact for rule in self.active_rules for fact in rule.facts(name)]

    @cached_property
    def ownership_window(self) -> timedelta:
        """How long after a comment taking the ticket still counts (the longest ``author_takes_ticket``)."""
        windows = [fact.params.within for fact in self._facts("author_takes_ticket")]  # type: ignore[attr-defined]
        return max(windows, default=timedelta(0))

    @cached_property
    def solicitation(self) -> tuple[tuple[str, ...], bool, bool]:
        """What asks for help under this policy: (tags, followers, CCs), from the ``ticket_has_tag`` and
        ``author_added_as`` facts of the rules that make a comment intentional."""
        tags: list[str] = []
        followers = ccs = False
        for rule in self.active_rules:
            if rule.verdict != "intentional":
                continue
            for fact in rule.facts("ticket_has_tag"):
                tags.extend(t for t in fact.params.tags if t not in tags)  # type: ignore[attr-defined]
            for fact in rule.facts("author_added_as"):
                followers = followers or fact.params.follower  # type: ignore[attr-defined]
                ccs = ccs or fact.params.cc  # type: ignore[attr-defined]
        return tuple(tags), followers, ccs

    @cached_property
    def wait_share(self) -> float | None:
        """The share of the reply target a customer must have waited for cover (``customer_waited``), if any."""
        shares = [fact.params.share for fact in self._facts("customer_waited")]  # type: ignore[attr-defined]
        return min(shares, default=None)
