"""The offline HTML report as a reader sees it, in a real headless Chromium: on a phone its charts keep readable
text and scroll sideways inside their card (the week-by-week ones open at the newest weeks), as the dashboard's do;
on a desktop nothing scrolls. And it writes a day as the dashboard does. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from intently.demo import generate_export
from intently.policy import Policy, load_policy
from intently.report.kept import write_stored_report
from intently.store import Store
from intently.store.pipeline import import_path
from tests.dashboard_client import dashboard, ensure_account, login
from tests.test_sidebar_browser import ARTIFACTS, browser  # noqa: F401 - the shared Chromium fixture

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
READABLE = 10.0
"""The smallest on-screen font size (CSS px) a chart's text may have: below it a label is hard to read."""

CHARTS = """() => [...document.querySelectorAll('svg.chart')].map(chart => {
  const box = chart.parentElement;
  const sizes = [...chart.querySelectorAll('text')].map(
    text => parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a);  // as drawn on the screen
  return {
    chart: chart.getAttribute('aria-label'),
    smallest_text: Math.min(...sizes),
    overflow: box.scrollWidth - box.clientWidth,
    weekly: box.classList.contains('chart-wide'),
    right: chart.getBoundingClientRect().right,
    box_right: box.getBoundingClientRect().right,
  };
})"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Policy, Path]]:
    """A quarter of generated tickets (1 Jul to 29 Sep 2026) imported into a store, and its HTML report as
    ``intently report --html`` writes it."""
    folder = tmp_path_factory.mktemp("report")
    generate_export(folder / "export", tickets=300, seed=5, start=date(2026, 7, 1), days=91)
    policy = load_policy(folder / "export" / "intently.yaml")
    store = Store.open(folder / "store.db")
    import_path(folder / "export", store, policy)
    report = folder / "report.html"
    write_stored_report(store, store.directory().users, policy, report, title="Demo report")
    yield store, policy, report
    store.close()


def _charts(browser: Any, report: Path, viewport: dict[str, int], screenshot: str) -> tuple[list[dict[str, Any]], int]:  # noqa: F811
    """Every chart of the report opened at ``viewport``, and how far the page itself scrolls sideways."""
    page = browser.new_page(viewport=viewport)
    page.goto(report.as_uri())
    charts = page.evaluate(CHARTS)
    sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    page.close()
    assert len(charts) >= 7, charts  # the weekly ones, rules, voices, the share bars (and the outcomes)
    return charts, sideways


def test_on_a_phone_charts_keep_readable_text_and_scroll_inside_their_card(
    browser: Any,  # noqa: F811
    demo: tuple[Store, Policy, Path],
) -> None:
    charts, sideways = _charts(browser, demo[2], PHONE, "report-390.png")
    assert sideways <= 0  # the page itself never scrolls sideways
    for chart in charts:
        assert chart["smallest_text"] >= READABLE, chart  # not shrunk to the screen's width
        assert chart["overflow"] > 0, chart  # wider than the screen: it scrolls inside its card
    weekly = [c for c in charts if c["weekly"]]
    assert len(weekly) == 2, charts  # the drive-by share per week and the judged comments per week
    for chart in weekly:  # opened at the newest weeks: scrolled to the right end
        assert abs(chart["right"] - chart["box_right"]) <= 2, chart


def test_on_a_desktop_charts_fit_and_nothing_scrolls(
    browser: Any,  # noqa: F811
    demo: tuple[Store, Policy, Path],
) -> None:
    charts, sideways = _charts(browser, demo[2], DESKTOP, "report-1280.png")
    assert sideways <= 0
    for chart in charts:
        assert chart["overflow"] <= 0, chart
        assert chart["smallest_text"] >= READABLE, chart


def _week_labels(page: str) -> list[str]:
    """The days under the columns of a page's week-by-week charts (``7 Sep``), in order."""
    labels = re.findall(r'<text [^>]*text-anchor="middle">([^<]+)', page)
    return [label for label in labels if re.fullmatch(r"\d+ [A-Z][a-z]{2}", label)]


def _week_names(page: str) -> set[str]:
    """The weeks the charts' tooltips name (``Week of 7 Sep 2026``)."""
    return set(re.findall(r"Week of ([^:·<]+?) ?[:·]", page))


def test_the_report_and_the_dashboard_write_a_day_alike(demo: tuple[Store, Policy, Path]) -> None:
    store, policy, report = demo
    ensure_account(store, "maya")
    with dashboard(store, policy) as client:
        assert login(client, "maya").status_code == 303
        overview = client.get("/")
    assert overview.status_code == 200
    on_report, on_dashboard = _week_labels(report.read_text(encoding="utf-8")), _week_labels(overview.text)
    assert "7 Sep" in on_report  # Monday 7 Sep 2026, no leading zero
    assert not any(label.startswith("0") for label in on_report + on_dashboard), (on_report, on_dashboard)
    # the two weekly charts of each (judged comments, drive-by share) have the same weeks, written alike
    assert on_report and sorted(on_dashboard) == sorted(on_report), (on_report, on_dashboard)
    names = _week_names(report.read_text(encoding="utf-8"))
    assert "7 Sep 2026" in names and names == _week_names(overview.text), (names, _week_names(overview.text))
