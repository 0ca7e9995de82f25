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

**A team's scenarios** sit beside its policy file, in a folder named after it: ``team.yaml`` has its scenarios
in ``team.scenarios/*.yaml`` (:func:`team_scenario_dir`). They run with the built-in ones (:func:`run_suite`)
and must all pass; ``illustrates`` may name any of the policy's rules (``pod_voice`` too), its flags and
definitions, and facts (``author_in_assignees_pod``). A team scenario with the id of a built-in one takes its
place. The built-in scenarios document the *default* definition: under a policy with its own rule list
(:func:`own_rules`: rules added, removed, reordered, switched on or off, or conditions built from other facts)
a built-in scenario that no longer holds is *judged differently from the default definition*, not a failure;
under the default or a policy that only changes parameters (windows, tags, shares) it fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import get_close_matches
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from intently.engine import Judgement, judge_ticket
from intently.errors import InputError, PolicyError
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
from intently.policy.conditions import FACTS, AllOf, Condition, Fact, Not
from intently.policy.loader import merged_over, read_policy_text
from intently.policy.schema import VERDICTS, Policy, parse_duration

EXPECTABLE = ("verdict", "rule", "out_of_region", "acknowledged", "assignee", "judged")
FLAG_IDS = ("out_of_region", "acknowledged")
SCENARIO_KEYS = ("id", "title", "story", "illustrates", "policy", "people", "ticket", "timeline", "expect")
PERSON_KEYS = ("name", "role", "region", "email", "time_zone", "fields", "id")
TICKET_KEYS = ("requester", "priority", "preferred_region", "tags", "created_at", "id")
TEAM_FOLDER_SUFFIX = ".scenarios"
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
    origin: str = "given"
    """``built-in`` (shipped: they document the default definition), ``team`` (beside the policy file),
    ``folder`` (a folder given) or ``given`` (made in code)."""

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
    reason: str | None = None
    """The engine's reason for the judgement at that step (None where the step was not judged)."""


@dataclass
class ScenarioResult:
    scenario: Scenario
    judgements: dict[int, Judgement] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)
    documents_default: bool = False
    """A built-in scenario run under a policy with its own rule list (:func:`own_rules`): it documents the default
    definition, so a mismatch means the policy judges it differently, not that the policy fails it."""

    @property
    def passed(self) -> bool:
        """Every expectation holds."""
        return not self.mismatches

    @property
    def failed(self) -> bool:
        """An expectation does not hold, and the scenario is one the policy must pass."""
        return bool(self.mismatches) and not self.documents_default

    @property
    def judged_differently(self) -> bool:
        """A built-in scenario the policy's own rules judge differently from the default definition."""
        return bool(self.mismatches) and self.documents_default


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


def load_scenario(path: str | Path, *, origin: str = "folder") -> Scenario:
    """A scenario file; a file that cannot be read raises :class:`InputError` naming the file and the key."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _fail(source, "not a UTF-8 text file") from None
    except OSError as exc:
        raise _fail(source, f"cannot read scenario: {exc.strerror or exc}") from None
    try:  # read as a policy file is (a key written twice, a tab ... named with its line)
        data = read_policy_text(text, source).data
    except PolicyError as exc:
        if exc.problems and exc.problems[0].startswith("the top level must be a mapping"):
            raise _fail(source, f"a scenario must be a mapping of keys ({', '.join(SCENARIO_KEYS)})") from None
        raise _fail(source, "; ".join(exc.problems)) from None
    return scenario_from_data(data, source, origin=origin)


def _unknown(keys: Any, known: tuple[str, ...]) -> str | None:
    """Words for the first key not in ``known`` (with the key probably meant), or None."""
    for key in keys:
        if key not in known:
            near = get_close_matches(str(key), known, n=1)
            hint = f"did you mean `{near[0]}`?" if near else f"the keys are {', '.join(known)}"
            return f"unknown key `{key}`: {hint}"
    return None


def _mapping(value: Any, source: str, where: str, example: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(source, f"expected a mapping such as {example}, got {_short(value)}", where)
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def scenario_from_data(data: dict[str, Any], source: str = "scenario", *, origin: str = "given") -> Scenario:
    problem = _unknown(data, SCENARIO_KEYS)
    if problem:
        raise _fail(source, problem)
    for key in ("id", "title", "people", "timeline", "expect"):
        if key not in data:
            raise _fail(source, f"missing key `{key}`")
    people = _mapping(data.get("people"), source, "people", "{ana: {name: Ana Lee, region: EMEA}}")
    illustrates = _as_list(data.get("illustrates"))
    if not all(isinstance(name, str) for name in illustrates):
        raise _fail(source, "expected a list of rule, flag, definition or fact names, e.g. [pod_voice]", "illustrates")
    override = _mapping(data.get("policy"), source, "policy", "{rules: {ownership: {window: 45m}}}")
    ticket_data = _mapping(data.get("ticket"), source, "ticket", "{requester: casey, priority: normal}")
    problem = _unknown(ticket_data, TICKET_KEYS)
    if problem:
        raise _fail(source, problem, "ticket")
    for key in ("timeline", "expect"):
        if data[key] is not None and not isinstance(data[key], list):
            raise _fail(source, f"expected a list, got {_short(data[key])}", key)
    handles: dict[str, Any] = {}
    directory = Directory()
    for number, (handle, person) in enumerate(people.items(), start=1):
        where = f"people.{handle}"
        person = _mapping(person, source, where, "{name: Ana Lee, region: EMEA}")
        problem = _unknown(person, PERSON_KEYS)
        if problem:
            raise _fail(source, problem, where)
        fields = dict(_mapping(person.get("fields"), source, f"{where}.fields", "{support_region: EMEA}"))
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
        for name, value in _mapping(step.get("set"), source, f"{where}.set", "{priority: urgent}").items():
            events.append(FieldChange(id=next_id(), **common, field=str(name), value=value))
        if "status" in step:
            events.append(StatusChange(id=next_id(), **common, status=str(step["status"])))
        steps.append(step)

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
                added=tuple(str(tag) for tag in _as_list(ticket_data["tags"])),
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
    for index, item in enumerate(data["expect"] or []):
        if not isinstance(item, dict):
            raise _fail(
                source,
                f"expected a mapping such as {{step: 3, verdict: intentional}}, got {_short(item)}",
                f"expect[{index}]",
            )
        step = item.get("step")
        if isinstance(step, str) and step in labels:
            step = labels[step]
        if not isinstance(step, int) or isinstance(step, bool) or not 1 <= step <= len(steps):
            raise _fail(source, f"expect: unknown step {item.get('step')!r} (the timeline has {len(steps)} steps)")
        values = {k: v for k, v in item.items() if k != "step"}
        unknown = set(values) - set(EXPECTABLE)
        if unknown:
            raise _fail(source, f"expect step {step}: unknown key(s) {sorted(unknown)}; use {list(EXPECTABLE)}")
        if "verdict" in values and values["verdict"] not in VERDICTS:
            raise _fail(
                source, f"expect step {step}: verdict {values['verdict']!r} is not one of {', '.join(VERDICTS)}"
            )
        for flag in FLAG_IDS:
            if flag in values and values[flag] is not None and not isinstance(values[flag], bool):
                raise _fail(source, f"expect step {step}: `{flag}` must be true, false or null")
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
        illustrates=tuple(illustrates),
        policy_override=override,
        directory=directory,
        history=history,
        expectations=tuple(expectations),
        steps=tuple(steps),
        handles=handles,
        source=source,
        origin=origin,
    )


def effective_policy(scenario: Scenario, policy: Policy) -> Policy:
    """``policy`` with the scenario's own override (if any) merged over it."""
    if scenario.policy_override:
        return merged_over(policy, scenario.policy_override, scenario.source)
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
                outcome.mismatches.append(Mismatch(expectation.step, key, expected, actual, judgement.reason))
    return outcome


def builtin_scenario_dir() -> Path:
    return Path(str(resources.files("intently.policy").joinpath("scenarios")))


def team_scenario_dir(policy_file: str | Path) -> Path:
    """Where a team's scenarios sit: beside its policy file, in a folder named after it (``team.yaml`` →
    ``team.scenarios/``)."""
    path = Path(policy_file)
    return path.parent / f"{path.stem}{TEAM_FOLDER_SUFFIX}"


def load_scenarios(directory: str | Path | None = None, *, origin: str = "folder") -> list[Scenario]:
    """The scenarios of a folder (``*.yaml``, ``*.yml``), in file-name order; without one, the built-in ones."""
    if directory is None:
        origin = "built-in"
    folder = Path(directory) if directory is not None else builtin_scenario_dir()
    if not folder.is_dir():
        raise InputError("scenario folder not found", file=str(folder))
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if not files:
        raise InputError("no scenario files (*.yaml) in this folder", file=str(folder))
    scenarios = [load_scenario(path, origin=origin) for path in files]
    seen: dict[str, str] = {}
    for scenario in scenarios:
        if scenario.id in seen:
            raise InputError(
                f"duplicate scenario id {scenario.id!r} (also in {seen[scenario.id]})", file=scenario.source
            )
        seen[scenario.id] = scenario.source
    return scenarios


def load_team_scenarios(policy_file: str | Path, policy: Policy) -> list[Scenario]:
    """The scenarios beside a policy file (:func:`team_scenario_dir`), checked against ``policy``; none when
    there is no such folder or it holds no scenario files."""
    folder = team_scenario_dir(policy_file)
    if not folder.is_dir() or not (any(folder.glob("*.yaml")) or any(folder.glob("*.yml"))):
        return []
    scenarios = load_scenarios(folder, origin="team")
    check_illustrates(scenarios, policy)
    return scenarios


def illustratable(policy: Policy) -> tuple[str, ...]:
    """What a scenario may illustrate under ``policy``: its rules, the flags, its definitions and the facts."""
    return (*policy.rule_ids, *FLAG_IDS, *policy.definitions, *FACTS)


def check_illustrates(scenarios: list[Scenario], policy: Policy) -> None:
    """Every name in each scenario's ``illustrates`` is one of the policy's rules, a flag, a definition or a fact,
    and every rule an expectation names is one of the policy's; else an :class:`InputError` naming the file and the
    key (a misspelt rule would otherwise read as an ordinary failure)."""
    known = illustratable(policy)
    for scenario in scenarios:
        for name in scenario.illustrates:
            if name not in known:
                near = get_close_matches(name, known, n=1)
                hint = f" (did you mean {near[0]}?)" if near else ""
                raise _fail(
                    scenario.source,
                    f"{name!r} is not a rule, flag, definition or fact of this policy{hint}; the rules are "
                    f"{', '.join(policy.rule_ids)}",
                    "illustrates",
                )
        for expectation in scenario.expectations:
            rule = expectation.values.get("rule")
            if rule is not None and rule not in policy.rule_ids:
                near = get_close_matches(str(rule), policy.rule_ids, n=1)
                hint = f" (did you mean {near[0]}?)" if near else ""
                raise _fail(
                    scenario.source,
                    f"expect step {expectation.step}: rule {rule!r} is not a rule of this policy{hint}; the rules are "
                    f"{', '.join(policy.rule_ids)}",
                )


def _shape(condition: Condition) -> Any:
    """A condition without its parameters: the facts it names, and how they are combined."""
    if isinstance(condition, Fact):
        return condition.name
    if isinstance(condition, Not):
        return ("not", _shape(condition.part))
    return ("all" if isinstance(condition, AllOf) else "any", tuple(_shape(part) for part in condition.parts))


def rule_list_shape(policy: Policy) -> tuple[tuple[Any, ...], ...]:
    """The policy's rule list without titles, rationale or parameters: each rule's id, verdict, whether it is on,
    and its condition's facts and combiners, in order."""
    return tuple((rule.id, rule.verdict, rule.enabled, _shape(rule.when)) for rule in policy.rules.values())


@cache
def _default_shape() -> tuple[tuple[Any, ...], ...]:
    from intently.policy.loader import load_policy

    return rule_list_shape(load_policy())


def own_rules(policy: Policy) -> bool:
    """Whether the policy has its own rule list, not the default's: rules added, removed, reordered or switched
    on or off, or a condition built from other facts. Other parameters (a window, the tags, a share) leave the
    default's definition in place."""
    return rule_list_shape(policy) != _default_shape()


def run_suite(
    policy: Policy, directory: str | Path | None = None, *, policy_file: str | Path | None = None
) -> list[ScenarioResult]:
    """Run scenarios under ``policy``. With ``directory``, that folder's scenarios (all must pass). Without it, the
    team's scenarios beside ``policy_file`` (if any; all must pass), then the built-in ones: those document the
    default definition, so under a policy with :func:`own_rules` a built-in scenario that no longer holds is
    marked :attr:`ScenarioResult.documents_default` (judged differently, not failed). A team scenario with the
    id of a built-in one takes its place."""
    if directory is not None:
        scenarios = load_scenarios(directory)
        check_illustrates(scenarios, policy)
        return [run_scenario(scenario, policy) for scenario in scenarios]
    team = load_team_scenarios(policy_file, policy) if policy_file is not None else []
    replaced = {scenario.id for scenario in team}
    results = [run_scenario(scenario, policy) for scenario in team]
    lenient = own_rules(policy)
    for scenario in load_scenarios():
        if scenario.id in replaced:
            continue
        result = run_scenario(scenario, policy)
        result.documents_default = lenient
        results.append(result)
    return results


def relative(at: datetime, start: datetime) -> str:
    delta: timedelta = at - start
    minutes = int(delta.total_seconds() // 60)
    return f"+{minutes // 60}h{minutes % 60:02d}m"
