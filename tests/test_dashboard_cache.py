"""The dashboard keeps what it read from the store between requests, and reads again when the store changes
(in this process or another): at once for a quick read, in the background for a slow one, saying so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from intently.policy import load_policy
from intently.store import Store
from intently.web import create_app
from intently.web.services import Settings
from tests.dashboard_client import ensure_account, login
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import Served, loaded_store, wait_for


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    store = loaded_store(store_url, FakeZendesk(ZendeskDataset.generate(tickets=30)), tmp_path, load_policy())
    ensure_account(store, "val", "viewer")
    yield store
    store.close()


def _unused() -> object:
    raise AssertionError("the dashboard never calls Zendesk")


def _judged(page: str) -> int:
    found = re.search(r"<b>([\d,]+)</b> judged comments", page)
    assert found, "no judged-comments tile"
    return int(found.group(1).replace(",", ""))


def _served(store: Store, settings: Settings) -> Served:
    app = create_app(
        store, load_policy(), _unused, write_back=False, webhook_secret="s", run_worker=False, settings=settings
    )
    return Served(app)


def _delete_busiest_ticket(store_url: str) -> int:
    """Another process's change: a ticket deleted in the helpdesk, through a store of its own."""
    other = Store.open(store_url)
    counts: dict[object, int] = {}
    for j in other.judgements():
        counts[j.ticket_id] = counts.get(j.ticket_id, 0) + 1
    ticket_id = max(counts, key=lambda t: counts[t])
    with other.batch() as batch:
        batch.delete_ticket(ticket_id)
    other.close()
    return counts[ticket_id]


def test_pages_reuse_what_was_read_until_the_store_changes(store: Store, store_url: str) -> None:
    with _served(store, Settings()) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        assert login(client, "val").status_code == 303
        services = server.app.state.intently.services
        first = _judged(client.get("/").text)
        base = services._base
        client.get("/engineers")
        assert services._base is base  # nothing changed: nothing read again
        removed = _delete_busiest_ticket(store_url)
        page = client.get("/").text
        assert _judged(page) == first - removed  # a quick read is redone before answering
        assert services._base is not base and "newer data is being read" not in page
        assert "Stored data as of" in page


def test_a_slow_read_is_redone_in_the_background_and_the_page_says_so(store: Store, store_url: str) -> None:
    with _served(store, Settings(dashboard_wait=0.0)) as server, httpx.Client(base_url=server.url, timeout=30) as c:
        assert login(c, "val").status_code == 303
        first = _judged(c.get("/").text)
        removed = _delete_busiest_ticket(store_url)
        behind = c.get("/").text
        assert "newer data is being read" in behind and _judged(behind) in (first, first - removed)
        wait_for(
            lambda: "newer data is being read" not in (page := c.get("/").text) and _judged(page) == first - removed
        )
