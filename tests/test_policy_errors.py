"""What a support-operations person sees for a policy file they got wrong: ``intently policy validate`` exits 1
with no traceback, and each problem names the key (and the line, where the file has it) and says how to fix it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.cli_runner import intently


def validate(tmp_path: Path, text: str, name: str = "team.yaml") -> subprocess.CompletedProcess[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTENTLY_")}
    return intently("policy", "validate", str(path), cwd=tmp_path, env={**env, "COLUMNS": "400"})


def refused(ran: subprocess.CompletedProcess[str]) -> str:
    """The error a refused policy file gets, its lines as printed (no traceback, exit 1)."""
    assert ran.returncode == 1, (ran.stdout, ran.stderr)
    assert "Traceback" not in ran.stderr and "Error" not in ran.stderr, ran.stderr
    assert "invalid policy" in ran.stderr and "team.yaml" in ran.stderr, ran.stderr
    return ran.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "rules: {ownership: {window: 99999999999999999999999}}\n",
            "rules.ownership.window: must be between 0m and 30d, got 99999999999999999999999 (minutes)",
        ),
        ("rules: {ownership: {window: 999999999d}}\n", "rules.ownership.window: must be between 0m and 30d"),
        ("rules: {ownership: {window: 31d}}\n", "rules.ownership.window: must be between 0m and 30d, got '31d'"),
        ("rules: {ownership: {window: -5}}\n", "rules.ownership.window: must be between 0m and 30d, got -5"),
        ("rules: {ownership: {window: .inf}}\n", "rules.ownership.window: must be between 0m and 30d, got .inf"),
        (
            "rules: {ownership: {window: .nan}}\n",
            "rules.ownership.window: expected a duration such as 30m, 4h, 1h30m or 2d, got .nan (not a number), "
            "which is not allowed",
        ),
        (
            "organisation:\n  reply_targets:\n    normal: {first: 99999999999999999999999, next: 4h}\n",
            "organisation.reply_targets.normal.first: must be between 1m and 365d, got 99999999999999999999999",
        ),
        (
            "organisation:\n  reply_targets:\n    urgent: {first: 30m, next: 999999999d}\n",
            "organisation.reply_targets.urgent.next: must be between 1m and 365d, got '999999999d'",
        ),
        (
            "organisation:\n  reply_targets:\n    urgent: {first: 0m, next: 4h}\n",
            "organisation.reply_targets.urgent.first: must be between 1m and 365d, got '0m'",
        ),
        (
            "rules:\n  - {id: quick, verdict: ownership_change, title: t, rationale: r,"
            " when: {author_takes_ticket: {within: 400d}}}\n"
            "  - {id: assignee, verdict: assignee, title: t, rationale: r, when: author_is_assignee}\n"
            "  - {id: internal_note, verdict: intentional, title: t, rationale: r, when: internal}\n"
            "  - {id: unsolicited_reply, verdict: drive_by, title: t, rationale: r, when: always}\n",
            "rules.quick.when: author_takes_ticket.within: must be between 0m and 30d, got '400d'",
        ),
    ],
)
def test_a_duration_out_of_range_is_refused_with_the_range(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in refused(validate(tmp_path, text))


def test_the_largest_durations_allowed_are_judged_without_error(tmp_path: Path) -> None:
    """At the top of the ranges, comparing, testing and adopting judge as usual (no date out of range)."""
    text = (
        'version: "2"\nrules: {ownership: {window: 30d}, coverage: {wait_fraction: 10}}\n'
        "organisation:\n  reply_targets:\n    normal: {first: 365d, next: 365d}\n"
    )
    assert validate(tmp_path, text).returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTENTLY_")}
    made = intently("demo", "--tickets", "10", "--until", "2026-11-29", "--out", "demo", cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    db = tmp_path / "demo" / "intently.db"
    for args, codes in ((["compare"], {0}), (["test", "--config"], {0, 1}), (["adopt"], {0})):
        ran = intently("policy", *args, str(tmp_path / "team.yaml"), "--db", str(db), cwd=tmp_path, env=env)
        assert ran.returncode in codes and "Traceback" not in ran.stderr, (args, ran.stderr)
        assert "invalid policy" not in ran.stderr, (args, ran.stderr)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "rules: {ownership: {window: 1h}}\nrules: {coverage: {wait_fraction: 0.5}}\n",
            ["rules: written twice, at lines 1 and 2: write each key once"],
        ),
        (
            "organisation:\n  regions:\n    EMEA:\n      time_zone: Europe/Amsterdam\n      hours: 08:00-17:00\n"
            "      hours: 09:00-18:00\n  pods:\n    data: {members: [1], tags: [etl], tags: [db]}\n",
            [
                "organisation.regions.EMEA.hours: written twice, at lines 5 and 6",
                "organisation.pods.data.tags: written twice, at line 8, columns 26 and 39",
            ],
        ),
        (
            "rules:\n  - {id: a, verdict: drive_by, title: t, rationale: r, when: always, when: public}\n",
            ["rules[0].when: written twice, at line 2, columns 56 and 70"],
        ),
        ('{"version": "2", "version": "3"}\n', ["version: written twice, at line 1, columns 2 and 18"]),
    ],
)
def test_a_key_written_twice_is_refused_with_both_lines(tmp_path: Path, text: str, expected: list[str]) -> None:
    error = refused(validate(tmp_path, text))
    for problem in expected:
        assert problem in error


def test_a_merge_key_may_repeat_what_it_merges(tmp_path: Path) -> None:
    """``<<: *anchor`` followed by a key it also brings is YAML's way of overriding: not a key written twice."""
    text = "organisation:\n  pods:\n    web: &pod {members: [1], tags: [x]}\n    data: {<<: *pod, tags: [y]}\n"
    assert validate(tmp_path, text).returncode == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "rules:\n\townership: {window: 1h}\n",
            "not valid YAML at line 2, column 1: a tab: indent with spaces, not tabs",
        ),
        (
            "rules:\n  coverage:\n    title: Cover: when away\n",
            "not valid YAML at line 3, column 17: a second ': ' on one line: put a value that holds ': ' in quotes",
        ),
        (
            "organisation:\n  default_priority: high\n business_days: [mon]\n",
            "not valid YAML at line 3, column 2: this line is indented differently from the keys above it",
        ),
    ],
)
def test_yaml_mistakes_are_said_with_how_to_fix_them(tmp_path: Path, text: str, expected: str) -> None:
    error = refused(validate(tmp_path, text))
    assert expected in error
    assert "cannot start any token" not in error and "not allowed here" not in error and "<block" not in error


def test_a_date_that_does_not_exist_is_named_not_a_crash(tmp_path: Path) -> None:
    text = "organisation:\n  out_of_office:\n    - {agent: a@x.io, start: 2026-02-30, end: 2026-03-02}\n"
    error = refused(validate(tmp_path, text))
    assert "line 3, column 30: 2026-02-30 is not a date (day is out of range for month)" in error


def test_every_problem_in_changing_rules_by_id_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        "rules:\n  coverage: {wait_fraction: half, windw: 1}\n  ownership: {window: true}\n  nosuch: {title: x}\n"
        "organisation: {default_priority: critical}\n"
    )
    error = refused(validate(tmp_path, text))
    for problem in (
        "rules.coverage.wait_fraction:",
        "rules.coverage.windw: unknown key: did you mean 'window'?",
        "rules.ownership.window: expected a duration such as 30m, 4h, 1h30m or 2d, got true",
        "rules.nosuch: unknown key: there is no rule 'nosuch' to change",
        "organisation.default_priority 'critical' has no entry in organisation.reply_targets",
    ):
        assert f"\n  - {problem}" in error, problem
    assert "organisation: organisation" not in error  # the key is said once


def test_a_saved_policy_changing_rules_by_id_names_every_problem_once() -> None:
    from intently.errors import PolicyError
    from intently.policy.loader import default_policy_data, validate_policy

    data = {**default_policy_data(), "rules": {"coverage": {"wait_fraction": 20}, "ownership": {"window": "soon"}}}
    with pytest.raises(PolicyError) as info:
        validate_policy(data, "policy saved in the store")
    assert info.value.problems == [
        "rules.coverage.wait_fraction: must be at most 10, got 20 (a number)",
        "rules.ownership.window: expected a duration such as 30m, 4h, 1h30m or 2d, got 'soon'",
    ]


RULES_AFTER = (
    "  - {id: assignee, verdict: assignee, title: t, rationale: r, when: author_is_assignee}\n"
    "  - {id: internal_note, verdict: intentional, title: t, rationale: r, when: internal}\n"
    "  - {id: unsolicited_reply, verdict: drive_by, title: t, rationale: r, when: always}\n"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'rules: {coverage: {wait_fraction: "half"}}\n',
            "rules.coverage.wait_fraction: expected a number such as 0.75 (a share of the reply target), got 'half'",
        ),
        (
            "rules:\n  - {id: waited, verdict: intentional, title: t, rationale: r, when: {customer_waited: half}}\n"
            + RULES_AFTER,
            "rules.waited.when: customer_waited.share: expected a number such as 0.75 (a share of the reply target), "
            "got 'half'",
        ),
        (
            "organisation:\n  out_of_office:\n    - {agent: a@x.io, start: 14/08/2026, end: 2026-08-20}\n",
            "organisation.out_of_office[0].start: expected a date as YYYY-MM-DD (such as 2026-08-03) or a time such "
            "as 2026-08-03T14:00:00Z, got '14/08/2026'",
        ),
        (
            'organisation:\n  out_of_office:\n    - {agent: a@x.io, start: "2026-02-30", end: 2026-08-20}\n',
            "organisation.out_of_office[0].start: 2026-02-30 is not a date (day is out of range for month)",
        ),
        (
            "rules: {coverage: {wait_fraction: .nan}}\n",
            "rules.coverage.wait_fraction: expected a number such as 0.75 (a share of the reply target), got .nan "
            "(not a number), which is not allowed",
        ),
        (
            "rules:\n  - {id: waited, verdict: intentional, title: t, rationale: r, when: {customer_waited: .inf}}\n"
            + RULES_AFTER,
            "rules.waited.when: customer_waited.share: expected a number such as 0.75 (a share of the reply target), "
            "got .inf (infinity), which is not allowed",
        ),
        (
            "rules:\n  - {id: two, verdict: intentional, title: t, rationale: r,"
            " when: {public_voices: {at_least: .nan}}}\n" + RULES_AFTER,
            "rules.two.when: public_voices.at_least: expected a whole number, got .nan (not a number), which is not "
            "allowed",
        ),
        (
            "version: 2026.10\n",
            'version: expected text: put it in quotes, "2026.10" (without them YAML reads the number 2026.1)',
        ),
        (
            "rules:\n  - {id: pods, verdict: intentional, title: 1.10, rationale: r, when: internal}\n" + RULES_AFTER,
            'rules.pods.title: expected text: put it in quotes, "1.10" (without them YAML reads the number 1.1)',
        ),
    ],
)
def test_problems_say_what_was_given_and_what_is_expected(tmp_path: Path, text: str, expected: str) -> None:
    error = refused(validate(tmp_path, text))
    assert expected in error
    for library in ("Input should", "unable to parse", "Invalid isoformat", "cannot convert", "must be at most 10"):
        assert library not in error


def test_a_condition_naming_an_unknown_pod_or_region_is_refused(tmp_path: Path) -> None:
    """Pods are defined only under organisation.pods and regions under organisation.regions: a condition naming
    another would never hold."""
    text = (
        "rules:\n"
        "  - {id: pod, verdict: intentional, title: t, rationale: r, when: {author_in_pod: [nosuchpod]}}\n"
        "  - {id: region, verdict: intentional, title: t, rationale: r, when: {author_region: [MARS]}}\n"
        "  - id: mixed\n    verdict: intentional\n    title: t\n    rationale: r\n    when:\n      any:\n"
        "        - author_in_pod: [Data]\n        - not: {author_region: [emea, Europe, all_regions]}\n"
        "        - preferred_region: [all_regions, apac, EMAE]\n" + RULES_AFTER + "organisation:\n"
        "  regions:\n    EMEA: {time_zone: Europe/Amsterdam, hours: 08:00-18:00, aliases: [Europe]}\n"
        "  pods:\n    data: {members: [1], tags: [etl]}\n    web: {members: [2], tags: [css]}\n"
    )
    error = refused(validate(tmp_path, text))
    for problem in (
        "rules.pod.when: author_in_pod: unknown pod 'nosuchpod' (the pods, under organisation.pods: data, web)",
        "rules.region.when: author_region: unknown region 'MARS' (the regions: AMER, EMEA, APAC, or an alias of one "
        "under organisation.regions)",
        "rules.mixed.when: any[0].author_in_pod: unknown pod 'Data': did you mean 'data'?",
        "rules.mixed.when: any[1].not.author_region: 'all_regions' means any region, which is no agent's region",
        "rules.mixed.when: any[2].preferred_region: unknown region 'EMAE': did you mean 'EMEA'?",
    ):
        assert f"\n  - {problem}" in error, problem
    assert "'emea'" not in error and "'Europe'" not in error and "'apac'" not in error  # a code or alias is known


def test_without_pods_a_condition_naming_one_says_where_pods_are_defined(tmp_path: Path) -> None:
    text = "rules:\n  - {id: pod, verdict: intentional, title: t, rationale: r, when: {author_in_pod: [data]}}\n"
    error = refused(validate(tmp_path, text + RULES_AFTER))
    assert (
        "rules.pod.when: author_in_pod: unknown pod 'data' (organisation.pods defines none: define it there, with its "
        "members and tags)"
    ) in error
    pods = "organisation:\n  pods:\n    data: {members: [1], tags: [etl]}\n"
    assert validate(tmp_path, text + RULES_AFTER + pods).returncode == 0


def test_each_problem_names_the_line_of_its_key(tmp_path: Path) -> None:
    rules = (
        'version: "2"\n'
        "rules:\n"
        "  - id: pod\n    verdict: intentional\n    title: t\n    rationale: r\n"
        "    when:\n      all:\n        - public\n        - author_in_pod: [nosuchpod]\n" + RULES_AFTER
    )
    error = refused(validate(tmp_path, rules))
    assert "rules.pod.when: all[1].author_in_pod: unknown pod 'nosuchpod'" in error
    assert "organisation.pods defines none: define it there, with its members and tags) (line 10)" in error
    away = (
        "organisation:\n  out_of_office:\n    - {agent: a@x.io, start: 2026-08-01, end: 2026-08-03}\n"
        "    - {agent: b@x.io, start: 14/08/2026, end: 2026-08-20}\n"
    )
    assert "organisation.out_of_office[1].start: expected a date" in refused(validate(tmp_path, away))
    assert "got '14/08/2026' (line 4)" in refused(validate(tmp_path, away))
    patched = refused(validate(tmp_path, "# our changes\nrules:\n  coverage:\n    wait_fraction: half\n"))
    assert "rules.coverage.wait_fraction: expected a number" in patched and "got 'half' (text) (line 4)" in patched


def test_an_unknown_weekday_is_named_as_written(tmp_path: Path) -> None:
    error = refused(validate(tmp_path, "organisation:\n  business_days: [mon, funday, Caturday]\n"))
    assert "organisation.business_days: unknown weekdays 'funday', 'Caturday': use mon, tue, wed" in error
