"""``intently classify EXPORT`` on every core: the same output, byte for byte, whatever the number of jobs.

The tickets are shared among processes and their results merged back into the order of one process; the
warnings, an error in the data (and how much output comes before it) must not tell how many processes ran.
And an export page is decoded straight into the few fields intently reads, or generically when it holds anything
unusual: both read an export the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from intently.demo import generate_export
from intently.sources import open_source
from intently.zendesk import export as export_module
from intently.zendesk.export import ZendeskExport
from tests.cli_runner import intently
from tests.zendesk_builder import ExportBuilder, change, comment, create

FORMATS = ("jsonl", "csv", "json", "table")


def classify(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "intently", "classify", str(root), *args],
        capture_output=True,
        env=env,
        cwd=root.parent,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo export whose tickets span several small audit pages (time order, not grouped by ticket)."""
    root = tmp_path_factory.mktemp("jobs") / "export"
    generate_export(root, tickets=240, seed=5, audits_per_page=60, tickets_per_page=50)
    return root


@pytest.mark.parametrize("format", FORMATS)
def test_every_format_is_the_same_on_any_number_of_jobs(demo_export: Path, format: str) -> None:
    one = classify(demo_export, "--format", format, "--jobs", "1", "--limit", "0")
    assert one.returncode == 0, one.stderr.decode()
    assert len(one.stdout) > 10_000
    for jobs in ("2", "7"):
        many = classify(demo_export, "--format", format, "--jobs", jobs, "--limit", "0")
        assert many.returncode == 0, many.stderr.decode()
        assert many.stdout == one.stdout, f"--jobs {jobs} differs from --jobs 1 in {format}"
        assert many.stderr == one.stderr


def test_the_default_uses_every_core_with_the_same_output(demo_export: Path) -> None:
    one = classify(demo_export, "--format", "jsonl", "--jobs", "1")
    default = classify(demo_export, "--format", "jsonl")
    assert default.returncode == 0
    assert default.stdout == one.stdout
    lines = [json.loads(line) for line in one.stdout.splitlines()]
    assert len({(line["ticket_id"], line["comment_id"]) for line in lines}) == len(lines)
    table = classify(demo_export, "--jobs", "2")  # the table keeps the latest 50 rows of the same order
    assert table.stdout == classify(demo_export, "--jobs", "1").stdout
    assert b"(latest 50 of" in table.stdout


def _messy_export(root: Path) -> Path:
    """Repeated and differing audits, people nobody knows, a ticket only in the audits, one without audits, a
    deleted one: every warning a run can give, from tickets spread over pages."""
    b = ExportBuilder()
    b.user(1, "Casey Customer", role="end-user")
    for agent in range(10, 16):
        b.user(agent, f"Agent {agent}")
    for ticket in range(1, 31):
        if ticket != 29:
            b.ticket(ticket, "2026-03-02T09:00:00Z", requester=1, assignee_id=10 + ticket % 6)
        b.audit(ticket, "2026-03-02T09:00:00Z", 1, comment("Help."), create("assignee_id", str(10 + ticket % 6)))
    for round_ in range(3):
        for ticket in range(1, 31):
            at = f"2026-03-0{3 + round_}T1{ticket % 10}:00:00Z"
            author = 10 + (ticket + round_) % 6 if ticket % 7 else 90 + ticket  # 90+: not in the users
            b.audit(ticket, at, author, comment(f"Reply {round_} to {ticket}.", public=bool(round_ % 2)))
    b.audit(7, "2026-03-06T09:00:00Z", 12, change("tags", ["needs_collaboration"], []))
    b.audit(7, "2026-03-06T10:00:00Z", 13, comment("Looking at it, Agent 12.", public=False))
    b.ticket(40, "2026-03-01T09:00:00Z", requester=1)  # no audits
    b.ticket(41, "2026-03-01T09:00:00Z", requester=1, status="deleted")
    b.audit(41, "2026-03-02T09:00:00Z", 1, comment("Gone."))
    root = b.write(root, audits_per_page=9)
    pages = sorted(root.glob("ticket_audits*.json"))
    first, last = json.loads(pages[0].read_text()), json.loads(pages[-1].read_text())
    repeated = json.loads(json.dumps(first["audits"][1]))
    repeated["events"][0]["body"] = "A differing copy."
    repeated["events"][0].pop("plain_body", None)
    last["audits"].append(first["audits"][2])  # the same copy again, on another page
    first["audits"].append(repeated)
    pages[0].write_text(json.dumps(first))
    pages[-1].write_text(json.dumps(last))
    return root


def test_warnings_are_the_same_on_any_number_of_jobs(tmp_path: Path) -> None:
    root = _messy_export(tmp_path / "messy")
    one = classify(root, "--format", "jsonl", "--jobs", "1")
    assert one.returncode == 0, one.stderr.decode()
    warnings = one.stderr.decode()
    assert "not in the export's users" in warnings
    assert "ticket 29 has audits but is not in any tickets" in warnings
    assert "different content" in warnings
    for jobs in ("2", "4"):
        many = classify(root, "--format", "jsonl", "--jobs", jobs)
        assert (many.returncode, many.stdout, many.stderr) == (one.returncode, one.stdout, one.stderr)


def test_an_error_stops_at_the_same_place_on_any_number_of_jobs(tmp_path: Path) -> None:
    root = _messy_export(tmp_path / "broken")
    pages = sorted(root.glob("ticket_audits*.json"))
    page = json.loads(pages[-3].read_text())
    page["audits"][4]["created_at"] = "yesterday"
    pages[-3].write_text(json.dumps(page))
    one = classify(root, "--format", "jsonl", "--jobs", "1")
    assert one.returncode == 1
    assert b"expected an ISO 8601 time, got 'yesterday'" in one.stderr
    assert one.stdout  # the tickets complete before that page were written
    for jobs in ("2", "5"):
        many = classify(root, "--format", "jsonl", "--jobs", jobs)
        assert (many.returncode, many.stdout, many.stderr) == (one.returncode, one.stdout, one.stderr)


def test_a_page_that_is_not_utf8_stops_every_number_of_jobs_at_the_same_place(tmp_path: Path) -> None:
    """Text that is not UTF-8, even in a field intently never reads (an HTML body), is an error naming the page:
    the first pass checks each page once for every process, and a page that fails is read generically."""
    root = _messy_export(tmp_path / "latin1")
    pages = sorted(root.glob("ticket_audits*.json"))
    page = json.loads(pages[-2].read_text())
    page["audits"][1]["events"][0]["html_body"] = "caf\u00e9"
    pages[-2].write_bytes(json.dumps(page, ensure_ascii=False).encode("latin-1"))  # é as one byte, not UTF-8
    one = intently("classify", str(root), "--format", "jsonl", "--jobs", "1")
    assert one.returncode == 1
    assert pages[-2].name in one.stderr and "not valid JSON" in one.stderr, one.stderr
    assert one.stdout  # the tickets complete before that page were written
    for jobs in ("2", "3"):
        many = intently("classify", str(root), "--format", "jsonl", "--jobs", jobs)
        assert (many.returncode, many.stdout, many.stderr) == (one.returncode, one.stdout, one.stderr)


def test_decoding_straight_into_records_reads_as_the_generic_decoding(
    demo_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for root in (demo_export, _messy_export(tmp_path / "messy")):
        typed = open_source(root)
        fast = list(typed.histories())

        class Unusual(msgspec.Struct):
            never: int

        always_generic = msgspec.json.Decoder(Unusual)
        with monkeypatch.context() as patch:
            patch.setattr(export_module, "AUDIT_PAGE", always_generic)
            patch.setattr(export_module, "TICKET_PAGE", always_generic)
            generic = open_source(root)
            slow = list(generic.histories())
        assert fast == slow
        assert typed.warnings == generic.warnings
        assert typed.directory == generic.directory


def _unusual_export(root: Path, value: str, kind: str = "Change") -> Path:
    """The messy export with one audit's event holding ``value`` (JSON text) where a plain value is expected: as
    a custom field's value (a Change), or as whether a comment is public (a Comment)."""
    _messy_export(root)
    pages = sorted(root.glob("ticket_audits*.json"))
    page = json.loads(pages[2].read_text())
    if kind == "Change":
        event = {"id": 777, "type": "Change", "field_name": "360001", "value": "MARK"}
    else:
        event = {"id": 777, "type": "Comment", "author_id": 11, "body": "Hm.", "public": "MARK"}
    page["audits"][3]["events"].append(event)
    pages[2].write_text(json.dumps(page).replace('"MARK"', value))
    return root


@pytest.mark.parametrize(
    ("value", "kind", "error"),
    [
        ('{"nested": [1, 2]}', "Change", None),
        ("123456789012345678901234567890", "Change", None),
        ('"yes"', "Comment", "public must be true or false"),
    ],
)
def test_an_unusual_value_reads_the_same_whichever_process_owns_its_ticket(
    tmp_path: Path, value: str, kind: str, error: str | None
) -> None:
    """A process decodes only its own tickets' events; an unusual value (an object where a plain value is expected,
    an integer beyond 64 bits, a comment neither public nor not) reads, or fails, as on one process."""
    root = _unusual_export(tmp_path / "unusual", value, kind)
    one = intently("classify", str(root), "--format", "jsonl", "--jobs", "1")
    assert one.returncode == (0 if error is None else 1), one.stderr
    if error is not None:
        assert error in one.stderr
    for jobs in ("2", "3"):
        many = intently("classify", str(root), "--format", "jsonl", "--jobs", jobs)
        assert (many.returncode, many.stdout, many.stderr) == (one.returncode, one.stdout, one.stderr)


def test_each_share_reads_its_tickets_as_one_process_does(demo_export: Path, tmp_path: Path) -> None:
    """The histories a share builds (decoding only its own tickets' events) equal those of one process."""
    for root in (demo_export, _unusual_export(tmp_path / "unusual", '{"nested": true}')):
        whole = {history.ticket.id: history for history in ZendeskExport(root).histories()}
        for jobs in (2, 3):
            seen: dict[object, object] = {}
            for job in range(jobs):
                for closed in ZendeskExport(root).share(job, jobs):
                    seen[closed.history.ticket.id] = closed.history
            assert seen == whole


def test_times_are_written_in_utc_whatever_offset_the_export_gives(tmp_path: Path) -> None:
    """JSON Lines write each time as UTC with a Z (orjson writes UTC times itself; others are converted first)."""
    b = ExportBuilder()
    b.user(1, "Casey Customer", role="end-user")
    b.user(10, "Ana Agent")
    b.user(11, "Bo Agent")
    b.ticket(1, "2026-03-02T11:00:00+02:00", requester=1, assignee_id=10)
    b.audit(1, "2026-03-02T11:00:00+02:00", 1, comment("Help."), create("assignee_id", "10"))
    b.audit(1, "2026-03-02T12:30:00.250000+02:00", 10, comment("On it."))
    b.audit(1, "2026-03-02T11:00:00Z", 11, comment("Me too.", public=False))
    b.audit(1, "2026-03-02T09:15:00-05:00", 11, comment("Still here."))
    root = b.write(tmp_path / "offsets")
    result = intently("classify", str(root), "--format", "jsonl", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    times = [line["created_at"] for line in lines]
    assert times == ["2026-03-02T10:30:00.250000Z", "2026-03-02T11:00:00Z", "2026-03-02T14:15:00Z"]
    evidence = [item["at"] for line in lines for item in line["evidence"]]
    assert evidence and all(at.endswith("Z") and "+" not in at for at in evidence)
    assert "2026-03-02T09:00:00Z" in evidence  # the assignment, written at 11:00+02:00


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"ticket_id": None}, "empty ticket_id"),
        ({"ticket_id": " 99"}, "already complete"),  # a ticket the first pass did not see: nobody's share
        ({"ticket_id": "abc"}, "ticket_id 'abc' is not a Zendesk ticket id (a whole number)"),
        ({"created_at": "soon"}, "expected an ISO 8601 time"),
    ],
)
def test_an_audit_error_stops_every_number_of_jobs_at_the_same_place(
    tmp_path: Path, change: dict[str, object], error: bytes
) -> None:
    root = _messy_export(tmp_path / "bad")
    pages = sorted(root.glob("ticket_audits*.json"))
    page = json.loads(pages[-2].read_text())
    page["audits"][2].update(change)
    pages[-2].write_text(json.dumps(page))
    one = intently("classify", str(root), "--format", "jsonl", "--jobs", "1")
    assert one.returncode == 1
    assert error in one.stderr, one.stderr
    assert one.stdout  # the tickets complete before that page
    for jobs in ("2", "3"):
        many = intently("classify", str(root), "--format", "jsonl", "--jobs", jobs)
        assert (many.returncode, many.stdout, many.stderr) == (one.returncode, one.stdout, one.stderr)


def test_ticket_records_read_the_same_on_any_number_of_jobs(tmp_path: Path) -> None:
    """On more than one job the ticket records are read in a process of their own: the same warnings (a differing
    copy of a ticket) and, for a bad record, the same error."""
    root = _messy_export(tmp_path / "tickets")
    page = json.loads((root / "tickets.page-001.json").read_text())
    differing = dict(page["tickets"][3], subject="Another subject")
    (root / "tickets.page-002.json").write_text(json.dumps({"tickets": [differing]}))
    one = intently("classify", str(root), "--format", "jsonl", "--jobs", "1")
    assert one.returncode == 0 and "different content (tickets.page-001.json, tickets.page-002.json)" in one.stderr
    many = intently("classify", str(root), "--format", "jsonl", "--jobs", "2")
    assert (many.returncode, many.stdout, many.stderr) == (one.returncode, one.stdout, one.stderr)
    (root / "tickets.page-002.json").write_text(json.dumps({"tickets": [dict(differing, created_at="someday")]}))
    one = intently("classify", str(root), "--format", "jsonl", "--jobs", "1")
    assert one.returncode == 1 and "tickets.page-002.json" in one.stderr and "someday" in one.stderr, one.stderr
    many = intently("classify", str(root), "--format", "jsonl", "--jobs", "2")
    assert (many.returncode, many.stdout, many.stderr) == (one.returncode, one.stdout, one.stderr)
