"""Links to Zendesk: each ticket id opens the ticket in the account's agent interface, from the report, the
dashboard and ``explain``; the account's address comes from the data itself (the export's ticket URLs, or the
sync's base URL), nothing to configure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from intently.demo import generate_export
from intently.policy import load_policy
from intently.report.kept import write_stored_report
from intently.store import Store
from intently.store.pipeline import export_base, import_path, zendesk_base_of
from tests.cli_runner import intently
from tests.dashboard_client import tables
from tests.test_dashboard import account, client, store  # noqa: F401 - fixtures

ZENDESK_LINK = re.compile(r'<a [^>]*href="(https://[^"]+/agent/tickets/[^"]+)"[^>]*>')


def _first_ticket_url(export: Path) -> str:
    """The ``url`` of the first ticket record of the export, read here as plain JSON."""
    for path in sorted(export.glob("tickets*.json")):
        for record in json.loads(path.read_text())["tickets"]:
            if record.get("url"):
                return str(record["url"])
    raise AssertionError("the export has no ticket URL")


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, Store]:
    export = tmp_path / "export"
    generate_export(export, tickets=40, seed=3)
    db = Store.open(tmp_path / "store.db")
    import_path(export, db, load_policy(export / "intently.yaml"))
    return export, db


def test_the_import_keeps_the_account_of_the_exports_ticket_urls(demo: tuple[Path, Store]) -> None:
    export, db = demo
    url = _first_ticket_url(export)
    site = url.split("/api/v2/")[0]
    assert url.startswith("https://") and site.endswith(".zendesk.com")
    assert db.zendesk_base() == site == export_base(export)
    db.close()


def test_the_account_of_a_url() -> None:
    assert zendesk_base_of("https://acme.zendesk.com/api/v2/tickets/7.json") == "https://acme.zendesk.com"
    assert zendesk_base_of("javascript:alert(1)//api/v2/tickets/7.json") is None
    assert zendesk_base_of('https://evil.example"><script>/api/v2/tickets/1.json') is None


def test_an_export_without_urls_gives_no_links(tmp_path: Path) -> None:
    export = tmp_path / "export"
    generate_export(export, tickets=10, seed=4)
    for path in export.glob("tickets*.json"):
        data = json.loads(path.read_text())
        for record in data["tickets"]:
            record.pop("url", None)
        path.write_text(json.dumps(data))
    with Store.open(tmp_path / "store.db") as db:
        import_path(export, db, load_policy(export / "intently.yaml"))
        assert db.zendesk_base() is None
        report = tmp_path / "r.html"
        write_stored_report(db, db.directory().users, load_policy(export / "intently.yaml"), report, title="t")
        assert not ZENDESK_LINK.search(report.read_text())


def test_a_synced_store_links_to_the_synced_account(tmp_path: Path) -> None:
    """A store filled by an older sync knows its account only from the sync's state."""
    with Store.open(tmp_path / "store.db") as db:
        with db.batch() as batch:
            batch.set_state("zendesk.url", "https://synced.zendesk.com")
        assert db.zendesk_base() == "https://synced.zendesk.com"


def test_the_html_report_links_each_ticket_to_zendesk(demo: tuple[Path, Store], tmp_path: Path) -> None:
    export, db = demo
    path = tmp_path / "report.html"
    policy = load_policy(export / "intently.yaml")
    metrics = write_stored_report(db, db.directory().users, policy, path, title="t")
    html = path.read_text()
    base = db.zendesk_base()
    expected = {f"{base}/agent/tickets/{x.ticket_id}" for x in metrics.drive_by_examples}
    assert expected
    tags = [m.group(0) for m in ZENDESK_LINK.finditer(html)]
    assert {m.group(1) for m in ZENDESK_LINK.finditer(html)} == expected
    assert all('target="_blank"' in tag and 'rel="noopener noreferrer"' in tag for tag in tags)
    db.close()


def test_explain_prints_the_link_under_the_ticket_header(demo: tuple[Path, Store], tmp_path: Path) -> None:
    export, db = demo
    ticket = next(iter(db.tickets()))
    base = db.zendesk_base()
    db.close()
    for source in (["--db", str(tmp_path / "store.db")], [str(export)]):
        shown = intently("explain", str(ticket), *source)
        assert shown.returncode == 0, shown.stderr
        lines = shown.stdout.splitlines()
        assert lines[0].startswith(f"Ticket {ticket}")
        assert f"in Zendesk: {base}/agent/tickets/{ticket}" in lines[2]


def _links_out(page: str) -> dict[str, str]:
    """Each link out of the page: its address and its tag."""
    return {m.group(1): m.group(0) for m in ZENDESK_LINK.finditer(page)}


def test_the_dashboard_links_each_ticket_to_zendesk(
    client: httpx.Client,  # noqa: F811
    store: Store,  # noqa: F811
    account: dict[str, int],  # noqa: F811
) -> None:
    base = store.zendesk_base()
    assert base is not None and base.startswith("https://")
    drive = account["drive"]
    ticket_page = client.get(f"/tickets/{drive}").text
    tag = _links_out(ticket_page)[f"{base}/agent/tickets/{drive}"]
    assert 'target="_blank"' in tag and 'rel="noopener noreferrer"' in tag
    listed = client.get("/tickets?per_page=500").text
    rows = tables(listed).tables["tickets"][1:]
    shown = {row[0].lstrip("#") for row in rows}
    assert {f"{base}/agent/tickets/{t}" for t in shown} == set(_links_out(listed))
    for tag in _links_out(listed).values():
        assert 'target="_blank"' in tag and 'rel="noopener noreferrer"' in tag
    # the CSV has the ticket ids, not the links out
    assert "agent/tickets" not in client.get("/tickets?per_page=500&format=csv").text
