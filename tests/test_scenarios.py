"""The shipped scenarios are the policy's test suite: each passes, and together they cover every rule and flag."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from intently.model import Comment
from intently.policy import ALL_REGIONS, RULE_IDS, Policy, load_policy
from intently.policy.handbook.scenarios import (
    Scenario,
    ScenarioResult,
    builtin_scenario_dir,
    load_scenario,
    run_scenario,
    run_suite,
    scenario_from_data,
)

SCENARIO_FILES = sorted(builtin_scenario_dir().glob("*.yaml"))
FLAGS = ("out_of_region", "acknowledged")
MACHINE_CHANNELS = {"rule", "system"}


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="module")
def results(policy: Policy) -> list[ScenarioResult]:
    return run_suite(policy)


def agent_comment_steps(scenario: Scenario) -> set[int]:
    """Steps that carry an agent comment, by the written definition (independent of the engine): a comment by
    an agent or admin, except the ticket's first comment and comments made by triggers, automations or the
    system."""
    comments = [event for event in scenario.history.events if isinstance(event, Comment)]
    first = comments[0] if comments else None
    steps: set[int] = set()
    for comment in comments:
        if comment is first or comment.via in MACHINE_CHANNELS:
            continue
        author = scenario.directory.users.get(comment.author) if comment.author is not None else None
        if author is not None and author.is_agent:
            steps.add(int(comment.update))
    return steps


def test_at_least_24_scenarios_with_numbered_names() -> None:
    assert len(SCENARIO_FILES) >= 24
    numbers = []
    for path in SCENARIO_FILES:
        match = re.fullmatch(r"(\d\d)-[a-z0-9]+(?:-[a-z0-9]+)*\.yaml", path.name)
        assert match, f"{path.name} is not named NN-short-name.yaml"
        numbers.append(int(match.group(1)))
    assert len(numbers) == len(set(numbers)), "two scenario files share a number"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[path.stem for path in SCENARIO_FILES])
def test_scenario_passes_and_expects_every_agent_comment(path: Path, policy: Policy) -> None:
    scenario = load_scenario(path)
    assert scenario.title.strip()
    assert scenario.story.strip()
    known = {*RULE_IDS, *FLAGS, *policy.definitions}
    assert scenario.illustrates, "a scenario must say which rules or flags it illustrates"
    assert set(scenario.illustrates) <= known, f"unknown names in illustrates: {set(scenario.illustrates) - known}"

    result = run_scenario(scenario, policy)
    assert result.passed, "\n".join(
        f"step {m.step}: {m.key} expected {m.expected!r}, got {m.actual!r}" for m in result.mismatches
    )

    agent_steps = agent_comment_steps(scenario)
    assert agent_steps, "a scenario needs at least one agent comment"
    expected_steps = {e.step for e in scenario.expectations if e.values.get("judged") is not False}
    assert expected_steps == agent_steps, (
        f"agent comments without an expectation: {sorted(agent_steps - expected_steps)}; "
        f"expectations on steps without an agent comment: {sorted(expected_steps - agent_steps)}"
    )
    assert set(result.judgements) == agent_steps
    for expectation in scenario.expectations:
        if expectation.values.get("judged") is not False:
            assert {"verdict", "rule"} <= set(expectation.values), f"step {expectation.step} needs verdict and rule"


def test_every_rule_decides_at_least_twice_and_is_illustrated(results: list[ScenarioResult]) -> None:
    decided = Counter(j.rule for result in results for j in result.judgements.values())
    for rule_id in RULE_IDS:
        assert decided[rule_id] >= 2, f"rule {rule_id} decides only {decided[rule_id]} comment(s) in the suite"
        assert any(
            rule_id in result.scenario.illustrates and any(j.rule == rule_id for j in result.judgements.values())
            for result in results
        ), f"no scenario that illustrates {rule_id} shows it deciding a comment"


def test_flags_take_every_outcome(results: list[ScenarioResult]) -> None:
    judgements = [j for result in results for j in result.judgements.values()]
    for flag in FLAGS:
        outcomes = {getattr(j, flag) for j in judgements}
        assert outcomes >= {True, False, None}, f"{flag} only takes {outcomes}"
    # out_of_region is empty for both reasons: a customer who accepts all regions, an author of unknown region.
    assert any(j.out_of_region is None and j.preferred_region == ALL_REGIONS for j in judgements)
    assert any(j.out_of_region is None and j.author_region is None and j.preferred_region for j in judgements)
    # acknowledged is yes by follower and by naming, and no, on contributors' internal notes.
    acknowledged = [j for j in judgements if j.acknowledged]
    assert any(e.what == "follower added" for j in acknowledged for e in j.evidence[-1:])
    assert any(e.what == "acknowledged" for j in acknowledged for e in j.evidence[-1:])
    assert all(not j.public and j.author_id != j.assignee_id for j in judgements if j.acknowledged is not None)


def test_every_verdict_is_reached(results: list[ScenarioResult]) -> None:
    verdicts = {j.verdict for result in results for j in result.judgements.values()}
    assert verdicts == {"assignee", "ownership_change", "intentional", "drive_by"}


def _tiny(expect: list[dict[str, object]]) -> dict[str, object]:
    return {
        "id": "tiny",
        "title": "Tiny",
        "people": {
            "casey": {"name": "Casey Customer", "role": "end-user"},
            "ana": {"name": "Ana Lee", "region": "EMEA"},
        },
        "ticket": {"requester": "casey"},
        "timeline": [
            {"at": "2026-03-02T09:00:00Z", "by": "casey", "comment": "Help"},
            {"at": "+5m", "by": "ana", "via": "rule", "reply": "We got your request."},
            {"at": "+5m", "by": "ana", "reply": "Hi Casey", "assign": "ana"},
        ],
        "expect": expect,
    }


def test_judged_false_expectation(policy: Policy) -> None:
    passing = scenario_from_data(_tiny([{"step": 2, "judged": False}, {"step": 3, "rule": "ownership"}]))
    assert run_scenario(passing, policy).passed
    failing = scenario_from_data(_tiny([{"step": 3, "judged": False}]))
    result = run_scenario(failing, policy)
    assert not result.passed
    assert [(m.step, m.key) for m in result.mismatches] == [(3, "judged")]
