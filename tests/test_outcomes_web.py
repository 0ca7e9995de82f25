"""The Outcomes and Pilot pages: the figures are the report's, every figure leads to exactly the tickets it counts,
the filters choose tickets as documented, and a pilot is chosen and evaluated in the page."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from intently.demo import generate_export
from intently.policy import load_policy
from intently.report.facts import OUTCOMES, TicketFacts, TicketFilter, stored_facts
from intently.report.outcomes import outcomes_by_class
from intently.store import Store
from intently.store.pipeline import import_path
from tests.dashboard_client import dashboard, ensure_account, login, tables, ticket_rows
from tests.test_sidebar_browser import ARTIFACTS, browser  # noqa: F401 - the shared Chromium fixture

START = date(2026, 8, 3)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A demo account with ratings, solves and reopens (one store for the module: the pages only read it)."""
    folder = tmp_path_factory.mktemp("outcomes")
    generate_export(folder / "export", tickets=300, seed=11, start=START, days=91)
    store = Store.open(folder / "store.db")
    import_path(folder / "export", store, load_policy(folder / "export" / "intently.yaml"), save=True)
    ensure_account(store, "val", "viewer")
    yield store
    store.close()


@pytest.fixture(scope="module")
def client(store: Store) -> Iterator[httpx.Client]:
    with dashboard(store, load_policy(Path(store.engine.url.database or "").parent / "export" / "intently.yaml")) as c:
        assert login(c, "val").status_code == 303
        yield c


def _ok(client: httpx.Client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.text[:500])
    return answer.text


def _listed(client: httpx.Client, url: str) -> set[str]:
    return {row[0].lstrip("#") for row in ticket_rows(client, url)}


def _expected(facts: list[TicketFacts], query: dict[str, str]) -> set[str]:
    """The tickets a link stands for, computed here from the stored facts."""
    chosen = TicketFilter(
        date.fromisoformat(query["from"]) if "from" in query else None,
        date.fromisoformat(query["to"]) if "to" in query else None,
        query.get("region"),
        query.get("pod"),
        query.get("group"),
        query.get("priority"),
    )
    policy = load_policy()
    return {
        str(f.ticket_id)
        for f in chosen.apply(facts, policy, {})
        if f.klass == query["worked"] and ("outcome" not in query or OUTCOMES[query["outcome"]](f.outcome))
    }


def _links(page: str) -> list[str]:
    return sorted({html.unescape(h) for h in re.findall(r'href="(/tickets\?[^"]*worked=[^"]*)"', page)})


@pytest.mark.parametrize("query", ["", "?priority=high", "?from=2026-09-01&to=2026-10-15"])
def test_the_outcomes_table_is_the_reports_and_every_figure_lists_its_tickets(
    client: httpx.Client, store: Store, query: str
) -> None:
    page = _ok(client, f"/outcomes{query}")
    facts = stored_facts(store)
    params = dict(parse_qsl(query.lstrip("?")))
    chosen = TicketFilter(
        date.fromisoformat(params["from"]) if "from" in params else None,
        date.fromisoformat(params["to"]) if "to" in params else None,
        priority=params.get("priority"),
    )
    report = outcomes_by_class(chosen.apply(facts, load_policy(), {}))
    shown = tables(page).tables["outcomes"]
    assert shown[0][:3] == ["Worked", "Tickets", "Rated"]
    for row, c in zip(shown[1:], report.classes, strict=True):
        assert row[0] == c.label
        assert (int(row[1].replace(",", "")), int(row[2].replace(",", "")), int(row[4].replace(",", ""))) == (
            c.tickets,
            c.rated,
            c.resolved,
        )
    links = _links(page)
    assert any("outcome=good" in link for link in links) and any("outcome=reopened" in link for link in links)
    for link in links:
        listed = _listed(client, link)
        expected = _expected(facts, dict(parse_qsl(urlsplit(link).query)))
        assert listed == expected, link
    for c in report.classes:  # the class's ticket count is the number of tickets its link lists
        link = next(x for x in links if x.endswith(f"worked={c.klass}") or f"worked={c.klass}&" in x + "&")
        assert len(_listed(client, link.split("&outcome")[0])) == c.tickets


def test_the_outcomes_page_says_what_the_numbers_show(client: httpx.Client, store: Store) -> None:
    page = _ok(client, "/outcomes")
    report = outcomes_by_class(stored_facts(store))
    for comparison in report.comparisons:
        assert html.escape(comparison.sentence, quote=False) in page
    assert "association, not a cause" in page
    assert page.count('role="img"') == 3  # one interval chart per outcome


def test_the_outcomes_csv_is_the_table(client: httpx.Client) -> None:
    shown = tables(_ok(client, "/outcomes")).tables["outcomes"]
    answer = client.get("/outcomes?format=csv&table=outcomes")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert [[cell.removeprefix("'") for cell in row] for row in csv.reader(io.StringIO(answer.text))] == shown


def test_a_pilot_is_chosen_and_evaluated_in_the_page(client: httpx.Client) -> None:
    empty = _ok(client, "/pilot")
    assert "Choose a pilot and the day it started" in empty and '<option value="pod=data">' in empty
    page = _ok(client, "/pilot?pilot=pod%3Ddata&start=2026-09-15")
    rows = tables(page).tables["pilot"]
    assert rows[0] == ["Measure", "Pilot before", "Pilot after", "Others before", "Others after", "Difference (95% CI)"]
    assert [r[0] for r in rows[1:]] == [
        "Share of tickets with a drive-by",
        "Share of tickets with intentional help",
        "Notes acknowledged by the assignee",
        "Satisfaction (rated good)",
        "Median time to resolution",
    ]
    assert "other changes at the same time also show up here" in page
    unknown = _ok(client, "/pilot?pilot=pod%3Dnobody&start=2026-09-15")
    assert "no pod &#39;nobody&#39; in the policy" in unknown and 'data-table="pilot"' not in unknown
    backwards = _ok(client, "/pilot?pilot=region%3Demea&start=2026-09-15&end=2026-09-01")
    assert "is before the start" in backwards
    assert "Choose the pilot and the day it started" in _ok(client, "/pilot?pilot=pod%3Ddata")
    assert client.get("/pilot?pilot=planet%3Dx&start=2026-09-15").status_code == 400
    assert client.get("/pilot?pilot=pod&start=2026-09-15").status_code == 400
    assert client.get("/pilot?pilot=pod%3Ddata&start=15/09/2026").status_code == 400
    assert client.get("/tickets?worked=everyone").status_code == 400


def test_the_new_pages_need_a_login(store: Store) -> None:
    with dashboard(store) as anonymous:
        for url in ("/outcomes", "/pilot", "/outcomes?format=csv&table=outcomes"):
            answer = anonymous.get(url)
            assert answer.status_code in (303, 401), url


def test_the_html_reports_section_shows_the_classes_with_their_intervals_in_chromium(
    store: Store,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The offline report's "Does it matter?": the class table, an interval chart per outcome (a dot and a line
    for each class with a figure), the sentences; opened in Chromium without errors, and screenshotted."""
    from intently.policy import RULE_IDS
    from intently.report.html import render_html
    from intently.report.metrics import build_metrics

    policy = load_policy()
    metrics = build_metrics(
        store.judgements(),
        store.directory().users,
        policy_name=policy.name,
        policy_version=policy.version,
        rule_titles={rule_id: policy.rule(rule_id).title for rule_id in RULE_IDS},
    )
    report = outcomes_by_class(stored_facts(store))
    path = tmp_path / "report.html"
    path.write_text(render_html(metrics, outcomes=report), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(path.as_uri())
    section = page.locator("#outcomes")
    assert section.locator("h2").inner_text() == "Does it matter?"
    rows = section.locator("table tbody tr")
    assert rows.count() == 3
    for index, c in enumerate(report.classes):
        cells = rows.nth(index).locator("td").all_inner_texts()
        assert cells[0].strip() == c.label and cells[1] == f"{c.tickets:,}" and cells[2] == f"{c.rated:,}"
    charts = section.locator("svg[role=img]")
    assert charts.count() == 3
    with_figures = sum(1 for c in report.classes if c.csat_good_rate is not None)
    assert charts.nth(0).locator("circle").count() == with_figures
    for comparison in report.comparisons:
        assert comparison.sentence in section.inner_text()
    section.screenshot(path=str(ARTIFACTS / "report-outcomes.png"))
    assert problems == []
    page.close()
