"""The reporting layer: metrics from real engine judgements, the terminal report and the offline HTML file.

Five small tickets are judged by the real engine. The test first pins the verdict of every agent comment
(so each number below can be traced to a step of a story), then checks the metrics counted from them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from rich.console import Console

from intently.engine import Judgement, judge_ticket
from intently.model import Comment, Id, User
from intently.policy import RULE_IDS, Policy, policy_from_mapping
from intently.policy.handbook.scenarios import Scenario, scenario_from_data
from intently.report import Metrics, build_metrics, print_report, render_html
from intently.report.formatting import fmt_date, fmt_period, fmt_short_date, fmt_span
from intently.report.metrics import week_of
from intently.report.svg import Bar, horizontal_bars

EVIL = "<script>alert(1)</script>"
EVIL_ID = "<b>T4</b>"

POLICY = policy_from_mapping(
    {"organisation": {"pods": {"data": {"members": ["pip@example.com"], "tags": ["pipelines"]}}}}, "test policy"
)

PEOPLE = {
    "casey": {"name": "Casey Customer", "role": "end-user"},
    "lead": {"name": "Lee Lead", "region": "EMEA"},
    "ana": {"name": "Ana Lee", "region": "EMEA"},
    "pip": {"name": "Pip Okafor", "email": "pip@example.com", "region": "AMER"},
    "bo": {"name": "Bo Svensson", "region": "EMEA"},
    "kai": {"name": "Kai Tanaka", "region": "APAC"},
    "evil": {"name": EVIL, "region": "APAC"},
}

# Each ticket: its data, and the (verdict, rule) the engine must give the agent comment of each step.
TICKETS: list[tuple[dict[str, Any], dict[int, tuple[str, str]]]] = [
    (
        # Week of 2 March. Ana (EMEA) owns a pipelines ticket; Pip (AMER, data pod) and Evil (APAC) reply
        # unasked; Pip then leaves a note that Ana acknowledges by naming him. Public voices: Ana, Pip, Evil.
        {
            "ticket": {"id": 101, "requester": "casey", "preferred_region": "emea", "tags": ["pipelines"]},
            "timeline": [
                {"at": "2026-03-02T09:00:00Z", "by": "casey", "comment": "The pipeline fails."},
                {"at": "+10m", "by": "lead", "assign": "ana"},
                {"at": "+20m", "by": "ana", "reply": "Looking into it."},
                {"at": "+1h", "by": "pip", "reply": "Try restarting it."},
                {"at": "+10m", "by": "evil", "reply": "Or reinstall."},
                {"at": "+1h", "by": "pip", "note": "Investigated: the connector times out."},
                {"at": "+1h", "by": "ana", "reply": "With help from Pip Okafor: upgrade the connector."},
            ],
        },
        {
            3: ("assignee", "assignee"),
            4: ("drive_by", "unsolicited_reply"),
            5: ("drive_by", "unsolicited_reply"),
            6: ("intentional", "internal_note"),
            7: ("assignee", "assignee"),
        },
    ),
    (
        # Week of 9 March. Bo (EMEA) owns an AMER-preferred ticket; Pip replies and takes it. Voices: Bo, Pip.
        {
            "ticket": {"id": 102, "requester": "casey", "preferred_region": "amer"},
            "timeline": [
                {"at": "2026-03-09T15:00:00Z", "by": "casey", "comment": "Billing question."},
                {"at": "+5m", "by": "lead", "assign": "bo"},
                {"at": "+10m", "by": "bo", "reply": "Hello!"},
                {"at": "+1h", "by": "pip", "reply": "I'll take this one.", "assign": "pip"},
            ],
        },
        {3: ("assignee", "assignee"), 4: ("ownership_change", "ownership")},
    ),
    (
        # Week of 9 March. Only an internal note by Pip on Ana's pipelines ticket, never acknowledged: 0 voices.
        {
            "ticket": {"id": 103, "requester": "casey", "tags": ["pipelines"]},
            "timeline": [
                {"at": "2026-03-10T10:00:00Z", "by": "casey", "comment": "Slow sync."},
                {"at": "+5m", "by": "lead", "assign": "ana"},
                {"at": "+1h", "by": "pip", "note": "Looks like the batch size."},
            ],
        },
        {3: ("intentional", "internal_note")},
    ),
    (
        # Week of 23 March (the week of 16 March has nothing). Unassigned: Pip replies (a drive-by), then Lee
        # adds Ana as a follower and Ana replies (asked to help). Voices: Pip, Ana.
        {
            "ticket": {"id": EVIL_ID, "requester": "casey", "preferred_region": "all_regions"},
            "timeline": [
                {"at": "2026-03-23T10:00:00Z", "by": "casey", "comment": "Login fails."},
                {"at": "+1h", "by": "pip", "reply": "Clear your cookies."},
                {"at": "+30m", "by": "lead", "follow": "ana"},
                {"at": "+10m", "by": "ana", "reply": "Hi, I am looking at your login."},
            ],
        },
        {2: ("drive_by", "unowned_reply"), 4: ("intentional", "solicited")},
    ),
    (
        # Saturday 4 April (week of 30 March). Ana is off (weekend); the customer has waited 7h of an 8h
        # first-reply target when Kai (APAC) answers: coverage. Voices: Kai.
        {
            "ticket": {"id": 105, "requester": "casey", "priority": "normal"},
            "timeline": [
                {"at": "2026-04-04T10:00:00Z", "by": "casey", "comment": "Site down?"},
                {"at": "+5m", "by": "lead", "assign": "ana"},
                {"at": "+7h", "by": "kai", "reply": "We are on it."},
            ],
        },
        {3: ("intentional", "coverage")},
    ),
]


def _scenario(number: int, data: dict[str, Any]) -> Scenario:
    return scenario_from_data({"id": f"t{number}", "title": f"ticket {number}", "people": PEOPLE, "expect": [], **data})


def _judge(policy: Policy = POLICY) -> tuple[list[Judgement], dict[Id, User], dict[str, Id]]:
    judgements: list[Judgement] = []
    users: dict[Id, User] = {}
    handles: dict[str, Id] = {}
    for number, (data, expected) in enumerate(TICKETS, start=1):
        scenario = _scenario(number, data)
        users.update(scenario.directory.users)
        handles.update(scenario.handles)
        result = judge_ticket(scenario.history, scenario.directory.users, policy)
        by_comment = {j.comment_id: j for j in result.judgements}
        steps = {
            int(e.update): by_comment[e.id]
            for e in scenario.history.events
            if isinstance(e, Comment) and e.id in by_comment
        }
        got = {step: (j.verdict, j.rule) for step, j in steps.items()}
        assert got == expected, f"ticket {number}: the engine's verdicts changed; update this story"
        judgements.extend(result.judgements)
    return judgements, users, handles


@pytest.fixture(scope="module")
def judged() -> tuple[list[Judgement], dict[Id, User], dict[str, Id]]:
    return _judge()


@pytest.fixture(scope="module")
def metrics(judged: tuple[list[Judgement], dict[Id, User], dict[str, Id]]) -> Metrics:
    judgements, users, _ = judged

    def stream() -> Iterator[Judgement]:  # a one-shot generator: build_metrics must not need a list
        yield from judgements

    return build_metrics(
        stream(),
        users,
        policy_name=POLICY.name,
        policy_version=POLICY.version,
        title="Test report",
        generated_at=datetime(2026, 4, 6, 8, 0, tzinfo=UTC),
    )


def _engineer(metrics: Metrics, name: str) -> Any:
    return next(e for e in metrics.engineers if e.name == name)


# --- metrics --------------------------------------------------------------------------------------


def test_totals_follow_the_story(metrics: Metrics, judged: tuple[list[Judgement], dict[Id, User], dict[str, Id]]):
    judgements, _, _ = judged
    expected_steps = [step for _, steps in TICKETS for step in steps.values()]
    assert metrics.judged_comments == len(expected_steps) == 11
    assert metrics.tickets == len(TICKETS)
    assert metrics.by_verdict == {
        "assignee": 3,  # ticket 1 steps 3 and 7, ticket 2 step 3
        "ownership_change": 1,  # ticket 2 step 4
        "intentional": 4,  # ticket 1 step 6, ticket 3 step 3, ticket 4 step 4, ticket 5 step 3
        "drive_by": 3,  # ticket 1 steps 4 and 5, ticket 4 step 2
    }
    assert {verdict: n for verdict, n in metrics.by_verdict.items() if n} == dict(Counter(v for v, _ in expected_steps))
    assert {rule: n for rule, n in metrics.by_rule.items() if n} == dict(Counter(r for _, r in expected_steps))
    assert metrics.internal_notes == 2 and metrics.public_replies == 9
    assert metrics.first_comment_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # ticket 1, step 3
    assert metrics.last_comment_at == datetime(2026, 4, 4, 17, 5, tzinfo=UTC)  # ticket 5, step 3
    assert metrics.generated_at == datetime(2026, 4, 6, 8, 0, tzinfo=UTC)
    # Every drive-by in the story is a contributor's public reply.
    assert sum(j.verdict == "drive_by" for j in judgements) == metrics.contributor_drive_bys


def test_drive_by_share_of_contributor_public_replies(metrics: Metrics):
    # Contributor public replies: Pip and Evil on ticket 1, Pip taking ticket 2 (Bo was the assignee),
    # Pip and Ana on unassigned ticket 4, Kai covering on ticket 5; three of them are drive-bys.
    assert metrics.contributor_public == 6
    assert metrics.contributor_drive_bys == 3
    assert metrics.drive_by_share.value == pytest.approx(0.5)


def test_weeks_are_mondays_in_utc_with_empty_weeks_filled(metrics: Metrics):
    starts = [w.start for w in metrics.weeks]
    assert starts == [date(2026, 3, 2) + timedelta(weeks=n) for n in range(5)]
    assert all(s.weekday() == 0 for s in starts)
    by_start = {w.start: w for w in metrics.weeks}
    first, second, empty, fourth, fifth = (by_start[s] for s in starts)
    assert (first.judged, first.contributor_public, first.contributor_drive_bys) == (5, 2, 2)
    assert first.by_verdict == {"assignee": 2, "ownership_change": 0, "intentional": 1, "drive_by": 2}
    assert (second.judged, second.contributor_public, second.contributor_drive_bys) == (3, 1, 0)
    assert second.by_rule["internal_note"] == 1 and second.by_rule["ownership"] == 1
    assert (empty.judged, empty.contributor_public) == (0, 0)
    assert empty.drive_by_share.value is None
    assert (fourth.judged, fourth.contributor_public, fourth.contributor_drive_bys) == (2, 2, 1)
    assert (fifth.judged, fifth.by_rule["coverage"]) == (1, 1)
    assert sum(w.judged for w in metrics.weeks) == metrics.judged_comments


def test_week_of_uses_utc():
    # Sunday 23:30 in New York is Monday 04:30 UTC: the next week.
    sunday_evening = datetime(2026, 3, 8, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert week_of(sunday_evening) == date(2026, 3, 9)
    assert week_of(datetime(2026, 3, 8, 23, 59, tzinfo=UTC)) == date(2026, 3, 2)


def test_tickets_by_public_voices(metrics: Metrics):
    # Ticket 1: Ana, Pip, Evil (3); ticket 2: Bo, Pip (2); ticket 3: notes only (0); ticket 4: Pip, Ana (2);
    # ticket 5: Kai (1).
    assert metrics.voices == {"0": 1, "1": 1, "2": 2, "3": 1, "4+": 0}
    assert metrics.multi_voice_tickets == 3


def test_four_or_more_voices_bucket():
    # Two agents replying unasked on one ticket give 2 voices; adding two more gives the 4+ bucket.
    timeline = [
        {"at": "2026-03-02T09:00:00Z", "by": "casey", "comment": "Help"},
        {"at": "+5m", "by": "lead", "assign": "ana"},
        {"at": "+5m", "by": "pip", "reply": "One."},
        {"at": "+5m", "by": "bo", "reply": "Two."},
    ]
    two = _scenario(9, {"ticket": {"id": 9, "requester": "casey"}, "timeline": timeline})
    four = _scenario(
        10,
        {
            "ticket": {"id": 10, "requester": "casey"},
            "timeline": [
                *timeline,
                {"at": "+5m", "by": "kai", "reply": "3"},
                {"at": "+5m", "by": "evil", "reply": "4"},
            ],
        },
    )
    judgements = [j for s in (two, four) for j in judge_ticket(s.history, s.directory.users, POLICY).judgements]
    m = build_metrics(judgements, two.directory.users, policy_name="p", policy_version="1")
    assert m.voices == {"0": 0, "1": 0, "2": 1, "3": 0, "4+": 1}
    assert m.contributor_drive_bys == 2 + 4


def test_engineers(metrics: Metrics):
    names = [e.name for e in metrics.engineers]
    # Ana and Pip have 3 public replies each (then by name); the rest 1 each, by name.
    assert names == ["Ana Lee", "Pip Okafor", EVIL, "Bo Svensson", "Kai Tanaka"]
    ana = _engineer(metrics, "Ana Lee")
    assert (ana.region, ana.public_replies, ana.own_public_replies, ana.intentional_help) == ("EMEA", 3, 2, 1)
    assert ana.own_share.value == pytest.approx(2 / 3)
    pip = _engineer(metrics, "Pip Okafor")
    # Own work: only the reply with which he took ticket 2. Notes: tickets 1 and 3; ticket 1's acknowledged.
    assert (pip.public_replies, pip.own_public_replies, pip.drive_bys) == (3, 1, 2)
    assert (pip.internal_notes, pip.intentional_help, pip.help_by_rule["internal_note"]) == (2, 2, 2)
    assert (pip.contributor_notes, pip.notes_acknowledged) == (2, 1)
    evil = _engineer(metrics, EVIL)
    assert (evil.public_replies, evil.own_public_replies, evil.drive_bys) == (1, 0, 1)
    kai = _engineer(metrics, "Kai Tanaka")
    assert (kai.help_by_rule["coverage"], kai.drive_bys, kai.region) == (1, 0, "APAC")
    assert sum(e.public_replies for e in metrics.engineers) == metrics.public_replies


def test_pods(metrics: Metrics):
    # Pip (data pod) on the pipelines tickets 1 and 3, both owned by Ana (not in the pod).
    [pod] = metrics.pods
    assert pod.name == "data"
    assert (pod.notes, pod.acknowledged, pod.public_replies, pod.drive_bys) == (2, 1, 1, 1)
    assert (pod.members_active, pod.tickets) == (1, 2)
    assert metrics.pod_notes_acknowledged.value == pytest.approx(0.5)


def test_regions(metrics: Metrics):
    regions = metrics.regions
    # Inside: Ana twice on EMEA ticket 1, Pip on AMER ticket 2. Outside: Pip and Evil on ticket 1, Bo on
    # ticket 2. Unknown: ticket 4 accepts all regions, ticket 5 has no preferred region.
    split = regions.public_replies
    assert (split.inside, split.outside, split.unknown) == (3, 3, 3)
    assert split.outside_share.value == pytest.approx(0.5)
    emea, amer, apac = (regions.by_author_region[r] for r in ("EMEA", "AMER", "APAC"))
    assert (emea.inside, emea.outside, emea.unknown) == (2, 1, 1)
    assert (amer.inside, amer.outside, amer.unknown) == (1, 1, 1)
    assert (apac.inside, apac.outside, apac.unknown) == (0, 1, 1)
    assert list(regions.by_author_region) == ["AMER", "APAC", "EMEA"]
    assert regions.coverage_by_author_region == {"APAC": 1}
    # The HTML report's bar gives the same outside share as the headline and the tables: of the known (50%, not
    # 3 of 9), and says how many have no known region.
    page = render_html(metrics)
    assert "Outside the region: 3 of 6 (50.0%)" in page and "Outside the region: 3 of 9" not in page
    assert "3 more have no known region" in page


def test_drive_by_examples_are_newest_first_per_ticket(metrics: Metrics, judged):
    _, _, handles = judged
    examples = metrics.drive_by_examples
    assert [x.ticket_id for x in examples] == [EVIL_ID, 101]
    assert (examples[0].author_name, examples[0].assignee_name, examples[0].rule) == (
        "Pip Okafor",
        None,
        "unowned_reply",
    )
    # Ticket 101's most recent drive-by is Evil's (step 5), after Pip's (step 4).
    assert (examples[1].author_id, examples[1].drive_bys_on_ticket) == (handles["evil"], 2)
    assert examples[1].assignee_name == "Ana Lee"
    assert metrics.drive_by_tickets == 2


def test_to_dict_is_json(metrics: Metrics):
    data = json.loads(json.dumps(metrics.to_dict()))
    assert data["policy"] == {"name": POLICY.name, "version": POLICY.version}
    assert data["drive_by_share"] == {"contributor_public_replies": 6, "drive_bys": 3, "share": 0.5}
    assert data["weeks"][0]["week"] == "2026-03-02"
    assert data["voices"]["3"] == 1
    assert data["engineers"][0]["name"] == "Ana Lee"
    assert data["generated_at"] == "2026-04-06T08:00:00Z"
    assert data["drive_by_examples"][0]["created_at"] == "2026-03-23T11:00:00Z"


def test_empty_input():
    m = build_metrics(iter(()), {}, policy_name="p", policy_version="1")
    assert (m.judged_comments, m.tickets, m.weeks, m.engineers) == (0, 0, [], [])
    assert m.drive_by_share.value is None
    json.dumps(m.to_dict())
    assert "No agent comments were judged" in render_html(m)
    console = Console(record=True, width=120)
    print_report(m, console)
    assert "nothing to report" in console.export_text()


def test_rule_titles_can_come_from_the_policy(judged):
    judgements, users, _ = judged
    titles = {rule_id: f"Rule {rule_id}" for rule_id in RULE_IDS}
    m = build_metrics(judgements, users, policy_name="p", policy_version="1", rule_titles=titles)
    assert m.rule_titles["coverage"] == "Rule coverage"
    assert "Rule coverage" in render_html(m)


# --- terminal -------------------------------------------------------------------------------------


def test_print_report(metrics: Metrics):
    console = Console(record=True, width=120)
    print_report(metrics, console)
    text = console.export_text()
    assert "Drive-by share of contributor public replies: 50.0% (3 of 6)" in text
    assert "Pod notes acknowledged by the assignee: 50.0% (1 of 2)" in text
    assert "Test report" in text
    for heading in ("Per week", "Engineers", "Pods", "preferred region", "Recent drive-bys"):
        assert heading in text
    assert EVIL in text  # shown literally, not taken as Rich markup
    assert all(len(line) <= 120 for line in text.splitlines())


def test_print_report_limits_engineers():
    users = {n: User(id=n, name=f"Agent {n:02d}", role="agent") for n in range(20)}
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    judgements = [
        Judgement(
            ticket_id=n,
            comment_id=n,
            author_id=n,
            created_at=at,
            public=True,
            assignee_id=n,
            verdict="assignee",
            rule="assignee",
            reason="",
            evidence=(),
            out_of_region=None,
            acknowledged=None,
        )
        for n in range(20)
    ]
    console = Console(record=True, width=120)
    print_report(build_metrics(judgements, users, policy_name="p", policy_version="1"), console)
    text = console.export_text()
    assert "Agent 14" in text and "Agent 15" not in text
    assert "5 more engineers not shown" in text


# --- HTML -----------------------------------------------------------------------------------------


def test_html_escapes_data():
    judgements, users, _ = _judge()
    m = build_metrics(
        judgements, users, policy_name='<img src=x onerror="alert(2)">', policy_version="<i>9</i>", title=EVIL
    )
    html = render_html(m, generated_at=datetime(2026, 4, 6, 8, 0, tzinfo=UTC))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "<img" not in html and "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    assert "<i>9</i>" not in html and "&lt;i&gt;9&lt;/i&gt;" in html
    assert EVIL_ID not in html and "#&lt;b&gt;T4&lt;/b&gt;" in html  # ticket 4's id (a drive-by example)
    # The name also reaches the SVG charts' labels and tooltips only in escaped form.
    chart = horizontal_bars([Bar(EVIL, 1, "#000", EVIL)], label=EVIL)
    assert "<script" not in str(chart) and "&lt;script&gt;" in str(chart)


def test_html_is_offline_and_deterministic(metrics: Metrics):
    html = render_html(metrics)
    assert html == render_html(metrics)
    lowered = html.lower()
    assert "http://" not in lowered and "https://" not in lowered
    assert "<script" not in lowered and "<link" not in lowered and "<iframe" not in lowered
    assert "@import" not in lowered and "url(" not in lowered
    # No element loads or links anything: no src=, href= or xlink:href on any tag.
    assert not re.search(r"<[a-z][^>]*\s(?:src|href|xlink:href|srcset)\s*=", lowered)
    assert "Content-Security-Policy" in html


def test_html_sections_and_charts(metrics: Metrics):
    html = render_html(metrics)
    for section in ("weekly", "rules", "drive-by-share", "voices", "engineers", "pods", "regions", "examples"):
        assert f'id="{section}"' in html
    assert html.count('role="img"') >= 6
    assert html.count("aria-label=") >= 6
    assert html.count("How to read this:") == html.count('class="how"') >= 7
    # Tooltips give exact numbers.
    assert "<title>Week of 2 Mar 2026 · Drive-by: 2 of 5</title>" in html
    assert "Week of 16 Mar 2026: no contributor public replies" in html
    assert "50.0%" in html  # drive-by share card
    assert "Generated 2026-04-06 08:00 UTC" in html
    assert POLICY.name in html and POLICY.version in html
    assert "#101" in html  # a recent drive-by example


def test_html_generated_at_parameter_overrides(metrics: Metrics):
    html = render_html(metrics, generated_at=datetime(2030, 1, 2, 3, 4, tzinfo=UTC))
    assert "Generated 2030-01-02 03:04 UTC" in html
    assert "Generated" not in render_html(metrics.with_generated_at(None))


def test_a_verdict_has_one_colour_on_pages_and_in_charts() -> None:
    """The dashboard's verdict badges and every chart colour a verdict alike (blue here, slate there confused)."""
    import re
    from importlib import resources

    from intently.report.formatting import VERDICT_COLOURS

    css = resources.files("intently.web").joinpath("static/intently.css").read_text(encoding="utf-8")
    found = dict(re.findall(r"--(assignee|own|intent|drive):(#[0-9a-fA-F]{6})", css))
    names = {"assignee": "assignee", "ownership_change": "own", "intentional": "intent", "drive_by": "drive"}
    assert {verdict: found[name].lower() for verdict, name in names.items()} == {
        verdict: colour.lower() for verdict, colour in VERDICT_COLOURS.items()
    }


def test_a_share_of_few_is_a_hollow_dot_off_the_line() -> None:
    """2 of 2 in one week (or a week the period only touches) would read as a spike or a collapse: a share of
    fewer than 5 is drawn hollow, and the line does not pass through it; the others are joined as before."""
    import re

    from intently.report import svg

    chart = str(
        svg.share_line(
            ["1 Sep", "8 Sep", "15 Sep", "22 Sep"],
            [0.2, 1.0, 0.25, 0.3],
            label="drive-by share",
            tooltips=["a", "b", "c", "d"],
            colour="#e0622a",
            bases=[40, 2, 36, 30],
        )
    )
    hollow = re.findall(r'<circle [^>]*fill="#fff" stroke="#e0622a"[^>]*><title>([^<]*)</title>', chart)
    assert hollow == ["b; too few to read a trend from: a hollow dot, off the line"]
    lines = re.findall(r'<polyline points="([^"]+)"', chart)
    assert [len(points.split()) for points in lines] == [2]  # 15 and 22 Sep joined; 1 Sep alone, 8 Sep apart


def test_a_day_is_written_one_way() -> None:
    """``7 Sep``, no leading zero, everywhere; the year once, unless a span crosses one; a time's day in UTC."""
    assert fmt_short_date(date(2026, 9, 7)) == "7 Sep" and fmt_date(date(2026, 9, 7)) == "7 Sep 2026"
    assert fmt_span(date(2026, 9, 7), date(2026, 9, 7)) == "7 Sep 2026"
    assert fmt_span(date(2026, 9, 7), date(2026, 9, 13)) == "7–13 Sep 2026"
    assert fmt_span(date(2026, 9, 28), date(2026, 10, 4)) == "28 Sep – 4 Oct 2026"
    assert fmt_span(date(2026, 12, 28), date(2027, 1, 3)) == "28 Dec 2026 – 3 Jan 2027"
    late = datetime(2026, 9, 6, 23, 30, tzinfo=timezone(timedelta(hours=-2)))  # 7 Sep in UTC
    assert fmt_short_date(late) == "7 Sep" and fmt_period(late, datetime(2026, 9, 20, tzinfo=UTC)) == "7–20 Sep 2026"
