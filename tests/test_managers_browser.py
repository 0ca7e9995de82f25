"""The manager's pages in Chromium: the overview with its trends and weekly drive-by line, an engineer's page
from the sortable Engineers table, and every page at 360 px wide without sideways scrolling (wide tables and the
heat map scroll inside their card). Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.dashboard_client import PASSWORD
from tests.test_dashboard_browser import dashboard_url, site  # noqa: F401 - the demo dashboard fixtures
from tests.test_sidebar_browser import ARTIFACTS, browser  # noqa: F401 - the shared Chromium fixture

NARROW = {"width": 360, "height": 780}


def _artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def _log_in(page: Any, url: str) -> None:
    page.goto(url + "/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Judgements per week by verdict")


def _sideways(page: Any) -> int:
    """How far the page scrolls sideways (0: not at all)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def test_a_manager_reads_trends_and_an_engineers_page(browser: Any, dashboard_url: str) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _log_in(page, dashboard_url)
    trend = page.locator("#drive-by-trend svg")
    assert trend.locator("polyline").count() >= 1 and "period average" in trend.inner_html()
    assert page.locator(".tile [data-trend=drive_by_share]").inner_text().strip()
    page.screenshot(path=str(_artifact("managers-overview-trend.png")), full_page=True)

    page.click("nav >> text=Engineers")
    page.click("th >> text=Drive-by rate")
    page.wait_for_selector("th[aria-sort=descending] >> text=Drive-by rate")
    first = page.locator("table[data-table=engineers] tbody tr").first.locator("a").first
    name = first.inner_text()
    first.click()
    page.wait_for_selector(f"h1:has-text({name!r})")
    assert page.locator("table[data-table=weeks] tbody tr").count() >= 1
    page.screenshot(path=str(_artifact("managers-engineer.png")), full_page=True)
    page.click("text=/^All .* tickets with their judged comments/")
    page.wait_for_selector("table[data-table=tickets]")
    assert "author=" in page.url
    page.close()


def test_every_page_fits_a_360_px_screen(browser: Any, dashboard_url: str) -> None:  # noqa: F811
    page = browser.new_page(viewport=NARROW)
    _log_in(page, dashboard_url)
    for path in ("/", "/tickets", "/engineers", "/pods", "/regions", "/outcomes", "/pilot", "/policy"):
        page.goto(dashboard_url + path)
        page.wait_for_load_state("load")
        wide = page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
            "document.documentElement.clientWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className)"
        )
        assert _sideways(page) <= 0, (path, wide)
    page.goto(dashboard_url + "/")  # the weekly chart, wider than the screen, opens at its newest weeks
    chart, box = page.evaluate(
        "(() => { const box = document.querySelector('#drive-by-trend .scroll'); "
        "return [box.querySelector('svg').getBoundingClientRect().toJSON(), box.getBoundingClientRect().toJSON()]; })()"
    )
    assert chart["width"] > box["width"] and abs(chart["right"] - box["right"]) <= 2, (chart, box)
    smallest = page.evaluate(  # its text as drawn on the screen (px): not shrunk to the screen's width
        "Math.min(...[...document.querySelectorAll('svg.chart text')]"
        ".map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))"
    )
    assert smallest >= 10, smallest
    page.goto(dashboard_url + "/regions")
    assert page.locator("table[data-table=customer_side]").count() == 1
    page.screenshot(path=str(_artifact("managers-regions-360.png")), full_page=True)
    page.goto(dashboard_url + "/engineers")
    page.locator("table[data-table=engineers] tbody a").first.click()
    page.wait_for_selector("table[data-table=weeks]")
    assert _sideways(page) <= 0
    page.close()
