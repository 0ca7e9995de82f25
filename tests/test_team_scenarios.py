"""A team's own scenarios: the files in ``<policy-stem>.scenarios/`` beside its policy file run in ``intently policy
test`` (they must all pass) and are the handbook's worked examples for the rules and facts they illustrate,
``pod_voice`` included; the handbook lists every fact. Built-in scenarios document the default definition: under a
team's own rule list one that no longer holds is judged differently, not failed; under the default or a change of
parameters it fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from intently.errors import InputError
from intently.policy import load_policy, policy_from_mapping
from intently.policy.conditions import FACTS
from intently.policy.handbook.scenarios import (
    load_scenario,
    own_rules,
    run_suite,
    team_scenario_dir,
)
from tests.cli_runner import intently
from tests.team_rules import EXPORTS_POD, PEOPLE, POD_VOICE, RULES, START, before_last

TEAM_POLICY: dict[str, Any] = {
    "name": "exports-team",
    "version": "2026.1-pods",
    "rules": before_last(POD_VOICE),
    "organisation": EXPORTS_POD,
}
POD_SCENARIO: dict[str, Any] = {
    "id": "pod-second-voice",
    "title": "A pod colleague answers once while the owner is at work",
    "story": "Pip, in Ana's pod, adds a workaround while Ana is at work: the pod's one second voice.",
    "illustrates": ["pod_voice", "author_in_assignees_pod"],
    "people": PEOPLE,
    "ticket": {"requester": "casey", "priority": "normal", "preferred_region": "emea"},
    "timeline": [
        *START,
        {"at": "+1h", "by": "pip", "reply": "Hi Casey, a workaround: export in two parts."},
        {"at": "+30m", "by": "pip", "reply": "And the fix ships tomorrow."},
    ],
    "expect": [
        {"step": 3, "verdict": "assignee", "rule": "assignee"},
        {"step": 4, "verdict": "intentional", "rule": "pod_voice"},
        {"step": 5, "verdict": "drive_by", "rule": "unsolicited_reply"},
    ],
}
OUTSIDE_SCENARIO: dict[str, Any] = {
    "id": "outside-the-pod",
    "title": "A reply from outside the pod is still a second voice",
    "story": "Ben is not in Ana's pod: his reply is a drive-by.",
    "illustrates": ["unsolicited_reply"],
    "people": PEOPLE,
    "ticket": {"requester": "casey", "priority": "normal", "preferred_region": "emea"},
    "timeline": [*START, {"at": "+1h", "by": "ben", "reply": "Hi Casey, try the CSV export."}],
    "expect": [
        {"step": 3, "verdict": "assignee", "rule": "assignee"},
        {"step": 4, "verdict": "drive_by", "rule": "unsolicited_reply"},
    ],
}


def _write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def team(tmp_path: Path) -> Path:
    """``team.yaml`` with its own rule list, and ``team.scenarios/`` beside it holding two scenario files."""
    policy = _write(tmp_path / "team.yaml", TEAM_POLICY)
    _write(tmp_path / "team.scenarios" / "01-pod-second-voice.yaml", POD_SCENARIO)
    _write(tmp_path / "team.scenarios" / "02-outside-the-pod.yaml", OUTSIDE_SCENARIO)
    return policy


def test_the_team_scenarios_sit_beside_the_policy_file(team: Path) -> None:
    assert team_scenario_dir(team) == team.parent / "team.scenarios"
    assert team_scenario_dir(Path("intently.yaml")) == Path("intently.scenarios")


def test_policy_test_runs_the_team_scenarios_and_the_built_in_ones(team: Path) -> None:
    done = intently("policy", "test", "--config", str(team))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pod-second-voice" in done.stdout and "outside-the-pod" in done.stdout
    assert "team.scenarios/01-pod-second-voice.yaml" in done.stdout
    assert "Team scenarios in" in done.stdout and ": 2 passed, 0 failed" in done.stdout
    assert "built-in" in done.stdout and "motivating-pod-notes" in done.stdout
    assert " 0 failed" in done.stdout.splitlines()[-1]


def test_a_team_scenario_with_a_wrong_expectation_fails_naming_file_step_and_key(team: Path) -> None:
    wrong = {**OUTSIDE_SCENARIO, "expect": [*OUTSIDE_SCENARIO["expect"][:1], {"step": 4, "rule": "pod_voice"}]}
    path = _write(team.parent / "team.scenarios" / "02-outside-the-pod.yaml", wrong)
    done = intently("policy", "test", "--config", str(team))
    assert done.returncode == 1
    lines = [line for line in done.stdout.splitlines() if line.startswith("FAIL ")]
    assert lines == [
        f"FAIL {path}: scenario outside-the-pod, step 4: rule expected 'pod_voice', got 'unsolicited_reply'"
    ]
    assert ": 1 passed, 1 failed" in done.stdout
    reason = done.stdout.splitlines()[done.stdout.splitlines().index(lines[0]) + 1]  # the engine's, to check against
    assert reason.strip().startswith("the engine's reason: Public reply by Ben")


def test_an_expectation_naming_a_rule_the_policy_lacks_is_an_error_that_suggests_the_rule(team: Path) -> None:
    misspelt = {**OUTSIDE_SCENARIO, "expect": [{"step": 4, "rule": "unsolicted_reply"}]}
    path = _write(team.parent / "team.scenarios" / "02-outside-the-pod.yaml", misspelt)
    done = intently("policy", "test", "--config", str(team))
    said = " ".join(done.stderr.split())
    assert done.returncode == 1 and "Traceback" not in done.stderr and str(path) in said
    assert "expect step 4: rule 'unsolicted_reply' is not a rule of this policy" in said
    assert "(did you mean unsolicited_reply?)" in said


def test_render_shows_the_team_scenario_under_its_rule_and_lists_every_fact(team: Path, tmp_path: Path) -> None:
    out = tmp_path / "handbook.md"
    done = intently("policy", "render", "--config", str(team), "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    rule = text[text.index("(`pod_voice`)") : text.index("\n### Rule", text.index("(`pod_voice`)"))]
    assert "**Holds when:**" in rule and "the author is in the same pod as the assignee" in rule
    assert "#### Example: A pod colleague answers once while the owner is at work" in rule
    assert "This team's own example, from `team.scenarios/01-pod-second-voice.yaml`" in rule
    assert "**Intentional help** (`pod_voice`)" in rule
    facts = text[text.index("## Facts") : text.index("## Flags")]
    for name, spec in FACTS.items():
        assert f"| `{name}` | {spec.meaning} |" in facts
    assert "*An example of `author_in_assignees_pod`:* A pod colleague answers once" in facts
    assert "FAIL" not in text


def test_an_unreadable_team_scenario_is_a_clear_error(team: Path) -> None:
    broken = {**OUTSIDE_SCENARIO, "timeline": [*START[:2], {"at": "+10m", "by": "ana", "replay": "Hi"}]}
    path = _write(team.parent / "team.scenarios" / "02-outside-the-pod.yaml", broken)
    done = intently("policy", "test", "--config", str(team))
    assert done.returncode == 1
    message = " ".join(done.stderr.split())
    assert f"{path}: timeline step 3: unknown key(s) ['replay']" in message


DROP = object()
"""A key left out of the scenario."""


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        ({"ilustrates": ["pod_voice"]}, "", "unknown key `ilustrates`: did you mean `illustrates`?"),
        ({"expect": DROP, "expcet": []}, "", "unknown key `expcet`: did you mean `expect`?"),
        ({"people": {"ana": "Ana Lee"}}, "people.ana", "expected a mapping such as {name: Ana Lee, region: EMEA}"),
        ({"ticket": {"requestor": "casey"}}, "ticket", "unknown key `requestor`: did you mean `requester`?"),
        ({"timeline": "soon"}, "timeline", "expected a list, got 'soon'"),
        ({"expect": [{"step": 9, "rule": "x"}]}, "", "expect: unknown step 9 (the timeline has 5 steps)"),
        ({"expect": [{"step": 4, "verdict": "intentionl"}]}, "", "expect step 4: verdict 'intentionl' is not one of"),
        ({"expect": ["step 4"]}, "expect[0]", "expected a mapping such as {step: 3, verdict: intentional}"),
    ],
)
def test_a_scenario_that_cannot_be_read_names_file_and_key(
    tmp_path: Path, change: dict[str, Any], where: str, problem: str
) -> None:
    data = {key: value for key, value in {**POD_SCENARIO, **change}.items() if value is not DROP}
    path = _write(tmp_path / "bad.yaml", data)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: {where + ': ' if where else ''}{problem}")


def test_a_scenario_that_is_not_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: not valid YAML at line 3")


def test_a_team_scenario_must_illustrate_what_the_policy_has(team: Path) -> None:
    path = _write(
        team.parent / "team.scenarios" / "02-outside-the-pod.yaml", {**OUTSIDE_SCENARIO, "illustrates": ["pod_vocie"]}
    )
    policy = load_policy(team)
    with pytest.raises(InputError) as info:
        run_suite(policy, policy_file=team)
    assert str(info.value).startswith(f"{path}: illustrates: 'pod_vocie' is not a rule, flag, definition or fact")
    assert "(did you mean pod_voice?)" in str(info.value)


def test_a_team_scenario_with_a_built_in_id_takes_its_place(team: Path) -> None:
    _write(team.parent / "team.scenarios" / "02-outside-the-pod.yaml", {**OUTSIDE_SCENARIO, "id": "assignee-own-work"})
    results = run_suite(load_policy(team), policy_file=team)
    same = [r for r in results if r.scenario.id == "assignee-own-work"]
    assert [r.scenario.origin for r in same] == ["team"]
    assert [r.scenario.origin for r in results[:2]] == ["team", "team"]


def test_built_in_scenarios_document_the_default_definition() -> None:
    """Under a team's own rule list, a built-in scenario that no longer holds is judged differently, not failed;
    under the default, or a policy that changes parameters only, it fails."""
    without_coverage = [r for r in RULES if r["id"] != "coverage"]
    own = policy_from_mapping({"rules": without_coverage}, "team.yaml")
    assert own_rules(own)
    results = run_suite(own)
    assert not any(r.failed for r in results)
    differing = {r.scenario.id for r in results if r.judged_differently}
    assert "coverage-wait-exactly-75" in differing and "assignee-own-work" not in differing

    assert not own_rules(load_policy())
    assert all(r.passed and not r.documents_default for r in run_suite(load_policy()))

    stricter = policy_from_mapping({"rules": {"ownership": {"window": "5m"}, "solicited": {"tags": ["x"]}}})
    assert not own_rules(stricter)
    failed = {r.scenario.id for r in run_suite(stricter) if r.failed}
    assert "unassigned-taken-at-30m" in failed

    switched_off = policy_from_mapping({"rules": {"coverage": {"enabled": False}}})
    assert own_rules(switched_off)


def test_adopting_a_policy_whose_team_scenarios_fail_is_refused_unless_forced(team: Path, tmp_path: Path) -> None:
    """The team's scenarios are the definition's own tests: ``policy adopt`` refuses a policy they fail under, names
    each failing scenario with its first mismatch and leaves the store as it was; ``--force`` adopts it anyway."""
    from tests.store_snapshot import snapshot
    from tests.test_zendesk_export import _small_export

    db = str(tmp_path / "store.db")
    export = _small_export().write(tmp_path / "export")
    assert intently("import", str(export), "--db", db).returncode == 0
    wrong = {**OUTSIDE_SCENARIO, "expect": [*OUTSIDE_SCENARIO["expect"][:1], {"step": 4, "rule": "pod_voice"}]}
    path = _write(team.parent / "team.scenarios" / "02-outside-the-pod.yaml", wrong)
    before = snapshot(db)
    refused = intently("policy", "adopt", str(team), "--db", db)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    said = " ".join(refused.stderr.split())
    assert "was not adopted: scenarios of the team's fail under it" in said
    assert f"{path}: scenario outside-the-pod, step 4: rule expected 'pod_voice', got 'unsolicited_reply'" in said
    assert "--force" in said and "pod-second-voice" not in said  # the passing one is not named
    assert snapshot(db) == before
    forced = intently("policy", "adopt", str(team), "--db", db, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "exports-team 2026.1-pods" in " ".join(forced.stdout.split())


def test_adopting_a_change_of_thresholds_warns_of_the_built_in_scenarios_it_fails(tmp_path: Path) -> None:
    """Built-in scenarios illustrate the default's thresholds: a policy that changes one is adopted, with a warning
    naming the built-in scenarios that no longer hold."""
    from tests.test_zendesk_export import _small_export

    db = str(tmp_path / "store.db")
    assert intently("import", str(_small_export().write(tmp_path / "export")), "--db", db).returncode == 0
    proposal = tmp_path / "shorter.yaml"
    proposal.write_text('version: "2026.2"\nrules:\n  ownership:\n    window: 5m\n')
    adopted = intently("policy", "adopt", str(proposal), "--db", db)
    assert adopted.returncode == 0, adopted.stderr
    said = " ".join(adopted.stderr.split())
    assert "2 built-in scenarios fail under" in said and "unassigned-taken-at-30m" in said
    tested = intently("policy", "test", "--config", str(proposal))
    assert tested.returncode == 1 and "copy it into the team's scenarios" in " ".join(tested.stdout.split())


def test_render_counts_one_team_example_and_a_bound_of_none_in_words(team: Path, tmp_path: Path) -> None:
    (team.parent / "team.scenarios" / "02-outside-the-pod.yaml").unlink()
    out = tmp_path / "handbook.md"
    done = intently("policy", "render", "--config", str(team), "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert " 1 of the examples is this team's own (marked *team*)." in text
    rule = text[text.index("(`pod_voice`)") : text.index("\n### Rule", text.index("(`pod_voice`)"))]
    assert "no contributors (not the assignee) replied publicly before the comment" in rule
    assert "at most 0" not in text and "1 contributors" not in text


def test_a_scenario_that_writes_a_key_twice_names_the_key_and_its_lines(tmp_path: Path) -> None:
    """Scenario files are read as policy files are: the second ``expect`` would silently replace the first."""
    path = tmp_path / "twice.yaml"
    path.write_text(yaml.safe_dump(OUTSIDE_SCENARIO, sort_keys=False) + "expect: []\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    said = str(info.value)
    assert said.startswith(f"{path}: expect: written twice, at lines ")
