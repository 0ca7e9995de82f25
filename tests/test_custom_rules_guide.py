"""The guide, the explanation and the comparison read the policy's own list of rules: the intentional path of
check-reply, the sidebar and write-back (which rules would make a reply intentional, and what the agent can do to
get there, each step confirmed by the engine), the timeline of ``explain`` and ``policy compare`` for a proposal
that adds, removes or reorders rules. With the team definitions of tests/test_rules_as_data.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from intently.engine import judge_ticket
from intently.engine.compare import changed_judgements, compare_policies, rule_changes
from intently.engine.explain import timeline
from intently.guide.advice import ASK_ID, check_reply, history_before, intentional_path, judge_reply
from intently.model import Event, TagsChange, TicketHistory
from intently.policy import Policy, load_policy
from intently.policy.handbook.scenarios import Scenario, scenario_from_data
from intently.policy.loader import merged, policy_from_mapping, validate_policy
from tests.team_rules import (
    EXPORTS_POD,
    HANDED,
    NOTES_FIRST,
    PAIRING,
    PEOPLE,
    POD_VOICE,
    RULES,
    START,
    before_last,
    rule,
)

DEFAULT_POLICY = load_policy()
PAIRING_POLICY = policy_from_mapping({"rules": before_last(PAIRING)}, "team.yaml")
POD_POLICY = policy_from_mapping(
    {
        "rules": before_last(POD_VOICE),
        "organisation": EXPORTS_POD,
    },
    "team.yaml",
)
NOTES_FIRST_POLICY = policy_from_mapping({"rules": [rule(i) for i in NOTES_FIRST]}, "team.yaml")
HANDED_POLICY = policy_from_mapping({"rules": before_last(HANDED)}, "team.yaml")

FOLLOW_UP = {"at": "+30m", "by": "casey", "comment": "Any news?"}  # 09:45 UTC: the customer is waiting
MORNING = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)  # Ana (EMEA) on shift


def _scenario(timeline: list[dict[str, Any]], priority: str = "normal", ticket_id: int = 1) -> Scenario:
    return scenario_from_data(
        {
            "id": "team",
            "title": "a team's example",
            "people": PEOPLE,
            "ticket": {"id": ticket_id, "requester": "casey", "priority": priority, "preferred_region": "emea"},
            "timeline": timeline,
            "expect": [],
        }
    )


def _check(policy: Policy, scenario: Scenario, who: str, at: datetime = MORNING) -> dict[str, Any]:
    answer = check_reply(scenario.history, scenario.directory.users, policy, scenario.handles[who], True, at)
    assert answer is not None
    return answer


def _steps(answer: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(step["action"], step["verdict"], step["rule"]) for step in answer["intentional_path"]]


def _closed(answer: dict[str, Any]) -> dict[str, str]:
    return {closed["rule"]: closed["why"] for closed in answer["not_open"]}


def _judged(policy: Policy, scenario: Scenario, who: str, at: datetime, before: tuple[Event, ...] = ()) -> str:
    judged = judge_reply(
        scenario.history, scenario.directory.users, policy, scenario.handles[who], True, at, before=before
    )
    assert judged is not None
    return f"{judged.verdict}/{judged.rule}"


# --- the intentional path -----------------------------------------------------------------------------------


def test_the_default_policy_gives_the_path_it_always_gave() -> None:
    answer = _check(DEFAULT_POLICY, _scenario(START), "pip")
    assert (answer["verdict"], answer["rule"]) == ("drive_by", "unsolicited_reply")
    assert [step["description"] for step in answer["intentional_path"]] == [
        "Leave an internal note with what you found instead of a public reply; Ana Lee keeps the ticket and answers "
        "the customer.",
        "Ask the assignee: ask Ana Lee to add the needs_collaboration tag before you reply.",
        "Request a handover: ask Ana Lee to hand the ticket over and be assigned in the same update or within 30m "
        "after replying; you own the reply.",
    ]
    assert _steps(answer) == [
        ("internal_note", "intentional", "internal_note"),
        ("ask_assignee", "intentional", "solicited"),
        ("request_handover", "ownership_change", "ownership"),
    ]
    assert answer["intentional_path"][1]["title"] == "Asked to help"
    # cover is the one rule that would make the reply intentional but is not open: nobody is waiting
    assert _closed(answer) == {"coverage": "does not hold now: no customer comment is waiting for a reply"}
    # not a drive-by: no path
    note = check_reply(_scenario(START).history, _scenario(START).directory.users, DEFAULT_POLICY, 4, False, MORNING)
    assert note is not None and note["intentional_path"] == [] and note["not_open"] == []


def test_a_tag_rule_of_the_team_is_a_way_to_ask_and_the_engine_agrees() -> None:
    scenario = _scenario(START)
    answer = _check(PAIRING_POLICY, scenario, "pip")
    assert _steps(answer) == [
        ("internal_note", "intentional", "internal_note"),
        ("ask_assignee", "intentional", "solicited"),
        ("ask_assignee", "intentional", "pairing"),
        ("request_handover", "ownership_change", "ownership"),
    ]
    pairing = answer["intentional_path"][2]
    assert pairing["description"] == "Ask the assignee: ask Ana Lee to add the pairing_session tag before you reply."
    assert pairing["title"] == "Pairing session"
    # doing what the step says: the engine judges it as the step said
    tag = TagsChange(id=ASK_ID, at=MORNING, actor=scenario.handles["ana"], update=ASK_ID, added=("pairing_session",))
    assert _judged(PAIRING_POLICY, scenario, "pip", MORNING + timedelta(minutes=1), (tag,)) == "intentional/pairing"


def test_facts_the_agent_cannot_change_close_a_rule_and_say_what_does_not_hold() -> None:
    ben = _check(POD_POLICY, _scenario(START), "ben")
    assert "pod_voice" not in {rule for _, _, rule in _steps(ben)}
    assert _closed(ben)["pod_voice"] == "does not hold now: Ben Ortiz is not in Ana Lee's pod"

    second = _scenario([*START, {"at": "+1h", "by": "pip", "reply": "A workaround: export in two parts."}])
    pip = _check(POD_POLICY, second, "pip", datetime(2026, 3, 3, 11, 0, tzinfo=UTC))
    assert _closed(pip)["pod_voice"] == "does not hold now: 1 contributor has replied publicly before"


def test_a_rule_that_holds_later_says_from_when_and_the_engine_agrees() -> None:
    """Pip, in Ana's pod, at 21:00 Amsterdam: the pod's second voice opens again when Ana's shift starts."""
    scenario = _scenario(START)
    evening = datetime(2026, 3, 3, 20, 0, tzinfo=UTC)
    answer = _check(POD_POLICY, scenario, "pip", evening)
    assert "pod_voice" not in {rule for _, _, rule in _steps(answer)}  # not a step: nothing to do but wait
    (later,) = [closed for closed in answer["not_open"] if closed["rule"] == "pod_voice"]
    assert later == {
        "rule": "pod_voice",
        "title": "A second voice from the assignee's pod",
        "verdict": "intentional",
        "why": "open from 2026-03-04 07:00 UTC: by then Ana Lee is within EMEA business hours",
        "opens_at": "2026-03-04T07:00:00Z",
    }
    assert _judged(POD_POLICY, scenario, "pip", datetime(2026, 3, 4, 7, 0, tzinfo=UTC)) == "intentional/pod_voice"
    assert _judged(POD_POLICY, scenario, "pip", datetime(2026, 3, 4, 6, 59, tzinfo=UTC)) == "drive_by/unsolicited_reply"


@pytest.mark.parametrize(
    ("priority", "cover_from"),
    [
        # 75% of the 24h next-reply target after the 09:45 follow-up, when Ana is off shift already
        ("normal", datetime(2026, 3, 4, 3, 45, tzinfo=UTC)),
        # 75% of 4h is reached at 12:45, while Ana is on shift: cover from the end of her shift (18:00 Amsterdam)
        ("urgent", datetime(2026, 3, 3, 17, 0, tzinfo=UTC)),
    ],
)
def test_the_path_says_when_cover_becomes_possible(priority: str, cover_from: datetime) -> None:
    scenario = _scenario([*START, FOLLOW_UP], priority)
    answer = _check(DEFAULT_POLICY, scenario, "pip")
    assert [action for action, _, _ in _steps(answer)] == ["internal_note", "ask_assignee", "request_handover"]
    (cover,) = answer["not_open"]
    assert (cover["rule"], cover["opens_at"]) == ("coverage", cover_from.isoformat().replace("+00:00", "Z"))
    assert cover["why"] == (
        f"open from {cover_from:%Y-%m-%d %H:%M} UTC: by then Ana Lee is outside EMEA business hours and the customer "
        "will have waited 75% of the reply target, if nobody has answered the customer before"
    )
    assert _judged(DEFAULT_POLICY, scenario, "pip", cover_from) == "intentional/coverage"
    assert _judged(DEFAULT_POLICY, scenario, "pip", cover_from - timedelta(minutes=1)) == "drive_by/unsolicited_reply"


def test_without_coverage_and_with_notes_first_the_path_follows_the_list() -> None:
    answer = _check(NOTES_FIRST_POLICY, _scenario([*START, FOLLOW_UP]), "pip")
    assert _steps(answer) == [
        ("internal_note", "intentional", "internal_note"),
        ("ask_assignee", "intentional", "solicited"),
        ("request_handover", "ownership_change", "ownership"),
    ]
    assert answer["not_open"] == []  # no cover to wait for: the rule is gone


def test_being_handed_the_reply_is_a_way_the_assignee_can_ask() -> None:
    answer = _check(HANDED_POLICY, _scenario(START), "ben")
    handed = next(step for step in answer["intentional_path"] if step["rule"] == "handed_voice")
    assert handed["action"] == "ask_assignee" and handed["verdict"] == "intentional"
    assert handed["description"] == (
        "Ask the assignee: ask Ana Lee to hand you the reply in an internal note that names you, before you reply."
    )
    # on an unassigned ticket nobody can hand it over: the rule is not open, and says why
    unassigned = _check(HANDED_POLICY, _scenario([START[0], {"at": "+5m", "by": "ana", "reply": "Hi"}]), "ben")
    assert _steps(unassigned) == [
        ("internal_note", "intentional", "internal_note"),
        ("request_handover", "ownership_change", "ownership"),
    ]
    assert _closed(unassigned)["handed_voice"] == ("does not hold now: there is no assignee to ask")


def test_a_rule_that_needs_two_things_gets_a_step_of_two_and_the_order_of_the_list_is_respected() -> None:
    paired_note = {
        "id": "paired_note",
        "verdict": "intentional",
        "title": "A note in a pairing session",
        "rationale": "Notes in a pairing session count for the pairing.",
        "when": {"all": ["internal", {"ticket_has_tag": ["pairing_session"]}]},
    }
    first = [r for r in RULES if r["id"] != "internal_note"]
    first.insert(first.index(rule("solicited")) + 1, paired_note)
    first.insert(first.index(paired_note) + 1, rule("internal_note"))
    policy = policy_from_mapping({"rules": first}, "team.yaml")
    answer = _check(policy, _scenario(START), "pip")
    step = next(step for step in answer["intentional_path"] if step["rule"] == "paired_note")
    assert step["action"] == "ask_assignee" and step["description"] == (
        "Ask Ana Lee to add the pairing_session tag before you reply; then leave an internal note instead of a public "
        "reply."
    )
    # after internal_note, the same rule is never reached: the engine would judge the note by internal_note
    late = policy_from_mapping({"rules": before_last(paired_note)}, "team.yaml")
    answer = _check(late, _scenario(START), "pip")
    assert "paired_note" not in {rule for _, _, rule in _steps(answer)}
    assert _closed(answer)["paired_note"] == (
        "rule internal_note (Internal note) is tried first and judges the reply intentional"
    )


def test_a_rule_that_holds_behind_a_drive_by_rule_is_not_promised() -> None:
    rules = [r for r in RULES if r["id"] != "unsolicited_reply"] + [PAIRING, rule("unsolicited_reply")]
    rules.remove(PAIRING)
    rules.insert(rules.index(rule("unowned_reply")) + 1, PAIRING)  # after the drive-by on an unowned ticket
    policy = policy_from_mapping({"rules": rules}, "team.yaml")
    scenario = _scenario([START[0], {"at": "+5m", "by": "lena", "tag": "pairing_session"}])
    answer = _check(policy, scenario, "pip")
    assert (answer["verdict"], answer["rule"]) == ("drive_by", "unowned_reply")
    assert _closed(answer)["pairing"] == (
        "it holds, but rule unowned_reply (Reply on an unowned ticket) is tried first and judges the reply a drive-by"
    )


def test_the_path_that_was_open_starts_from_the_ticket_as_it_was() -> None:
    """A reply on a ticket nobody owned then, assigned to Ana later: write-back does not say to ask Ana."""
    scenario = _scenario(
        [START[0], {"at": "+5m", "by": "pip", "reply": "Hi Casey."}, {"at": "+1h", "by": "lena", "assign": "ana"}]
    )
    history = TicketHistory(
        ticket=replace(scenario.history.ticket, assignee_id=scenario.handles["ana"]), events=scenario.history.events
    )
    reply = scenario.comment_at_step(2)
    before = history_before(history, reply.id)
    assert before is not None
    steps = intentional_path(before[0], scenario.directory.users, DEFAULT_POLICY, scenario.handles["pip"], before[1])
    assert [(s.action, s.description) for s in steps] == [
        ("internal_note", "Leave an internal note with what you found instead of a public reply."),
        (
            "request_handover",
            "Take the ticket: assign it to yourself in the same update or within 30m after replying; you own the "
            "reply.",
        ),
    ]


def test_write_back_names_the_teams_rules_in_the_path_that_was_open() -> None:
    import intently.web  # noqa: F401 - write_back is imported through the server (importing it first is circular)
    from intently.zendesk.live.write_back import note_text

    scenario = _scenario([*START, {"at": "+1h", "by": "ben", "reply": "Hi Casey, try 4.3."}])
    policy = HANDED_POLICY
    users = scenario.directory.users
    judged = judge_ticket(scenario.history, users, policy).judgements
    judgement = next(j for j in judged if j.author_id == scenario.handles["ben"])
    assert judgement.verdict == "drive_by"
    text = note_text(scenario.history, users, policy, judgement)
    assert "in an internal note that names you, before you reply. (judged intentional, rule handed_voice)" in text
    before = history_before(scenario.history, judgement.comment_id)
    assert before is not None
    steps = intentional_path(before[0], users, policy, judgement.author_id, before[1])
    assert [step.rule for step in steps] == ["internal_note", "solicited", "handed_voice", "ownership"]


# --- explain --------------------------------------------------------------------------------------------------


def test_the_timeline_shows_the_teams_rule_by_id_title_and_reason() -> None:
    scenario = _scenario(
        [
            *START,
            {"at": "+1h", "by": "ana", "note": "Pip Okafor knows this connector best: Pip, please answer Casey."},
            {"at": "+20m", "by": "pip", "reply": "Hi Casey, the connector needs 4.2."},
        ]
    )
    entries = timeline(scenario.history, scenario.directory.users, HANDED_POLICY)
    pip = next(e for e in entries if e.judgement is not None and e.judgement.author_id == scenario.handles["pip"])
    assert pip.judgement is not None and pip.judgement.rule == "handed_voice" and pip.rule_title == "Handed the reply"
    assert pip.decided is not None and pip.decided.startswith("intentional by rule handed_voice (Handed the reply): ")
    assert "Ana Lee named Pip Okafor in an internal note" in pip.decided
    assert next(e for e in entries if e.judgement is None).decided is None


# --- policy compare -----------------------------------------------------------------------------------------


def _proposal(current: Policy, rules: list[dict[str, Any]]) -> Policy:
    """A proposal file holding a list of rules, read over the current policy as ``policy compare`` reads it."""
    return validate_policy(merged(current.model_dump(), {"rules": rules}, "proposal.yaml"), "proposal.yaml")


def test_compare_a_proposal_that_adds_arule() -> None:
    paired = _scenario(
        [*START, {"at": "+1h", "by": "ana", "tag": "pairing_session"}, {"at": "+5m", "by": "pip", "reply": "Hi!"}]
    )
    plain = _scenario([*START, {"at": "+1h", "by": "pip", "reply": "Hi!"}], ticket_id=2)
    histories = [paired.history, plain.history]
    users = paired.directory.users
    proposed = _proposal(DEFAULT_POLICY, before_last(PAIRING))
    comparison = compare_policies(histories, users, DEFAULT_POLICY, proposed)
    assert (comparison.tickets, comparison.judgements, comparison.changed, comparison.tickets_changed) == (2, 4, 1, 1)
    assert comparison.rules.added == ("pairing",) and comparison.rules.describe() == ["added: pairing"]
    assert comparison.titles["pairing"] == "Pairing session"
    assert comparison.sorted_transitions() == [(("drive_by", "unsolicited_reply"), ("intentional", "pairing"), 1, [1])]
    (change,) = changed_judgements(histories, users, DEFAULT_POLICY, proposed)
    assert (change.ticket_id, change.comment_id) == (1, paired.comment_at_step(5).id)
    assert (change.current, change.proposed) == (("drive_by", "unsolicited_reply"), ("intentional", "pairing"))
    assert "Ana Lee added the pairing_session tag" in change.proposed_reason


def test_compare_a_proposal_that_removes_and_reorders_rules() -> None:
    covered = _scenario([*START, FOLLOW_UP, {"at": "2026-03-04T04:00:00Z", "by": "pip", "reply": "Hi Casey."}])
    asked = _scenario(
        [*START, {"at": "+1h", "by": "ana", "follow": "pip"}, {"at": "+5m", "by": "pip", "note": "It times out."}],
        ticket_id=2,
    )
    histories = [covered.history, asked.history]
    users = covered.directory.users
    proposed = _proposal(DEFAULT_POLICY, [rule(i) for i in NOTES_FIRST])
    assert proposed.rule_ids == tuple(NOTES_FIRST)
    changes = rule_changes(DEFAULT_POLICY, proposed)
    assert (changes.added, changes.removed, changes.moved, changes.changed) == ((), ("coverage",), ("solicited",), ())
    found = [
        (c.ticket_id, c.comment_id, c.current, c.proposed)
        for c in changed_judgements(histories, users, DEFAULT_POLICY, proposed)
    ]
    assert found == [
        (1, covered.comment_at_step(5).id, ("intentional", "coverage"), ("drive_by", "unsolicited_reply")),
        (2, asked.comment_at_step(5).id, ("intentional", "solicited"), ("intentional", "internal_note")),
    ]
    comparison = compare_policies(histories, users, DEFAULT_POLICY, proposed)
    assert comparison.changed == 2 and comparison.tickets_changed == 2
    assert comparison.proposed_verdicts["drive_by"] == comparison.current_verdicts["drive_by"] + 1
    assert comparison.titles["coverage"] == "Covering for an unavailable assignee"  # a removed rule keeps its title
    # the same proposal written as changes by id (coverage switched off) changes the same coverage judgement
    off = validate_policy(merged(DEFAULT_POLICY.model_dump(), {"rules": {"coverage": {"enabled": False}}}, "p"), "p")
    assert rule_changes(DEFAULT_POLICY, off).changed == ("coverage",)
    (change,) = changed_judgements([covered.history], users, DEFAULT_POLICY, off)
    assert change.proposed == ("drive_by", "unsolicited_reply")
