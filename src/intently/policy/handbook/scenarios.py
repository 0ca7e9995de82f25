"""Scenarios: small ticket stories with the judgement each comment must get.

They are the policy's test suite (``intently policy test``, the pytest suite) and the handbook's
examples. A scenario file is YAML::

    id: pod-notes-acknowledged
    title: A pod member's notes on a ticket assigned outside the pod
    story: >-
      What happened, in a sentence or two, for the handbook.
    illustrates: [internal_note, acknowledged]   # rules and flags this scenario is an example of
    policy: {}                                    # optional override merged over the policy under test
    people:
      casey: {name: Casey Customer, role: end-user}
      ana: {name: Ana Lee, region: EMEA}          # role defaults to agent; region sets support_region
      pip: {name: Pip Okafor, time_zone: Europe/Berlin}
    ticket: {requester: casey, priority: normal, preferred_region: emea}
    timeline:                                     # one step = one update (a Zendesk audit)
      - {at: 2026-03-02T09:00:00Z, by: casey, comment: "It broke."}
      - {at: +5m, by: lead, assign: ana}
      - {at: +1h, by: pip, note: "Investigated: ..."}
      - {at: +2h, by: ana, reply: "Hi Casey, @Pip Okafor found ...", follow: pip}
    expect:
      - {step: 3, verdict: intentional, rule: internal_note, acknowledged: true, out_of_region: false}

Step actions (several may share a step): ``comment`` (public, for customers), ``reply`` (public),
``note`` (internal), ``assign`` (a handle or null), ``follow``/``unfollow``, ``cc``/``uncc``,
``tag``/``untag`` (a tag or a list), ``set`` (fields: priority, preferred_region, ...), ``status``.
``at`` is an ISO 8601 time or ``+DURATION`` after the previous step; ``via: rule`` marks a trigger.

An expectation may also say ``judged: false`` for a step whose comment must not be judged at all (the
opening description, a trigger's comment); such an entry takes no other keys. ``judged: true`` is implied
by every other expectation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from intently.engine import Judgement, judge_ticket
from intently.errors import InputError
from intently.model import (
    AssigneeChange,
    Comment,
    Directory,
    Event,
    FieldChange,
    StatusChange,
    TagsChange,
    Ticket,
    TicketHistory,
    User,
    WatcherKind,
    WatchersChange,
)
from intently.policy.loader import merged, validate_policy
from intently.policy.schema import Policy, parse_duration

EXPECTABLE = ("verdict", "rule", "out_of_region", "acknowledged", "assignee", "judged")
ACTIONS = (
    "comment",
    "reply",
    "note",
    "assign",
    "follow",
    "unfollow",
    "cc",
    "uncc",
    "tag",
    "untag",
    "set",
    "status",
)
STEP_KEYS = frozenset({"at", "by", "via", "label", *ACTIONS})


@dataclass(frozen=True)
class Expectation:
    step: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    story: str
    illustrates: tuple[str, ...]
    policy_override: dict[str, Any]
    directory: Directory
    history: TicketHistory
    expectations: tuple[Expectation, ...]
    steps: tuple[dict[str, Any], ...]
    handles: dict[str, Any]
    source: str

    def comment_at_step(self, step: int) -> Comment:
        for event in self.history.events:
            if isinstance(event, Comment) and event.update == step:
                return event
        raise KeyError(step)


@dataclass(frozen=True)
class Mismatch:
    step: int
    key: str
    expected: Any
    actual: Any


@dataclass
class ScenarioResult:
    scenario: Scenario
    judgements: dict[int, Judgement] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatches


def _fail(source: str, message: str, where: str | None = None) -> InputError:
    return InputError(message, file=source, record=where)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _parse_time(value: Any, previous: datetime | None, source: str, where: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _fail(source, "`at` needs a time zone (end it with Z)", where)
        return value
    if isinstance(value, str) and value.startswith("+"):
        if previous is None:
            raise _fail(source, "the first step needs an absolute time", where)
        try:
            return previous + parse_duration(value[1:])
        except ValueError as exc:
            raise _fail(source, str(exc), where) from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _fail(source, f"`at` must be an ISO 8601 time or +DURATION, got {value!r}", where) from None
        if parsed.tzinfo is None:
            raise _fail(source, "`at` needs a time zone (end it with Z)", where)
        return parsed
    raise _fail(source, f"`at` must be an ISO 8601 time or +DURATION, got {value!r}", where)


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    source = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise _fail(source, f"cannot read scenario: {exc}") from None
    if not isinstance(data, dict):
        raise _fail(source, "a scenario must be a mapping")
    return scenario_from_data(data, source)


def scenario_from_data(data: dict[str, Any], source: str = "scenario") -> Scenario:
    for key in ("id", "title", "people", "timeline", "expect"):
        if key not in data:
            raise _fail(source, f"missing key `{key}`")
    handles: dict[str, Any] = {}
    directory = Directory()
    for number, (handle, person) in enumerate((data.get("people") or {}).items(), start=1):
        person = person or {}
        fields = dict(person.get("fields") or {})
        if person.get("region"):
            fields["support_region"] = person["region"]
        user_id = person.get("id", number)
        handles[handle] = user_id
        directory.add_user(
            User(
                id=user_id,
                name=person.get("name", handle),
                role=person.get("role", "agent"),
                email=person.get("email"),
                time_zone=person.get("time_zone"),
                fields=fields,
            )
        )

    def who(value: Any, where: str) -> Any:
        if value is None:
            return None
        if value not in handles:
            raise _fail(source, f"unknown person {value!r} (people: {', '.join(handles)})", where)
        return handles[value]

    events: list[Event] = []
    steps: list[dict[str, Any]] = []
    labels: dict[str, int] = {}
    previous: datetime | None = None
    event_id = 0
    for number, step in enumerate(data["timeline"] or [], start=1):
        where = f"timeline step {number}"
        if not isinstance(step, dict):
            raise _fail(source, "each step must be a mapping", where)
        unknown = set(step) - STEP_KEYS
        if unknown:
            raise _fail(source, f"unknown key(s) {sorted(unknown)}; steps use {sorted(STEP_KEYS)}", where)
        if "label" in step:
            labels[str(step["label"])] = number
        at = _parse_time(step.get("at", "+0m") if previous else step.get("at"), previous, source, where)
        previous = at
        actor = who(step.get("by"), where)
        common = {"at": at, "actor": actor, "update": number, "via": step.get("via", "web")}

        def next_id() -> int:
            nonlocal event_id
            event_id += 1
            return event_id

        for action, public in (("comment", True), ("reply", True), ("note", False)):
            if action in step:
                events.append(Comment(id=next_id(), **common, author=actor, public=public, body=str(step[action])))
        if "assign" in step:
            events.append(AssigneeChange(id=next_id(), **common, assignee=who(step["assign"], where)))
        watcher_actions: tuple[tuple[str, str, WatcherKind], ...] = (
            ("follow", "unfollow", "follower"),
            ("cc", "uncc", "cc"),
        )
        for add, remove, kind in watcher_actions:
            if add in step or remove in step:
                events.append(
                    WatchersChange(
                        id=next_id(),
                        **common,
                        kind=kind,
                        added=tuple(who(h, where) for h in _as_list(step.get(add))),
                        removed=tuple(who(h, where) for h in _as_list(step.get(remove))),
                    )
                )
        if "tag" in step or "untag" in step:
            events.append(
                TagsChange(
                    id=next_id(),
                    **common,
                    added=tuple(str(t) for t in _as_list(step.get("tag"))),
                    removed=tuple(str(t) for t in _as_list(step.get("untag"))),
                )
            )
        for name, value in (step.get("set") or {}).items():
            events.append(FieldChange(id=next_id(), **common, field=str(name), value=value))
        if "status" in step:
            events.append(StatusChange(id=next_id(), **common, status=str(step["status"])))
        steps.append(step)

    ticket_data = data.get("ticket") or {}
    first_at = events[0].at if events else None
    created = ticket_data.get("created_at", first_at)
    if created is None:
        raise _fail(source, "the ticket needs created_at or a timeline")
    created_at = _parse_time(created, None, source, "ticket.created_at")
    initial: list[Event] = []
    # The ticket's starting fields are set at creation, as Zendesk's Create events do.
    for name in ("priority", "preferred_region"):
        if name in ticket_data:
            event_id += 1
            initial.append(
                FieldChange(id=event_id, at=created_at, actor=None, update=0, field=name, value=ticket_data[name])
            )
    if ticket_data.get("tags"):
        event_id += 1
        initial.append(
            TagsChange(
                id=event_id,
                at=created_at,
                actor=who(ticket_data.get("requester"), "ticket.requester"),
                update=0,
                added=tuple(ticket_data["tags"]),
            )
        )
    ticket = Ticket(
        id=ticket_data.get("id", 1),
        created_at=created_at,
        requester_id=who(ticket_data.get("requester"), "ticket.requester"),
        subject=str(data.get("title", "")),
        priority=ticket_data.get("priority"),
    )
    history = TicketHistory.of(ticket, [*initial, *events])

    expectations = []
    for item in data["expect"] or []:
        step = item.get("step")
        if isinstance(step, str) and step in labels:
            step = labels[step]
        if not isinstance(step, int) or not 1 <= step <= len(steps):
            raise _fail(source, f"expect: unknown step {item.get('step')!r}")
        values = {k: v for k, v in item.items() if k != "step"}
        unknown = set(values) - set(EXPECTABLE)
        if unknown:
            raise _fail(source, f"expect step {step}: unknown key(s) {sorted(unknown)}; use {list(EXPECTABLE)}")
        if "judged" in values:
            if not isinstance(values["judged"], bool):
                raise _fail(source, f"expect step {step}: `judged` must be true or false")
            if values["judged"] is False and len(values) > 1:
                raise _fail(source, f"expect step {step}: `judged: false` takes no other keys")
        if "assignee" in values:
            values["assignee"] = who(values["assignee"], f"expect step {step}")
        expectations.append(Expectation(step=step, values=values))
    return Scenario(
        id=str(data["id"]),
        title=str(data["title"]),
        story=str(data.get("story", "")).strip(),
        illustrates=tuple(_as_list(data.get("illustrates"))),
        policy_override=data.get("policy") or {},
        directory=directory,
        history=history,
        expectations=tuple(expectations),
        steps=tuple(steps),
        handles=handles,
        source=source,
    )


def effective_policy(scenario: Scenario, policy: Policy) -> Policy:
    """``policy`` with the scenario's own override (if any) merged over it."""
    if scenario.policy_override:
        return validate_policy(merged(policy.model_dump(), scenario.policy_override, scenario.source), scenario.source)
    return policy


def run_scenario(scenario: Scenario, policy: Policy) -> ScenarioResult:
    """Judge the scenario's ticket under ``policy`` (with the scenario's own override) and compare."""
    policy = effective_policy(scenario, policy)
    result = judge_ticket(scenario.history, scenario.directory.users, policy)
    outcome = ScenarioResult(scenario)
    by_comment = {j.comment_id: j for j in result.judgements}
    for event in scenario.history.events:
        if isinstance(event, Comment) and event.id in by_comment:
            outcome.judgements[int(event.update)] = by_comment[event.id]
    for expectation in scenario.expectations:
        judgement = outcome.judgements.get(expectation.step)
        if expectation.values.get("judged") is False:
            if judgement is not None:
                outcome.mismatches.append(Mismatch(expectation.step, "judged", False, True))
            continue
        if judgement is None:
            outcome.mismatches.append(Mismatch(expectation.step, "judgement", "a judgement", "no agent comment judged"))
            continue
        for key, expected in expectation.values.items():
            if key == "judged":
                continue
            actual = judgement.assignee_id if key == "assignee" else getattr(judgement, key)
            if actual != expected:
                outcome.mismatches.append(Mismatch(expectation.step, key, expected, actual))
    return outcome


def builtin_scenario_dir() -> Path:
    return Path(str(resources.files("intently.policy").joinpath("scenarios")))


def load_scenarios(directory: str | Path | None = None) -> list[Scenario]:
    folder = Path(directory) if directory is not None else builtin_scenario_dir()
    if not folder.is_dir():
        raise InputError("scenario folder not found", file=str(folder))
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if not files:
        raise InputError("no scenario files (*.yaml) in this folder", file=str(folder))
    scenarios = [load_scenario(path) for path in files]
    seen: dict[str, str] = {}
    for scenario in scenarios:
        if scenario.id in seen:
            raise InputError(
                f"duplicate scenario id {scenario.id!r} (also in {seen[scenario.id]})", file=scenario.source
            )
        seen[scenario.id] = scenario.source
    return scenarios


def run_suite(policy: Policy, directory: str | Path | None = None) -> list[ScenarioResult]:
    return [run_scenario(scenario, policy) for scenario in load_scenarios(directory)]


def relative(at: datetime, start: datetime) -> str:
    delta: timedelta = at - start
    minutes = int(delta.total_seconds() // 60)
    return f"+{minutes // 60}h{minutes % 60:02d}m"
