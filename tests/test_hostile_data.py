"""Names, subjects, tags and comment text come from outside: on every channel they stay text.

A demo export is rewritten so that every agent's name, every subject and one tag carry what an attacker would
plant: ANSI colour and cursor codes, an OSC 8 hyperlink, a carriage return that overwrites the line, a bell,
Rich markup (``[/bold]``, ``[link=…]``) and a spreadsheet formula. Every command that prints data is run; none
may pass a control character to the terminal (output is not a terminal here, so intently itself emits no
escape codes: any escape in the output came from the data), markup must show as the literal text, and CSV
cells that would start a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from html import escape as html_escape
from pathlib import Path

import pytest

from intently.demo import generate_export

EVIL_NAME = "Eve \x1b[31mRed\x1b[0m \x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\ [/bold][link=https://x.example]x[/link]\r\x07\x9b2J"
EVIL_SUBJECT = '=HYPERLINK("https://evil.example","click") \x1b[2J\x1b[H[bold]loud[/bold]\rgone'
EVIL_TAG = "\x1b[5mblink"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _poison(export: Path) -> list[int]:
    """Every user's name gets the hostile name (kept unique by its id), every subject the hostile subject, every
    ticket one hostile tag; returns the ticket ids."""
    ticket_ids: list[int] = []
    for path in sorted(export.glob("users*.json")):
        data = json.loads(path.read_text())
        for user in data["users"]:
            user["name"] = f"{EVIL_NAME} {user['id']}"
        path.write_text(json.dumps(data))
    for path in sorted(export.glob("tickets*.json")):
        data = json.loads(path.read_text())
        for ticket in data["tickets"]:
            ticket["subject"] = ticket["raw_subject"] = EVIL_SUBJECT
            ticket["tags"] = [*ticket.get("tags", []), EVIL_TAG]
            ticket_ids.append(ticket["id"])
        path.write_text(json.dumps(data))
    return ticket_ids


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTENTLY_")}
    return {**env, "COLUMNS": "250", "TERM": "xterm-256color"}


def intently(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "intently", *args], capture_output=True, text=True, cwd=cwd, env=_env(), timeout=300
    )
    return done


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[int]]:
    folder = tmp_path_factory.mktemp("hostile")
    export = folder / "export"
    generate_export(export, tickets=60, seed=9)
    ticket_ids = _poison(export)
    db = folder / "intently.db"
    done = intently("import", str(export), "--db", str(db), cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder, db, ticket_ids


def _assert_safe(done: subprocess.CompletedProcess[str], what: str) -> None:
    assert done.returncode == 0, f"{what}: {done.stderr}"
    for channel, text in (("stdout", done.stdout), ("stderr", done.stderr)):
        found = sorted({hex(ord(c)) for c in CONTROL.findall(text)})
        assert not found, f"{what} {channel} passes control characters {found} to the terminal"
        assert "evil.example" not in text or "https://evil.example" in text.replace("\n", "")


def test_import_report_explain_and_classify_print_data_as_text(poisoned: tuple[Path, Path, list[int]]) -> None:
    folder, db, ticket_ids = poisoned
    for args in (
        ("report", "--db", str(db)),
        ("classify", "--db", str(db), "--format", "table", "--limit", "0"),
        ("explain", str(ticket_ids[0]), "--db", str(db)),
        ("explain", str(ticket_ids[-1]), "--db", str(db)),
        ("import", str(folder / "export"), "--db", str(db)),
    ):
        done = intently(*args, cwd=folder)
        _assert_safe(done, " ".join(args[:2]))
    shown = intently("explain", str(ticket_ids[0]), "--db", str(db), cwd=folder).stdout
    assert "[/bold][link=https://x.example]x[/link]" in shown  # markup shown as the text it is
    assert "[bold]loud[/bold]" in shown


def test_classify_csv_neutralises_formulas_and_controls(poisoned: tuple[Path, Path, list[int]]) -> None:
    folder, db, _ = poisoned
    done = intently("classify", "--db", str(db), "--format", "csv", cwd=folder)
    _assert_safe(done, "classify --format csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows
    for row in rows:
        for key, value in row.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")) or re.fullmatch(r"-?\d+(\.\d+)?", value), (
                key,
                value,
            )


def test_json_output_keeps_the_data_exactly(poisoned: tuple[Path, Path, list[int]]) -> None:
    """Machine formats are for programs: JSON escapes the controls, and the names arrive unchanged."""
    folder, db, _ = poisoned
    done = intently("classify", "--db", str(db), "--format", "jsonl", cwd=folder)
    _assert_safe(done, "classify --format jsonl")
    reasons = [json.loads(line)["reason"] for line in done.stdout.splitlines()]
    assert any(EVIL_NAME in reason for reason in reasons)  # the name, byte for byte, inside the reason


def test_serve_and_sync_show_names_from_zendesk_as_text(tmp_path: Path) -> None:
    """The API user's name comes from Zendesk (users/me): markup in it once stopped ``serve``."""
    from tests.fake_zendesk import API_USER_ID, FakeZendesk, ZendeskDataset
    from tests.test_webhooks import SECRET, _free_port, _up, wait_for

    dataset = ZendeskDataset.generate(tickets=5)
    for user in dataset.users:
        user["name"] = f"{EVIL_NAME} {user['id']}"
    with FakeZendesk(dataset) as zd:
        env = {**_env(), **zd.credentials_env(), "ZENDESK_WEBHOOK_SECRET": SECRET}
        db = str(tmp_path / "store.db")
        sync = subprocess.run(
            [sys.executable, "-m", "intently", "sync", "zendesk", "--url", zd.url, "--db", db],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        _assert_safe(sync, "sync zendesk")
        port = _free_port()
        command = [sys.executable, "-m", "intently", "serve", "--db", db, "--url", zd.url, "--port", str(port)]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: _up(f"http://127.0.0.1:{port}") or process.poll() is not None, timeout=30, what="serve")
            assert process.poll() is None, process.communicate()
        finally:
            process.terminate()
            stdout, stderr = process.communicate(timeout=20)
    started = subprocess.CompletedProcess(command, 0, stdout, stderr)
    _assert_safe(started, "serve")
    assert "[/bold][link=https://x.example]x[/link]" in stdout  # the markup, shown as text
    assert f"(user {API_USER_ID})" in " ".join(stdout.split())


def test_pages_link_text_ids_whole_and_show_hostile_text_as_text(tmp_path: Path) -> None:
    """Ticket ids from a helpdesk may be text holding ``/``, ``?``, ``#``, ``%`` or markup: every link names its
    ticket whole (encoded), and opens that ticket. A name with control characters and 50,000 more characters shows
    without the controls, cut: no page grows to a megabyte or hundreds of thousands of pixels wide."""
    from dataclasses import replace

    from intently.model import Directory, TicketHistory
    from intently.sources import open_source
    from intently.sources.neutral import write_neutral
    from intently.store import Store
    from intently.web.ids import ticket_path
    from tests.dashboard_client import dashboard, ensure_account, login
    from tests.test_zendesk_export import _small_export

    export = open_source(_small_export().write(tmp_path / "export"))
    history = next(export.histories())
    ids = ["7?view=compact", "a/b", "T<script>x</script>%41#x"]
    histories = [TicketHistory.of(replace(history.ticket, id=ticket_id), history.events) for ticket_id in ids]
    directory = Directory()
    for user in export.directory.users.values():
        long = user.id == history.ticket.assignee_id
        directory.add_user(replace(user, name=f"{EVIL_NAME} {'A' * 50_000}") if long else user)
    neutral = tmp_path / "hostile.jsonl"
    write_neutral(neutral, directory, iter(histories))
    db = tmp_path / "intently.db"
    assert intently("import", str(neutral), "--db", str(db), cwd=tmp_path).returncode == 0
    with Store.open(db) as store:
        ensure_account(store, "ana")
        with dashboard(store) as client:
            assert login(client, "ana").status_code == 303
            listing = client.get("/tickets")
            assert listing.status_code == 200
            for ticket_id in ids:
                href = ticket_path(ticket_id)
                assert f'href="{href}"' in listing.text.replace("&amp;", "&"), ticket_id
                page = client.get(href)
                assert page.status_code == 200, (ticket_id, page.status_code)
                assert html_escape(ticket_id) in page.text  # this ticket's page, its id shown as text
            for path in ("/tickets", ticket_path(ids[0]), "/engineers", "/"):
                text = client.get(path).text
                found = sorted({hex(ord(c)) for c in CONTROL.findall(text)})
                assert not found, (path, found)
                assert "A" * 10_001 not in text and len(text) < 600_000, (path, len(text))


def test_a_csv_cell_holds_what_a_spreadsheet_can() -> None:
    """A spreadsheet keeps 32,767 characters of a cell: a longer text (a 50,000-character name in a reason) is cut
    with an ellipsis in CSV, never left for the spreadsheet to cut or refuse."""
    from intently.report.formatting import CSV_CELL, csv_text

    cell = csv_text("=" + "A" * 50_000)
    assert len(cell) <= 32_767 and cell.startswith("'=") and cell.endswith("…")
    assert csv_text("B" * CSV_CELL) == "B" * CSV_CELL
