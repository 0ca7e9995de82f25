"""The demo export: deterministic, in the exact shapes of Zendesk's API responses, and exercising every rule."""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from intently.demo import K_COMMENT, POLICY_FILE, DemoPlan, generate_export, plan_export, write_export
from intently.demo.plan import K_FOLLOWERS
from intently.engine import Judgement, judge_ticket
from intently.engine.compare import compare_policies
from intently.policy import RULE_IDS, Policy, load_policy
from intently.policy.loader import default_policy_data, merge, read_policy_file, validate_policy
from intently.sources import open_source

TICKETS = 800
AUDITS_PER_PAGE = 500
PREFERRED = "Preferred Region for Support"

USER_KEYS = {
    "id", "url", "name", "email", "created_at", "updated_at", "time_zone", "iana_time_zone", "role", "active",
    "user_fields", "organization_id", "locale", "verified", "suspended", "default_group_id", "tags",
}  # fmt: skip
TICKET_KEYS = {
    "id", "url", "via", "created_at", "updated_at", "subject", "raw_subject", "description", "priority", "status",
    "requester_id", "submitter_id", "assignee_id", "organization_id", "group_id", "tags", "custom_fields", "fields",
    "follower_ids", "email_cc_ids", "collaborator_ids", "generated_timestamp", "type", "is_public", "ticket_form_id",
    "brand_id", "custom_status_id", "satisfaction_rating",
}  # fmt: skip
AUDIT_KEYS = {"id", "ticket_id", "created_at", "author_id", "metadata", "events", "via"}
COMMENT_KEYS = {"id", "type", "author_id", "body", "html_body", "plain_body", "public", "attachments", "audit_id"}


def _pages(root: Path, kind: str) -> list[Path]:
    return sorted(root.glob(f"{kind}.page-*.json"))


def _load(path: Path) -> dict[str, Any]:
    return orjson.loads(path.read_bytes())


def _records(root: Path, kind: str, key: str) -> Iterator[dict[str, Any]]:
    for path in _pages(root, kind):
        yield from _load(path)[key]


def _digest(root: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(root.iterdir())}


@pytest.fixture(scope="module")
def plan() -> DemoPlan:
    return plan_export(tickets=TICKETS, seed=7)


@pytest.fixture(scope="module")
def export(plan: DemoPlan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_export(plan, out, audits_per_page=AUDITS_PER_PAGE, tickets_per_page=300)
    return out


@pytest.fixture(scope="module")
def judgements(export: Path) -> list[Judgement]:
    """Every judgement of the demo, read back through the Zendesk export reader and judged by the engine."""
    policy = load_policy(export / POLICY_FILE)
    source = open_source(export)
    out: list[Judgement] = []
    for history in source.histories():
        result = judge_ticket(history, source.directory.users, policy)
        assert not result.skipped, result.skipped
        out.extend(result.judgements)
    assert source.warnings == []
    return out


# --- determinism ----------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes_and_another_seed_other_bytes(tmp_path: Path) -> None:
    first = generate_export(tmp_path / "a", tickets=120, seed=11, audits_per_page=200)
    second = generate_export(tmp_path / "b", tickets=120, seed=11, audits_per_page=200)
    generate_export(tmp_path / "c", tickets=120, seed=12, audits_per_page=200)
    assert first.audits == second.audits and first.comments == second.comments
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    different = _digest(tmp_path / "c")
    assert different != _digest(tmp_path / "a")
    assert different["ticket_audits.page-001.json"] != _digest(tmp_path / "a")["ticket_audits.page-001.json"]


def test_rewriting_a_directory_leaves_no_stale_pages(tmp_path: Path) -> None:
    generate_export(tmp_path, tickets=60, tickets_per_page=20, audits_per_page=100)
    assert len(_pages(tmp_path, "tickets")) == 3
    summary = generate_export(tmp_path, tickets=15, tickets_per_page=20, audits_per_page=1000)
    assert [p.name for p in _pages(tmp_path, "tickets")] == ["tickets.page-001.json"]
    assert len(_pages(tmp_path, "ticket_audits")) == summary.audit_pages == 1


def test_progress_reports_increments_that_add_up_to_the_ticket_count(tmp_path: Path) -> None:
    steps: list[int] = []
    generate_export(tmp_path, tickets=1200, audits_per_page=300, progress=steps.append)
    assert len(steps) > 4  # planning and writing both report
    assert all(step > 0 for step in steps)
    assert sum(steps) == 1200


# --- shapes ---------------------------------------------------------------------------------------------


def test_users_are_agents_in_three_regions_and_reused_customers(export: Path) -> None:
    page = _load(export / "users.page-001.json")
    assert set(page) == {"users", "meta", "links"}
    users = page["users"]
    assert all(set(user) >= USER_KEYS for user in users)
    agents = [u for u in users if u["role"] in ("agent", "admin")]
    customers = [u for u in users if u["role"] == "end-user"]
    assert len(agents) >= 30 and len(customers) >= 100
    regions = Counter(u["user_fields"]["support_region"] for u in agents)
    assert set(regions) >= {"amer", "emea", "apac"}
    assert 0 < regions[None] < len(agents) // 4  # a few agents fall back on their time zone
    for user in users:
        ZoneInfo(user["iana_time_zone"])  # a real IANA zone
        assert user["time_zone"] == user["iana_time_zone"]
        assert user["email"].endswith("example.com")
    requesters = Counter(t["requester_id"] for t in _records(export, "tickets", "tickets"))
    assert set(requesters) <= {u["id"] for u in customers}
    assert max(requesters.values()) > 1  # customers come back


def test_groups_memberships_and_ticket_fields(export: Path) -> None:
    groups = _load(export / "groups.page-001.json")["groups"]
    assert {g["name"] for g in groups} == {"Support AMER", "Support EMEA", "Support APAC", "Escalations"}
    memberships = _load(export / "group_memberships.page-001.json")["group_memberships"]
    assert {m["group_id"] for m in memberships} == {g["id"] for g in groups}
    fields = _load(export / "ticket_fields.page-001.json")["ticket_fields"]
    preferred = [f for f in fields if f["title"] == PREFERRED]
    assert len(preferred) == 1 and preferred[0]["type"] == "tagger"
    options = [(o["name"], o["value"]) for o in preferred[0]["custom_field_options"]]
    assert options == [("AMER", "amer"), ("EMEA", "emea"), ("APAC", "apac"), ("All regions", "all_regions")]


def test_tickets_are_an_incremental_cursor_export_in_update_order(export: Path) -> None:
    pages = _pages(export, "tickets")
    assert len(pages) == 3
    stamps: list[tuple[int, int]] = []
    preferred_id = next(
        f["id"] for f in _load(export / "ticket_fields.page-001.json")["ticket_fields"] if f["title"] == PREFERRED
    )
    values: Counter[str | None] = Counter()
    for index, path in enumerate(pages):
        page = _load(path)
        assert set(page) == {"tickets", "after_url", "before_url", "after_cursor", "before_cursor", "end_of_stream"}
        assert page["end_of_stream"] is (index == len(pages) - 1)
        last = page["tickets"][-1]
        assert base64.b64decode(page["after_cursor"]).decode() == f"{last['generated_timestamp']}.0||{last['id']}|"
        for ticket in page["tickets"]:
            assert set(ticket) >= TICKET_KEYS
            assert ticket["updated_at"] == datetime.fromtimestamp(ticket["generated_timestamp"]).astimezone(
                ZoneInfo("UTC")
            ).strftime("%Y-%m-%dT%H:%M:%SZ")
            stamps.append((ticket["generated_timestamp"], ticket["id"]))
            values[next(f["value"] for f in ticket["custom_fields"] if f["id"] == preferred_id)] += 1
    assert stamps == sorted(stamps) and len(stamps) == TICKETS
    assert set(values) >= {"amer", "emea", "apac", "all_regions", None}


def test_audits_are_one_time_ordered_list_spread_over_pages(export: Path) -> None:
    pages = _pages(export, "ticket_audits")
    assert len(pages) > 3
    keys: list[tuple[str, int]] = []
    event_ids: list[int] = []
    pages_of: dict[int, set[int]] = {}
    types: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    for index, path in enumerate(pages):
        page = _load(path)
        assert set(page) == {"audits", "meta", "links"}
        assert page["meta"]["has_more"] is (index < len(pages) - 1)
        assert len(page["audits"]) <= AUDITS_PER_PAGE
        for audit in page["audits"]:
            assert set(audit) == AUDIT_KEYS
            assert set(audit["metadata"]) == {"system", "custom"}
            keys.append((audit["created_at"], audit["id"]))
            pages_of.setdefault(audit["ticket_id"], set()).add(index)
            channels[audit["via"]["channel"]] += 1
            for event in audit["events"]:
                types[event["type"]] += 1
                event_ids.append(event["id"])
                if event["type"] == "Comment":
                    assert set(event) == COMMENT_KEYS and event["audit_id"] == audit["id"]
                elif event["type"] in ("Create", "Change") and event["field_name"].endswith("_id"):
                    assert event["value"] is None or isinstance(event["value"], str)  # ids as strings
                elif event["type"] == "Change" and event["field_name"] == "tags":
                    assert isinstance(event["value"], list) and isinstance(event["previous_value"], list)
                elif event["type"] == "FollowerChange":
                    assert all(isinstance(v, str) for v in event["current_followers"])
    assert keys == sorted(keys)
    assert event_ids == sorted(event_ids) and len(set(event_ids)) == len(event_ids)
    assert max(len(found) for found in pages_of.values()) > 1  # a ticket's audits span several pages
    assert sum(len(found) > 1 for found in pages_of.values()) > TICKETS // 2
    assert {"Create", "Change", "Comment", "Notification", "FollowerChange", "EmailCcChange"} <= set(types)
    assert {"web", "email", "api", "rule"} <= set(channels)


def test_rule_comments_exist_and_are_not_judged(export: Path, judgements: list[Judgement]) -> None:
    rule_comments = {
        event["id"]
        for audit in _records(export, "ticket_audits", "audits")
        if audit["via"]["channel"] == "rule"
        for event in audit["events"]
        if event["type"] == "Comment"
    }
    assert rule_comments
    assert not rule_comments & {j.comment_id for j in judgements}


def test_the_policy_override_defines_pods_and_time_off(export: Path) -> None:
    policy = load_policy(export / POLICY_FILE)
    pods = policy.organisation.pods
    assert set(pods) == {"data", "identity"}
    assert set(pods["identity"].tags) == {"sso", "saml", "scim"}
    assert all("@" in str(member) for pod in pods.values() for member in pod.members)
    assert len(policy.organisation.out_of_office) == 2


# --- the rules, judged by the engine ---------------------------------------------------------------------


def test_every_rule_occurs_in_realistic_proportions(judgements: list[Judgement]) -> None:
    rules = Counter(j.rule for j in judgements)
    assert set(rules) == set(RULE_IDS)
    assert all(rules[rule] >= 10 for rule in RULE_IDS), rules
    total = sum(rules.values())
    assert 0.65 <= rules["assignee"] / total <= 0.82, rules
    drive_by = sum(1 for j in judgements if j.verdict == "drive_by")
    assert 0.03 <= drive_by / total <= 0.12, rules


def test_flags_take_both_values(judgements: list[Judgement]) -> None:
    assert {True, False} <= {j.acknowledged for j in judgements}
    assert {True, False, None} <= {j.out_of_region for j in judgements}
    pod_notes = [j for j in judgements if j.pod and j.rule == "internal_note" and j.assignee_in_pod is False]
    assert {True, False} <= {j.acknowledged for j in pod_notes}
    reasons = [j.reason for j in judgements if j.rule == "coverage"]
    assert any("outside" in reason for reason in reasons)


def test_several_public_voices_on_some_tickets(judgements: list[Judgement]) -> None:
    voices: dict[object, set[object]] = {}
    for j in judgements:
        if j.public:
            voices.setdefault(j.ticket_id, set()).add(j.author_id)
    assert sum(len(authors) >= 3 for authors in voices.values()) >= 10


def test_the_engine_agrees_with_the_story_the_generator_told(plan: DemoPlan, judgements: list[Judgement]) -> None:
    """The generator simulates the engine's state to place each scenario; the engine must judge it that way."""
    intended: dict[int, str] = {}
    for ticket in plan.tickets:
        for step in ticket.steps:
            event_id = step.id
            for op in step.ops:
                event_id += 128
                if op[0] == K_COMMENT and op[5]:
                    intended[event_id] = op[5]
    assert len(intended) == len(judgements)
    disagreements = [(j.comment_id, intended.get(j.comment_id), j.rule) for j in judgements]
    disagreements = [item for item in disagreements if item[1] != item[2]]
    assert len(disagreements) <= len(judgements) // 100, disagreements[:10]


# --- borderline cases, judged under a proposal that moves the thresholds --------------------------------

PROPOSAL = {"rules": {"ownership": {"window": "1h"}, "coverage": {"wait_fraction": 0.5}}}


@pytest.fixture(scope="module")
def proposed(export: Path) -> Policy:
    """The demo's policy with a longer ownership window and a lower coverage threshold."""
    data = merge(merge(default_policy_data(), read_policy_file(export / POLICY_FILE)), PROPOSAL)
    return validate_policy(data, "proposal")


def test_a_threshold_proposal_changes_the_borderline_cases(export: Path, proposed: Policy) -> None:
    """Late pick-ups and early covers sit just past the default thresholds: the looser proposal flips them."""
    current = load_policy(export / POLICY_FILE)
    assert proposed.rules.ownership.window > current.rules.ownership.window
    assert proposed.rules.coverage.wait_fraction < current.rules.coverage.wait_fraction
    source = open_source(export)
    comparison = compare_policies(source.histories(), source.directory.users, current, proposed)
    by_rule: Counter[tuple[str, str]] = Counter()
    for (before, after), count in comparison.transitions.items():
        by_rule[before[1], after[1]] += count
    assert by_rule["unowned_reply", "ownership"] > 0, comparison.transitions
    assert by_rule["unsolicited_reply", "coverage"] > 0, comparison.transitions
    assert 0 < comparison.changed < comparison.judgements // 20
    assert comparison.proposed_verdicts["drive_by"] < comparison.current_verdicts["drive_by"]


def test_self_added_followers_who_reply_stay_drive_bys(
    plan: DemoPlan, export: Path, judgements: list[Judgement], proposed: Policy
) -> None:
    """Following a ticket on your own solicits nothing, and the assignee was at work: no threshold excuses it."""
    replies: dict[int, set[int]] = {}  # ticket id -> comment ids of public replies by self-added followers
    for ticket in plan.tickets:
        followed: set[int] = set()
        for step in ticket.steps:
            event_id = step.id
            for op in step.ops:
                event_id += 128
                if op[0] == K_FOLLOWERS and step.author in set(op[1]) - set(op[2]):
                    followed.add(step.author)
                elif op[0] == K_COMMENT and op[1] in followed and op[2] and op[5]:
                    replies.setdefault(ticket.id, set()).add(event_id)
    wanted = {comment for comments in replies.values() for comment in comments}
    assert wanted
    assert {j.verdict for j in judgements if j.comment_id in wanted} == {"drive_by"}
    source = open_source(export)
    judged = [
        j
        for history in source.histories()
        if history.ticket.id in replies
        for j in judge_ticket(history, source.directory.users, proposed).judgements
        if j.comment_id in wanted
    ]
    assert len(judged) == len(wanted)
    assert {j.verdict for j in judged} == {"drive_by"}
