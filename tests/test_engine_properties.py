"""Properties of the engine over generated ticket histories (hypothesis)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from intently.engine import judge_ticket
from intently.model import (
    AssigneeChange,
    Comment,
    Event,
    FieldChange,
    TagsChange,
    Ticket,
    TicketHistory,
    User,
    WatchersChange,
)
from intently.policy import RULE_IDS, VERDICTS, load_policy

POLICY = load_policy()
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
USERS = {
    1: User(id=1, name="Casey Customer", role="end-user"),
    2: User(id=2, name="Dana Customer", role="end-user"),
    10: User(id=10, name="Ana Lee", role="agent", fields={"support_region": "emea"}),
    11: User(id=11, name="Bo Chen", role="agent", time_zone="Australia/Brisbane"),
    12: User(id=12, name="Pip Okafor", role="admin", time_zone="America/Chicago"),
    13: User(id=13, name="Rae Unknown", role="agent"),
}
PEOPLE = [1, 2, 10, 11, 12, 13, 99]  # 99 is referenced but unknown
AGENTS = [10, 11, 12, 13]

actions = st.one_of(
    st.tuples(st.just("comment"), st.sampled_from(PEOPLE), st.booleans(), st.sampled_from(["web", "email", "rule"])),
    st.tuples(st.just("assign"), st.sampled_from([*AGENTS, None])),
    st.tuples(st.just("follow"), st.sampled_from(AGENTS), st.booleans()),
    st.tuples(st.just("cc"), st.sampled_from(AGENTS), st.booleans()),
    st.tuples(st.just("tag"), st.sampled_from(["needs_collaboration", "billing"]), st.booleans()),
    st.tuples(st.just("priority"), st.sampled_from(["low", "normal", "high", "urgent", None])),
    st.tuples(st.just("region"), st.sampled_from(["amer", "emea", "apac", "all_regions", "mars"])),
)
steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=600), st.sampled_from(PEOPLE), st.lists(actions, min_size=1, max_size=3)
    ),
    min_size=1,
    max_size=25,
)


def build(plan: list) -> TicketHistory:
    events: list[Event] = []
    at = START
    next_id = 0
    for update, (minutes, actor, acts) in enumerate(plan, start=1):
        at = at + timedelta(minutes=minutes)
        for act in acts:
            next_id += 1
            common = {"id": next_id, "at": at, "actor": actor, "update": update}
            kind = act[0]
            if kind == "comment":
                common["via"] = act[3]
                events.append(Comment(**common, author=act[1], public=act[2], body="Thanks, Ana Lee and Pip Okafor"))
            elif kind == "assign":
                events.append(AssigneeChange(**common, assignee=act[1]))
            elif kind in ("follow", "cc"):
                change = {"added": (act[1],)} if act[2] else {"removed": (act[1],)}
                events.append(WatchersChange(**common, kind="follower" if kind == "follow" else "cc", **change))
            elif kind == "tag":
                change = {"added": (act[1],)} if act[2] else {"removed": (act[1],)}
                events.append(TagsChange(**common, **change))
            elif kind == "priority":
                events.append(FieldChange(**common, field="priority", value=act[1]))
            else:
                events.append(FieldChange(**common, field="preferred_region", value=act[1]))
    ticket = Ticket(id=1, created_at=START, requester_id=1)
    return TicketHistory.of(ticket, events)


def agent_comments(history: TicketHistory) -> set:
    """The definition, independently: comments by agents/admins, not the first, not by triggers."""
    comments = [e for e in history.events if isinstance(e, Comment)]
    return {c.id for c in comments[1:] if c.via != "rule" and c.author in USERS and USERS[c.author].is_agent}


@settings(max_examples=300, deadline=None)
@given(steps)
def test_every_agent_comment_gets_exactly_one_judgement(plan: list) -> None:
    history = build(plan)
    result = judge_ticket(history, USERS, POLICY)
    ids = [j.comment_id for j in result.judgements]
    assert len(ids) == len(set(ids))
    assert set(ids) == agent_comments(history)
    for judgement in result.judgements:
        assert judgement.rule in RULE_IDS and judgement.verdict in VERDICTS
        assert judgement.verdict == POLICY.rule(judgement.rule).verdict
        assert judgement.reason.endswith(".") and judgement.evidence
        assert judgement.evidence[0].event_id == judgement.comment_id
        if judgement.rule == "assignee":
            assert judgement.assignee_id == judgement.author_id
        else:
            assert judgement.assignee_id != judgement.author_id
        if judgement.public or judgement.assignee_id == judgement.author_id:
            assert judgement.acknowledged is None
        else:
            assert judgement.acknowledged in (True, False)
        if judgement.rule in ("internal_note",):
            assert not judgement.public
        if judgement.rule in ("coverage", "unowned_reply", "unsolicited_reply"):
            assert judgement.public
    skipped = {s.comment_id for s in result.skipped}
    assert all(e.author == 99 for e in history.events if isinstance(e, Comment) and e.id in skipped)


@settings(max_examples=200, deadline=None)
@given(steps, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(plan: list, rng: random.Random) -> None:
    history = build(plan)
    shuffled = list(history.events)
    rng.shuffle(shuffled)
    reordered = TicketHistory(ticket=history.ticket, events=tuple(shuffled))
    assert judge_ticket(reordered, USERS, POLICY) == judge_ticket(history, USERS, POLICY)


@settings(max_examples=100, deadline=None)
@given(steps)
def test_judging_is_deterministic(plan: list) -> None:
    history = build(plan)
    assert judge_ticket(history, USERS, POLICY) == judge_ticket(history, dict(USERS), POLICY)


@settings(max_examples=100, deadline=None)
@given(steps)
def test_judging_without_the_outcome_changes_no_judgement(plan: list) -> None:
    """``classify`` asks for no outcome (it does not show one): every judgement and skip is the same."""
    history = build(plan)
    whole = judge_ticket(history, USERS, POLICY)
    lean = judge_ticket(history, USERS, POLICY, outcome=False)
    assert whole.outcome is not None and lean.outcome is None
    assert (lean.judgements, lean.skipped) == (whole.judgements, whole.skipped)


def test_a_comment_no_agent_wrote_says_who_did() -> None:
    """The timeline names why a comment is not judged in the words of who wrote it: the customer (the
    requester), another end-user (a CC, or an agent Zendesk downgraded when deleting them), nobody, intently."""
    from intently.engine.explain import timeline
    from intently.model import Ticket

    users = {**USERS, 900: User(id=900, name="intently", role="service")}
    events = [
        Comment(id=n, at=START + timedelta(minutes=n), actor=author, update=n, author=author, public=True, body="x")
        for n, author in ((1, 1), (2, 1), (3, 2), (4, None), (5, 900))
    ]
    history = TicketHistory.of(Ticket(id=1, created_at=START, requester_id=1), events)
    notes = [entry.not_judged for entry in timeline(history, users, POLICY)]
    assert notes == [
        "not judged: the opening description",
        "not judged: written by the customer",
        "not judged: written by an end-user, not an agent (a CC, or someone Zendesk no longer lists as an agent)",
        "not judged: the comment names no author",
        "not judged: a note by intently itself (its Zendesk API user)",
    ]
