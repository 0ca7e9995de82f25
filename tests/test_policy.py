"""The policy: the shipped default, overrides merged over it, errors that name the key, org facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from intently.errors import PolicyError
from intently.model import User
from intently.policy import RULE_IDS, fingerprint, load_policy, policy_from_mapping


def test_default_policy_matches_the_written_definition() -> None:
    policy = load_policy()
    assert [rule_id for rule_id, _ in policy.rules.ordered()] == list(RULE_IDS)
    assert policy.rules.ownership.window == timedelta(minutes=30)
    assert policy.rules.coverage.wait_fraction == 0.75
    assert policy.rules.solicited.tags == ("needs_collaboration",)
    targets = {p: (t.first, t.next) for p, t in policy.organisation.reply_targets.items()}
    assert targets == {
        "urgent": (timedelta(minutes=30), timedelta(hours=4)),
        "high": (timedelta(hours=4), timedelta(hours=4)),
        "normal": (timedelta(hours=8), timedelta(hours=24)),
        "low": (timedelta(hours=24), timedelta(hours=24)),
    }
    assert policy.reply_target(None) == policy.organisation.reply_targets["normal"]
    regions = {code: (r.time_zone, r.hours) for code, r in policy.organisation.regions.items()}
    assert regions == {
        "AMER": ("America/Los_Angeles", "05:00-17:00"),
        "EMEA": ("Europe/Amsterdam", "08:00-18:00"),
        "APAC": ("Australia/Brisbane", "09:00-21:00"),
    }


def test_override_file_is_merged_over_the_default(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        "version: '2.0'\nrules:\n  ownership:\n    window: 1h\n"
        "organisation:\n  pods:\n    data: {members: [a@x.io], tags: [etl]}\n"
    )
    policy = load_policy(path)
    assert policy.version == "2.0" and policy.rules.ownership.window == timedelta(hours=1)
    assert policy.rules.ownership.rationale == load_policy().rules.ownership.rationale
    assert policy.organisation.regions == load_policy().organisation.regions
    assert fingerprint(policy) != fingerprint(load_policy())


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rules:\n  ownership:\n    window: soon\n", "rules.ownership.window: expected a duration"),
        ("rules:\n  coverage:\n    wait_fraction: -1\n", "rules.coverage.wait_fraction"),
        ("rules:\n  ownershp: {}\n", "rules.ownershp: unknown key"),
        (
            "organisation:\n  regions:\n    EMEA:\n      time_zone: Europe/Atlantis\n",
            "organisation.regions.EMEA.time_zone: unknown IANA",
        ),
        (
            "organisation:\n  regions:\n    AMER:\n      time_zone: CST\n",
            "organisation.regions.AMER.time_zone: unknown IANA time zone 'CST': did you mean America/Chicago?",
        ),
        ("organisation:\n  regions:\n    EMEA:\n      hours: 18:00-08:00\n", "organisation.regions.EMEA.hours"),
        ("organisation:\n  business_days: [mon, funday]\n", "organisation.business_days"),
        ("organisation:\n  default_priority: critical\n", "default_priority 'critical' has no entry"),
        ("rules:\n  internal_note: {enabled: false}\n", "rules.internal_note cannot be disabled"),
        ("rules: [1, 2]\n", "rules"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("rules: {ownership: {window: 30m}\n", "not valid YAML at line"),
        ("organisation:\n  agent_region:\n    time_zone_prefixes: {Europe: EU}\n", "unknown region 'EU'"),
    ],
)
def test_invalid_policies_name_the_key(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert problem in str(info.value)
    assert str(path) in str(info.value)


def test_missing_policy_file() -> None:
    with pytest.raises(PolicyError, match="file not found"):
        load_policy("/nonexistent/policy.yaml")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("region", "moment", "open_"),
    [
        ("AMER", "2026-03-02T05:00:00-08:00", True),  # Monday 05:00 in Los Angeles: opening minute
        ("AMER", "2026-03-02T04:59:00-08:00", False),
        ("AMER", "2026-03-02T16:59:00-08:00", True),
        ("AMER", "2026-03-02T17:00:00-08:00", False),  # closing time is outside
        ("AMER", "2026-03-09T16:30:00-07:00", True),  # after the US clocks changed
        ("EMEA", "2026-03-07T10:00:00+01:00", False),  # Saturday
        ("EMEA", "2026-03-30T17:59:00+02:00", True),  # summer time in Amsterdam
        ("APAC", "2026-03-02T20:59:00+10:00", True),
        ("APAC", "2026-03-02T21:00:00+10:00", False),
    ],
)
def test_business_hours_in_each_regions_own_time_zone(region: str, moment: str, open_: bool) -> None:
    assert load_policy().is_business_hours(region, _at(moment)) is open_


def test_regions_of_people_and_values() -> None:
    policy = load_policy()
    assert policy.region_of_value("EMEA") == "EMEA" and policy.region_of_value(" emea ") == "EMEA"
    assert policy.region_of_value("Europe, Middle East and Africa") == "EMEA"
    assert policy.region_of_value("all_regions") == "ALL" and policy.region_of_value("All regions") == "ALL"
    assert policy.region_of_value("mars") is None and policy.region_of_value(None) is None
    field = User(id=1, name="a", role="agent", time_zone="Asia/Tokyo", fields={"support_region": "amer"})
    assert policy.region_of_user(field) == "AMER"  # the user field wins over the time zone
    for zone, region in [("Africa/Lagos", "EMEA"), ("Pacific/Auckland", "APAC"), ("America/Sao_Paulo", "AMER")]:
        assert policy.region_of_user(User(id=2, name="b", role="agent", time_zone=zone)) == region
    assert policy.region_of_user(User(id=3, name="c", role="agent", time_zone="Etc/UTC")) is None


def test_pods_and_out_of_office_by_id_or_email() -> None:
    policy = policy_from_mapping(
        {
            "organisation": {
                "pods": {"data": {"members": [5, "pip@example.com"], "tags": ["etl"]}},
                "out_of_office": [{"agent": "ana@example.com", "start": "2026-03-02", "end": "2026-03-06"}],
            }
        }
    )
    pip = User(id=9, name="Pip", role="agent", email="Pip@Example.com")
    assert [name for name, _ in policy.pods_of(pip)] == ["data"]
    assert policy.in_pod("data", User(id=5, name="x", role="agent"))
    ana = User(id=1, name="Ana", role="agent", email="ana@example.com")
    assert policy.out_of_office(ana, _at("2026-03-06T23:59:00+00:00")) is not None
    assert policy.out_of_office(ana, _at("2026-03-07T00:00:01+00:00")) is None


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"rules": {"solicited": {"tags": "needs_collab"}}}, "rules.solicited.tags: expected a list of tags, got"),
        ({"rules": {"ownership": {"windw": "30m"}}}, "rules.ownership.windw: unknown key: did you mean 'window'?"),
        ({"organisaton": {}}, "organisaton: unknown key: did you mean 'organisation'?"),
        (
            {"organisation": {"regions": {"EMEA": {"time_zone": "Europe/Amsterdam", "hourz": "08:00-17:00"}}}},
            "organisation.regions.EMEA.hourz: unknown key: did you mean 'hours'?",
        ),
        (
            {"organisation": {"pods": {"data": {"members": [1.5], "tags": ["etl"]}}}},
            "organisation.pods.data.members[0]: expected an agent id or e-mail address, got 1.5",
        ),
        (
            {"organisation": {"out_of_office": [{"agent": "a@example.com", "start": "soon", "end": "2026-08-03"}]}},
            "organisation.out_of_office[0].start: expected a date as YYYY-MM-DD (such as 2026-08-03)",
        ),
        (
            {
                "organisation": {
                    "out_of_office": [{"agent": "a@example.com", "start": "2026-08-14", "end": "2026-08-03"}]
                }
            },
            "organisation.out_of_office[0]: the period ends (2026-08-03) before it starts (2026-08-14)",
        ),
        ({"rules": {"coverage": {"enabled": "maybe"}}}, "rules.coverage.enabled: expected true or false, got 'maybe'"),
        ({"rules": {"coverage": {"wait_fraction": 20}}}, "rules.coverage.wait_fraction: must be at most 10"),
        ({"rules": {"coverage": {"verdict": "maybe"}}}, "rules.coverage.verdict: must be 'assignee', 'ownership"),
        ({"rules": [1, 2]}, "rules[0]: expected a rule (id, verdict, title, rationale, when), got 1"),
    ],
)
def test_policy_problems_are_said_plainly(override: dict, expected: str) -> None:
    with pytest.raises(PolicyError) as info:
        policy_from_mapping(override, "team.yaml")
    message = str(info.value)
    assert expected in message
    assert "Input should" not in message and "valid tuple" not in message


def _leaves(data: object, path: tuple = ()) -> list[tuple]:
    if isinstance(data, dict):
        return [leaf for key, value in data.items() for leaf in _leaves(value, (*path, key))]
    return [path]


def _replace(data: dict, path: tuple, value: object) -> dict:
    if len(path) == 1:
        return {**data, path[0]: value}
    return {**data, path[0]: _replace(data[path[0]], path[1:], value)}


def test_a_wrong_value_anywhere_is_named_by_its_key_in_plain_words() -> None:
    """Every key of the default policy, given a value of the wrong shape, gets a problem that names that key and
    speaks no pydantic."""
    from intently.policy.loader import default_policy_data, validate_policy

    default = default_policy_data()
    for path in _leaves(default):
        for wrong in ({"not": "this"}, [["nested"]]):
            with pytest.raises(PolicyError) as info:
                validate_policy(_replace(default, path, wrong), "team.yaml")
            text = str(info.value)
            assert f"- {'.'.join(str(p) for p in path)}" in text, (path, text)
            assert "Input should" not in text and "should be a valid" not in text, (path, text)


def test_pod_members_and_out_of_office_agents_unknown_to_the_data_are_named() -> None:
    from intently.policy.people import unknown_people

    policy = policy_from_mapping(
        {
            "organisation": {
                "pods": {
                    "data": {"members": [5, "pip@example.com", "nobody@example.com", 77], "tags": ["etl"]},
                    "web": {"members": [5], "tags": ["css"]},
                },
                "out_of_office": [
                    {"agent": "ana@example.com", "start": "2026-03-02", "end": "2026-03-06"},
                    {"agent": "cus@example.com", "start": "2026-03-02", "end": "2026-03-06"},
                ],
            }
        }
    )
    users = {
        5: User(id=5, name="Sam", role="agent"),
        9: User(id=9, name="Pip", role="admin", email="Pip@Example.com"),
        1: User(id=1, name="Ana", role="agent", email="ana@example.com"),
        77: User(id=77, name="A customer", role="end-user", email="cus@example.com"),
    }
    assert unknown_people(policy, users) == [
        "organisation.pods.data.members: nobody@example.com, 77 are not agents in the data "
        "(check the id or e-mail address)",
        "organisation.out_of_office: cus@example.com is not an agent in the data (check the id or e-mail address)",
    ]
