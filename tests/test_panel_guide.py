"""What the panel before a reply says first, what it shows the coverage rule looks at, and which one-click actions
it offers: all read from the engine under the policy in force (check-reply's ``headline``, ``coverage`` and
``actions``), with the scenarios' people of tests/team_rules.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from intently.engine import judge_ticket
from intently.guide.advice import Paths, check_reply, headline
from intently.policy import Policy, load_policy
from intently.policy.handbook.scenarios import Scenario, scenario_from_data
from intently.policy.loader import policy_from_mapping
from tests.team_rules import EXPORTS_POD, PEOPLE, POD_VOICE, START, before_last

DEFAULT = load_policy()
TUESDAY_MORNING = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)  # 11:30 in Amsterdam: Ana (EMEA) on shift
TUESDAY_NIGHT = datetime(2026, 3, 3, 21, 30, tzinfo=UTC)  # 22:30 in Amsterdam


def _scenario(*more: dict[str, Any]) -> Scenario:
    ticket = {"id": 1, "requester": "casey", "priority": "normal", "preferred_region": "emea"}
    return scenario_from_data(
        {
            "id": "panel",
            "title": "the panel",
            "people": PEOPLE,
            "ticket": ticket,
            "timeline": [*START, *more],
            "expect": [],
        }
    )


def _check(scenario: Scenario, who: str, at: datetime, policy: Policy = DEFAULT, public: bool = True) -> Any:
    answer = check_reply(scenario.history, scenario.directory.users, policy, scenario.handles[who], public, at)
    assert answer is not None
    return answer


def test_a_drive_by_leads_with_the_first_thing_to_do_instead() -> None:
    answer = _check(_scenario(), "pip", TUESDAY_MORNING)
    assert answer["verdict"] == "drive_by"
    assert (
        answer["headline"] == "A public reply now would be a drive-by: ask Ana Lee first (or leave an internal note)."
    )


def test_the_headline_names_the_rule_of_an_intentional_reply_and_the_assignees_own_work() -> None:
    asked = _scenario({"at": "+5m", "by": "ana", "tag": "needs_collaboration"})
    assert _check(asked, "pip", TUESDAY_MORNING)["headline"] == (
        "A public reply now would be intentional collaboration (asked to help)."
    )
    note = _check(_scenario(), "pip", TUESDAY_MORNING, public=False)
    assert note["headline"] == "An internal note now would be intentional collaboration (internal note)."
    own = _check(_scenario(), "ana", TUESDAY_MORNING)
    assert own["headline"] == "A public reply now would be your own work as the assignee."
    assert headline(True, "ownership_change", "Taking the ticket", Paths(), "Ana Lee") == (
        "A public reply now would be taking the ticket."  # the rule's title is not said twice
    )


def test_coverage_shows_the_assignees_local_time_and_shift() -> None:
    morning = _check(_scenario(), "pip", TUESDAY_MORNING)["coverage"]["assignee"]
    assert morning["local_time"] == "Tue 11:30" and morning["time_zone"] == "Europe/Amsterdam"
    assert morning["on_shift"] is True and morning["region"] == "EMEA"
    assert morning["said"].startswith("Ana Lee is within EMEA business hours")
    night = _check(_scenario(), "pip", TUESDAY_NIGHT)["coverage"]["assignee"]
    assert night["local_time"] == "Tue 22:30" and night["on_shift"] is False
    assert night["said"].startswith("Ana Lee is outside EMEA business hours")


def test_coverage_says_until_when_the_assignee_is_out_of_office() -> None:
    away = {"out_of_office": [{"agent": "ana@example.com", "start": "2026-03-03", "end": "2026-03-05"}]}
    policy = policy_from_mapping({"organisation": away}, "team.yaml")
    said = _check(_scenario(), "pip", TUESDAY_MORNING, policy)["coverage"]["assignee"]
    assert said["on_shift"] is False and said["out_of_office_until"].startswith("2026-03-05T23:59:59")
    assert said["said"] == "Ana Lee is out of office until Fri 6 Mar 00:59."  # the end of the 5th, UTC, in Amsterdam


def test_coverage_counts_the_customers_wait_against_the_reply_target() -> None:
    waiting = _scenario({"at": "+30m", "by": "casey", "comment": "Any news?"})  # 09:45 UTC
    customer = _check(waiting, "pip", datetime(2026, 3, 3, 12, 45, tzinfo=UTC))["coverage"]["customer"]
    target = DEFAULT.reply_target("normal").next
    assert customer["waited_minutes"] == 180 and customer["target_minutes"] == target.total_seconds() // 60
    assert customer["first_reply"] is False and customer["waiting_since"] == "2026-03-03T09:45:00Z"
    assert customer["share"] == round(180 / (target.total_seconds() / 60), 3)
    assert customer["said"].startswith("The customer has waited 3h of the ")
    answered = _check(_scenario(), "pip", TUESDAY_MORNING)["coverage"]["customer"]
    assert answered == {"said": "Nobody is waiting for a reply: the last word on the ticket is an agent's."}


def test_actions_the_assignee_asks_with_the_policys_tag_and_anyone_else_writes_to_the_assignee() -> None:
    assert _check(_scenario(), "ana", TUESDAY_MORNING)["actions"] == [
        {"kind": "add_tag", "tag": "needs_collaboration", "label": "Ask for help: add the needs_collaboration tag"}
    ]
    tagged = _scenario({"at": "+5m", "by": "ana", "tag": "needs_collaboration"})
    assert _check(tagged, "ana", TUESDAY_MORNING)["actions"] == []  # already asking
    other_tag = policy_from_mapping(
        {"rules": {"solicited": {"when": {"all": ["public", {"ticket_has_tag": ["pairing"]}]}}}}, "team.yaml"
    )
    assert _check(_scenario(), "ana", TUESDAY_MORNING, other_tag)["actions"][0]["tag"] == "pairing"
    (note,) = _check(_scenario(), "pip", TUESDAY_MORNING)["actions"]
    assert note["kind"] == "internal_note" and note["label"] == "Ask Ana Lee in an internal note"
    assert note["text"].startswith("@Ana Lee ")


def _unassigned(*more: dict[str, Any]) -> Scenario:
    """The customer's ticket before anyone has taken it."""
    ticket = {"id": 1, "requester": "casey", "priority": "normal", "preferred_region": "emea"}
    return scenario_from_data(
        {"id": "new", "title": "new", "people": PEOPLE, "ticket": ticket, "timeline": [START[0], *more], "expect": []}
    )


def test_on_an_unassigned_ticket_the_way_is_to_take_it() -> None:
    scenario = _unassigned()
    answer = _check(scenario, "pip", TUESDAY_MORNING)
    assert (answer["verdict"], answer["rule"]) == ("drive_by", "unowned_reply")
    assert answer["headline"] == (
        "A public reply now would be a drive-by: take the ticket first (assign it to yourself), or leave an internal "
        "note."
    )
    take = next(step for step in answer["intentional_path"] if step["action"] == "request_handover")
    assert take["description"] == (
        "Take the ticket: assign it to yourself in the same update or within 30m after replying; you own the reply."
    )
    assert answer["actions"] == [
        {
            "kind": "take_ticket",
            "label": "Take the ticket: assign it to yourself",
            "assignee_id": scenario.handles["pip"],
        }
    ]
    assert "nobody" not in json.dumps(answer).lower()
    # with nothing open now, the reply is left to whoever takes the ticket (there is nobody to name)
    assert headline(True, "drive_by", "", Paths(), None) == (
        "A public reply now would be a drive-by: leave it to whoever takes the ticket."
    )


def test_on_an_unassigned_ticket_the_facts_about_the_assignee_say_there_is_none_once() -> None:
    pod = policy_from_mapping({"rules": before_last(POD_VOICE), "organisation": EXPORTS_POD}, "team.yaml")
    answer = _check(_unassigned(), "pip", TUESDAY_MORNING, pod)
    closed = {item["rule"]: item["why"] for item in answer["not_open"]}
    assert closed["pod_voice"] == "does not hold now: the ticket is unassigned"  # not "in nobody's pod"
    assert closed["coverage"] == "does not hold now: the ticket is unassigned"  # said once, not twice
    assert answer["reason"].endswith("not covering for an unavailable assignee (the ticket is unassigned).")
    assert "nobody" not in json.dumps(answer).lower()


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (
            "closed",
            "This ticket is closed: Zendesk adds nothing to a closed ticket, so you would write on a follow-up ticket.",
        ),
        ("solved", "This ticket is solved: the customer has been told it is done, and an answer from them reopens it."),
    ],
)
def test_the_headline_says_first_that_the_ticket_is_closed_or_solved(status: str, said: str) -> None:
    done = _scenario({"at": "+1h", "by": "ana", "status": status})
    answer = _check(done, "pip", TUESDAY_MORNING)
    assert answer["ticket_status"] == status
    assert answer["headline"] == f"{said} A public reply now would be a drive-by: ask Ana Lee first (or leave an " + (
        "internal note)."
    )
    note = _check(done, "pip", TUESDAY_MORNING, public=False)
    assert note["headline"].startswith(said + " An internal note now would be")
    reopened = _scenario({"at": "+1h", "by": "ana", "status": status}, {"at": "+2h", "by": "casey", "status": "open"})
    open_again = _check(reopened, "pip", datetime(2026, 3, 3, 12, 30, tzinfo=UTC))
    assert open_again["ticket_status"] == "open" and open_again["headline"].startswith("A public reply now")


def test_the_guide_speaks_of_the_reply_in_the_present_and_explain_of_a_comment_in_the_past() -> None:
    own = _check(_scenario(), "ana", TUESDAY_MORNING)
    assert own["reason"] == "Ana Lee is the assignee."
    waiting = _scenario({"at": "+30m", "by": "casey", "comment": "Any news?"})  # 09:45 UTC
    ahead = _check(waiting, "pip", TUESDAY_MORNING)
    assert "not covering for an unavailable assignee (Ana Lee is within EMEA business hours)" in ahead["reason"]
    assert "Pip Okafor has not been added as follower or CC" in ahead["reason"]
    # the same reply, written: explain and the stored judgement keep the past
    written = _scenario(
        {"at": "+30m", "by": "casey", "comment": "Any news?"}, {"at": "+45m", "by": "pip", "reply": "Hi"}
    )
    judged = judge_ticket(written.history, written.directory.users, DEFAULT).judgements
    assert judged[0].reason == "Ana Lee was the assignee when writing this public reply."
    assert "(Ana Lee was within EMEA business hours)" in judged[-1].reason
    assert "Pip Okafor was not added as follower or CC" in judged[-1].reason
