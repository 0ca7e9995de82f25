"""A rule's condition, as data: documented **facts** about a comment, with parameters where they need them,
combined with ``all``, ``any`` and ``not``. What a support-operations person writes in YAML:

.. code-block:: yaml

    when:
      all:
        - public
        - ticket_has_tag: [pairing_session]
        - not: author_is_assignee

A condition is a fact's name (``public``), a fact with its parameters (``{ticket_has_tag: [pairing_session]}`` or
``{author_takes_ticket: {within: 30m}}``), or ``{all: [...]}``, ``{any: [...]}``, ``{not: ...}``. Every fact is in
:data:`FACTS`, with what it means, its parameters and an example: the handbook's fact reference is rendered from it.
The engine (:mod:`intently.engine.facts`) says whether each fact holds for a comment, and why.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from intently.policy.messages import DURATION_WORDS, NOT_A_NUMBER, counted, problem_words

DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$")

WINDOW_RANGE = (timedelta(0), timedelta(days=30))
"""An ownership window (``author_takes_ticket: {within: ...}``, ``rules.ownership.window``): a drive-by judgement
stays open, and its write-back note waits, for the whole window, and taking a ticket a month after commenting
on it is no longer taking it over."""
REPLY_TARGET_RANGE = (timedelta(minutes=1), timedelta(days=365))
"""A reply target (``organisation.reply_targets.PRIORITY.first`` / ``.next``): a target of no time at all would
make every wait "long enough" for coverage; a year is past any support team's target."""
DURATION_RANGE = (timedelta(0), timedelta(days=365))
"""Any other duration (a scenario's ``+DURATION`` step)."""


def parse_duration(value: Any, allowed: tuple[timedelta, timedelta] = DURATION_RANGE) -> timedelta:
    """``30m``, ``4h``, ``1h30m``, ``2d`` or a number of minutes, within ``allowed`` (both ends included); a
    ValueError in words otherwise (checked before a :class:`timedelta` is made, so no size overflows)."""
    minutes: float
    if isinstance(value, timedelta):
        minutes = value / timedelta(minutes=1)
    elif isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected {DURATION_WORDS}, got {_number_shown(value)}")
    elif isinstance(value, str):
        match = DURATION.match(value)
        if not match or not any(match.groups()):
            raise ValueError(f"expected {DURATION_WORDS}, got {_shown(value)}")
        days, hours, mins = (int(part or 0) for part in match.groups())
        minutes = days * 24 * 60 + hours * 60 + mins
    elif math.isnan(value):
        raise ValueError(f"expected {DURATION_WORDS}, got {NOT_A_NUMBER}")
    else:
        minutes = value
    low, high = allowed
    if not low / timedelta(minutes=1) <= minutes <= high / timedelta(minutes=1):
        unit = " (minutes)" if isinstance(value, int | float) else ""
        raise ValueError(
            f"must be between {duration_words(low)} and {duration_words(high)}, got {_number_shown(value)}{unit}"
        )
    return value if isinstance(value, timedelta) else timedelta(minutes=minutes)


def _number_shown(value: Any) -> str:
    """A value as the policy file writes it: ``.inf``, ``true``, ``'soon'``."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if isinstance(value, timedelta):
        return duration_words(value)
    return _shown(value)


def format_duration(value: timedelta) -> str:
    """``30m``, ``4h``, ``1h30m``, ``24h``: the way the policy file writes durations."""
    hours, minutes = divmod(int(value.total_seconds() // 60), 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


def duration_words(value: timedelta) -> str:
    """A duration as a person writes it: ``30d`` for whole days of at least one, else :func:`format_duration`."""
    if value >= timedelta(days=1) and value % timedelta(days=1) == timedelta(0):
        return f"{value.days}d"
    return format_duration(value)


# --- parameters -----------------------------------------------------------------------------------------------


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    shorthand: ClassVar[str | None] = None
    """The one parameter a plain value (``ticket_has_tag: [a, b]``) sets; None: the fact takes a mapping only."""

    @classmethod
    def read(cls, raw: Any) -> Params:
        short = cls.shorthand
        if raw is None or raw is True:
            return cls()
        if short is not None and not isinstance(raw, dict):
            return cls.model_validate({short: raw})
        if not isinstance(raw, dict):
            raise ValueError(f"expected a mapping of parameters, got {_shown(raw)}")
        return cls.model_validate(raw)

    def data(self) -> Any:
        values = self.model_dump(mode="json", exclude_defaults=True)
        return values or None


class NoParams(Params):
    @classmethod
    def read(cls, raw: Any) -> Params:
        if raw is None or raw is True or raw == {}:
            return cls()
        raise ValueError(f"takes no parameters, got {_shown(raw)}")


def _texts(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise ValueError("expected a list of texts, e.g. [web, email]")
    if not all(isinstance(item, str | int) and not isinstance(item, bool) for item in value):
        raise ValueError("expected a list of texts, e.g. [web, email]")
    return tuple(str(item) for item in value)


class Values(Params):
    shorthand: ClassVar[str | None] = "values"
    values: tuple[str, ...]

    @field_validator("values", mode="before")
    @classmethod
    def _list(cls, value: Any) -> tuple[str, ...]:
        return _texts(value)


class Tags(Params):
    shorthand: ClassVar[str | None] = "tags"
    tags: tuple[str, ...]

    @field_validator("tags", mode="before")
    @classmethod
    def _list(cls, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
            raise ValueError(f"expected a list of tags, got {value!r:.60}")
        return tuple(value)


class Pattern(Params):
    shorthand: ClassVar[str | None] = "pattern"
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid pattern: {exc}") from None
        return value


class Within(Params):
    shorthand: ClassVar[str | None] = "within"
    within: timedelta = timedelta(minutes=30)

    @field_validator("within", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value, WINDOW_RANGE)

    def data(self) -> Any:
        return {"within": format_duration(self.within)}


class AddedAs(Params):
    follower: bool = True
    cc: bool = True


class Count(Params):
    at_least: int = Field(0, ge=0)
    at_most: int | None = Field(None, ge=0)


class Share(Params):
    shorthand: ClassVar[str | None] = "share"
    share: float = Field(0.75, ge=0.0, le=10.0)

    def data(self) -> Any:
        return {"share": self.share}


# --- the facts ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactSpec:
    """A fact the engine can check: its parameters, what it means, and an example condition."""

    name: str
    about: str
    """``comment``, ``author``, ``ticket``, ``assignee``, ``customer`` or ``any``."""
    meaning: str
    example: str
    params: type[Params] = NoParams


FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec(
            "always", "any", "Always holds: the last rule of a list, so that every comment gets a verdict.", "always"
        ),
        FactSpec("public", "comment", "The comment is a public reply the customer sees.", "public"),
        FactSpec("internal", "comment", "The comment is an internal note only agents see.", "internal"),
        FactSpec(
            "channel",
            "comment",
            "The update that carries the comment came through one of these channels (web, email, api, mobile ...).",
            "channel: [web, email]",
            Values,
        ),
        FactSpec(
            "text_matches",
            "comment",
            "The comment's text matches this pattern (a regular expression; case is ignored).",
            'text_matches: "slack\\\\.com/archives/"',
            Pattern,
        ),
        FactSpec("author_is_assignee", "author", "The author is the assignee at the comment.", "author_is_assignee"),
        FactSpec(
            "author_takes_ticket",
            "author",
            "The author becomes the assignee in the same update, or within this window after the comment.",
            "author_takes_ticket: {within: 30m}",
            Within,
        ),
        FactSpec(
            "author_role", "author", "The author's role is one of these (agent, admin).", "author_role: [admin]", Values
        ),
        FactSpec(
            "author_region",
            "author",
            "The author works in one of these regions (the region's code, name or alias).",
            "author_region: [EMEA]",
            Values,
        ),
        FactSpec(
            "author_in_pod", "author", "The author is a member of one of these pods.", "author_in_pod: [data]", Values
        ),
        FactSpec(
            "author_in_assignees_pod",
            "author",
            "The author and the assignee at the comment are members of the same pod.",
            "author_in_assignees_pod",
        ),
        FactSpec(
            "author_added_as",
            "author",
            "Before the comment, someone other than the author added them as a follower or CC (an @mention in an "
            "internal note adds a follower in Zendesk); adding yourself does not count.",
            "author_added_as: {follower: true, cc: false}",
            AddedAs,
        ),
        FactSpec(
            "author_named_by_assignee",
            "author",
            "Earlier, the assignee at the comment named the author (full name or @mention) in an internal note.",
            "author_named_by_assignee",
        ),
        FactSpec("unassigned", "ticket", "The ticket has no assignee at the comment.", "unassigned"),
        FactSpec(
            "ticket_has_tag",
            "ticket",
            "The ticket carries one of these tags at the comment, added by someone other than the author.",
            "ticket_has_tag: [needs_collaboration]",
            Tags,
        ),
        FactSpec(
            "priority",
            "ticket",
            "The ticket's priority at the comment is one of these.",
            "priority: [urgent, high]",
            Values,
        ),
        FactSpec(
            "group",
            "ticket",
            "The ticket's group at the comment is one of these (name or id).",
            "group: [Billing]",
            Values,
        ),
        FactSpec(
            "preferred_region",
            "ticket",
            "The customer's preferred region at the comment is one of these.",
            "preferred_region: [EMEA]",
            Values,
        ),
        FactSpec(
            "public_voices",
            "ticket",
            "How many distinct agents replied publicly on the ticket before the comment (the assignee included).",
            "public_voices: {at_least: 2}",
            Count,
        ),
        FactSpec(
            "contributor_voices",
            "ticket",
            "How many distinct agents replied publicly before the comment while not the assignee (contributors).",
            "contributor_voices: {at_most: 0}",
            Count,
        ),
        FactSpec(
            "assignee_on_shift",
            "assignee",
            "The assignee is within their region's business hours and not out of office.",
            "assignee_on_shift",
        ),
        FactSpec(
            "assignee_unavailable",
            "assignee",
            "The assignee is outside their region's business hours or out of office.",
            "assignee_unavailable",
        ),
        FactSpec("assignee_out_of_office", "assignee", "The assignee is out of office.", "assignee_out_of_office"),
        FactSpec(
            "assignee_unchanged",
            "assignee",
            "The update that carries the comment does not change the assignee.",
            "assignee_unchanged",
        ),
        FactSpec(
            "customer_waited",
            "customer",
            "The customer has waited at least this share of the reply target (first or next reply, by priority).",
            "customer_waited: {share: 0.75}",
            Share,
        ),
    )
}

COMBINERS = ("all", "any", "not")


# --- conditions -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    params: Params


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Condition


Condition = Fact | AllOf | AnyOf | Not


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _close(name: str) -> str:
    from difflib import get_close_matches

    near = get_close_matches(name, [*FACTS, *COMBINERS], n=1)
    return f" (did you mean {near[0]}?)" if near else ""


class ConditionError(ValueError):
    """A condition that cannot be read; ``where`` is the path inside it (``any[1].ticket_has_tag.tags``)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)
        self.where = where
        self.problem = problem


def _join(where: str, part: str) -> str:
    return f"{where}.{part}" if where and not part.startswith("[") else where + part


def parse_condition(raw: Any, where: str = "") -> Condition:
    """A condition from its YAML form; raises :class:`ConditionError` naming where and what is wrong."""
    if isinstance(raw, Fact | AllOf | AnyOf | Not):
        return raw
    if isinstance(raw, str):
        return _fact(raw.strip(), None, where)
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ConditionError(
            where,
            "expected a fact (e.g. public), a fact with parameters (e.g. {ticket_has_tag: [x]}) or one of "
            f"{{all: [...]}}, {{any: [...]}}, {{not: ...}}; got {_shown(raw)}",
        )
    ((key, value),) = raw.items()
    key = str(key).strip()
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise ConditionError(_join(where, key), "expected a list of at least one condition")
        parts = tuple(parse_condition(item, _join(where, f"{key}[{i}]")) for i, item in enumerate(value))
        return AllOf(parts) if key == "all" else AnyOf(parts)
    if key == "not":
        return Not(parse_condition(value, _join(where, "not")))
    return _fact(key, value, where)


def _fact(name: str, raw: Any, where: str) -> Fact:
    spec = FACTS.get(name)
    if spec is None:
        raise ConditionError(where, f"unknown fact {name!r}{_close(name)}; the facts are listed in the handbook")
    try:
        params = spec.params.read(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        inner = ".".join(str(p) for p in first["loc"])
        message = problem_words(exc.errors(), spec.params)
        if first["type"] == "extra_forbidden":
            known = ", ".join(spec.params.model_fields) or "none"
            message = f"unknown parameter (the parameters of {name}: {known})"
        raise ConditionError(_join(_join(where, name), inner) if inner else _join(where, name), message) from None
    except ValueError as exc:
        raise ConditionError(_join(where, name), str(exc)) from None
    return Fact(name, params)


def condition_data(condition: Condition) -> Any:
    """The condition in its YAML form again (what a policy file holds)."""
    if isinstance(condition, Fact):
        data = condition.params.data()
        if data is None:
            return condition.name
        if (
            isinstance(data, dict)
            and set(data) == {condition.params.shorthand}
            and not isinstance(condition.params, Within | Share)
        ):
            data = data[condition.params.shorthand or ""]
            if isinstance(data, tuple):
                data = list(data)
        return {condition.name: data}
    if isinstance(condition, AllOf):
        return {"all": [condition_data(p) for p in condition.parts]}
    if isinstance(condition, AnyOf):
        return {"any": [condition_data(p) for p in condition.parts]}
    return {"not": condition_data(condition.part)}


def facts_in(condition: Condition) -> Iterator[Fact]:
    """Every fact the condition names, in order."""
    if isinstance(condition, Fact):
        yield condition
    elif isinstance(condition, AllOf | AnyOf):
        for part in condition.parts:
            yield from facts_in(part)
    else:
        yield from facts_in(condition.part)


def located_facts(condition: Condition, where: str = "") -> Iterator[tuple[str, Fact]]:
    """Every fact the condition names, with where it is in the condition (``any[1].author_in_pod``), in order."""
    if isinstance(condition, Fact):
        yield _join(where, condition.name), condition
    elif isinstance(condition, AllOf | AnyOf):
        key = "all" if isinstance(condition, AllOf) else "any"
        for index, part in enumerate(condition.parts):
            yield from located_facts(part, _join(where, f"{key}[{index}]"))
    else:
        yield from located_facts(condition.part, _join(where, "not"))


def always_holds(condition: Condition) -> bool:
    """Whether the condition holds for every comment whatever the facts: ``always``, ``public`` or ``internal``
    together in an ``any``, ``not`` of something that never holds, and so on."""
    return _truth(condition) is True


def _truth(condition: Condition) -> bool | None:
    """True: always holds; False: never holds; None: depends on the comment."""
    if isinstance(condition, Fact):
        return True if condition.name == "always" else None
    if isinstance(condition, Not):
        inner = _truth(condition.part)
        return None if inner is None else not inner
    values = [_truth(p) for p in condition.parts]
    names = {p.name for p in condition.parts if isinstance(p, Fact)}
    if isinstance(condition, AnyOf):
        if True in values or {"public", "internal"} <= names:
            return True
        return False if all(v is False for v in values) else None
    if False in values or {"public", "internal"} <= names:
        return False
    return True if all(v is True for v in values) else None


# --- in words -------------------------------------------------------------------------------------------------


def _list(values: tuple[str, ...]) -> str:
    items = [f"`{v}`" for v in values]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def fact_words(fact: Fact) -> str:
    """One fact, with its parameters, as a sentence fragment for the handbook."""
    p: Any = fact.params
    match fact.name:
        case "always":
            return "always (every comment no earlier rule decided)"
        case "public":
            return "the comment is a public reply"
        case "internal":
            return "the comment is an internal note"
        case "channel":
            return f"the comment came through {_list(p.values)}"
        case "text_matches":
            return f"the comment's text matches `{p.pattern}`"
        case "author_is_assignee":
            return "the author is the assignee at the comment"
        case "author_takes_ticket":
            window = format_duration(p.within)
            return (
                f"the author becomes the assignee in the same update or at most {window} after "
                f"(exactly {window} counts)"
            )
        case "author_role":
            return f"the author's role is {_list(p.values)}"
        case "author_region":
            return f"the author works in {_list(p.values)}"
        case "author_in_pod":
            return f"the author is a member of the {_list(p.values)} pod"
        case "author_in_assignees_pod":
            return "the author is in the same pod as the assignee"
        case "author_added_as":
            kinds = [k for k, on in (("a follower", p.follower), ("a CC", p.cc)) if on] or ["nothing"]
            return (
                f"someone else added the author as {' or '.join(kinds)} before the comment "
                "(adding yourself does not count)"
            )
        case "author_named_by_assignee":
            return "the assignee named the author in an earlier internal note"
        case "unassigned":
            return "the ticket has no assignee"
        case "ticket_has_tag":
            return f"the ticket carries the tag {_list(p.tags)}, added by someone other than the author"
        case "priority":
            return f"the ticket's priority is {_list(p.values)}"
        case "group":
            return f"the ticket is in group {_list(p.values)}"
        case "preferred_region":
            return f"the customer's preferred region is {_list(p.values)}"
        case "public_voices" | "contributor_voices":
            one, note = ("agent", "") if fact.name == "public_voices" else ("contributor", " (not the assignee)")
            if p.at_most is None:
                bound = f"at least {counted(p.at_least, one)}"
            elif p.at_least == 0:
                bound = f"no {one}s" if p.at_most == 0 else f"at most {counted(p.at_most, one)}"
            else:
                bound = f"{p.at_least} to {counted(p.at_most, one)}"
            return f"{bound}{note} replied publicly before the comment"
        case "assignee_on_shift":
            return "the assignee is within their region's business hours and not out of office"
        case "assignee_unavailable":
            return "the assignee is outside their region's business hours or out of office"
        case "assignee_out_of_office":
            return "the assignee is out of office"
        case "assignee_unchanged":
            return "the update that carries the comment leaves the assignee unchanged"
        case "customer_waited":
            return f"the customer has waited at least {p.share:.0%} of the reply target for the ticket's priority"
    return fact.name  # pragma: no cover - every fact is named above


def condition_words(condition: Condition, depth: int = 0) -> list[str]:
    """The condition as Markdown bullets (nested for all/any/not), for the handbook."""
    pad = "  " * depth
    if isinstance(condition, Fact):
        return [f"{pad}- {fact_words(condition)}"]
    if isinstance(condition, Not):
        inner = condition.part
        if isinstance(inner, Fact):
            return [f"{pad}- not: {fact_words(inner)}"]
        return [f"{pad}- none of this holds:", *condition_words(inner, depth + 1)]
    head = "all of these hold:" if isinstance(condition, AllOf) else "any of these holds:"
    return [f"{pad}- {head}", *[line for part in condition.parts for line in condition_words(part, depth + 1)]]
