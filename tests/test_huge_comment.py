"""A very large comment (100 MB of text) is shortened for display with a note; pages and lines stay small."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from intently.policy import load_policy
from intently.report.formatting import LONG_TEXT
from intently.store import Store
from tests.cli_runner import intently
from tests.dashboard_client import dashboard, ensure_account, login
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import loaded_store

pytestmark = pytest.mark.xdist_group("huge_comment")  # its 100 MB ticket is loaded once, by one test process

ANA, MARIA, CUSTOMER = 101, 103, 5001
SIZE = 100 * 1024 * 1024
HEAD, TAIL = "start-of-log ", " end-of-log"


@pytest.fixture(scope="module")
def huge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, int]]:
    folder = tmp_path_factory.mktemp("huge")
    zd = FakeZendesk(ZendeskDataset.generate(tickets=3))
    ticket = zd.add_ticket(CUSTOMER, "Logs attached", "Here are our logs.", assignee_id=ANA)
    zd.add_comment(ticket, MARIA, HEAD + "x" * (SIZE - len(HEAD) - len(TAIL)) + TAIL, public=True)  # 100 MB
    store = loaded_store(str(folder / "store.db"), zd, folder, load_policy())
    ensure_account(store, "val", "viewer")
    yield store, ticket
    store.close()


def test_the_ticket_page_shows_the_start_and_says_what_is_left_out(huge: tuple[Store, int]) -> None:
    store, ticket = huge
    with dashboard(store) as client:
        client: httpx.Client
        assert login(client, "val").status_code == 303
        page = client.get(f"/tickets/{ticket}")
    assert page.status_code == 200
    assert len(page.content) < 200_000  # not 100 MB
    assert "start-of-log" in page.text and "end-of-log" not in page.text
    omitted = SIZE - LONG_TEXT  # no space near the cut: cut at the limit
    assert f"{omitted:,} more characters not shown" in page.text
    assert "drive" in page.text.lower()  # still judged


def test_explain_prints_one_short_line_for_it(huge: tuple[Store, int]) -> None:
    store, ticket = huge
    done = intently("explain", str(ticket), "--db", store.url)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) < 5_000 and "start-of-log" in done.stdout and max(map(len, done.stdout.splitlines())) < 300


def test_shortened_cuts_at_a_space_and_counts_what_is_left(tmp_path: Path) -> None:
    from intently.report.formatting import shortened

    assert shortened("short", 10) == ("short", 0)
    text = "word " * 100
    head, left = shortened(text, 52)
    assert text.startswith(head) and len(head) <= 52 and head.endswith("word") and len(head) + left == len(text)
    unbroken = "y" * 500
    assert shortened(unbroken, 300) == ("y" * 300, 200)
