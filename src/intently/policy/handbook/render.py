"""The policy as a handbook page: rules, thresholds, worked examples and organisation defaults, in Markdown.

The page is written for support managers. Everything in it comes from the policy in force and from the
scenario results passed in: the thresholds are the policy's own, and each worked example shows the
judgement the engine actually gave (a failing example is marked as such, never hidden).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from intently.engine import Judgement
from intently.engine.judgement import VERDICT_LABELS
from intently.model import Comment, FieldChange, TagsChange, User
from intently.policy.conditions import FACTS, FactSpec, condition_words, facts_in, format_duration, parse_condition
from intently.policy.handbook.scenarios import FLAG_IDS, Mismatch, Scenario, ScenarioResult, effective_policy
from intently.policy.loader import fingerprint
from intently.policy.messages import counted
from intently.policy.schema import ALL_REGIONS, RULE_IDS, WEEKDAYS, Policy, Rule

VERDICT_MEANINGS = {
    "assignee": "The assignee's own work on their ticket. Not collaboration.",
    "ownership_change": "The author took the ticket: the customer still hears one owner.",
    "intentional": "Collaboration that keeps one owner and one voice towards the customer.",
    "drive_by": "A public reply that gives the customer a second voice or nobody who owns the next answer.",
}
DEFINITION_LABELS = {
    "agent_comment": "Agent comment",
    "assignee_at_comment": "Assignee at the comment",
    "contributor": "Contributor",
    "public_reply": "Public reply",
    "internal_note": "Internal note",
    "customer_wait": "Customer wait",
}
FLAG_TITLES = {
    "out_of_region": "Out of region",
    "acknowledged": "Acknowledged",
}
WEEKDAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
_BASE_RULE_FIELDS = frozenset(Rule.model_fields)


# --- small text helpers ---------------------------------------------------------------------------


def _cell(value: object) -> str:
    """Text safe for a Markdown table cell: pipes escaped, line breaks folded."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = " ".join(part.strip() for part in text.split("\n") if part.strip())
    return text.replace("|", "\\|")


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(_cell(value) for value in row) + " |" for row in rows)
    return lines


def _duration(value: timedelta) -> str:
    """``30m``, ``4h``, ``1h30m``, ``22m30s``: like the policy file, with seconds where there are any."""
    total = int(value.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{seconds}s" if seconds else "")
    return text or "0m"


def _relative(at: datetime, start: datetime) -> str:
    """``+0m``, ``+25m``, ``+7h00m``, ``+2d 17h00m``."""
    minutes = int((at - start).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    days, rest = divmod(abs(minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h{mins:02d}m"
    if hours:
        return f"{sign}{hours}h{mins:02d}m"
    return f"{sign}{mins}m"


def _moment(at: datetime) -> str:
    """``Monday 2 March 2026, 09:00 UTC``."""
    return f"{at:%A} {at.day} {at:%B %Y, %H:%M} " + ("UTC" if at.utcoffset() == timedelta(0) else f"{at:%z}")


def _days(days: Sequence[str]) -> str:
    """``Monday to Friday`` for a run of consecutive days, else the days listed."""
    indexes = [WEEKDAYS.index(day) for day in days if day in WEEKDAYS]
    if len(indexes) > 2 and indexes == list(range(indexes[0], indexes[0] + len(indexes))):
        return f"{WEEKDAY_NAMES[WEEKDAYS[indexes[0]]]} to {WEEKDAY_NAMES[WEEKDAYS[indexes[-1]]]}"
    return ", ".join(WEEKDAY_NAMES.get(day, day) for day in days) or "none"


def _percent(value: float) -> str:
    text = f"{value * 100:.1f}".removesuffix(".0")
    return f"{text}%"


def _verdict(verdict: str) -> str:
    return VERDICT_LABELS.get(verdict, verdict)


def _flag(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "empty (does not apply)"}[value]


def _quoted(values: Iterable[object]) -> str:
    items = [f"`{value}`" for value in values]
    return ", ".join(items) if items else "none"


def _label(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


# --- the policy -----------------------------------------------------------------------------------


def _rule_thresholds(policy: Policy, rule: Rule) -> list[str]:
    """The settings in force that the rule's facts take, as sentences (one bullet each)."""
    window = _duration(policy.ownership_window)
    lines: list[str] = []
    for fact in rule.facts("author_takes_ticket"):
        within = _duration(fact.params.within)  # type: ignore[attr-defined]
        lines.append(
            f"Ownership window: **{within}**. The author must become the assignee in the same update as the "
            f"comment or at most {within} after it (exactly {within} still counts)."
        )
    for fact in rule.facts("ticket_has_tag"):
        lines.append(f"Solicitation tags: {_quoted(fact.params.tags)} (added by someone other than the author).")  # type: ignore[attr-defined]
    for fact in rule.facts("author_added_as"):
        for label, on in (("a follower", fact.params.follower), ("a CC", fact.params.cc)):  # type: ignore[attr-defined]
            lines.append(f"Being added as {label} by someone else counts as being asked: **{'yes' if on else 'no'}**.")
    for fact in rule.facts("customer_waited"):
        lines.append(
            f"Customer wait needed: at least **{_percent(fact.params.share)}** of the reply target for the ticket's "  # type: ignore[attr-defined]
            "priority at the time of the reply (exactly that share still counts)."
        )
        lines.append(
            "The first-reply target applies until the first public reply by an agent, the next-reply target after it."
        )
    if rule.facts("assignee_unavailable") or rule.facts("assignee_on_shift"):
        lines.append(
            "The assignee is unavailable outside their region's business hours and business days, or during an "
            "out-of-office period (see *Organisation defaults*)."
        )
    if rule.facts("unassigned") and rule.verdict == "drive_by":
        lines.append(
            f"Not taking the ticket means not becoming the assignee within the ownership window (**{window}**)."
        )
    return lines


def _coverage_table(policy: Policy) -> list[str]:
    fraction = policy.wait_share or 0.0
    rows = [
        (
            priority,
            _duration(target.first),
            _duration(target.first * fraction),
            _duration(target.next),
            _duration(target.next * fraction),
        )
        for priority, target in policy.organisation.reply_targets.items()
    ]
    return _table(
        ["Priority", "First-reply target", "Cover possible after", "Next-reply target", "Cover possible after"], rows
    )


# --- scenarios ------------------------------------------------------------------------------------


class _People:
    """Names and regions of a scenario's people, under the scenario's effective policy."""

    def __init__(self, scenario: Scenario, policy: Policy) -> None:
        self.scenario = scenario
        self.policy = policy

    def user(self, handle_or_id: Any) -> User | None:
        users = self.scenario.directory.users
        if handle_or_id in self.scenario.handles:
            return users.get(self.scenario.handles[handle_or_id])
        return users.get(handle_or_id)

    def name(self, handle_or_id: Any) -> str:
        if handle_or_id is None:
            return "nobody"
        user = self.user(handle_or_id)
        return user.name if user else str(handle_or_id)

    def who(self, handle_or_id: Any) -> str:
        user = self.user(handle_or_id)
        if user is None:
            return "" if handle_or_id is None else str(handle_or_id)
        if not user.is_agent:
            return f"{user.name} (customer)"
        region = self.policy.region_of_user(user)
        return f"{user.name} ({region or 'region unknown'})"


def _list_of_names(people: _People, value: Any) -> str:
    items = value if isinstance(value, list | tuple) else [value]
    return " and ".join(people.name(item) for item in items)


def _describe_step(step: Mapping[str, Any], people: _People) -> str:
    actor = step.get("by")
    parts: list[str] = []
    for action, label in (("comment", "Public comment"), ("reply", "Public reply"), ("note", "Internal note")):
        if action in step:
            parts.append(f'{label}: "{step[action]}"')
    if "assign" in step:
        assignee = step["assign"]
        if assignee is None:
            parts.append("removes the assignee")
        elif assignee == actor:
            parts.append("takes the ticket (assigns it to themself)")
        else:
            parts.append(f"assigns the ticket to {people.name(assignee)}")
    for key, verb in (
        ("follow", "adds {} as a follower"),
        ("unfollow", "removes {} as a follower"),
        ("cc", "adds {} as a CC"),
        ("uncc", "removes {} as a CC"),
    ):
        if key in step:
            value = step[key]
            if key == "follow" and value == actor:
                parts.append("follows the ticket themself")
            else:
                parts.append(verb.format(_list_of_names(people, value)))
    for key, verb in (("tag", "adds the tag"), ("untag", "removes the tag")):
        if key in step:
            values = step[key] if isinstance(step[key], list | tuple) else [step[key]]
            parts.append(f"{verb}{'s' if len(values) > 1 else ''} {_quoted(values)}")
    for name, value in (step.get("set") or {}).items():
        parts.append(f"sets {_label(str(name)).lower()} to {value}")
    if "status" in step:
        parts.append(f"sets the status to {step['status']}")
    text = "; ".join(parts) or "(no change)"
    if step.get("via") in ("rule", "system"):
        text += " (made by a trigger or automation)" if step.get("via") == "rule" else " (made by the system)"
    return text


def _step_times(scenario: Scenario) -> dict[int, datetime]:
    times: dict[int, datetime] = {}
    for event in scenario.history.events:
        if isinstance(event.update, int) and event.update >= 1:
            times.setdefault(event.update, event.at)
    return times


def _opening_facts(scenario: Scenario, people: _People) -> str:
    facts: list[str] = []
    for event in scenario.history.events:
        if event.update != 0:
            continue
        if isinstance(event, FieldChange) and event.field == "priority":
            facts.append(f"priority **{event.value}**")
        elif isinstance(event, FieldChange) and event.field in people.policy.preferred_region_fields:
            region = people.policy.region_of_value(event.value)
            shown = "all regions" if region == ALL_REGIONS else (region or str(event.value))
            facts.append(f"Preferred Region for Support **{shown}**")
        elif isinstance(event, TagsChange) and event.added:
            facts.append(f"tags {_quoted(event.added)}")
    if not any("priority" in fact for fact in facts):
        facts.append(f"no priority (treated as **{people.policy.organisation.default_priority}**)")
    return "The ticket opens with " + ", ".join(facts) + "."


def _override_lines(scenario: Scenario, people: _People) -> list[str]:
    override = scenario.policy_override
    if not override:
        return []
    lines: list[str] = []
    organisation = override.get("organisation") or {}
    for period in organisation.get("out_of_office") or []:
        agent = period.get("agent")
        user = next(
            (
                u
                for u in scenario.directory.users.values()
                if u.id == agent or (isinstance(agent, str) and (u.email or "").lower() == agent.lower())
            ),
            None,
        )
        name = user.name if user else str(agent)
        note = f" ({period['note']})" if period.get("note") else ""
        lines.append(f"{name} is out of office from {_when(period.get('start'))} to {_when(period.get('end'))}{note}.")
    for pod_name, pod in (organisation.get("pods") or {}).items():
        lines.append(
            f"Pod **{pod_name}**: members {', '.join(str(m) for m in pod.get('members', []))}; "
            f"topic tags {_quoted(pod.get('tags', []))}."
        )
    rest = {k: v for k, v in override.items() if k != "organisation"}
    rest_org = {k: v for k, v in organisation.items() if k not in ("out_of_office", "pods")}
    if rest_org:
        rest["organisation"] = rest_org
    for path, value in _flatten(rest):
        lines.append(f"{path}: {value}.")
    return lines


def _when(value: object) -> str:
    if isinstance(value, datetime):
        return _moment(value)
    if isinstance(value, date):
        return f"{value:%A} {value.day} {value:%B %Y}"
    return str(value)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for key, value in data.items():
        path = f"{prefix} › {_label(str(key))}" if prefix else _label(str(key))
        if isinstance(value, Mapping):
            items.extend(_flatten(value, path))
        else:
            items.append((path, ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)))
    return items


def _expected_text(mismatch: Mismatch) -> str:
    def shown(value: object) -> str:
        if mismatch.key == "verdict" and isinstance(value, str):
            return _verdict(value)
        if mismatch.key == "rule" and isinstance(value, str):
            return f"`{value}`"
        if mismatch.key in FLAG_IDS and (value is None or isinstance(value, bool)):
            return _flag(value)
        return str(value)

    return (
        f"{_label(mismatch.key).lower()}: expected {shown(mismatch.expected)}, the engine gave {shown(mismatch.actual)}"
    )


def _comment_kind(scenario: Scenario, step: int) -> str:
    for event in scenario.history.events:
        if isinstance(event, Comment) and event.update == step:
            return "public reply" if event.public else "internal note"
    return "comment"


def _example(result: ScenarioResult, policy: Policy, level: str, focus: str | None = None) -> list[str]:
    """One worked example: story, timeline, judgements (with the engine's reasons) and any failure."""
    scenario = result.scenario
    people = _People(scenario, effective_policy(scenario, policy))
    times = _step_times(scenario)
    start = min(times.values()) if times else None
    failing = "" if result.passed else " (FAILING)"
    lines = [f"{level} Example: {scenario.title}{failing}", ""]
    if scenario.origin == "team":
        lines += [f"*This team's own example, from `{_scenario_file(scenario)}`.*", ""]
    if not result.passed:
        lines += [
            "> **⚠ THIS EXAMPLE FAILS.** The engine's judgement differs from what the example expects, so the",
            "> policy is not applied as written here. Treat the rule as unreliable until this is fixed.",
            ">",
            *[
                f"> - {_step_label(m.step, scenario, people, times, start)}: {_expected_text(m)}."
                for m in result.mismatches
            ],
            "",
        ]
    if scenario.story:
        lines += [scenario.story, ""]
    overrides = _override_lines(scenario, people)
    if overrides:
        lines += ["Policy settings for this example:", "", *[f"- {line}" for line in overrides], ""]
    lines.append(_opening_facts(scenario, people))
    if start is not None:
        lines.append(f"Times are counted from {_moment(start)}.")
    lines.append("")
    expected_unjudged = {e.step for e in scenario.expectations if e.values.get("judged") is False}
    rows = []
    previous = start
    for number, raw in enumerate(scenario.steps, start=1):
        at = times.get(number, previous)
        previous = at
        judgement = result.judgements.get(number)
        if judgement is not None:
            outcome = f"**{_verdict(judgement.verdict)}** (`{judgement.rule}`)"
        elif number in expected_unjudged or _is_agent_comment_step(raw, people):
            outcome = "not judged"
        else:
            outcome = ""
        rows.append(
            (
                _relative(at, start) if at is not None and start is not None else "",
                people.who(raw.get("by")),
                _describe_step(raw, people),
                outcome,
            )
        )
    lines += _table(["When", "Who", "What", "Judgement"], rows)
    lines.append("")
    judged = sorted(result.judgements.items())
    if judged:
        lines += ["How each agent comment was judged:", ""]
        for step, judgement in judged:
            lines.append(_judgement_line(result, step, judgement, people, times, start, focus))
        lines.append("")
    if expected_unjudged:
        which = "; ".join(_step_label(n, scenario, people, times, start) for n in sorted(expected_unjudged))
        lines += [
            f"Not judged ({which}): the opening description and comments by triggers or automations are not "
            "agent comments.",
            "",
        ]
    return lines


def _step_label(
    step: int, scenario: Scenario, people: _People, times: Mapping[int, datetime], start: datetime | None
) -> str:
    """``+10m, Ben Ortiz's public reply`` (or ``Step 2`` where the step has no time)."""
    at = times.get(step)
    if at is None or start is None or step > len(scenario.steps):
        return f"Step {step}"
    return (
        f"{_relative(at, start)}, {people.name(scenario.steps[step - 1].get('by'))}'s {_comment_kind(scenario, step)}"
    )


def _is_agent_comment_step(step: Mapping[str, Any], people: _People) -> bool:
    if not any(action in step for action in ("comment", "reply", "note")):
        return False
    user = people.user(step.get("by"))
    return user is not None and user.is_agent


def _judgement_line(
    result: ScenarioResult,
    step: int,
    judgement: Judgement,
    people: _People,
    times: Mapping[int, datetime],
    start: datetime | None,
    focus: str | None,
) -> str:
    at = times.get(step)
    when = _relative(at, start) if at is not None and start is not None else f"step {step}"
    kind = _comment_kind(result.scenario, step)
    head = (
        f"- **{when}, {people.name(judgement.author_id)}, {kind}: {_verdict(judgement.verdict)}** "
        f"(rule `{judgement.rule}`). {judgement.reason}"
    )
    flags = [
        f"{FLAG_TITLES[flag].lower()}: {_flag(getattr(judgement, flag))}"
        for flag in FLAG_IDS
        if focus == flag or getattr(judgement, flag) is not None
    ]
    if flags:
        head += " Flags: " + "; ".join(flags) + "."
    misses = [m for m in result.mismatches if m.step == step]
    if misses:
        head += " **⚠ " + "; ".join(_expected_text(m) for m in misses) + ".**"
    return head


def _region_text(region: str | None) -> str:
    if region == ALL_REGIONS:
        return "all regions"
    return region or "unknown"


def _ack_how(judgement: Judgement, people: _People) -> str:
    if judgement.acknowledged is None:
        if judgement.assignee_id == judgement.author_id:
            return "the assignee's own comment"
        return "a public reply, not an internal note"
    if not judgement.acknowledged:
        return "the assignee did not name them (@mention or full name) or add them as a follower"
    # The acknowledging event is the last piece of evidence the engine recorded.
    evidence = judgement.evidence[-1] if judgement.evidence else None
    who = people.name(evidence.by) if evidence is not None else "the assignee"
    if evidence is not None and evidence.what == "follower added":
        return f"{who}, the assignee, added them as a follower"
    return f"{who}, the assignee, named them in a later comment"


def _flag_table(policy: Policy, flag: str, examples: Sequence[ScenarioResult]) -> list[str]:
    """Every judged comment of the flag's examples, with the flag's value and what it rests on."""
    rows: list[tuple[object, ...]] = []
    for result in examples:
        scenario = result.scenario
        people = _People(scenario, effective_policy(scenario, policy))
        times = _step_times(scenario)
        start = min(times.values()) if times else None
        title = scenario.title + ("" if result.passed else " (⚠ FAILING)")
        for step, judgement in sorted(result.judgements.items()):
            at = times.get(step)
            when = _relative(at, start) if at is not None and start is not None else f"step {step}"
            value = _flag(getattr(judgement, flag))
            if any(m.step == step and m.key == flag for m in result.mismatches):
                value += " ⚠ not as expected"
            kind = _comment_kind(scenario, step)
            name = people.name(judgement.author_id)
            if flag == "out_of_region":
                rows.append(
                    (
                        title,
                        when,
                        f"{name}, {kind}",
                        _region_text(judgement.author_region),
                        _region_text(judgement.preferred_region),
                        value,
                    )
                )
            else:
                rows.append((title, when, f"{name}, {kind}", value, _ack_how(judgement, people)))
    if flag == "out_of_region":
        header = ["Example", "When", "Comment", "Author's region", "Preferred region", "Out of region"]
    else:
        header = ["Example", "When", "Comment", "Acknowledged", "Why"]
    return [*_table(header, rows), ""]


# --- the page -------------------------------------------------------------------------------------


def _examples_for(results: Sequence[ScenarioResult], key: str) -> list[ScenarioResult]:
    """The scenarios that illustrate ``key`` (a rule, flag, definition or fact), as worked examples: not the
    built-in ones this policy's own rules judge differently (they document the default definition)."""
    return [result for result in results if key in result.scenario.illustrates and not result.judged_differently]


def _scenario_file(scenario: Scenario) -> str:
    path = Path(scenario.source)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


FACT_GROUPS = (
    ("comment", "About the comment"),
    ("author", "About the author"),
    ("ticket", "About the ticket"),
    ("assignee", "About the assignee"),
    ("customer", "About the customer"),
    ("any", "Every comment"),
)
PARAM_KINDS = {
    "values": "a list of values",
    "tags": "a list of tags",
    "pattern": "a regular expression, case ignored",
    "within": "a duration such as 30m, 4h or 2d, at most 30d (exactly that long still counts)",
    "follower": "true or false: being added as a follower counts",
    "cc": "true or false: being added as a CC counts",
    "at_least": "a whole number",
    "at_most": "a whole number",
    "share": "a share of the reply target, 0.75 for 75% (between 0 and 10; exactly that share still counts)",
}


def _default_words(value: object) -> str:
    if value is None:
        return "no limit"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return format_duration(value)
    return str(value)


def _param_words(spec: FactSpec) -> str:
    """A fact's parameters: each with what it takes and its default (or that it is required)."""
    fields = spec.params.model_fields
    if not fields:
        return "none"
    parts = []
    for name, info in fields.items():
        default = "required" if info.is_required() else f"default {_default_words(info.default)}"
        parts.append(f"`{name}` ({default}): {PARAM_KINDS.get(name, 'a value')}")
    return "; ".join(parts)


def _example_words(spec: FactSpec) -> str:
    """The fact's example as the policy file writes it, then in the handbook's words."""
    try:
        condition = parse_condition(yaml.safe_load(spec.example))
    except (ValueError, yaml.YAMLError):  # pragma: no cover - every example in FACTS reads (tested)
        return f"`{spec.example}`"
    words = [line.strip().removeprefix("- ") for line in condition_words(condition)]
    return f"`{spec.example}`: {'; '.join(words)}"


def _used_by(policy: Policy, fact: str) -> str:
    rules = [
        f"`{rule_id}`" + ("" if rule.enabled else " (switched off)")
        for rule_id, rule in policy.rules.items()
        if any(found.name == fact for found in facts_in(rule.when))
    ]
    return ", ".join(rules) or "-"


def _facts_section(policy: Policy, results: Sequence[ScenarioResult], shown: dict[str, str]) -> list[str]:
    """Every fact a condition can name, grouped by what it is about: meaning, parameters, an example, the rules of
    this policy that use it, and the worked examples that illustrate it."""
    lines = [
        "## Facts",
        "",
        "A rule's condition (*Holds when* above) is built from these facts about the comment being judged, combined "
        "with `all` (every part holds), `any` (at least one part holds) and `not`. Each fact is listed with what it "
        "means, its parameters, an example as the policy file writes it (then in words) and the rules of this "
        "policy that use it. A fact with one parameter takes its value directly: `ticket_has_tag: [pairing_session]` "
        "is `ticket_has_tag: {tags: [pairing_session]}`.",
        "",
    ]
    groups: dict[str, list[FactSpec]] = {}
    for spec in FACTS.values():
        groups.setdefault(spec.about, []).append(spec)
    titles = dict(FACT_GROUPS)
    order = [about for about, _ in FACT_GROUPS if about in groups] + [a for a in groups if a not in titles]
    for about in order:
        specs = groups[about]
        lines += [f"### {titles.get(about, f'About the {about}')}", ""]
        lines += _table(
            ["Fact", "Holds when", "Parameters", "Example", "Used by"],
            [
                (f"`{spec.name}`", spec.meaning, _param_words(spec), _example_words(spec), _used_by(policy, spec.name))
                for spec in specs
            ],
        )
        lines.append("")
        for spec in specs:
            for result in _examples_for(results, spec.name):
                where = shown.get(result.scenario.id)
                if where is not None:
                    lines += [f"*An example of `{spec.name}`:* {result.scenario.title} (under {where}).", ""]
                    continue
                lines += [f"*An example of `{spec.name}`:*", ""]
                lines += _example(result, policy, "####")
                shown[result.scenario.id] = f"the fact `{spec.name}`"
    return lines


def _flag_text(policy: Policy, flag: str) -> list[str]:
    if flag == "out_of_region":
        setting = policy.organisation.preferred_region
        return [
            "Set on every judged comment. **Yes** when the author's region differs from the customer's Preferred "
            "Region for Support at the time of the comment, **no** when they match. It is **empty** when either "
            "region is unknown, or when the customer accepts all regions.",
            "",
            f"- The preferred region is read from the ticket field(s) {_quoted(setting.fields)}.",
            f"- These values mean all regions: {_quoted(setting.all_regions)}.",
            "- The author's region comes from their profile or time zone (see *Agent regions* below).",
        ]
    return [
        "Only for internal notes by contributors (not the assignee); empty for everything else. **Yes** when "
        "the assignee later adds the note's author as a follower, or writes a comment (public or internal) that "
        "names the author by @mention or by full name. **No** otherwise: a first name alone, or a follower added "
        "by someone other than the assignee, does not acknowledge the note.",
    ]


def render_handbook(policy: Policy, results: list[ScenarioResult]) -> str:
    """The policy as a Markdown handbook page, with the scenario results as worked examples."""
    lines: list[str] = [
        f"# Collaboration handbook: {policy.name}, version {policy.version}",
        "",
        f"Policy fingerprint: `{fingerprint(policy)}`. Every judgement records the fingerprint of the policy "
        "it was made under, so a report can always be traced back to this page.",
        "",
    ]
    failing = [r for r in results if r.failed]
    if failing:
        lines += [
            f"> **⚠ {len(failing)} of {len(results)} examples FAIL under this policy.** They are marked below; "
            "where an example fails, the engine does not apply the policy as this handbook describes it.",
            "",
        ]
    if policy.summary:
        lines += ["## Summary", "", policy.summary.strip(), ""]
    if policy.principles:
        lines += ["## Principles", "", *[f"- {p}" for p in policy.principles], ""]
    shown: dict[str, str] = {}
    """Scenario id → where its worked example is shown."""
    if policy.definitions:
        lines += ["## Definitions", ""]
        for key, text in policy.definitions.items():
            lines += [f"- **{DEFINITION_LABELS.get(key, _label(key))}:** {text.strip()}"]
        lines.append("")
        for key in policy.definitions:
            if key in policy.rules or key in FLAG_IDS:
                continue  # those examples belong with the rule or flag of that name
            for result in _examples_for(results, key):
                lines += [f"*An example of the definition of {DEFINITION_LABELS.get(key, _label(key)).lower()}:*", ""]
                lines += _example(result, policy, "###")
                shown[result.scenario.id] = "*Definitions*"

    ordered = list(policy.rules.items())
    lines += [
        "## How a comment is judged",
        "",
        "Every agent comment gets exactly one judgement. The rules are tried in this order, and the first "
        "one that holds decides.",
        "",
        *_table(
            ["#", "Rule", "Id", "Verdict"],
            [
                (n, rule.title + ("" if rule.enabled else " (switched off)"), f"`{rid}`", _verdict(rule.verdict))
                for n, (rid, rule) in enumerate(ordered, 1)
            ],
        ),
        "",
        "The verdicts:",
        "",
        *_table(["Verdict", "Meaning"], [(_verdict(v), VERDICT_MEANINGS.get(v, "")) for v in VERDICT_LABELS]),
        "",
        "## The rules",
        "",
    ]
    for number, (rule_id, rule) in enumerate(ordered, start=1):
        lines += [
            f"### Rule {number}: {rule.title} (`{rule_id}`)",
            "",
            f"**Verdict:** {_verdict(rule.verdict)} (`{rule.verdict}`)",
            "",
        ]
        if not rule.enabled:
            lines += ["**This rule is switched off in this policy;** comments go on to the next rule.", ""]
        lines += [rule.rationale.strip(), ""]
        lines += ["**Holds when:**", "", *condition_words(rule.when), ""]
        thresholds = _rule_thresholds(policy, rule)
        if thresholds:
            lines += ["**Thresholds in force:**", "", *[f"- {t}" for t in thresholds], ""]
        if rule.facts("customer_waited"):
            lines += ["When cover becomes possible, by priority:", "", *_coverage_table(policy), ""]
        examples = _examples_for(results, rule_id)
        if not examples and rule_id in RULE_IDS:
            lines += ["*No worked example illustrates this rule yet.*", ""]
        elif not examples:
            lines += [
                "*No worked example illustrates this rule yet.* A scenario beside the policy file (in the folder "
                f"named after it, e.g. `team.scenarios/`) with `illustrates: [{rule_id}]` becomes one.",
                "",
            ]
        for result in examples:
            lines += _example(result, policy, "####")
            shown[result.scenario.id] = f"rule `{rule_id}`"

    lines += _facts_section(policy, results, shown)

    lines += ["## Flags", "", "Besides its verdict, each judgement carries two flags.", ""]
    for flag in FLAG_IDS:
        lines += [f"### {FLAG_TITLES[flag]} (`{flag}`)", "", *_flag_text(policy, flag), ""]
        examples = _examples_for(results, flag)
        if not examples:
            lines += ["*No worked example illustrates this flag yet.*", ""]
            continue
        lines += _flag_table(policy, flag, examples)
        for result in examples:
            if result.scenario.id not in shown:
                lines += _example(result, policy, "####", focus=flag)
                shown[result.scenario.id] = f"the flag `{flag}`"

    lines += _organisation(policy)

    differing = [r for r in results if r.judged_differently]
    summary = f"{sum(r.passed for r in results)} of {len(results)} examples pass under this policy."
    if differing:
        summary += (
            f" {counted(len(differing), 'built-in example')} of the default definition "
            f"{'is' if len(differing) == 1 else 'are'} judged differently under this policy's own rules: they document "
            "the default's rules, not this policy's, so they are not shown as worked examples above."
        )
    team = sum(r.scenario.origin == "team" for r in results)
    if team:
        summary += f" {team} of the examples {'is' if team == 1 else 'are'} this team's own (marked *team*)."
    lines += [
        "## All examples",
        "",
        summary,
        "",
        *_table(
            ["#", "Example", "Illustrates", "Result"],
            [
                (
                    n,
                    r.scenario.title + (" (*team*)" if r.scenario.origin == "team" else ""),
                    ", ".join(f"`{key}`" for key in r.scenario.illustrates) or "-",
                    _result_words(r),
                )
                for n, r in enumerate(results, start=1)
            ],
        ),
        "",
    ]
    return "\n".join(lines)


def _result_words(result: ScenarioResult) -> str:
    if result.passed:
        return "passes"
    if result.judged_differently:
        return "judged differently from the default definition"
    return "**⚠ FAILS**"


def _organisation(policy: Policy) -> list[str]:
    org = policy.organisation
    lines = ["## Organisation defaults", "", "### Regions and business hours", ""]
    lines += _table(
        ["Region", "Also known as", "Time zone", "Business hours", "Business days"],
        [
            (
                code,
                ", ".join(region.aliases) or "-",
                region.time_zone,
                region.hours,
                _days(region.days or org.business_days),
            )
            for code, region in org.regions.items()
        ],
    )
    lines += [
        "",
        "Business hours are local to the region's time zone, daylight saving time included. They include the start "
        "time and end just before the end time: with hours 05:00-17:00, 16:59 is inside and 17:00 is outside.",
        "",
        "### Reply targets",
        "",
    ]
    lines += _table(
        ["Priority", "First reply", "Next reply"],
        [(priority, _duration(t.first), _duration(t.next)) for priority, t in org.reply_targets.items()],
    )
    lines += [
        "",
        f"A ticket without a priority (or with one not listed) is treated as **{org.default_priority}**.",
        "",
        "### Preferred region",
        "",
        f"- Ticket fields read as the Preferred Region for Support: {_quoted(org.preferred_region.fields)}.",
        f"- Values that mean all regions: {_quoted(org.preferred_region.all_regions)}.",
        "",
        "### Agent regions",
        "",
        f"An agent's region is read from the user field `{org.agent_region.user_field}`. When that is empty, it "
        "follows from the first part of the agent's time zone:",
        "",
    ]
    prefixes = org.agent_region.time_zone_prefixes
    if prefixes:
        lines += _table(["Time zone starts with", "Region"], sorted(prefixes.items()))
    else:
        lines.append("*No time zones are mapped to regions.*")
    lines += ["", "An agent with neither has an unknown region.", "", "### Pods", ""]
    if org.pods:
        lines += _table(
            ["Pod", "Members", "Topic tags", "Description"],
            [
                (name, ", ".join(str(m) for m in pod.members), _quoted(pod.tags), pod.description or "-")
                for name, pod in org.pods.items()
            ],
        )
    else:
        lines.append("*No pods are configured.*")
    lines += ["", "### Out of office", ""]
    if org.out_of_office:
        lines += _table(
            ["Agent", "From", "To", "Note"],
            [
                (period.agent, _when(period.start), _when(period.end), period.note or "-")
                for period in org.out_of_office
            ],
        )
    else:
        lines.append("*Nobody is listed as out of office.*")
    lines.append("")
    return lines


__all__ = ["FLAG_IDS", "render_handbook"]
