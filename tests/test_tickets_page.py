"""The Tickets page: server-side pages, sorting by every column, search by id, subject or agent, who drove by, and
customer text (subjects) escaped; checked against the stored judgements. And in Chromium, with a screenshot."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import httpx
import pytest

from intently.model import Id, id_sort_key
from intently.store import Store
from tests.dashboard_client import PASSWORD, tables, ticket_rows
from tests.test_dashboard import ANA, BEN, MARIA, SCRIPT, account, client, store  # noqa: F401 - fixtures
from tests.test_sidebar_browser import ARTIFACTS, browser  # noqa: F401 - the shared Chromium fixture

HOSTILE = '"><img src=x onerror=alert(2)>'


def _ok(client: httpx.Client, url: str) -> str:  # noqa: F811
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.text[:500])
    return answer.text


def _rows(page: str) -> list[list[str]]:
    return tables(page).tables["tickets"][1:]


def _per_ticket(store: Store) -> dict[str, dict[str, Any]]:  # noqa: F811
    """What the unfiltered list shows per ticket, computed here from the stored judgements and tickets."""
    found: dict[str, dict[str, Any]] = defaultdict(lambda: {"comments": 0, "drive_bys": 0, "last": None})
    for j in store.judgements():
        row = found[str(j.ticket_id)]
        row["id"] = j.ticket_id
        row["comments"] += 1
        row["drive_bys"] += j.verdict == "drive_by"
        row["last"] = max(row["last"] or j.created_at, j.created_at)
    tickets = store.tickets()
    for row in found.values():
        ticket = tickets.get(row["id"])
        row["subject"] = ticket.subject if ticket else ""
    return dict(found)


def test_the_list_comes_a_page_at_a_time(client: httpx.Client, store: Store) -> None:  # noqa: F811
    expected = _per_ticket(store)
    first = _ok(client, "/tickets?per_page=7")
    assert f"{len(expected):,} tickets, {sum(r['comments'] for r in expected.values()):,} comments." in first
    assert len(_rows(first)) == 7 and 'rel="next"' in first and 'rel="prev"' not in first
    assert f"Tickets 1–7 of {len(expected)} (page 1 of {-(-len(expected) // 7)})" in first
    every = ticket_rows(client, "/tickets?per_page=7")  # page after page, by the "Next" links
    assert sorted(row[0].lstrip("#") for row in every) == sorted(expected)  # each ticket once
    # newest first by default, as before
    newest = sorted(expected.values(), key=lambda r: (r["last"], id_sort_key(r["id"])), reverse=True)
    assert [row[0] for row in every] == [f"#{r['id']}" for r in newest]
    last_page = -(-len(expected) // 7)
    page = _ok(client, f"/tickets?per_page=7&page={last_page}")
    assert 'rel="next"' not in page and 'rel="prev"' in page
    assert client.get("/tickets?page=0").status_code == 400
    assert client.get("/tickets?per_page=100000").status_code == 400
    # the CSV has the whole list, whatever the page
    exported = client.get("/tickets?per_page=7&page=2&format=csv").text
    assert exported.count("\r\n") == len(expected) + 1


@pytest.mark.parametrize(
    ("sort", "descending"),
    [
        ("ticket", False),
        ("ticket", True),
        ("subject", False),
        ("assignee", False),
        ("comments", True),
        ("comments", False),
        ("drive_bys", True),
        ("last", False),
    ],
)
def test_every_column_sorts(client: httpx.Client, store: Store, sort: str, descending: bool) -> None:  # noqa: F811
    direction = "desc" if descending else "asc"
    rows = ticket_rows(client, f"/tickets?sort={sort}&dir={direction}&per_page=10")
    column = {"ticket": 0, "subject": 1, "assignee": 2, "comments": 3, "drive_bys": 4, "last": 6}[sort]

    def key(row: list[str]) -> Any:
        value = row[column]
        if sort == "ticket":
            return id_sort_key(int(value.lstrip("#")))
        if sort in ("comments", "drive_bys"):
            return int(value.replace(",", ""))
        return value.casefold() if sort in ("subject", "assignee") else value

    keys = [key(row) for row in rows]
    assert keys == sorted(keys, reverse=descending)
    assert len(rows) == len(_per_ticket(store))
    page = _ok(client, f"/tickets?sort={sort}&dir={direction}")
    wanted = {"ticket": "Ticket", "subject": "Subject", "assignee": "Assignee", "comments": "Comments"}.get(sort)
    if wanted is not None:
        label = "descending" if descending else "ascending"
        assert re.search(rf'<th[^>]*aria-sort="{label}"><a class="sort" href="[^"]+">{wanted}</a>', page)
    assert client.get("/tickets?sort=reason").status_code == 400


def test_search_by_id_subject_or_agent(client: httpx.Client, store: Store, account: dict[str, int]) -> None:  # noqa: F811
    drive = account["drive"]
    by_id = _rows(_ok(client, f"/tickets?q=%23{drive}"))
    assert [row[0] for row in by_id] == [f"#{drive}"]
    by_subject = {row[0] for row in _rows(_ok(client, "/tickets?q=invoice+WRONG"))}
    assert f"#{drive}" in by_subject
    assert all("invoice wrong" in row[1].casefold() for row in _rows(_ok(client, "/tickets?q=invoice+WRONG")))
    # an agent: the tickets Maria is assigned or wrote on
    users = store.directory().users
    maria = users[MARIA].name
    expected = {str(j.ticket_id) for j in store.judgements() if j.author_id == MARIA}
    expected |= {
        str(t.id) for t in store.tickets().values() if t.assignee_id == MARIA and str(t.id) in _per_ticket(store)
    }
    found = {row[0].lstrip("#") for row in ticket_rows(client, f"/tickets?q={maria.split()[0]}")}
    assert expected <= found
    # within a chart's list, the agent's own matched comments: Maria's drive-bys
    drove = {row[0].lstrip("#") for row in ticket_rows(client, f"/tickets?verdict=drive_by&q={maria.split()[0]}")}
    assert str(drive) in drove
    # percent and underscore are text, not patterns
    assert all("%" in row[1] for row in _rows(_ok(client, "/tickets?q=%25")))
    assert all("_" in row[1] for row in _rows(_ok(client, "/tickets?q=_")))
    nothing = _ok(client, "/tickets?q=no+such+ticket+anywhere")
    assert _rows(nothing) == [] and "Nothing here." in nothing and "0 tickets" in nothing


def test_the_drive_by_list_says_who_drove_by(client: httpx.Client, store: Store, account: dict[str, int]) -> None:  # noqa: F811
    users = store.directory().users
    rows = {row[0]: row for row in ticket_rows(client, "/tickets?verdict=drive_by")}
    drive = rows[f"#{account['drive']}"]
    header = tables(_ok(client, "/tickets?verdict=drive_by")).tables["tickets"][0]
    assert header == ["Ticket", "Subject", "Assignee", "Comments", "Drive-bys", "Drove by", "Last comment"]
    assert drive[2] == users[ANA].name and users[MARIA].name in drive[5] and users[BEN].name not in drive[5]
    per_ticket: dict[Id, set[str]] = defaultdict(set)
    for j in store.judgements():
        if j.verdict == "drive_by":
            per_ticket[j.ticket_id].add(users[j.author_id].name if j.author_id in users else f"user {j.author_id}")
    for ticket_id, names in per_ticket.items():
        shown = rows[f"#{ticket_id}"][5]
        assert all(name in shown for name in names), (ticket_id, shown)


def test_subjects_and_searches_are_escaped(client: httpx.Client, account: dict[str, int]) -> None:  # noqa: F811
    script = account["script"]
    for url in ("/tickets", f"/tickets?q=%23{script}", "/tickets?q=HYPERLINK", "/tickets?sort=subject"):
        page = _ok(client, url)
        assert "<script" not in page.lower(), url
        assert f"=HYPERLINK(1) {html.escape(SCRIPT, quote=False)}" in page, url
    echoed = client.get("/tickets", params={"q": HOSTILE}).text
    assert "<img" not in echoed and 'value="&#34;&gt;&lt;img src=x onerror=alert(2)&gt;"' in echoed
    assert client.get("/tickets", params={"q": "x" * 201}).status_code == 400


def test_chart_links_still_list_their_tickets(client: httpx.Client, store: Store) -> None:  # noqa: F811
    """A chart's link with a selection, sorted and searched: still exactly the selection's tickets."""
    judgements = list(store.judgements())
    expected = {str(j.ticket_id) for j in judgements if j.verdict == "drive_by"}
    for extra in ("", "&sort=subject&dir=asc", "&sort=comments&dir=desc&per_page=2"):
        found = {row[0].lstrip("#") for row in ticket_rows(client, f"/tickets?verdict=drive_by{extra}")}
        assert found == expected, extra
    week = sorted({j.created_at.astimezone(UTC).date() for j in judgements})[0]
    monday = week - timedelta(days=week.weekday())
    found = {row[0].lstrip("#") for row in ticket_rows(client, f"/tickets?rule=assignee&week={monday}&per_page=3")}
    assert found == {
        str(j.ticket_id)
        for j in judgements
        if j.rule == "assignee" and monday <= j.created_at.astimezone(UTC).date() < monday + timedelta(days=7)
    }


# --- in Chromium ------------------------------------------------------------------------------------------------


@pytest.fixture
def served(store: Store) -> Iterator[str]:  # noqa: F811
    from intently.policy import load_policy
    from intently.web import create_app
    from tests.test_webhooks import Served

    def no_zendesk() -> Any:
        raise AssertionError("the dashboard never calls Zendesk")

    app = create_app(store, load_policy(), no_zendesk, write_back=False, webhook_secret=None, run_worker=False)
    with Served(app) as server:
        yield server.url


@pytest.mark.parametrize("module_store_url", ["sqlite"], indirect=True)
def test_a_manager_pages_sorts_and_searches_in_chromium(
    browser: Any,  # noqa: F811
    served: str,
    account: dict[str, int],  # noqa: F811
    store: Store,  # noqa: F811
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(served + "/login")
    page.fill("input[name=username]", "val")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(served + "/tickets?per_page=10")
    assert page.locator("table[data-table=tickets] tbody tr").count() == 10
    page.click("a[rel=next]")
    assert "page=2" in page.url and page.locator("text=page 2 of").count() == 1
    page.click("th >> text=Comments")
    assert "sort=comments" in page.url and page.locator("th[aria-sort=descending]").count() == 1
    counts = [int(t) for t in page.locator("table[data-table=tickets] tbody tr td:nth-child(4)").all_inner_texts()]
    assert counts == sorted(counts, reverse=True)
    maria = store.directory().users[MARIA].name.split()[0]
    page.goto(served + "/tickets?verdict=drive_by")
    page.fill("input[name=q]", maria)
    page.click("form.search button")
    assert f"q={maria}" in page.url and "verdict=drive_by" in page.url
    row = page.locator(f"tr:has(a[href='/tickets/{account['drive']}'])")
    assert maria in row.inner_text()
    page.goto(served + "/tickets?q=HYPERLINK")
    assert page.locator("img").count() == 0
    assert SCRIPT in page.locator("table[data-table=tickets]").inner_text()
    page.goto(served + "/tickets?verdict=drive_by&per_page=5")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tickets-page.png"), full_page=True)
    narrow = browser.new_page(viewport={"width": 360, "height": 800})
    narrow.context.add_cookies(page.context.cookies())
    narrow.goto(served + "/tickets?verdict=drive_by&per_page=5")
    sideways = narrow.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    narrow.screenshot(path=str(ARTIFACTS / "tickets-page-360.png"), full_page=True)
    assert not sideways
