"""The Zendesk sidebar app in a real headless Chromium, asking a real ``intently serve`` over HTTP.

Zendesk runs the app in an iframe and relays its requests through its own proxy, adding the secure token.
Here the Zendesk side is played by a small ZAF client stand-in whose ``request`` is relayed, like Zendesk's
proxy, by the test process to the API over a real socket. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from intently.policy import load_policy
from intently.store import Store
from intently.web import create_app
from intently.zendesk.app import build_app_zip
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import Served, loaded_store

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = os.environ.get("INTENTLY_CHROMIUM", "/usr/bin/chromium")
ANA, MARIA, CUSTOMER = 101, 103, 5001
APP_URL = "https://intently.acme.test"

ZAF_STAND_IN = """
window.__asked = [];
window.__invoked = [];
window.ZAFClient = { init: function () {
  var handlers = {};
  return {
    get: function () { return Promise.resolve({"ticket.id": window.__ticket, "currentUser.id": window.__agent}); },
    metadata: function () { return Promise.resolve({settings: {intently_url: window.__appUrl}}); },
    request: function (options) {
      window.__asked.push(options.url);
      return window.zendeskProxy(JSON.stringify(options)).then(function (answer) {
        answer = JSON.parse(answer);
        if (answer.status >= 400) { return Promise.reject({status: answer.status}); }
        return answer.body;
      });
    },
    on: function (name, handler) {
      handlers[name] = handler;
      if (name === "app.registered") { setTimeout(handler, 0); }
    },
    invoke: function (name, value) {
      window.__invoked.push([name, value === undefined ? null : value]);
      return Promise.resolve();
    },
    set: function (name, value) { window.__invoked.push(["set:" + name, value]); return Promise.resolve(); }
  };
} };
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
        if os.environ.get("INTENTLY_REQUIRE_BROWSER"):
            pytest.fail(message + " (INTENTLY_REQUIRE_BROWSER is set)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[*flags, "--disable-sync"])
        yield chromium
        chromium.close()


@contextmanager
def _serving(tmp_path: Path, mention_maria: bool, assigned: bool = True) -> Iterator[tuple[str, str, int]]:
    """``intently serve``'s app over a real socket on a store with one ticket: assigned to Ana, who already
    answered the customer (so nobody is waiting and a colleague's public reply cannot be cover); with
    ``mention_maria``, Ana then @mentions Maria in an internal note, which makes her a follower. Not ``assigned``:
    a new ticket nobody has taken or answered yet."""
    zd = FakeZendesk(ZendeskDataset.generate(tickets=3))
    ticket_id = zd.add_ticket(CUSTOMER, "Invoice wrong", "My invoice is wrong.", assignee_id=ANA if assigned else None)
    if assigned:
        zd.add_comment(ticket_id, ANA, "Looking into it.", public=True)
    if mention_maria:
        zd.add_comment(ticket_id, ANA, "@Maria Santos could you check the invoice run?", public=False, follow=[MARIA])
    store: Store = loaded_store(str(tmp_path / "store.db"), zd, tmp_path, load_policy())
    token = store.create_token("zendesk-sidebar")

    def no_zendesk() -> Any:
        raise AssertionError("the API never calls Zendesk")

    app = create_app(store, load_policy(), no_zendesk, write_back=False, webhook_secret="s", run_worker=False)
    with Served(app) as server:
        yield server.url, token, ticket_id
    store.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, int]]:
    with _serving(tmp_path, mention_maria=False) as answer:
        yield answer


def _open_app(
    browser: Any, tmp_path: Path, server_url: str, token: str, ticket_id: int, agent_id: int, setting: str = APP_URL
) -> Any:
    """The built app's iframe page, with Zendesk's side played by the stand-in and a relaying proxy; ``setting``
    is the server address in the app's settings (by default the address it was built for)."""
    root = tmp_path / "app"
    with zipfile.ZipFile(build_app_zip(tmp_path / "app.zip", APP_URL)) as archive:
        archive.extractall(root)
    page = browser.new_page(viewport={"width": 340, "height": 640})
    page.add_init_script(
        ZAF_STAND_IN + f"window.__ticket = {ticket_id}; window.__agent = {agent_id}; window.__appUrl = '{setting}';"
    )
    page.route("**/zaf_sdk.min.js", lambda route: route.fulfill(status=200, body="/* ZAF stand-in */"))

    def zendesk_proxy(options_json: str) -> str:
        import json

        options = json.loads(options_json)
        # Zendesk's proxy only goes to the whitelisted host: here that host stands for the test server
        assert options["url"].startswith(APP_URL + "/"), options["url"]
        assert options.get("secure") is True
        url = server_url + options["url"][len(APP_URL) :]
        headers = {k: v.replace("{{setting.intently_token}}", token) for k, v in options["headers"].items()}
        if options.get("contentType"):
            headers["Content-Type"] = options["contentType"]
        body = options.get("data")
        answer = httpx.request(options["type"], url, headers=headers, content=body, timeout=10)
        content_type = answer.headers.get("content-type", "")
        payload = answer.json() if content_type.startswith("application/json") else None
        return json.dumps({"status": answer.status_code, "body": payload})

    page.expose_function("zendeskProxy", zendesk_proxy)
    page.goto((root / "assets" / "iframe.html").as_uri())
    return page


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_an_agent_about_to_drive_by_sees_the_warning_and_the_intentional_path(
    browser: Any, served: tuple[str, str, int], tmp_path: Path
) -> None:
    server_url, token, ticket_id = served
    page = _open_app(browser, tmp_path, server_url, token, ticket_id, MARIA)
    page.wait_for_selector(".card.warn")
    _shot(page, "sidebar-drive-by.png")
    public = page.locator(".card").nth(0).inner_text()
    assert "Drive-by" in public and "unsolicited_reply" in public
    assert "The intentional path instead" in public
    # each way out is judged by the same policy: a note is intentional, a handover takes the ticket
    assert "intentional collaboration" in public and "taking the ticket" in public
    internal = page.locator(".card").nth(1).inner_text()
    assert "Intentional help" in internal and "internal_note" in internal
    text = page.inner_text("main")
    assert "Assignee: Ana Lee" in text
    asked = page.evaluate("window.__asked")
    assert any("/api/check-reply" in url for url in asked) and any("/judgements" in url for url in asked)
    page.close()


def test_the_panel_leads_with_one_line_and_shows_what_cover_looks_at(
    browser: Any, served: tuple[str, str, int], tmp_path: Path
) -> None:
    server_url, token, ticket_id = served
    page = _open_app(browser, tmp_path, server_url, token, ticket_id, MARIA)
    page.wait_for_selector("[data-headline]")
    first = page.locator("main > *").first
    assert first.get_attribute("data-headline") is not None
    said = "A public reply now would be a drive-by: ask Ana Lee first (or leave an internal note)."
    assert first.inner_text() == said
    cover = page.inner_text("[data-list=coverage]")
    assert "Ana Lee is" in cover and "business hours" in cover and "Their local time:" in cover
    assert "Nobody is waiting for a reply" in cover  # Ana answered the customer last
    assert "A public reply would be Drive-by" in " ".join(page.locator(".card").nth(0).inner_text().split())
    page.close()


def test_one_click_starts_an_internal_note_to_the_assignee(
    browser: Any, served: tuple[str, str, int], tmp_path: Path
) -> None:
    server_url, token, ticket_id = served
    page = _open_app(browser, tmp_path, server_url, token, ticket_id, MARIA)
    button = page.wait_for_selector("button[data-action=internal_note]")
    assert button.inner_text() == "Ask Ana Lee in an internal note"
    assert page.locator("button[data-action=add_tag]").count() == 0  # only the assignee asks with the tag
    button.click()
    page.wait_for_selector("button[data-action=internal_note]:disabled")
    _shot(page, "sidebar-ask-in-a-note.png")
    invoked = [call for call in page.evaluate("window.__invoked") if call[0] != "resize"]
    assert invoked[0] == ["set:comment.type", "internalNote"]
    assert invoked[1][0] == "comment.appendText" and invoked[1][1].startswith("@Ana Lee ")
    assert "Note started below" in button.inner_text()
    page.close()


def test_one_click_lets_the_assignee_ask_for_help_with_the_tag(
    browser: Any, served: tuple[str, str, int], tmp_path: Path
) -> None:
    server_url, token, ticket_id = served
    page = _open_app(browser, tmp_path, server_url, token, ticket_id, ANA)
    button = page.wait_for_selector("button[data-action=add_tag]")
    assert button.inner_text() == "Ask for help: add the needs_collaboration tag"
    button.click()
    page.wait_for_selector("button[data-action=add_tag]:disabled")
    invoked = [call for call in page.evaluate("window.__invoked") if call[0] != "resize"]
    assert invoked == [["ticket.tags.add", "needs_collaboration"]]
    assert "save the ticket" in button.inner_text()
    page.close()


def test_one_click_takes_an_unassigned_ticket(browser: Any, tmp_path: Path) -> None:
    with _serving(tmp_path, mention_maria=False, assigned=False) as (server_url, token, ticket_id):
        page = _open_app(browser, tmp_path, server_url, token, ticket_id, MARIA)
        button = page.wait_for_selector("button[data-action=take_ticket]")
        headline = page.inner_text("[data-headline]")
        assert headline == (
            "A public reply now would be a drive-by: take the ticket first (assign it to yourself), or leave an "
            "internal note."
        )
        assert "nobody" not in page.locator(".card").nth(0).inner_text().lower()
        assert button.inner_text() == "Take the ticket: assign it to yourself"
        button.click()
        page.wait_for_selector("button[data-action=take_ticket]:disabled")
        invoked = [call for call in page.evaluate("window.__invoked") if call[0] != "resize"]
        assert invoked == [["set:ticket.assignee", {"userId": MARIA}]]  # the stand-in's ticket has no group
        assert button.inner_text() == "Assigned to you: save the ticket, then reply"
        page.close()


def test_a_server_address_the_app_was_not_built_for_is_named(
    browser: Any, served: tuple[str, str, int], tmp_path: Path
) -> None:
    server_url, token, ticket_id = served
    page = _open_app(browser, tmp_path, server_url, token, ticket_id, MARIA, setting="https://other.example.org/")
    page.wait_for_selector(".error")
    _shot(page, "sidebar-wrong-address.png")
    said = page.inner_text(".error")
    assert "is https://other.example.org, but this app was built for https://intently.acme.test" in said
    assert "Zendesk lets it reach intently.acme.test only" in said
    assert "intently zendesk-app build --url https://other.example.org" in said
    assert page.evaluate("window.__asked") == []  # nothing was sent to a host Zendesk would refuse
    page.close()


def test_the_assignee_sees_their_own_work(browser: Any, served: tuple[str, str, int], tmp_path: Path) -> None:
    server_url, token, ticket_id = served
    page = _open_app(browser, tmp_path, server_url, token, ticket_id, ANA)
    page.wait_for_selector(".card")
    _shot(page, "sidebar-assignee.png")
    assert page.locator(".card.warn").count() == 0
    assert "Assignee's own work" in page.locator(".card").nth(0).inner_text()
    assert "Nobody is asking for help on this ticket right now." in page.inner_text("main")
    page.close()


def test_an_agent_who_was_asked_sees_the_open_solicitation(browser: Any, tmp_path: Path) -> None:
    with _serving(tmp_path, mention_maria=True) as (server_url, token, ticket_id):
        page = _open_app(browser, tmp_path, server_url, token, ticket_id, MARIA)
        page.wait_for_selector("[data-list=solicitations]")
        _shot(page, "sidebar-asked.png")
        asked = page.inner_text("[data-list=solicitations]")
        assert "Ana Lee added Maria Santos as a follower" in asked and "This asks you." in asked
        assert page.locator(".card.warn").count() == 0
        public = page.locator(".card").nth(0).inner_text()
        assert "Intentional help" in public and "solicited" in public
        page.close()


def test_a_refused_token_says_what_to_check(browser: Any, served: tuple[str, str, int], tmp_path: Path) -> None:
    server_url, _, ticket_id = served
    page = _open_app(browser, tmp_path, server_url, "itk_wrong", ticket_id, MARIA)
    page.wait_for_selector(".error")
    assert "refused the app's token" in page.inner_text(".error")
    page.close()


def test_names_and_reasons_render_as_text(browser: Any, tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    source = Path(__file__).resolve().parents[1] / "src" / "intently" / "zendesk" / "app" / "assets"
    for name in ("panel.js", "app.css"):
        shutil.copy(source / name, assets / name)
    (assets / "page.html").write_text('<main id="panel"></main><script src="panel.js"></script>')
    page = browser.new_page()
    page.goto((assets / "page.html").as_uri())
    hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
    page.evaluate(
        """hostile => IntentlyPanel.render(document.getElementById("panel"), {
            ticket: {assignee: hostile, preferred_region: "EMEA",
                     judgements: [{author_id: 1, author: hostile, verdict: "drive_by"}]},
            public: {verdict: "drive_by", rule: "unsolicited_reply", reason: hostile,
                     intentional_path: [{description: hostile, verdict: "intentional"}]},
            internal: {verdict: "intentional", rule: "internal_note", reason: hostile, intentional_path: []}})""",
        hostile,
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img").count() == 0 and page.locator("main script").count() == 0
    assert hostile in page.inner_text("main")
    page.close()
