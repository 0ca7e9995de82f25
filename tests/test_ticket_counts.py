"""Ticket counts that agree: the demo's summary, ``intently report`` (terminal and HTML) and the dashboard's overview
count the same tickets in the same words ("tickets worked": with at least one judged agent comment, "of N
imported": every stored ticket), checked against counts taken here straight from the store's tables and the export's
files. A ticket nobody has answered yet makes the two differ, and every place says by how many."""

from __future__ import annotations

import html
import json
import re
import sqlite3
from pathlib import Path

from intently.policy import load_policy
from intently.store import Store
from tests.cli_runner import intently
from tests.dashboard_client import dashboard, ensure_account, login
from tests.fake_zendesk import FakeZendesk, ZendeskDataset

CUSTOMER = 5002


def _counts(db: Path) -> tuple[int, int]:
    """(imported, worked) read from the SQLite file's tables directly: every stored ticket, and the tickets with
    at least one stored judgement."""
    with sqlite3.connect(db) as conn:
        imported = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        worked = conn.execute("SELECT count(DISTINCT ticket_id) FROM judgements").fetchone()[0]
    return int(imported), int(worked)


def _export_tickets(export: Path) -> int:
    return sum(len(json.loads(path.read_text())["tickets"]) for path in export.glob("tickets*.json"))


def _overview_tile(db: Path, policy_path: Path | None = None) -> str:
    store = Store.open(db)
    try:
        ensure_account(store, "val", "viewer")
        with dashboard(store, load_policy(policy_path) if policy_path else None) as client:
            assert login(client, "val").status_code == 303
            page = client.get("/").text
    finally:
        store.close()
    tile = re.search(r'<div class="tile">(.*?)</div>', page, re.S)
    assert tile is not None
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", tile.group(1))).split())


def test_the_demo_summary_the_report_and_the_overview_agree(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    demo = intently("demo", "--out", str(out), "--tickets", "80")
    assert demo.returncode == 0, demo.stderr
    db = out / "intently.db"
    imported, worked = _counts(db)
    assert imported == _export_tickets(out / "export") == 80
    summary = " ".join(demo.stdout.split())
    assert f"{imported:,} tickets, " in summary  # imported
    assert f"judged on {worked:,} tickets worked, of {imported:,} imported" in summary
    assert f"on {worked:,} tickets worked (" in summary  # the demo's report headline

    report = intently("report", "--db", str(db), "--html", str(tmp_path / "report.html"))
    assert report.returncode == 0, report.stderr
    text = " ".join(report.stdout.split())
    assert f"on {worked:,} tickets worked (" in text
    assert f"Tickets: {worked:,} tickets worked, of {imported:,} imported" in text
    page = (tmp_path / "report.html").read_text()
    assert f'<p class="label">Tickets worked</p>\n    <p class="value">{worked:,}</p>' in page
    assert f"of {imported:,} imported" in page

    tile = _overview_tile(db, out / "intently.yaml")
    assert tile.startswith(f"{worked:,} tickets worked (with judged agent comments) of {imported:,} imported")


def test_tickets_nobody_answered_are_imported_but_not_worked(tmp_path: Path) -> None:
    zd = FakeZendesk(ZendeskDataset.generate(tickets=12))
    for n in range(3):  # the customer wrote; no agent has yet
        zd.add_ticket(CUSTOMER, f"Still waiting {n}", "Hello? Is anyone there?")
    export = zd.dataset.write_export(tmp_path / "export")
    db = tmp_path / "store.db"
    done = intently("import", str(export), "--db", str(db))
    assert done.returncode == 0, done.stderr
    imported, worked = _counts(db)
    assert imported - worked >= 3  # the three, and any generated ticket without an agent comment
    summary = " ".join(done.stdout.split())
    assert f"judged on {worked:,} tickets worked, of {imported:,} imported" in summary

    report = " ".join(intently("report", "--db", str(db)).stdout.split())
    rest = imported - worked
    assert f"Tickets: {worked:,} tickets worked, of {imported:,} imported ({rest:,} without an agent comment)" in report

    tile = _overview_tile(db)
    assert f"{worked:,} tickets worked (with judged agent comments) of {imported:,} imported ({rest:,} without" in tile
