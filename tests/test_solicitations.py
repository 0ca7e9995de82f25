"""Open solicitations: the invitations to help in force on a ticket, as the sidebar lists them.

They must agree with the ``solicited`` rule: an agent is listed as asked exactly when a comment they wrote now
would be judged ``solicited`` (tested on every shipped scenario, cut after every step, for every agent)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from intently.engine import judge_ticket, solicitations
from intently.model import Comment, Id, TicketHistory
from intently.policy import Policy, load_policy
from intently.policy.handbook.scenarios import Scenario, builtin_scenario_dir, effective_policy, load_scenario
from intently.policy.loader import merge, validate_policy

SCENARIOS = sorted(builtin_scenario_dir().glob("*.yaml"))


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def up_to(scenario: Scenario, step: int) -> TicketHistory:
    """The scenario's history as it stood after ``step``."""
    events = tuple(e for e in scenario.history.events if int(e.update) <= step)
    return TicketHistory(ticket=scenario.history.ticket, events=events)


def scenario(name: str) -> Scenario:
    return load_scenario(next(path for path in SCENARIOS if path.name.startswith(name)))


def test_a_mention_is_open_until_the_agent_writes(policy: Policy) -> None:
    case = scenario("09-")
    ana, pip = case.handles["ana"], case.handles["pip"]
    users = case.directory.users

    assert solicitations(up_to(case, 3), users, policy) == ()

    asked = solicitations(up_to(case, 4), users, policy)
    assert len(asked) == 1
    (invitation,) = asked
    assert (invitation.kind, invitation.invitee_id, invitation.asked_by) == ("follower", pip, ana)
    assert invitation.open
    assert invitation.detail.startswith("Ana Lee added Pip Okafor as a follower at 2026-03-02 15:35")

    (answered,) = solicitations(case.history, users, policy)
    assert answered.answered_by == (pip,)
    assert not answered.open


def test_a_tag_asks_anyone_but_its_author_and_ends_when_removed(policy: Policy) -> None:
    case = scenario("08-")
    ana, kai = case.handles["ana"], case.handles["kai"]
    users = case.directory.users

    (tag,) = solicitations(up_to(case, 4), users, policy)
    assert (tag.kind, tag.tag, tag.invitee_id, tag.asked_by) == ("tag", "needs_collaboration", None, ana)
    assert tag.open and tag.asks(kai) and not tag.asks(ana)

    (answered,) = solicitations(up_to(case, 6), users, policy)
    assert answered.answered_by == (kai,)  # Kai's reply and note: one answerer, named once

    assert solicitations(case.history, users, policy) == ()  # Ana removed the tag


def test_adding_yourself_asks_nobody_but_others(policy: Policy) -> None:
    follower = scenario("11-")
    assert solicitations(follower.history, follower.directory.users, policy) == ()

    tagged = scenario("12-")
    sam = tagged.handles["sam"]
    (tag,) = solicitations(up_to(tagged, 5), tagged.directory.users, policy)
    assert tag.asked_by == sam and not tag.asks(sam) and tag.asks(tagged.handles["lena"])
    assert tag.open  # Sam's own reply does not answer his own call for help


def test_none_when_the_policy_does_not_count_solicitations(policy: Policy) -> None:
    case = scenario("09-")
    off = validate_policy(merge(policy.model_dump(), {"rules": {"solicited": {"enabled": False}}}), "test")
    assert solicitations(up_to(case, 4), case.directory.users, off) == ()
    no_followers = validate_policy(merge(policy.model_dump(), {"rules": {"solicited": {"followers": False}}}), "test")
    assert solicitations(up_to(case, 4), case.directory.users, no_followers) == ()


def _judged_now(history: TicketHistory, scenario: Scenario, policy: Policy, agent: Id) -> str | None:
    """The rule the engine gives a public reply by ``agent`` one minute after the history ends."""
    last = max(event.at for event in history.events)
    probe = Comment(
        id="probe", at=last + timedelta(minutes=1), actor=agent, update="probe", via="web", author=agent, public=True
    )
    result = judge_ticket(
        TicketHistory(ticket=history.ticket, events=(*history.events, probe)), scenario.directory.users, policy
    )
    return next((j.rule for j in result.judgements if j.comment_id == "probe"), None)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_listed_as_asked_exactly_when_the_rule_would_say_solicited(path: object, policy: Policy) -> None:
    case = load_scenario(path)  # type: ignore[arg-type]
    rules_policy = effective_policy(case, policy)
    agents = [user.id for user in case.directory.users.values() if user.is_agent]
    steps = sorted({int(event.update) for event in case.history.events})
    for step in steps:
        history = up_to(case, step)
        if not any(isinstance(event, Comment) for event in history.events):
            continue
        listed = solicitations(history, case.directory.users, rules_policy)
        for agent in agents:
            rule = _judged_now(history, case, rules_policy, agent)
            if rule in ("assignee", "ownership", None):
                continue  # earlier rules decide before solicitation is looked at
            assert (rule == "solicited") == any(s.asks(agent) for s in listed), (path, step, agent, rule)
