"""Helpers for the dashboard tests: the app over real HTTP, accounts, logging in, reading pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

import httpx

from intently.policy import Policy, load_policy
from intently.store import Store
from intently.web import create_app
from intently.web.access.accounts import add_account
from intently.web.access.sessions import AccessState
from tests.test_webhooks import Served

PASSWORD = "correct horse battery"


def _unused_client() -> Any:
    raise AssertionError("the dashboard never calls Zendesk")


@contextmanager
def dashboard(
    store: Store,
    policy: Policy | None = None,
    *,
    access: AccessState | None = None,
    secure_cookies: bool | None = None,
    forwarded_allow_ips: str | None = None,
) -> Iterator[httpx.Client]:
    """The app served over a real socket (no worker), and a client that does not follow redirects.
    ``forwarded_allow_ips``: the proxies whose X-Forwarded-* headers are believed (``intently serve``'s option)."""
    app = create_app(
        store,
        policy or load_policy(),
        _unused_client,
        write_back=False,
        webhook_secret="s",
        run_worker=False,
        access=access,
        secure_cookies=secure_cookies,
    )
    with (
        Served(app, forwarded_allow_ips=forwarded_allow_ips) as served,
        httpx.Client(base_url=served.url, timeout=20) as client,
    ):
        yield client


def ensure_account(store: Store, name: str, role: str = "viewer", password: str = PASSWORD) -> None:
    add_account(store, name, role, password)


def form_csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def login(client: httpx.Client, name: str, password: str = PASSWORD, next_path: str = "/") -> httpx.Response:
    page = client.get("/login", params={"next": next_path})
    assert page.status_code == 200, page.text
    return client.post(
        "/login", data={"csrf": form_csrf(page.text), "username": name, "password": password, "next": next_path}
    )


class Tables(HTMLParser):
    """Every ``<table data-table=NAME>``: its header and rows of cell texts, and each cell's link."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: dict[str, list[list[str | None]]] = {}
        self._name: str | None = None
        self._cell: list[str] | None = None
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("data-table"):
            self._name = found["data-table"]
            self.tables[self._name] = []
            self.links[self._name] = []
        elif self._name and tag == "tr":
            self.tables[self._name].append([])
            self.links[self._name].append([])
        elif self._name and tag in ("td", "th"):
            self._cell, self._href = [], None
        elif self._name and tag == "a" and self._cell is not None:
            self._href = found.get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._name = None
        elif self._name and tag in ("td", "th") and self._cell is not None:
            self.tables[self._name][-1].append("".join(self._cell).strip())
            self.links[self._name][-1].append(self._href)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> Tables:
    parser = Tables()
    parser.feed(html)
    return parser


def ticket_rows(client: httpx.Client, url: str) -> list[list[str]]:
    """Every row of the Tickets page's list at ``url``, page after page (following its "Next" link)."""
    import html as html_text

    rows: list[list[str]] = []
    while True:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.text[:500])
        page = answer.text
        if 'data-table="tickets"' in page:
            rows += tables(page).tables["tickets"][1:]
        found = re.search(r'<a rel="next" href="([^"]+)"', page)
        if found is None:
            return rows
        url = html_text.unescape(found.group(1))
