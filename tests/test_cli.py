"""The command line as a user runs it: real files, exit codes, messages. The commands run in this process
through ``intently.cli.main`` (:mod:`tests.cli_runner`); one test runs the installed command as real processes."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from intently.engine import EXPORT_FIELDS
from tests.cli_runner import intently, intently_process
from tests.test_zendesk_export import _small_export


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return _small_export().write(tmp_path / "export", audits_per_page=2)


def test_import_then_classify_from_the_store(tmp_path: Path, export: Path) -> None:
    db = str(tmp_path / "team.db")
    done = intently("import", str(export), "--db", db)
    assert done.returncode == 0, done.stderr
    assert "Imported 1 ticket, 4 people" in done.stdout and "policy is now" not in done.stdout
    again = intently("import", str(export), "--db", db)
    assert again.returncode == 0 and "Imported 1 ticket," in again.stdout
    jsonl = intently("classify", "--db", db, "--format", "jsonl")
    assert jsonl.returncode == 0, jsonl.stderr
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [list(row) for row in rows] == [list(EXPORT_FIELDS)] * 3
    assert [(r["author_id"], r["rule"], r["verdict"]) for r in rows] == [
        (10, "assignee", "assignee"),
        (12, "solicited", "intentional"),
        (11, "solicited", "intentional"),
    ]
    assert all(isinstance(r["ticket_id"], int) and r["created_at"].endswith("Z") for r in rows)
    from_files = intently("classify", str(export), "--format", "jsonl")
    assert from_files.stdout == jsonl.stdout


def test_classify_formats(export: Path) -> None:
    as_json = json.loads(intently("classify", str(export), "--format", "json").stdout)
    assert len(as_json) == 3 and as_json[0]["evidence"][0]["what"] == "public reply"
    table = list(csv.DictReader(io.StringIO(intently("classify", str(export), "--format", "csv").stdout)))
    assert [row["rule"] for row in table] == ["assignee", "solicited", "solicited"]
    assert list(table[0]) == list(EXPORT_FIELDS)
    human = intently("classify", str(export))
    assert human.returncode == 0 and "solicited" in human.stdout and "Pip Okafor" in human.stdout


def test_explain_shows_the_timeline_with_reasons(export: Path) -> None:
    shown = intently("explain", "7", str(export))
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert "Ticket 7" in text and "not judged: the opening description" in text
    flat = " ".join(text.split())
    assert "Intentional help, by rule solicited" in flat
    assert "Ana Lee added the needs_collaboration tag at 2026-03-02 10:00 UTC" in flat


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("classify", "/no/such/export"), 1, "no such file or directory"),
        (("explain", "12345", "{export}"), 1, "ticket 12345 not found"),
        (("classify", "--db", "{tmp}/absent.db"), 1, "no store at"),
        (("classify", "{export}", "--format", "xml"), 2, "unknown format"),
        (("classify", "{export}", "--config", "{tmp}/missing.yaml"), 1, "file not found"),
        (("frobnicate",), 2, "No such command"),
        (("import",), 2, "Missing argument"),
    ],
)
def test_errors_are_clear_and_exit_codes_mean_something(
    tmp_path: Path, export: Path, args: tuple, code: int, message: str
) -> None:
    filled = [a.format(export=export, tmp=tmp_path) for a in args]
    done = intently(*filled)
    assert done.returncode == code
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_the_installed_command_exits_with_the_same_codes_and_messages(tmp_path: Path, export: Path) -> None:
    """The in-process runner says what the real command says: success, a user's error (1), a usage error (2)."""
    for args in (
        ("classify", str(export), "--format", "csv"),
        ("explain", "12345", str(export)),
        ("classify", str(export), "--format", "xml"),
    ):
        real, here = intently_process(*args), intently(*args)
        assert real.returncode == here.returncode, args
        assert real.stdout == here.stdout, args
        assert " ".join(real.stderr.split()) == " ".join(here.stderr.split()), args
        assert "Traceback" not in real.stderr


def test_bad_input_file_names_file_and_record(tmp_path: Path, export: Path) -> None:
    page = sorted(export.glob("ticket_audits*.json"))[0]
    data = json.loads(page.read_text())
    data["audits"][0]["events"][0]["public"] = "yes"
    page.write_text(json.dumps(data))
    done = intently("import", str(export), "--db", str(tmp_path / "x.db"))
    assert done.returncode == 1
    assert page.name in done.stderr and "public must be true or false" in done.stderr


def test_recorded_export_through_every_store_command(tmp_path: Path, recorded_export: Path) -> None:
    db = str(tmp_path / "rec.db")
    imported = intently("import", str(recorded_export), "--db", db)
    assert imported.returncode == 0, imported.stderr
    assert "Imported 86 tickets" in imported.stdout
    assert "6295881799834" in imported.stderr  # the missing user is a warning, not an error
    rows = intently("classify", "--db", db, "--format", "jsonl").stdout.splitlines()
    assert len(rows) == 2
    assert intently("explain", "1", "--db", db).returncode == 0
    assert intently("explain", "1", str(recorded_export)).returncode == 0
    report = intently("report", "--db", db, "--html", str(tmp_path / "r.html"))
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "r.html").read_text().lower().startswith("<!doctype html>")


def test_config_override_changes_judgements(tmp_path: Path, export: Path) -> None:
    policy = tmp_path / "team.yaml"
    policy.write_text("rules:\n  solicited:\n    enabled: false\n")
    rows = [
        json.loads(x)
        for x in intently("classify", str(export), "-f", "jsonl", "--config", str(policy)).stdout.splitlines()
    ]
    assert [r["rule"] for r in rows] == ["assignee", "unsolicited_reply", "internal_note"]
    (tmp_path / "intently.yaml").write_text(policy.read_text())
    local = [json.loads(x) for x in intently("classify", str(export), "-f", "jsonl", cwd=tmp_path).stdout.splitlines()]
    assert [r["rule"] for r in local] == ["assignee", "unsolicited_reply", "internal_note"]


def test_a_report_under_another_policy_is_a_what_if_and_adopting_it_judges_again(tmp_path: Path, export: Path) -> None:
    from intently.engine import judge_ticket
    from intently.policy import fingerprint, load_policy
    from intently.store import Store

    db = str(tmp_path / "team.db")
    assert intently("import", str(export), "--db", db).returncode == 0
    with Store.open(db) as store:
        assert "solicited" in {j.rule for j in store.judgements()}
        judged = store.judged_policy()
    changed = tmp_path / "changed.yaml"
    changed.write_text("version: 2.0.0\nrules:\n  solicited:\n    enabled: false\n")
    done = intently("report", "--db", db, "--config", str(changed))
    assert done.returncode == 0, done.stderr
    assert "what-if: judged under" in " ".join(done.stdout.split())
    with Store.open(db) as store:
        assert store.judged_policy() == judged  # a what-if leaves the store's judgements alone
    adopted = intently("policy", "adopt", str(changed), "--db", db)
    assert adopted.returncode == 0, adopted.stderr
    policy = load_policy(changed)
    with Store.open(db) as store:
        assert store.judged_policy() == fingerprint(policy)
        users = store.directory().users
        expected = sorted(
            (j.comment_id, j.rule) for h in store.histories() for j in judge_ticket(h, users, policy).judgements
        )
        assert sorted((j.comment_id, j.rule) for j in store.judgements()) == expected
        assert "solicited" not in {rule for _, rule in expected}


def test_import_says_when_its_policy_file_becomes_the_stores(tmp_path: Path, export: Path) -> None:
    team = tmp_path / "team.yaml"
    team.write_text("version: team-1\nrules:\n  solicited:\n    enabled: false\n")
    db = str(tmp_path / "team.db")
    done = intently("import", str(export), "--db", db, "--config", str(team))
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())
    assert f"The store's policy is now intently-default team-1 (from {team}), replacing intently-default 1.0.0" in said
    again = intently("import", str(export), "--db", db, "--config", str(team))
    assert again.returncode == 0 and "policy is now" not in again.stdout  # already the store's


def test_demo_leaves_a_store_a_report_and_a_handbook(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    done = intently("demo", "--out", str(out), "--tickets", "300", "--seed", "11", "--until", "2026-10-01")
    assert done.returncode == 0, done.stderr
    assert "(seed 11, 2 Jul – 30 Sep 2026)" in done.stdout  # the quarter that ends the day before --until
    for name in ("intently.db", "report.html", "handbook.md", "intently.yaml", "export/users.page-001.json"):
        assert (out / name).is_file(), name
    assert re.search(r"agent comments judged on [\d,]+ tickets worked, of 300 imported", done.stdout)
    assert "Drive-by share of contributor public replies" in done.stdout
    html = (out / "report.html").read_text()
    assert "Judged comments per week" in html and "<svg" in html
    assert "# Collaboration handbook" in (out / "handbook.md").read_text()
    # the store remembers the demo's policy (its pods), so later commands judge the same way
    stored = [
        json.loads(x) for x in intently("classify", "--db", str(out / "intently.db"), "-f", "jsonl").stdout.splitlines()
    ]
    from_files = intently("classify", str(out / "export"), "-f", "jsonl", "--config", str(out / "intently.yaml"))
    key = lambda row: (row["ticket_id"], row["created_at"], row["comment_id"])  # noqa: E731
    assert sorted(stored, key=key) == sorted((json.loads(x) for x in from_files.stdout.splitlines()), key=key)
    assert {row["verdict"] for row in stored} == {"assignee", "ownership_change", "intentional", "drive_by"}
    days = {row["created_at"][:10] for row in stored}
    assert min(days) >= "2026-07-02" and max(days) <= "2026-09-30" and max(days) >= "2026-09-20"
    again = intently("demo", "--out", str(out), "--tickets", "300", "--seed", "11", "--until", "2026-10-01")
    assert again.returncode == 0 and again.stdout == done.stdout


def test_demo_quarter_ends_yesterday_by_default(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from intently.report.formatting import fmt_date

    before = datetime.now(UTC).date()
    done = intently("demo", "--out", str(tmp_path / "demo"), "--tickets", "30")
    after = datetime.now(UTC).date()
    assert done.returncode == 0, done.stderr
    assert any(f"{fmt_date(day - timedelta(days=1))})" in done.stdout for day in {before, after})


def test_demo_never_replaces_what_it_did_not_write(tmp_path: Path, export: Path) -> None:
    """A team's store in the folder given stays as it was unless --force; a store being served, even with it."""
    import fcntl

    from tests.store_snapshot import snapshot

    team = tmp_path / "team"
    team.mkdir()
    db = str(team / "intently.db")
    assert intently("import", str(export), "--db", db).returncode == 0
    (team / "intently.yaml").write_text("version: team-1\n")
    before = snapshot(db)
    refused = intently("demo", "--out", str(team), "--tickets", "20")
    assert refused.returncode == 1 and "already holds intently.db, intently.yaml" in refused.stderr
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert snapshot(db) == before and (team / "intently.yaml").read_text() == "version: team-1\n"
    with (team / "intently.db.serve.lock").open("a+") as lock:  # as intently serve holds it
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        served = intently("demo", "--out", str(team), "--tickets", "20", "--force")
    assert served.returncode == 1 and "intently serve is serving" in served.stderr and snapshot(db) == before
    forced = intently("demo", "--out", str(team), "--tickets", "20", "--force")
    assert forced.returncode == 0 and snapshot(db) != before
    again = intently("demo", "--out", str(team), "--tickets", "20")  # now the demo's own folder
    assert again.returncode == 0, again.stderr


def test_policy_commands(tmp_path: Path, export: Path) -> None:
    shown = intently("policy", "show")
    assert shown.returncode == 0 and "within: 30m" in shown.stdout and "needs_collaboration" in shown.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  coverage:\n    wait_fraction: lots\n")
    invalid = intently("policy", "validate", str(bad))
    assert invalid.returncode == 1 and "rules.coverage.wait_fraction" in invalid.stderr
    good = tmp_path / "good.yaml"
    good.write_text("version: proposal-2\nrules:\n  solicited: {tags: [pod_help], followers: false, ccs: false}\n")
    assert intently("policy", "validate", str(good)).returncode == 0
    tested = intently("policy", "test")
    assert tested.returncode == 0 and " 0 failed" in tested.stdout
    rendered = intently("policy", "render", "--out", str(tmp_path / "h.md"), "--config", str(good))
    assert rendered.returncode == 0 and "pod_help" in (tmp_path / "h.md").read_text()
    compared = intently("policy", "compare", str(good), str(export))
    assert compared.returncode == 0, compared.stderr
    text = " ".join(compared.stdout.split())
    # Pip's reply and Bo's note were solicited by the tag, a follower and a CC: the proposal counts none of them
    assert "2 of 3 judgements change (66.7%), on 1 of 1 tickets" in text
    assert "Intentional help / solicited │ Drive-by / unsolicited_reply │ 1 │ 7" in text
    assert "Intentional help / solicited │ Intentional help / internal_note │ 1 │ 7" in text


def test_policy_test_fails_on_a_policy_that_breaks_a_scenario(tmp_path: Path) -> None:
    strict = tmp_path / "strict.yaml"
    strict.write_text("rules:\n  ownership:\n    window: 5m\n")
    done = intently("policy", "test", "--config", str(strict))
    assert done.returncode == 1
    assert "FAIL" in done.stdout and "unassigned-taken-at-30m" in done.stdout


def test_every_store_command_works_on_each_backend(tmp_path: Path, export: Path, store_url: str) -> None:
    assert intently("import", str(export), "--db", store_url).returncode == 0
    rows = intently("classify", "--db", store_url, "-f", "jsonl").stdout.splitlines()
    assert [json.loads(row)["rule"] for row in rows] == ["assignee", "solicited", "solicited"]
    assert "Intentional help, by rule solicited" in intently("explain", "7", "--db", store_url).stdout
    report = intently("report", "--db", store_url, "--html", str(tmp_path / "r.html"))
    assert report.returncode == 0 and (tmp_path / "r.html").is_file()
    proposal = tmp_path / "p.yaml"
    proposal.write_text("rules: {solicited: {enabled: false}}\n")
    compared = intently("policy", "compare", str(proposal), "--db", store_url)
    assert compared.returncode == 0 and "2 of 3 judgements change" in " ".join(compared.stdout.split())


def test_command_help_reads_as_sentences_not_as_the_sources_lines() -> None:
    """Each command's help is its docstring with every paragraph on one line, for the terminal to wrap: a line
    break of the source once showed mid-sentence in `intently --help` ("a" / "what-if")."""
    import typer

    from intently.cli import app

    def commands(group: typer.Typer) -> list[typer.models.CommandInfo]:
        found = list(group.registered_commands)
        for sub in group.registered_groups:
            assert sub.typer_instance is not None
            found += commands(sub.typer_instance)
        return found

    helps = [command.help for command in commands(app)]
    assert len(helps) > 20 and all(helps)
    for text in helps:
        assert all("\n" not in paragraph for paragraph in str(text).split("\n\n")), text
    version = intently("--version")
    assert version.returncode == 0 and re.fullmatch(r"intently \d+\.\d+\.\d+\S*\n", version.stdout)
