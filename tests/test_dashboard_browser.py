"""The dashboard in a real headless Chromium: a manager logs in, follows the drive-bys of the last month to the
tickets behind them, and reads a ticket's timeline. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from intently.demo import generate_export
from intently.engine.judgement import verdict_label
from intently.policy import load_policy
from intently.store import Store
from intently.store.pipeline import import_path
from tests.dashboard_client import PASSWORD, ensure_account
from tests.test_sidebar_browser import ARTIFACTS, browser  # noqa: F401 - the shared Chromium fixture
from tests.test_webhooks import Served

# Its quarter of tickets is generated and served once, by one test process.
pytestmark = pytest.mark.xdist_group("dashboard_browser")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The dashboard over a generated quarter, served once for this module's tests (they only read it): its address
    and the folder holding its export and store."""
    from intently.web import create_app

    folder = tmp_path_factory.mktemp("site")
    # a quarter ending today, as `intently demo` makes it, so "last month" has data
    today = datetime.now(UTC).date()
    generate_export(folder / "export", tickets=400, seed=5, start=today - timedelta(days=91), days=91)
    policy = load_policy(folder / "export" / "intently.yaml")
    store = Store.open(folder / "store.db")
    import_path(folder / "export", store, policy)
    ensure_account(store, "maya", "admin")

    def no_zendesk() -> Any:
        raise AssertionError("the dashboard never calls Zendesk")

    app = create_app(store, policy, no_zendesk, write_back=False, webhook_secret=None, run_worker=False)
    with Served(app) as served:
        yield served.url, folder
    store.close()


@pytest.fixture
def dashboard_url(site: tuple[str, Path]) -> str:
    return site[0]


@pytest.fixture
def site_folder(site: tuple[str, Path]) -> Path:
    return site[1]


def test_a_manager_finds_last_months_drive_bys_and_the_tickets_behind_them(
    browser: Any,  # noqa: F811
    dashboard_url: str,
    site_folder: Path,
) -> None:
    store_path = site_folder / "store.db"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(dashboard_url + "/")
    assert "/login" in page.url  # nothing without logging in
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert "/login" in page.url and page.locator("text=/wrong|incorrect|not valid/i").count() > 0
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Judgements per week by verdict")
    page.screenshot(path=str(_artifact("dashboard-overview.png")), full_page=True)

    # last month, counted independently from the stored judgements
    first_of_month = datetime.now(UTC).date().replace(day=1)
    month_end = first_of_month - timedelta(days=1)
    month_start = month_end.replace(day=1)
    with Store.open(store_path) as store:
        expected = {
            str(j.ticket_id)
            for j in store.judgements()
            if j.verdict == "drive_by" and month_start <= j.created_at.astimezone(UTC).date() <= month_end
        }
    assert expected

    page.click(f"text=Last month ({month_start:%B %Y})")
    page.wait_for_selector(f"input[name=from][value='{month_start.isoformat()}']")
    tile = page.locator(".tile", has_text="tickets with a drive-by").locator("b a")
    assert tile.inner_text() == str(len(expected))
    tile.click()
    page.wait_for_selector("table[data-table=tickets]")
    page.screenshot(path=str(_artifact("dashboard-drive-bys.png")), full_page=True)
    rows = page.locator("table[data-table=tickets] tbody tr")
    listed = {rows.nth(i).locator("a").first.inner_text().lstrip("#") for i in range(rows.count())}
    assert listed == expected
    first = rows.nth(0).locator("a").first
    ticket_label = first.inner_text().lstrip("#")
    first.click()
    page.wait_for_selector(f'h1:has-text("Ticket #{ticket_label}")')
    page.screenshot(path=str(_artifact("dashboard-ticket.png")), full_page=True)
    timeline = page.inner_text("main")
    assert "Drive-by" in timeline or "drive_by" in timeline
    assert "Public reply by" in timeline  # the engine's reason for the drive-by, as stored
    assert dialogs == []
    page.close()


def _artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def test_the_standalone_sidebar_warns_an_agent_about_to_drive_by(
    browser: Any,  # noqa: F811
    dashboard_url: str,
    site_folder: Path,
) -> None:
    """Pick, from the stored judgements, a ticket where someone drove by; ask the panel as that agent now."""
    store = Store.open(site_folder / "store.db")
    drive_by = next(j for j in reversed(list(store.judgements())) if j.rule == "unsolicited_reply")
    page = browser.new_page(viewport={"width": 900, "height": 900})
    page.goto(f"{dashboard_url}/sidebar?ticket_id={drive_by.ticket_id}&agent_id={drive_by.author_id}")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-answer=public]")
    page.screenshot(path=str(_artifact("sidebar-standalone.png")), full_page=True)
    public = page.inner_text("[data-answer=public]")
    internal = page.inner_text("[data-answer=internal]")
    # what the engine says right now, computed independently of the page
    from datetime import UTC, datetime

    from intently.guide.advice import check_reply

    history = store.history(drive_by.ticket_id)
    assert history is not None
    policy = load_policy(site_folder / "export" / "intently.yaml")
    users = store.directory().users
    for shown, public_reply in ((public, True), (internal, False)):
        expected = check_reply(history, users, policy, drive_by.author_id, public_reply, datetime.now(UTC))
        assert expected is not None
        assert verdict_label(expected["verdict"]) in shown and f"({expected['rule']})" in shown
        assert expected["headline"] in page.inner_text("[data-headline]") or not public_reply
        assert ("The intentional path instead" in shown) == (expected["verdict"] == "drive_by")
    assert "Intentional help" in internal  # a note is always the intentional way to help
    page.close()


def test_every_page_renders_without_errors_and_is_screenshotted(
    browser: Any,  # noqa: F811
    dashboard_url: str,
) -> None:
    """Walk the navigation as an admin: each page loads its own stylesheet only, logs no error (a CSP violation
    would), and is saved as a screenshot."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    outside: list[str] = []
    page.on(
        "request", lambda request: outside.append(request.url) if not request.url.startswith(dashboard_url) else None
    )
    page.goto(dashboard_url + "/login")
    page.screenshot(path=str(_artifact("page-login.png")), full_page=True)
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("nav")
    labels = page.locator("header nav a").all_inner_texts()
    assert labels == [
        "Overview",
        "Tickets",
        "Engineers",
        "Pods",
        "Regions",
        "Outcomes",
        "Pilot",
        "Policy",
        "Settings",
    ]
    for label in labels:
        page.click(f"header nav a:text-is('{label}')")
        page.wait_for_selector(f"header nav a[aria-current=page]:text-is('{label}')")
        assert page.locator("h1").count() == 1, label
        assert page.evaluate("getComputedStyle(document.body).fontFamily") != "", label  # the stylesheet applied
        page.screenshot(path=str(_artifact(f"page-{label.lower()}.png")), full_page=True)
    assert problems == [] and outside == []
    page.close()


def test_a_manager_evaluates_a_pilot_and_follows_an_outcome_to_its_tickets(
    browser: Any,  # noqa: F811
    dashboard_url: str,
) -> None:
    """On the Outcomes page, the drive-by class's "rated good" figure leads to those tickets; on the Pilot page a
    pod and a start day are picked in the form and the measures appear, each with its sentence."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(dashboard_url + "/login?next=/outcomes")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("table[data-table=outcomes]")
    page.screenshot(path=str(_artifact("page-outcomes-charts.png")), full_page=True)
    drive_by = page.locator("table[data-table=outcomes] tr", has_text="Drive-by")
    good = drive_by.locator("td").nth(2).inner_text()  # the "Rated good" figure, e.g. "71% (60–80%)"
    drive_by.locator("td a").nth(2).click()
    page.wait_for_selector("h1")
    assert "rated good" in page.inner_text("main") and "drive-by" in page.inner_text("main").lower()
    listed = page.locator("table[data-table=tickets] tbody tr").count()
    assert listed > 0 and good != "n/a"

    page.click("header nav a:text-is('Pilot')")
    page.select_option("select[name=pilot]", "pod=data")
    page.fill("input[name=start]", (datetime.now(UTC).date() - timedelta(days=45)).isoformat())
    page.click("form.pilot button[type=submit]")
    page.wait_for_selector("table[data-table=pilot]")
    measures = page.locator("table[data-table=pilot] tbody tr").count()
    assert measures == 5
    assert "other changes at the same time also show up here" in page.inner_text("main")
    page.screenshot(path=str(_artifact("page-pilot-evaluated.png")), full_page=True)
    page.close()
