"""The command line as a user runs it: real processes, real files, exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from intently.engine import EXPORT_FIELDS
from tests.test_zendesk_export import _small_export


def intently(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intently", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return _small_export().write(tmp_path / "export", audits_per_page=2)


def test_import_then_classify_from_the_store(tmp_path: Path, export: Path) -> None:
    db = str(tmp_path / "team.db")
    done = intently("import", str(export), "--db", db)
    assert done.returncode == 0, done.stderr
    assert "Imported 1 tickets, 4 people" in done.stdout
    again = intently("import", str(export), "--db", db)
    assert again.returncode == 0 and "Imported 1 tickets" in again.stdout
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
    assert "intentional by rule solicited" in flat
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
