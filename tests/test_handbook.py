"""The handbook page renders the policy in force and the scenario results, failing ones included."""

from __future__ import annotations

import pytest

from intently.policy import RULE_IDS, Policy, fingerprint, load_policy, policy_from_mapping
from intently.policy.handbook.render import render_handbook
from intently.policy.handbook.scenarios import ScenarioResult, run_scenario, run_suite, scenario_from_data


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="module")
def results(policy: Policy) -> list[ScenarioResult]:
    return run_suite(policy)


@pytest.fixture(scope="module")
def handbook(policy: Policy, results: list[ScenarioResult]) -> str:
    return render_handbook(policy, results)


def _section(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin : text.index(end, begin + len(start))]


def test_title_names_policy_version_and_fingerprint(policy: Policy, handbook: str) -> None:
    first_lines = handbook.splitlines()[:3]
    assert first_lines[0].startswith("# ")
    assert policy.name in first_lines[0] and policy.version in first_lines[0]
    assert fingerprint(policy) in "\n".join(first_lines)


def test_every_rule_in_order_with_id_title_verdict_and_rationale(policy: Policy, handbook: str) -> None:
    positions = []
    for number, rule_id in enumerate(RULE_IDS, start=1):
        rule = policy.rule(rule_id)
        heading = f"### Rule {number}: {rule.title} (`{rule_id}`)"
        assert heading in handbook
        positions.append(handbook.index(heading))
        section = handbook[positions[-1] :].split("\n### ", 1)[0]
        assert f"(`{rule.verdict}`)" in section
        assert rule.rationale.strip() in section
    assert positions == sorted(positions)


def test_summary_principles_and_definitions(policy: Policy, handbook: str) -> None:
    assert policy.summary.strip() in handbook
    for principle in policy.principles:
        assert principle in handbook
    for text in policy.definitions.values():
        assert text.strip() in handbook


def test_thresholds_shown_come_from_the_policy(handbook: str) -> None:
    assert "Ownership window: **30m**" in _section(handbook, "(`ownership`)", "### Rule 3")
    assert "`needs_collaboration`" in _section(handbook, "(`solicited`)", "### Rule 4")
    coverage = _section(handbook, "(`coverage`)", "### Rule 6")
    assert "**75%**" in coverage
    assert "22m30s" in coverage  # 75% of the 30m urgent first-reply target


def test_changed_thresholds_show_in_the_handbook() -> None:
    changed = policy_from_mapping(
        {
            "rules": {
                "ownership": {"window": "45m"},
                "solicited": {"tags": ["ask_for_help"]},
                "coverage": {"wait_fraction": 0.5},
            }
        }
    )
    text = render_handbook(changed, run_suite(changed))
    ownership = _section(text, "(`ownership`)", "### Rule 3")
    assert "Ownership window: **45m**" in ownership
    assert "30m" not in ownership.split("#### Example")[0]
    assert "(**45m**)" in _section(text, "(`unowned_reply`)", "### Rule 7")
    assert "`ask_for_help`" in _section(text, "(`solicited`)", "### Rule 4")
    assert "**50%**" in _section(text, "(`coverage`)", "### Rule 6")
    assert fingerprint(changed) in text


def test_every_scenario_title_and_its_result_appear(results: list[ScenarioResult], handbook: str) -> None:
    closing = handbook[handbook.index("## All examples") :]
    for result in results:
        assert result.scenario.title in handbook
        assert result.scenario.title in closing
    assert f"{len(results)} of {len(results)} examples pass" in closing
    assert "FAIL" not in handbook


def test_examples_show_the_engines_actual_reasons(results: list[ScenarioResult], handbook: str) -> None:
    for result in results:
        for judgement in result.judgements.values():
            assert judgement.reason in handbook


def test_flags_and_organisation_defaults(policy: Policy, handbook: str) -> None:
    flags = handbook[handbook.index("## Flags") : handbook.index("## Organisation defaults")]
    assert "(`out_of_region`)" in flags and "(`acknowledged`)" in flags
    for value in ("yes", "no", "empty (does not apply)"):
        assert f"| {value} |" in flags
    organisation = handbook[handbook.index("## Organisation defaults") : handbook.index("## All examples")]
    for code, region in policy.organisation.regions.items():
        assert f"| {code} |" in organisation
        assert region.time_zone in organisation and region.hours in organisation
    assert "Monday to Friday" in organisation
    assert "| urgent | 30m | 4h |" in organisation
    assert "Preferred Region for Support" in organisation


def _scenario(expect_verdict: str, reply: str = "Hi Casey") -> ScenarioResult:
    scenario = scenario_from_data(
        {
            "id": "made-up",
            "title": "A made-up example",
            "story": "Ben answers an unassigned ticket and does not take it.",
            "illustrates": ["unowned_reply"],
            "people": {
                "casey": {"name": "Casey Customer", "role": "end-user"},
                "ben": {"name": "Ben Ortiz", "region": "AMER"},
            },
            "ticket": {"requester": "casey", "preferred_region": "amer"},
            "timeline": [
                {"at": "2026-03-02T17:00:00Z", "by": "casey", "comment": "Is plan A | plan B cheaper?"},
                {"at": "+10m", "by": "ben", "reply": reply},
            ],
            "expect": [{"step": 2, "verdict": expect_verdict, "rule": "unowned_reply"}],
        }
    )
    return run_scenario(scenario, load_policy())


def test_failing_scenario_is_marked_loudly(policy: Policy) -> None:
    failing = _scenario("intentional")
    assert not failing.passed
    text = render_handbook(policy, [failing])
    example = _section(text, "#### Example: A made-up example", "## Flags")
    assert "(FAILING)" in example
    assert "THIS EXAMPLE FAILS" in example
    assert "expected Intentional help, the engine gave Drive-by" in example
    assert "0 of 1 examples pass" in text
    assert "| A made-up example | `unowned_reply` | **⚠ FAILS** |" in text


def test_table_pipes_in_ticket_text_are_escaped(policy: Policy) -> None:
    text = render_handbook(policy, [_scenario("drive_by", reply="Plan A | plan B: both work")])
    rows = [line for line in text.splitlines() if "plan B" in line and line.startswith("|")]
    assert rows, "the timeline shows the ticket text"
    for row in rows:
        assert "A \\| plan B" in row
        assert row.replace("\\|", "").count("|") == 5  # four columns


def test_facts_reference_lists_every_fact_by_what_it_is_about(handbook: str) -> None:
    from intently.policy.conditions import FACTS

    facts = _section(handbook, "## Facts", "## Flags")
    headings = [line for line in facts.splitlines() if line.startswith("### ")]
    assert headings == [
        "### About the comment",
        "### About the author",
        "### About the ticket",
        "### About the assignee",
        "### About the customer",
        "### Every comment",
    ]
    for name, spec in FACTS.items():
        row = next(line for line in facts.splitlines() if line.startswith(f"| `{name}` |"))
        assert spec.meaning in row and f"`{spec.example}`" in row.replace("\\|", "|")
    assert "| `author_takes_ticket` |" in _section(facts, "### About the author", "### About the ticket")
    within = next(line for line in facts.splitlines() if line.startswith("| `author_takes_ticket` |"))
    assert "`within` (default 30m): a duration" in within and within.endswith("| `ownership` |")
    channel = next(line for line in facts.splitlines() if line.startswith("| `channel` |"))
    assert "`values` (required)" in channel and "the comment came through `web` or `email`" in channel


def test_built_in_examples_a_teams_own_rules_judge_differently_are_not_worked_examples() -> None:
    from intently.policy.handbook.scenarios import own_rules

    rules = [rule for rule in load_policy().model_dump(mode="json")["rules"] if rule["id"] != "coverage"]
    own = policy_from_mapping({"rules": rules}, "team.yaml")
    assert own_rules(own)
    results = run_suite(own)
    differing = [r for r in results if r.judged_differently]
    assert differing and not any(r.failed for r in results)
    text = render_handbook(own, results)
    assert "FAIL" not in text
    closing = text[text.index("## All examples") :]
    assert f"{len(differing)} built-in examples of the default definition are judged differently" in closing
    for result in differing:
        assert f"#### Example: {result.scenario.title}" not in text
        assert f"| {result.scenario.title} |" in closing
    assert "| judged differently from the default definition |" in closing


def test_a_scenario_illustrating_a_fact_is_a_worked_example_under_the_facts(policy: Policy) -> None:
    scenario = scenario_from_data(
        {
            "id": "fact-only",
            "title": "A reply on an unassigned ticket",
            "illustrates": ["unassigned"],
            "people": {
                "casey": {"name": "Casey Customer", "role": "end-user"},
                "ben": {"name": "Ben Ortiz", "region": "AMER"},
            },
            "ticket": {"requester": "casey", "preferred_region": "amer"},
            "timeline": [
                {"at": "2026-03-02T17:00:00Z", "by": "casey", "comment": "Hello?"},
                {"at": "+10m", "by": "ben", "reply": "Hi Casey"},
            ],
            "expect": [{"step": 2, "verdict": "drive_by", "rule": "unowned_reply"}],
        }
    )
    text = render_handbook(policy, [run_scenario(scenario, policy)])
    facts = _section(text, "## Facts", "## Flags")
    assert "*An example of `unassigned`:*" in facts
    assert "#### Example: A reply on an unassigned ticket" in facts
