"""The words of a judgement's reason, as ``intently explain``, the API and the pages show them: the lead said once,
one level of brackets, counts that agree with their nouns. With the team definitions of tests/team_rules.py."""

from __future__ import annotations

import re
from typing import Any

from intently.engine import judge_ticket
from intently.policy import Policy, load_policy
from intently.policy.conditions import fact_words, parse_condition
from intently.policy.handbook.scenarios import scenario_from_data
from intently.policy.loader import policy_from_mapping
from intently.policy.messages import counted
from tests.team_rules import EXPORTS_POD, PAIRING, PEOPLE, POD_VOICE, START, before_last

DEFAULT = load_policy()
POD_POLICY = policy_from_mapping({"rules": before_last(POD_VOICE), "organisation": EXPORTS_POD}, "team.yaml")
NESTED = re.compile(r"\([^()]*\(")
ASKED_THEN_REPLY = ({"at": "+5m", "by": "ana", "tag": "pairing_session"}, {"at": "+5m", "by": "pip", "reply": "Hi"})
"""Ana asks for a pairing session, then Pip replies publicly."""


def _reasons(policy: Policy, *more: dict[str, Any], timeline: list[dict[str, Any]] | None = None) -> list[str]:
    ticket = {"id": 1, "requester": "casey", "priority": "normal", "preferred_region": "emea"}
    scenario = scenario_from_data(
        {
            "id": "words",
            "title": "words",
            "people": PEOPLE,
            "ticket": ticket,
            "timeline": timeline if timeline is not None else [*START, *more],
            "expect": [],
        }
    )
    return [j.reason for j in judge_ticket(scenario.history, scenario.directory.users, policy).judgements]


def test_a_reason_names_the_reply_and_its_author_once() -> None:
    policy = policy_from_mapping({"rules": before_last(PAIRING)}, "team.yaml")
    reasons = _reasons(policy, *ASKED_THEN_REPLY)
    assert reasons[-1] == (
        "Pip Okafor was asked to help before this public reply: Ana Lee added the pairing_session tag at "
        "2026-03-03 09:20 UTC."
    )
    # with more than one fact, the lead comes once, then the facts
    two = {
        **PAIRING,
        "id": "pairing_urgent",
        "when": {"all": ["public", {"ticket_has_tag": ["pairing_session"]}, {"priority": ["normal"]}]},
    }
    policy = policy_from_mapping({"rules": before_last(two)}, "team.yaml")
    reasons = _reasons(policy, *ASKED_THEN_REPLY)
    assert reasons[-1] == (
        "Public reply by Pip Okafor: Pip Okafor was asked to help before this public reply: Ana Lee added the "
        "pairing_session tag at 2026-03-03 09:20 UTC; the priority was normal."
    )


def test_a_drive_by_says_what_was_missing_in_one_level_of_brackets() -> None:
    waiting = {"at": "+30m", "by": "casey", "comment": "Any news?"}
    reasons = _reasons(DEFAULT, waiting, {"at": "+20m", "by": "pip", "reply": "Hi Casey."})
    drive_by = reasons[-1]
    assert "not taking the ticket (no assignment to Pip Okafor within 30m);" in drive_by
    unassigned = _reasons(DEFAULT, timeline=[START[0], {"at": "+2h", "by": "pip", "reply": "Hi Casey."}])[-1]
    assert "not covering for an unavailable assignee (the ticket was unassigned)." in unassigned
    night = _reasons(
        DEFAULT, {"at": "+10h", "by": "casey", "comment": "Any news?"}, {"at": "+1h", "by": "ben", "reply": "Hi"}
    )
    assert night[-1].endswith(
        "not covering for an unavailable assignee (the customer had waited 1h since the customer's comment, 4% of "
        "the 24h next-reply target for normal priority, short of the 75% needed)."
    )
    for reason in [*reasons, unassigned, *night]:
        assert not NESTED.search(reason), reason


def test_counts_agree_with_their_nouns() -> None:
    assert [counted(n, "contributor") for n in (0, 1, 2)] == ["0 contributors", "1 contributor", "2 contributors"]
    assert counted(3000, "person", "people") == "3,000 people"
    second = {"at": "+1h", "by": "pip", "reply": "A workaround: export in two parts."}
    reasons = _reasons(POD_POLICY, second, {"at": "+30m", "by": "pip", "reply": "And the fix ships tomorrow."})
    assert reasons[-2].endswith("0 contributors had replied publicly before.")
    assert "not a second voice from the assignee's pod (1 contributor had replied publicly before)" in reasons[-1]
    bounds = ({"at_most": 0}, {"at_most": 1}, {"at_least": 1}, {"at_least": 1, "at_most": 2})
    words = [fact_words(parse_condition({"contributor_voices": bound})) for bound in bounds]  # type: ignore[arg-type]
    assert words == [
        "no contributors (not the assignee) replied publicly before the comment",
        "at most 1 contributor (not the assignee) replied publicly before the comment",
        "at least 1 contributor (not the assignee) replied publicly before the comment",
        "1 to 2 contributors (not the assignee) replied publicly before the comment",
    ]
