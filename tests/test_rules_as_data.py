"""Rules are data: a team writes its own list of rules (id, verdict, title, rationale, condition) and the engine
applies whatever list the policy holds. The four definitions the issue asks to be expressible, each a team's file
with scenarios; and validation that names the key and says what is wrong."""

from __future__ import annotations

from typing import Any

import pytest

from intently.errors import PolicyError
from intently.policy import RULE_IDS, load_policy
from intently.policy.conditions import ConditionError, parse_condition
from intently.policy.handbook.render import render_handbook
from intently.policy.handbook.scenarios import run_scenario, run_suite, scenario_from_data
from intently.policy.loader import policy_from_mapping
from tests.team_rules import HANDED, PAIRING, PEOPLE, POD_VOICE, RULES, START, rule


def _with(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"rules": rules}


def _scenario(timeline: list[dict[str, Any]], expect: list[dict[str, Any]], **extra: Any) -> Any:
    return scenario_from_data(
        {
            "id": "team",
            "title": "a team's example",
            "people": PEOPLE,
            "ticket": {"requester": "casey", "priority": "normal", "preferred_region": "emea"},
            "timeline": timeline,
            "expect": expect,
            **extra,
        }
    )


def _judged(policy: Any, timeline: list[dict[str, Any]], expect: list[dict[str, Any]]) -> None:
    result = run_scenario(_scenario(timeline, expect), policy)
    assert result.passed, [(m.step, m.key, m.expected, m.actual) for m in result.mismatches]


def test_the_default_rules_are_data_and_judge_as_before() -> None:
    """The default policy's seven rules are written in default.yaml as a list with conditions; every built-in
    scenario (each rule, flag and edge case) still passes under it."""
    policy = load_policy()
    assert policy.rule_ids == RULE_IDS
    assert [r["id"] for r in RULES] == list(policy.rule_ids) and all("when" in r for r in RULES)
    assert all(result.passed for result in run_suite(policy))


def test_1_a_pairing_session_tag_added_by_someone_else_makes_a_reply_intentional() -> None:
    pairing = PAIRING
    rules = [r for r in RULES if r["id"] != "unsolicited_reply"] + [pairing, rule("unsolicited_reply")]
    policy = policy_from_mapping(_with(rules), "team.yaml")
    assert policy.rule_ids.index("pairing") < policy.rule_ids.index("unsolicited_reply")
    _judged(
        policy,
        [*START, {"at": "+1h", "by": "ana", "tag": "pairing_session"}, {"at": "+5m", "by": "pip", "reply": "Hi!"}],
        [{"step": 5, "verdict": "intentional", "rule": "pairing"}],
    )
    # the tag added by the author themself does not count
    _judged(
        policy,
        [*START, {"at": "+1h", "by": "pip", "tag": "pairing_session"}, {"at": "+5m", "by": "pip", "reply": "Hi!"}],
        [{"step": 5, "verdict": "drive_by", "rule": "unsolicited_reply"}],
    )


def test_2_a_second_voice_from_the_assignees_pod_while_on_shift_is_intentional_once() -> None:
    pod_voice = POD_VOICE
    rules = [r for r in RULES if r["id"] not in ("unsolicited_reply",)] + [pod_voice, rule("unsolicited_reply")]
    policy = policy_from_mapping(
        {
            **_with(rules),
            "organisation": {
                "pods": {"exports": {"members": ["ana@example.com", "pip@example.com"], "tags": ["exports"]}}
            },
        },
        "team.yaml",
    )
    _judged(
        policy,
        [
            *START,
            {"at": "+1h", "by": "pip", "reply": "Hi Casey, a workaround: export in two parts."},  # 11:15 Amsterdam
            {"at": "+30m", "by": "pip", "reply": "And the fix ships tomorrow."},
            {"at": "+10m", "by": "ben", "reply": "Hi Casey, also try the CSV export."},
        ],
        [
            {"step": 4, "verdict": "intentional", "rule": "pod_voice"},
            {"step": 5, "verdict": "drive_by", "rule": "unsolicited_reply"},
            {"step": 6, "verdict": "drive_by", "rule": "unsolicited_reply"},
        ],
    )


def test_3_coverage_removed_and_internal_notes_before_being_asked() -> None:
    order = ["assignee", "ownership", "internal_note", "solicited", "unowned_reply", "unsolicited_reply"]
    policy = policy_from_mapping(_with([rule(i) for i in order]), "team.yaml")
    assert policy.rule_ids == tuple(order)
    _judged(
        policy,
        [
            *START,
            {"at": "+1h", "by": "ana", "follow": "pip"},
            {"at": "+5m", "by": "pip", "note": "Looked at it: the export times out."},
        ],
        [{"step": 5, "verdict": "intentional", "rule": "internal_note"}],  # not "solicited": notes come first now
    )
    handbook = render_handbook(policy, run_suite(policy))
    assert "(`coverage`)" not in handbook and "Rule 3: Internal note" in handbook


def test_4_a_reply_by_someone_the_assignee_named_in_a_note_is_intentional() -> None:
    handed = HANDED
    rules = [r for r in RULES if r["id"] != "unsolicited_reply"] + [handed, rule("unsolicited_reply")]
    policy = policy_from_mapping(_with(rules), "team.yaml")
    _judged(
        policy,
        [
            *START,
            {"at": "+1h", "by": "ana", "note": "Pip Okafor knows this connector best: Pip, please answer Casey."},
            {"at": "+20m", "by": "pip", "reply": "Hi Casey, the connector needs 4.2."},
            {"at": "+20m", "by": "ben", "reply": "Hi Casey, or 4.3."},
        ],
        [
            {"step": 5, "verdict": "intentional", "rule": "handed_voice"},
            {"step": 6, "verdict": "drive_by", "rule": "unsolicited_reply"},
        ],
    )


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ("pubic", "unknown fact 'pubic' (did you mean public?)"),
        ({"ticket_has_tag": 3}, "ticket_has_tag.tags: expected a list of tags"),
        ({"author_takes_ticket": {"within": "soon"}}, "author_takes_ticket.within: expected a duration"),
        ({"any": []}, "any: expected a list of at least one condition"),
        ({"author_added_as": {"followers": True}}, "author_added_as.followers: unknown parameter"),
        ({"text_matches": "("}, "text_matches.pattern: not a valid pattern"),
        ({"public": {"x": 1}}, "public: takes no parameters"),
    ],
)
def test_a_condition_that_cannot_be_read_says_where_and_what(condition: Any, problem: str) -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition(condition, "when")
    assert problem in str(info.value)


def test_a_list_that_can_leave_a_comment_unjudged_or_a_rule_that_never_matches_is_refused() -> None:
    no_catch_all = [r for r in RULES if r["id"] != "unsolicited_reply"]
    with pytest.raises(PolicyError) as info:
        policy_from_mapping(_with(no_catch_all), "team.yaml")
    assert "no rule holds for every comment" in str(info.value) and "always" in str(info.value)
    shadowed = [*RULES, {**rule("internal_note"), "id": "late_note"}]
    with pytest.raises(PolicyError) as info:
        policy_from_mapping(_with(shadowed), "team.yaml")
    assert "rules[7] (late_note) can never match: rules[6] (unsolicited_reply)" in str(info.value)
    unknown = [*RULES[:-1], {**rule("unsolicited_reply"), "when": {"all": ["public", "sometimes"]}}]
    with pytest.raises(PolicyError) as info:
        policy_from_mapping(_with(unknown), "team.yaml")
    assert "unknown fact 'sometimes'" in str(info.value)


def test_a_handbook_says_each_rules_condition_in_words() -> None:
    handbook = render_handbook(load_policy(), run_suite(load_policy()))
    assert "**Holds when:**" in handbook
    assert "the ticket carries the tag `needs_collaboration`, added by someone other than the author" in handbook
    assert "the customer has waited at least 75% of the reply target" in handbook


def test_the_report_counts_a_teams_own_rules_in_its_order_with_its_titles() -> None:
    """Metrics read the rules from the policy: a custom intentional rule is intentional help, listed in the
    policy's order under its own title."""
    from intently.report.metrics import build_metrics

    pod_voice = {
        **POD_VOICE,
        "when": {"all": ["public", "author_in_assignees_pod", {"contributor_voices": {"at_most": 0}}]},
    }
    rules = [*RULES[:-1], pod_voice, rule("unsolicited_reply")]
    policy = policy_from_mapping(
        {
            **_with(rules),
            "organisation": {"pods": {"x": {"members": ["ana@example.com", "pip@example.com"], "tags": []}}},
        }
    )
    scenario = _scenario(
        [*START, {"at": "+1h", "by": "pip", "reply": "A workaround."}, {"at": "+1h", "by": "ben", "reply": "Hm."}],
        [{"step": 4, "rule": "pod_voice"}, {"step": 5, "rule": "unsolicited_reply"}],
    )
    result = run_scenario(scenario, policy)
    assert result.passed
    metrics = build_metrics(
        result.judgements.values(),
        scenario.directory.users,
        policy_name=policy.name,
        policy_version=policy.version,
        policy=policy,
    )
    assert list(metrics.by_rule) == list(policy.rule_ids)  # every rule, in the policy's order
    assert (metrics.by_rule["pod_voice"], metrics.by_rule["unsolicited_reply"]) == (1, 1)
    assert metrics.rule_titles["pod_voice"] == "A second voice from the assignee's pod"
    pip = next(e for e in metrics.engineers if e.name == "Pip Okafor")
    assert pip.intentional_help == 1 and pip.help_by_rule["pod_voice"] == 1
