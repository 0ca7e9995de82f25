"""Accounts in the browser: an admin adds and removes accounts, sets roles, and creates and revokes API tokens on
``/admin/users`` (CSRF-protected forms, an audit line each, admins only: a viewer gets 403); the last admin can be
neither removed nor made a viewer; every account changes its own password on ``/account/password`` (the current
one required); ``intently user passwd NAME`` sets one from the command line. Over real HTTP (the app served by
uvicorn on loopback), on SQLite and PostgreSQL; one test drives the pages in Chromium and keeps screenshots."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from intently.cli import app as cli_app
from intently.policy import load_policy
from intently.store import Store
from intently.web import create_app
from intently.web.access import accounts
from intently.web.access.accounts import LastAdmin
from tests.dashboard_client import PASSWORD, dashboard, ensure_account, form_csrf, login, tables
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_sidebar_browser import ARTIFACTS, browser  # noqa: F401 - the shared Chromium fixture
from tests.test_webhooks import Served, captured, loaded_store, log_lines  # noqa: F401 - a fixture

NEW_PASSWORD = "a-new-password-7c1e"
LOCAL = "127.0.0.1"


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    zd = FakeZendesk(ZendeskDataset.generate(tickets=3))
    store = loaded_store(store_url, zd, tmp_path, load_policy())
    ensure_account(store, "ada", "admin")
    ensure_account(store, "val", "viewer")
    yield store
    store.close()


def _admin_csrf(client: httpx.Client) -> str:
    page = client.get("/admin/users")
    assert page.status_code == 200, page.text
    return form_csrf(page.text)


def _post(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    return client.post(path, data={"csrf": _admin_csrf(client), **fields})


def _roles(store: Store) -> dict[str, str]:
    return {a.name: a.role for a in accounts.accounts(store)}


def _audit(records: list[logging.LogRecord]) -> list[dict[str, Any]]:
    return [line for line in log_lines(records) if line["event"].startswith(("admin.", "password."))]


def _error(page: httpx.Response) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', page.text, re.S)
    assert found, "no error on the page"
    return " ".join(found.group(1).split())


# --- who may -----------------------------------------------------------------------------------------------------

ADMIN_FORMS = {
    "/admin/users/add": {"name": "mallory", "role": "admin", "password": "mallory-pass", "again": "mallory-pass"},
    "/admin/users/remove": {"name": "ada"},
    "/admin/users/role": {"name": "val", "role": "admin"},
    "/admin/tokens/create": {"token": "mallory", "role": "admin"},
    "/admin/tokens/revoke": {"token": "kept"},
}


def test_only_admins_reach_the_page_and_its_forms(store: Store) -> None:
    store.create_token("kept", "viewer")
    with dashboard(store) as client:
        for path in ("/admin/users", "/admin/users/remove?name=ada"):
            answer = client.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=/admin/users")
        for path, fields in ADMIN_FORMS.items():  # without a session: to the login page, nothing done
            assert client.post(path, data=fields).status_code == 303
        assert login(client, "val").status_code == 303
        csrf = form_csrf(client.get("/settings").text)
        denied = client.get("/admin/users", headers={"accept": "text/html"})
        assert denied.status_code == 403 and "this needs an admin account" in denied.text
        assert client.get("/admin/users/remove?name=ada").status_code == 403
        for path, fields in ADMIN_FORMS.items():  # a viewer with a good CSRF token: 403, nothing done
            assert client.post(path, data={"csrf": csrf, **fields}).status_code == 403, path
        settings = client.get("/settings").text
        assert 'href="/account/password"' in settings and 'href="/admin/users"' not in settings
    assert _roles(store) == {"ada": "admin", "val": "viewer"}
    assert [t.name for t in store.tokens()] == ["kept"]


def test_every_form_needs_the_sessions_csrf_token(store: Store) -> None:
    store.create_token("kept", "viewer")
    with dashboard(store) as client:
        assert login(client, "ada").status_code == 303
        assert 'href="/admin/users"' in client.get("/settings").text
        for path, fields in ADMIN_FORMS.items():
            for csrf in ({}, {"csrf": "forged"}):
                assert client.post(path, data={**fields, **csrf}).status_code == 403, path
        for fields in ({}, {"csrf": "forged"}):
            answer = client.post(
                "/account/password", data={"current": PASSWORD, "password": "x" * 9, "again": "x" * 9, **fields}
            )
            assert answer.status_code == 403
    assert _roles(store) == {"ada": "admin", "val": "viewer"}
    assert [t.name for t in store.tokens()] == ["kept"]
    assert accounts.authenticate(store, "ada", PASSWORD) is not None


# --- accounts ----------------------------------------------------------------------------------------------------


def test_an_admin_adds_an_account_that_can_log_in(
    store: Store,
    captured: list[logging.LogRecord],  # noqa: F811 - the fixture
) -> None:
    with dashboard(store) as client:
        assert login(client, "ada").status_code == 303
        added = _post(
            client, "/admin/users/add", name="sam", role="viewer", password="sam-password", again="sam-password"
        )
        assert added.status_code == 303 and added.headers["location"] == "/admin/users?done=added"
        page = client.get(added.headers["location"])
        assert "Account added." in page.text
        rows = {row[0]: row[1] for row in tables(page.text).tables["accounts"][1:]}
        assert rows == {"ada (you)": "admin", "sam": "viewer", "val": "viewer"}
        for fields, status, words in (
            ({"name": "sam", "role": "viewer", "password": "long-enough", "again": "long-enough"}, 409, "exists"),
            ({"name": "kim", "role": "viewer", "password": "short", "again": "short"}, 422, "at least 8"),
            ({"name": "kim", "role": "viewer", "password": "long-enough", "again": "long-enougH"}, 422, "differ"),
            ({"name": "kim", "role": "owner", "password": "long-enough", "again": "long-enough"}, 422, "pick a role"),
            (
                {"name": "k m", "role": "viewer", "password": "long-enough", "again": "long-enough"},
                422,
                "without spaces",
            ),
        ):
            refused = _post(client, "/admin/users/add", **fields)
            assert refused.status_code == status and words in _error(refused), fields
            assert "long-enough" not in refused.text  # a password never comes back in the page
    with dashboard(store) as other:
        assert login(other, "sam", "sam-password").status_code == 303
        assert "sam (viewer)" in other.get("/").text
    assert _roles(store) == {"ada": "admin", "sam": "viewer", "val": "viewer"}
    assert [(a["event"], a["account"], a["role"], a["client"], a.get("after")) for a in _audit(captured)] == [
        ("admin.user_added", "ada", "admin", LOCAL, {"user": "sam", "role": "viewer"})
    ]
    assert "sam-password" not in str(log_lines(captured))


def test_a_role_change_applies_at_once_to_sessions_and_tokens(
    store: Store,
    captured: list[logging.LogRecord],  # noqa: F811 - the fixture
) -> None:
    token = store.create_token("val-script", user="val")
    with dashboard(store) as admin_client, httpx.Client(base_url=str(admin_client.base_url)) as val_client:
        assert login(admin_client, "ada").status_code == 303
        assert login(val_client, "val").status_code == 303
        assert val_client.get("/admin/users").status_code == 403
        refresh = "/api/tickets/1/refresh"
        assert val_client.post(refresh, headers={"Authorization": f"Bearer {token}"}).status_code == 403
        promoted = _post(admin_client, "/admin/users/role", name="val", role="admin")
        assert promoted.status_code == 303
        assert val_client.get("/admin/users").status_code == 200  # the same session, an admin now
        assert val_client.post(refresh, headers={"Authorization": f"Bearer {token}"}).status_code == 202
        assert _post(admin_client, "/admin/users/role", name="val", role="viewer").status_code == 303
        assert val_client.get("/admin/users").status_code == 403
        assert _post(admin_client, "/admin/users/role", name="nobody", role="admin").status_code == 404
        assert _post(admin_client, "/admin/users/role", name="val", role="root").status_code == 422
    changes = [(a["event"], a.get("before"), a.get("after")) for a in _audit(captured)]
    assert changes == [
        ("admin.user_role_changed", {"user": "val", "role": "viewer"}, {"user": "val", "role": "admin"}),
        ("admin.user_role_changed", {"user": "val", "role": "admin"}, {"user": "val", "role": "viewer"}),
    ]


def test_the_last_admin_can_be_neither_removed_nor_demoted(
    store: Store,
    captured: list[logging.LogRecord],  # noqa: F811 - the fixture
) -> None:
    with dashboard(store) as client:
        assert login(client, "ada").status_code == 303
        page = client.get("/admin/users").text
        assert "last admin" in page and "/admin/users/remove?name=ada" not in page  # nothing to click
        demoted = _post(client, "/admin/users/role", name="ada", role="viewer")
        assert demoted.status_code == 409
        assert (
            _error(demoted)
            == "&#39;ada&#39; is the last admin: make another account an admin first, then make this one a viewer"
        )
        removed = _post(client, "/admin/users/remove", name="ada")
        assert removed.status_code == 409 and "is the last admin" in _error(removed)
        assert _roles(store) == {"ada": "admin", "val": "viewer"}
        # with a second admin, ada may step down: she lands on Settings, and the admin page is closed to her
        assert _post(client, "/admin/users/role", name="val", role="admin").status_code == 303
        stepped = _post(client, "/admin/users/role", name="ada", role="viewer")
        assert stepped.status_code == 303 and stepped.headers["location"] == "/settings"
        assert client.get("/admin/users").status_code == 403
    assert _roles(store) == {"ada": "viewer", "val": "admin"}
    refused = [(a["event"], a.get("status"), a.get("before")) for a in _audit(captured) if "refused" in a["event"]]
    assert refused == [
        ("admin.user_change_refused", "last_admin", {"user": "ada", "role": "admin"}),
        ("admin.user_change_refused", "last_admin", {"user": "ada", "role": "admin"}),
    ]


def test_two_admins_demoting_each_other_at_once_leave_one_admin(store: Store) -> None:
    ensure_account(store, "bea", "admin")
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def demote(name: str) -> None:
        start.wait()
        try:
            accounts.set_role(store, name, "viewer")
            outcomes.append("done")
        except LastAdmin:
            outcomes.append("refused")
        except Exception as exc:  # SQLite may refuse the second writer outright: still no change
            outcomes.append(type(exc).__name__)

    for _ in range(5):
        workers = [threading.Thread(target=demote, args=(name,)) for name in ("ada", "bea")]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        roles = _roles(store)
        assert sorted(roles[name] for name in ("ada", "bea")) == ["admin", "viewer"], outcomes
        assert outcomes.count("done") == 1, outcomes
        accounts.set_role(store, "ada", "admin")
        accounts.set_role(store, "bea", "admin")
        outcomes.clear()


def test_removing_an_account_ends_its_sessions_and_revokes_its_tokens(
    store: Store,
    captured: list[logging.LogRecord],  # noqa: F811 - the fixture
) -> None:
    token = store.create_token("val-sidebar", user="val")
    with dashboard(store) as client, httpx.Client(base_url=str(client.base_url)) as val_client:
        assert login(val_client, "val").status_code == 303
        assert login(client, "ada").status_code == 303
        ask = client.get("/admin/users/remove", params={"name": "val"})
        assert ask.status_code == 200
        assert "its 1 API token (val-sidebar) is revoked" in " ".join(ask.text.split())
        assert client.get("/admin/users/remove", params={"name": "nobody"}).status_code == 404
        removed = client.post("/admin/users/remove", data={"csrf": form_csrf(ask.text), "name": "val"})
        assert removed.status_code == 303 and removed.headers["location"] == "/admin/users?done=removed"
        assert val_client.get("/").status_code == 303  # logged out on the server
        assert client.get("/api/tickets/1/judgements", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert _post(client, "/admin/users/remove", name="val").status_code == 404
        # an admin removing herself (not the last one) is logged out
        assert (
            _post(
                client, "/admin/users/add", name="bea", role="admin", password="bea-password", again="bea-password"
            ).status_code
            == 303
        )
        gone = _post(client, "/admin/users/remove", name="ada")
        assert gone.status_code == 303 and gone.headers["location"] == "/login"
        assert client.get("/").status_code == 303
    assert _roles(store) == {"bea": "admin"} and store.tokens() == []
    removals = [(a["before"], a["after"]) for a in _audit(captured) if a["event"] == "admin.user_removed"]
    assert removals == [
        ({"user": "val", "role": "viewer"}, {"tokens_revoked": 1}),
        ({"user": "ada", "role": "admin"}, {"tokens_revoked": 0}),
    ]


# --- tokens ------------------------------------------------------------------------------------------------------


def test_tokens_are_created_once_shown_and_revoked(
    store: Store,
    captured: list[logging.LogRecord],  # noqa: F811 - the fixture
) -> None:
    with dashboard(store) as client:
        assert login(client, "ada").status_code == 303
        made = _post(client, "/admin/tokens/create", token="val-sidebar", user="val", role="admin")
        assert made.status_code == 200 and "Copy it now" in made.text
        secret = re.search(r"<code class=\"secret\" data-token>(itk_[^<]+)</code>", made.text)
        assert secret is not None
        token = secret.group(1)
        assert store.token_owner(token) == ("val-sidebar", "viewer")  # the account's role, not the form's
        api = client.get("/api/tickets/1/judgements", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code in (200, 404)  # let in (the ticket may not exist); a bad token would be 401
        page = client.get("/admin/users").text
        assert token not in page  # shown once
        listed = {row[0]: row[1:4] for row in tables(page).tables["tokens"][1:]}
        assert listed["val-sidebar"][:2] == ["viewer", "val"]
        own = _post(client, "/admin/tokens/create", token="ops", user="", role="admin")
        assert own.status_code == 200
        ops = re.search(r"data-token>(itk_[^<]+)<", own.text)
        assert ops and store.token_owner(ops.group(1)) == ("ops", "admin")
        assert _post(client, "/admin/tokens/create", token="ops", role="viewer").status_code == 409
        assert _post(client, "/admin/tokens/create", token="x", user="", role="").status_code == 422
        assert _post(client, "/admin/tokens/create", token="y", user="ghost", role="viewer").status_code == 422
        revoked = _post(client, "/admin/tokens/revoke", token="val-sidebar")
        assert revoked.status_code == 303 and revoked.headers["location"] == "/admin/users?done=revoked"
        assert client.get("/api/tickets/1/judgements", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert _post(client, "/admin/tokens/revoke", token="val-sidebar").status_code == 404
    assert [t.name for t in store.tokens()] == ["ops"]
    lines = _audit(captured)
    assert [(a["event"], a.get("before"), a.get("after")) for a in lines] == [
        ("admin.token_created", None, {"token": "val-sidebar", "role": "viewer", "user": "val"}),
        ("admin.token_created", None, {"token": "ops", "role": "admin", "user": None}),
        ("admin.token_revoked", {"token": "val-sidebar", "role": "viewer", "user": "val"}, None),
    ]
    assert token not in str(log_lines(captured)) and ops.group(1) not in str(log_lines(captured))


# --- one's own password ------------------------------------------------------------------------------------------


def _change(client: httpx.Client, current: str, new: str, again: str | None = None) -> httpx.Response:
    csrf = form_csrf(client.get("/account/password").text)
    return client.post(
        "/account/password", data={"csrf": csrf, "current": current, "password": new, "again": again or new}
    )


def test_an_account_changes_its_own_password_with_the_current_one(
    store: Store,
    captured: list[logging.LogRecord],  # noqa: F811 - the fixture
) -> None:
    with dashboard(store) as client, httpx.Client(base_url=str(client.base_url)) as elsewhere:
        assert client.get("/account/password").status_code == 303  # a login first
        assert login(client, "val").status_code == 303
        assert login(elsewhere, "val").status_code == 303
        wrong = _change(client, "not-my-password", NEW_PASSWORD)
        assert wrong.status_code == 403 and "The current password is wrong" in _error(wrong)
        differ = _change(client, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
        assert differ.status_code == 422 and "differ" in _error(differ)
        short = _change(client, PASSWORD, "short")
        assert short.status_code == 422 and "at least 8" in _error(short)
        assert accounts.authenticate(store, "val", PASSWORD) is not None  # nothing changed so far
        done = _change(client, PASSWORD, NEW_PASSWORD)
        assert done.status_code == 303 and done.headers["location"] == "/account/password?done=1"
        assert "Password changed" in client.get(done.headers["location"]).text  # this session goes on
        assert elsewhere.get("/").status_code == 303  # the other one has ended
    with dashboard(store) as client:
        assert login(client, "val").status_code == 401
        assert login(client, "val", NEW_PASSWORD).status_code == 303
    events = [(a["event"], a["account"]) for a in _audit(captured)]
    assert events == [("password.change_refused", "val"), ("password.changed", "val")]
    text = str(log_lines(captured))
    assert NEW_PASSWORD not in text and PASSWORD not in text and "not-my-password" not in text


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_guessing_the_current_password_is_limited_like_logins(store: Store) -> None:
    with dashboard(store) as client:
        assert login(client, "val").status_code == 303
        for _ in range(5):
            assert _change(client, "a wrong guess", NEW_PASSWORD).status_code == 403
        limited = _change(client, PASSWORD, NEW_PASSWORD)  # even the right one, now
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 300
    assert accounts.authenticate(store, "val", PASSWORD) is not None


# --- intently user passwd ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_user_passwd_sets_a_password_and_ends_the_sessions(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    session_id, _ = accounts.start_session(store, "val")
    runner = CliRunner()
    done = runner.invoke(
        cli_app, ["user", "passwd", "val", "--password-stdin", "--db", store.url], input=NEW_PASSWORD + "\n"
    )
    assert done.exit_code == 0, done.output
    assert "Password of 'val' changed; 1 session ended." in done.stderr
    assert NEW_PASSWORD not in done.output
    assert accounts.authenticate(store, "val", NEW_PASSWORD) is not None
    assert accounts.authenticate(store, "val", PASSWORD) is None
    assert accounts.session(store, session_id) is None

    answers = iter(["first-password", "other-password", "third-password", "third-password"])
    prompts: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": (prompts.append(prompt), next(answers))[1])
    differ = runner.invoke(cli_app, ["user", "passwd", "val", "--db", store.url])
    assert differ.exit_code == 1 and "differ" in str(differ.exception)
    assert accounts.authenticate(store, "val", NEW_PASSWORD) is not None
    ok = runner.invoke(cli_app, ["user", "passwd", "val", "--db", store.url])
    assert ok.exit_code == 0, ok.output
    assert prompts == ["Password: ", "Password (again): "] * 2
    assert accounts.authenticate(store, "val", "third-password") is not None

    short = runner.invoke(cli_app, ["user", "passwd", "val", "--password-stdin", "--db", store.url], input="short\n")
    assert short.exit_code == 1 and "at least 8" in str(short.exception)
    nobody = runner.invoke(cli_app, ["user", "passwd", "nobody", "--password-stdin", "--db", store.url], input="x" * 9)
    assert nobody.exit_code == 1 and "no user named 'nobody'" in str(nobody.exception)


# --- in Chromium -------------------------------------------------------------------------------------------------


def _artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_an_admin_manages_accounts_and_tokens_in_chromium(browser: Any, store: Store) -> None:  # noqa: F811
    def no_zendesk() -> Any:
        raise AssertionError("the dashboard never calls Zendesk")

    app = create_app(store, load_policy(), no_zendesk, write_back=False, webhook_secret=None, run_worker=False)
    with Served(app) as served:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(served.url + "/settings")
        page.fill("input[name=username]", "ada")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.click("text=Accounts and tokens")
        page.wait_for_selector("h1:has-text('Accounts and tokens')")

        # add an account
        add = page.locator("form[action='/admin/users/add']")
        add.locator("input[name=name]").fill("sam")
        add.locator("select[name=role]").select_option("viewer")
        add.locator("input[name=password]").fill("sam-password")
        add.locator("input[name=again]").fill("sam-password")
        add.locator("button[type=submit]").click()
        page.wait_for_selector("text=Account added.")
        assert page.locator("tr[data-account=sam] td").nth(1).inner_text() == "viewer"

        # the last admin: the buttons say so, and a crafted demotion is refused with the reason
        assert page.locator("tr[data-account=ada] button").is_disabled()
        row = page.locator("tr[data-account=val]")
        row.locator("select[name=role]").select_option("admin")
        row.locator("button").click()
        page.wait_for_selector("text=Role changed")
        assert page.locator("tr[data-account=val] td").nth(1).inner_text() == "admin"
        row = page.locator("tr[data-account=val]")
        row.locator("select[name=role]").select_option("viewer")
        row.locator("button").click()
        page.wait_for_selector("text=Role changed")
        ada = page.locator("tr[data-account=ada]")
        ada.locator("button").evaluate("button => button.disabled = false")  # as a stale page would send it
        ada.locator("select[name=role]").select_option("viewer")
        ada.locator("button").click()
        page.wait_for_selector("p.error")
        assert "'ada' is the last admin" in page.inner_text("p.error")
        page.screenshot(path=str(_artifact("admin-last-admin.png")), full_page=True)

        # a token for sam, shown once
        create = page.locator("form[action='/admin/tokens/create']")
        create.locator("input[name=token]").fill("sam-sidebar")
        create.locator("select[name=user]").select_option("sam")
        create.locator("button[type=submit]").click()
        page.wait_for_selector("[data-token]")
        token = page.inner_text("[data-token]").strip()
        assert store.token_owner(token) == ("sam-sidebar", "viewer")
        page.screenshot(path=str(_artifact("admin-users.png")), full_page=True)

        # revoke it; remove sam through the confirmation page
        page.goto(served.url + "/admin/users")
        page.click("button[aria-label='Revoke sam-sidebar']")
        page.wait_for_selector("text=Token revoked")
        assert store.token_owner(token) is None
        page.click("tr[data-account=sam] a:text('Remove…')")
        page.wait_for_selector("h1:has-text('Remove sam?')")
        page.screenshot(path=str(_artifact("admin-remove.png")), full_page=True)
        page.click("button:text('Remove sam')")
        page.wait_for_selector("text=Account removed")
        assert page.locator("tr[data-account=sam]").count() == 0

        # one's own password, from Settings
        page.goto(served.url + "/settings")
        page.click("text=Change your password")
        page.fill("input[name=current]", PASSWORD)
        page.fill("input[name=password]", NEW_PASSWORD)
        page.fill("input[name=again]", NEW_PASSWORD)
        page.click("button:text('Change password')")
        page.wait_for_selector("text=Password changed")
        page.screenshot(path=str(_artifact("account-password.png")), full_page=True)

        # at 360 px wide nothing scrolls sideways
        narrow = browser.new_page(viewport={"width": 360, "height": 800})
        narrow.context.add_cookies(page.context.cookies())
        narrow.goto(served.url + "/admin/users")
        narrow.wait_for_selector("h1:has-text('Accounts and tokens')")
        narrow.screenshot(path=str(_artifact("admin-users-360.png")), full_page=True)
        assert narrow.evaluate("document.documentElement.scrollWidth") <= 360
        narrow.close()
        # the one error is the refused demotion's answer (409), which the browser reports as such
        assert problems == ["Failed to load resource: the server responded with a status of 409 (Conflict)"]
        page.close()
    assert accounts.authenticate(store, "ada", NEW_PASSWORD) is not None
    assert _roles(store) == {"ada": "admin", "val": "viewer"}
