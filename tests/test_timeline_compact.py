"""The Ticket page's timeline: the compact mode (``?view=compact``: one line per event, no comment bodies, fits a
phone) and each lane's region (the person's region under the policy, or "region unknown"); names that carry markup
stay text in both modes. And in Chromium at 360 px wide, with a screenshot in ``test-artifacts/``."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from markupsafe import escape

from intently.engine.judgement import verdict_label
from intently.policy import load_policy
from intently.store import Store
from tests.dashboard_client import PASSWORD, dashboard, ensure_account, login
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_sidebar_browser import ARTIFACTS, browser  # noqa: F401 - the shared Chromium fixture
from tests.test_webhooks import loaded_store

ANA, MARIA, EVE, CUSTOMER = 101, 103, 130, 5101
"""Ana (EMEA by her ``support_region``), Maria (AMER), Eve (no region field, a time zone no region claims) and a
customer of our own (the same: region unknown)."""
EVIL = '<img src=x onerror=alert(3)>"Eve & co'
BODIES = (
    "Our invoice for March counts the seats twice; please correct it.",
    "Looking into the invoice now.",
    "Hi, jumping in: the seat count comes from the old plan.",
    "Billing log: the charge ran twice at 02:00 UTC. " * 12,
)
EXPECTED_REGIONS = {
    f"u{ANA}": "EMEA",
    f"u{MARIA}": "AMER",
    f"u{EVE}": "region unknown",
    f"u{CUSTOMER}": "region unknown",
}


def _account() -> tuple[FakeZendesk, int]:
    zd = FakeZendesk(ZendeskDataset.generate(tickets=5))
    zd.add_user(EVE, EVIL, "eve@example.com", iana_time_zone="Etc/UTC")
    zd.add_user(CUSTOMER, "Carla Customer", "carla@example.com", role="end-user", iana_time_zone="Etc/UTC")
    ticket = zd.add_ticket(CUSTOMER, "Invoice counts seats twice", BODIES[0], assignee_id=ANA)
    zd.add_comment(ticket, ANA, BODIES[1], public=True)
    zd.add_comment(ticket, MARIA, BODIES[2], public=True)
    zd.add_comment(ticket, EVE, BODIES[3], public=False)
    return zd, ticket


@pytest.fixture
def served(store_url: str, tmp_path: Path) -> Iterator[tuple[httpx.Client, Store, int]]:
    zd, ticket = _account()
    store = loaded_store(store_url, zd, tmp_path, load_policy())
    ensure_account(store, "val", "viewer")
    with dashboard(store) as client:
        assert login(client, "val").status_code == 303
        yield client, store, ticket
    store.close()


def _page(client: httpx.Client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.text[:500])
    return answer.text


def _compact_lines(page: str) -> list[str]:
    found = re.search(r'<ol class="compact-timeline">(.*?)</ol>', page, re.S)
    assert found, "no compact timeline on the page"
    return re.findall(r"<li\b.*?</li>", found.group(1), re.S)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_compact_mode_is_one_line_per_event_without_bodies(served: tuple[httpx.Client, Store, int]) -> None:
    client, store, ticket = served
    full = _page(client, f"/tickets/{ticket}")
    compact = _page(client, f"/tickets/{ticket}?view=compact")
    # the full timeline stays the default: bodies, lanes as columns, a link to the compact mode
    assert 'class="compact-timeline"' not in full and f'href="/tickets/{ticket}?view=compact"' in full
    assert html.escape(BODIES[2], quote=False) in full
    # one line per event of the full timeline
    events = full.count('<td class="time">')
    history = store.history(ticket)
    assert history is not None and events == len(history.events)
    lines = _compact_lines(compact)
    assert len(lines) == events
    # no comment bodies, and no part of the long one
    for body in BODIES:
        assert body[:30] not in compact and html.escape(body[:30], quote=False) not in compact
    assert 'class="body"' not in compact and 'data-table="judgements"' not in compact
    # every judged comment's line: who, its verdict in words, its rule's title, a link to it in the full timeline
    titles = load_policy().rule_titles()
    judged = store.ticket_judgements(ticket)
    assert {j.author_id for j in judged} >= {ANA, MARIA, EVE}
    for j in judged:
        line = next(line for line in lines if f'href="/tickets/{ticket}#comment-{j.comment_id}"' in line)
        words = _text(line)
        assert verdict_label(j.verdict) in words and titles[j.rule] in words, words
        assert (EVIL if j.author_id == EVE else "") in words
    assert any("Drive-by" in _text(line) for line in lines)
    # and the way back
    assert f'<a href="/tickets/{ticket}">Full timeline</a>' in compact


def test_each_lane_shows_its_region(served: tuple[httpx.Client, Store, int]) -> None:
    client, _, ticket = served
    full = _page(client, f"/tickets/{ticket}")
    heads = dict(
        re.findall(r'<th class="lane-head" data-lane="([^"]+)">.*?<small class="lane-region">([^<]*)</small>', full)
    )
    assert {lane: heads.get(lane) for lane in EXPECTED_REGIONS} == EXPECTED_REGIONS
    compact = _page(client, f"/tickets/{ticket}?view=compact")
    people = dict(re.findall(r'<li data-lane="([^"]+)">.*?<span class="lane-region">([^<]*)</span></li>', compact))
    assert {lane: people.get(lane) for lane in EXPECTED_REGIONS} == EXPECTED_REGIONS


def test_hostile_names_stay_text_in_both_modes(served: tuple[httpx.Client, Store, int]) -> None:
    client, _, ticket = served
    for url in (f"/tickets/{ticket}", f"/tickets/{ticket}?view=compact"):
        page = _page(client, url)
        assert EVIL not in page and "<img src=x" not in page
        assert str(escape(EVIL)) in page  # as Jinja escapes it: shown as the text it is


def test_the_compact_timeline_fits_a_360_px_phone(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    zd, ticket = _account()
    store = loaded_store(str(tmp_path / "store.db"), zd, tmp_path, load_policy())
    ensure_account(store, "val", "viewer")
    alerts: list[str] = []
    try:
        with dashboard(store) as client:
            url = str(client.base_url).rstrip("/")
            page = browser.new_page(viewport={"width": 360, "height": 780})
            page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
            page.goto(f"{url}/login?next=/tickets/{ticket}")
            page.fill("input[name=username]", "val")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("table.timeline")
            page.click("text=Compact: one line per event")
            page.wait_for_selector("ol.compact-timeline")
            assert page.url.endswith(f"/tickets/{ticket}?view=compact")
            sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert sideways <= 0
            lines = page.locator("ol.compact-timeline > li")
            assert lines.count() == page.locator("ol.compact-timeline li").count() >= 5
            # every line inside the screen, and no comment text on the page
            for index in range(lines.count()):
                box = lines.nth(index).bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
            assert BODIES[1] not in page.inner_text("main")
            assert page.locator("ul.compact-lanes >> text=region unknown").count() >= 1
            assert page.locator("ul.compact-lanes >> text=EMEA").count() == 1
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "timeline-compact-360.png"), full_page=True)
            page.click("text=Full timeline")
            page.wait_for_selector("table.timeline")
            page.close()
    finally:
        store.close()
    assert alerts == []
