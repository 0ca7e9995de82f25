"""Dashboard access: accounts, login and logout, sessions, CSRF, rate limits, roles, tokens of accounts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select
from typer.testing import CliRunner

from intently.cli import app as cli_app
from intently.policy import load_policy
from intently.store import Store
from intently.store import schema as tables
from intently.web import create_app
from intently.web.access import accounts, csrf
from intently.web.access.ratelimit import LoginLimiter
from intently.web.access.sessions import COOKIE, AccessState, safe_next
from tests.cli_runner import intently as run_intently
from tests.dashboard_client import PASSWORD, dashboard, ensure_account, form_csrf, login
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import loaded_store


def intently(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_intently(*args, input=stdin)


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    zd = FakeZendesk(ZendeskDataset.generate(tickets=3))
    store = loaded_store(store_url, zd, tmp_path, load_policy())
    ensure_account(store, "val", "viewer")
    ensure_account(store, "ada", "admin")
    yield store
    store.close()


HOST_COOKIE = "__Host-" + COOKIE
HOST_LOGIN = "__Host-" + csrf.LOGIN_COOKIE


def _cookie_header(response: httpx.Response, name: str) -> str:
    found = [value for value in response.headers.get_list("set-cookie") if value.startswith(name + "=")]
    assert found, f"no {name} cookie set"
    return found[0]


# --- the user commands ----------------------------------------------------------------------------


def test_the_installed_command_hashes_with_argon2id_at_rfc_9106_cost(tmp_path: Path) -> None:
    """What a user's account gets (the tests in this process hash at a lower cost: tests/conftest.py): argon2id with
    64 MiB, 3 passes and 4 lanes (RFC 9106's second recommended option), and the password works."""
    from tests.cli_runner import intently_process

    db = str(tmp_path / "s.db")
    added = intently_process("user", "add", "mia", "--password-stdin", "--db", db, input="s3cret-pass\n")
    assert added.returncode == 0, added.stderr
    with Store.open(db) as store, store.engine.connect() as conn:
        stored = conn.execute(select(tables.web_accounts.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    from argon2 import PasswordHasher

    assert PasswordHasher().verify(stored, "s3cret-pass")


def test_user_add_list_remove_keeps_only_an_argon2_hash(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    added = intently("user", "add", "mia", "--role", "admin", "--password-stdin", "--db", db, stdin="s3cret-pass\n")
    assert added.returncode == 0, added.stderr
    assert "s3cret-pass" not in added.stdout + added.stderr
    again = intently("user", "add", "mia", "--password-stdin", "--db", db, stdin="another-pass\n")
    assert again.returncode == 1 and "exists" in again.stderr
    short = intently("user", "add", "leo", "--password-stdin", "--db", db, stdin="short\n")
    assert short.returncode == 1 and "at least" in short.stderr
    role = intently("user", "add", "leo", "--role", "owner", "--password-stdin", "--db", db, stdin="long-enough\n")
    assert role.returncode == 2
    listed = intently("user", "list", "--db", db)
    assert listed.returncode == 0 and "mia" in listed.stdout and "admin" in listed.stdout
    assert "leo" not in listed.stdout
    with Store.open(db) as store:
        with store.engine.connect() as conn:
            row = conn.execute(select(tables.web_accounts)).one()
        assert row.name == "mia" and row.role == "admin"
        assert row.password_hash.startswith("$argon2id$") and "s3cret-pass" not in row.password_hash
        assert accounts.authenticate(store, "mia", "s3cret-pass") is not None
        assert accounts.authenticate(store, "mia", "wrong-pass") is None
    removed = intently("user", "remove", "mia", "--db", db)
    assert removed.returncode == 0, removed.stderr
    assert intently("user", "remove", "mia", "--db", db).returncode == 1
    assert "No users" in intently("user", "list", "--db", db).stdout


def test_user_add_prompts_twice_without_echo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "s.db")
    prompts: list[str] = []
    answers = iter(["first-password", "other-password", "good-password", "good-password"])

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    runner = CliRunner()
    differ = runner.invoke(cli_app, ["user", "add", "kim", "--db", db])
    assert differ.exit_code != 0 and "differ" in str(differ.exception)
    ok = runner.invoke(cli_app, ["user", "add", "kim", "--role", "viewer", "--db", db])
    assert ok.exit_code == 0, ok.output
    assert prompts == ["Password: ", "Password (again): "] * 2
    with Store.open(db) as store:
        assert accounts.authenticate(store, "kim", "good-password") is not None


# --- every page needs a login -----------------------------------------------------------------------


OPEN = ("/login", "/healthz", "/static", "/webhooks/")


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """Every (path, methods) of the app, through included routers (however FastAPI nests them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, set(route.methods)
        elif hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes, prefix + route.include_context.prefix)


def test_every_get_route_needs_a_login_or_a_token(store: Store) -> None:
    app = create_app(store, load_policy(), lambda: None, write_back=False, webhook_secret="s", run_worker=False)
    paths = sorted(
        {
            re.sub(r"\{[a-z_]+(:path)?\}", "1", path)  # every path parameter (a ticket's, an engineer's id) filled
            for path, methods in _routes(app.routes)
            if "GET" in methods and not path.startswith(OPEN)
        }
    )
    assert {"/", "/tickets", "/tickets/1", "/engineers", "/api/tickets/1/judgements"} <= set(paths)
    with dashboard(store) as client:
        for path in paths:
            answer = client.get(path)
            if path.startswith("/api/"):
                assert answer.status_code == 401, path
            else:
                assert answer.status_code == 303, path
                assert answer.headers["location"] == "/login?next=" + path, path
        query = client.get("/tickets", params={"verdict": "drive_by", "week": "2026-09-07"})
        assert query.headers["location"] == "/login?next=/tickets%3Fverdict%3Ddrive_by%26week%3D2026-09-07"
        assert client.get("/healthz").status_code == 200
        assert client.get("/static/intently.css").status_code == 200
        assert client.get("/login").status_code == 200
        assert client.post("/webhooks/zendesk", json={"ticket_id": 1}).status_code == 401  # signature, not login


# --- logging in and out -----------------------------------------------------------------------------


def test_login_sets_a_session_cookie_and_goes_where_it_was_asked(store: Store) -> None:
    with dashboard(store) as client:
        answer = login(client, "val", next_path="/engineers?region=emea")
        assert answer.status_code == 303 and answer.headers["location"] == "/engineers?region=emea"
        cookie = _cookie_header(answer, COOKIE).lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "secure" not in cookie  # plain http to 127.0.0.1: a Secure cookie would never come back
        assert client.get("/").status_code == 200
        assert "val (viewer)" in client.get("/engineers").text
        value = client.cookies[COOKIE]
    with store.engine.connect() as conn:
        stored = conn.execute(select(tables.web_sessions)).all()
    assert [row.account for row in stored] == ["val"] and all(row.id_hash != value for row in stored)


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_session_cookie_is_secure_unless_local_plain_http(store: Store) -> None:
    proxied = {"x-forwarded-proto": "https"}  # from a TLS proxy on this machine, named by --forwarded-allow-ips
    with dashboard(store, forwarded_allow_ips="127.0.0.1") as client:
        page = client.get("/login", headers=proxied)
        assert "; secure" in _cookie_header(page, HOST_LOGIN).lower()
        assert page.headers["strict-transport-security"] == "max-age=31536000"  # over HTTPS: keep to it
        assert "strict-transport-security" not in client.get("/login").headers  # plain local HTTP: none
        token = form_csrf(page.text)
        answer = client.post(
            "/login",
            data={"csrf": token, "username": "val", "password": PASSWORD},
            headers={**proxied, "cookie": f"{HOST_LOGIN}={token}"},  # httpx keeps Secure cookies for https
        )
        assert answer.status_code == 303
        cookie = _cookie_header(answer, HOST_COOKIE).lower()
        assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        remote = client.get("/login", headers={"host": "intently.example.com"})  # plain http, but not local
        assert "; secure" in _cookie_header(remote, HOST_LOGIN).lower()
    with dashboard(store, secure_cookies=True) as client:
        assert "; secure" in _cookie_header(client.get("/login"), HOST_LOGIN).lower()
    with dashboard(store, secure_cookies=False) as client:
        page = client.get("/login", headers=proxied)
        assert "secure" not in _cookie_header(page, csrf.LOGIN_COOKIE).lower()  # not Secure: no __Host- either


def _host_only(header: str) -> str:
    """The value of a ``__Host-`` cookie's Set-Cookie header, once checked that a browser would keep it: Secure,
    Path=/ and no Domain."""
    attributes = [part.strip().lower() for part in header.split(";")[1:]]
    assert "secure" in attributes and "path=/" in attributes, header
    assert not any(part.startswith("domain") for part in attributes), header
    return header.split(";")[0].split("=", 1)[1].strip('"')


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_over_https_the_cookies_are_host_only_and_a_planted_plain_cookie_is_ignored(store: Store) -> None:
    https = {"x-forwarded-proto": "https"}  # a TLS proxy on this machine, named by --forwarded-allow-ips
    with dashboard(store, forwarded_allow_ips="127.0.0.1") as client:
        page = client.get("/login", headers=https)
        assert not [value for value in page.headers.get_list("set-cookie") if not value.startswith("__Host-")]
        token = _host_only(_cookie_header(page, HOST_LOGIN))
        fields = {"csrf": token, "username": "val", "password": PASSWORD}
        # a sibling subdomain's cookie comes under the plain name (it cannot set a __Host- one): not read
        planted = client.post("/login", data=fields, headers={**https, "cookie": f"{csrf.LOGIN_COOKIE}={token}"})
        assert planted.status_code == 403
        answer = client.post("/login", data=fields, headers={**https, "cookie": f"{HOST_LOGIN}={token}"})
        assert answer.status_code == 303
        assert all(value.startswith("__Host-") for value in answer.headers.get_list("set-cookie"))
        session_id = _host_only(_cookie_header(answer, HOST_COOKIE))
        _host_only(_cookie_header(answer, HOST_LOGIN))  # the login form's cookie cleared under the name it has
        home = client.get("/engineers", headers={**https, "cookie": f"{HOST_COOKIE}={session_id}"})
        assert home.status_code == 200 and "val (viewer)" in home.text
        plain = client.get("/engineers", headers={**https, "cookie": f"{COOKIE}={session_id}"})
        assert plain.status_code == 303 and plain.headers["location"].startswith("/login")
        out = client.post(
            "/logout", data={"csrf": form_csrf(home.text)}, headers={**https, "cookie": f"{HOST_COOKIE}={session_id}"}
        )
        assert out.status_code == 303
        cleared = _cookie_header(out, HOST_COOKIE)
        assert _host_only(cleared) == "" and "max-age=0" in cleared.lower()
        assert client.get("/", headers={**https, "cookie": f"{HOST_COOKIE}={session_id}"}).status_code == 303
        # plain local http: the plain names, as before; a __Host- name is not read there
        assert login(client, "val").status_code == 303
        assert not [value for value in client.get("/login").headers.get_list("set-cookie") if "__Host-" in value]
        local_id = client.cookies[COOKIE]
        assert client.get("/engineers").status_code == 200
        client.cookies.clear()
        assert client.get("/", headers={"cookie": f"{HOST_COOKIE}={local_id}"}).status_code == 303
        assert client.get("/", headers={"cookie": f"{COOKIE}={local_id}"}).status_code == 200


def test_wrong_password_or_unknown_user_is_refused_alike(store: Store) -> None:
    with dashboard(store) as client:
        wrong = login(client, "val", "not the password")
        unknown = login(client, "nobody", "not the password")
        for answer in (wrong, unknown):
            assert answer.status_code == 401
            assert "Wrong user name or password." in answer.text
            assert COOKIE not in answer.headers.get("set-cookie", "")
        assert client.get("/").status_code == 303


def test_logout_ends_the_session_on_the_server(store: Store) -> None:
    with dashboard(store) as client:
        login(client, "val")
        page = client.get("/")
        value = client.cookies[COOKIE]
        answer = client.post("/logout", data={"csrf": form_csrf(page.text)})
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
        assert client.get("/").status_code == 303
        client.cookies.set(COOKIE, value)  # the old cookie, replayed
        assert client.get("/").status_code == 303


def test_login_never_redirects_off_site() -> None:
    for bad in ("//evil.example", "https://evil.example/", "/\\evil.example", "evil", "", None, "/\nx"):
        assert safe_next(bad) == "/"
    assert safe_next("/tickets?verdict=drive_by") == "/tickets?verdict=drive_by"


def test_sessions_expire(store: Store) -> None:
    value, _ = accounts.start_session(store, "val", now=datetime.now(UTC) - accounts.SESSION_LIFETIME - timedelta(1))
    assert accounts.session(store, value) is None
    fresh, session = accounts.start_session(store, "val")
    assert accounts.session(store, fresh) == session
    accounts.remove_account(store, "val")
    assert accounts.session(store, fresh) is None


# --- CSRF ---------------------------------------------------------------------------------------------


def test_forms_without_or_with_a_wrong_csrf_token_are_rejected(store: Store) -> None:
    with dashboard(store) as client:
        client.get("/login")
        for fields in ({}, {"csrf": "forged"}):
            answer = client.post("/login", data={"username": "val", "password": PASSWORD, **fields})
            assert answer.status_code == 403
            assert COOKIE not in client.cookies
        login(client, "val")
        for fields in ({}, {"csrf": "forged"}):
            assert client.post("/logout", data=fields).status_code == 403
            assert client.get("/").status_code == 200  # still logged in
        other = httpx.Client(base_url=str(client.base_url))
        login(other, "ada")
        stolen = form_csrf(other.get("/").text)  # another session's token is no good either
        assert client.post("/logout", data={"csrf": stolen}).status_code == 403
        assert client.get("/").status_code == 200
        other.close()


# --- rate limits ------------------------------------------------------------------------------------


def test_failed_logins_are_rate_limited_per_user_name(store: Store) -> None:
    with dashboard(store) as client:
        for _ in range(5):
            assert login(client, "val", "wrong password").status_code == 401
        limited = login(client, "val")  # even the right password, now
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 300
        assert COOKIE not in client.cookies
        assert login(client, "ada").status_code == 303  # another name from the same address still may


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_failed_logins_are_rate_limited_per_address(store: Store) -> None:
    with dashboard(store, access=AccessState(limiter=LoginLimiter(per_name=5, per_address=3))) as client:
        for name in ("a1", "a2", "a3"):
            assert login(client, name, "wrong password").status_code == 401
        assert login(client, "ada").status_code == 429


def test_the_limit_lifts_after_the_window() -> None:
    now = [1000.0]
    limiter = LoginLimiter(per_name=2, per_address=10, window=300, clock=lambda: now[0])
    limiter.failed("val", "1.2.3.4")
    now[0] += 100
    limiter.failed("VAL", "1.2.3.4")
    assert limiter.retry_after("val", "5.6.7.8") == 200
    now[0] += 200
    assert limiter.retry_after("val", "5.6.7.8") is None
    limiter.failed("val", "1.2.3.4")
    limiter.succeeded("val")
    assert limiter.retry_after("val", "1.2.3.4") is None


# --- roles and tokens of accounts -------------------------------------------------------------------


def test_a_token_of_an_account_carries_the_accounts_role(store: Store) -> None:
    viewer_token = store.create_token("val-sidebar", "admin", user="val")  # the account's role wins
    admin_token = store.create_token("ada-script", "viewer", user="ada")
    assert store.token_owner(viewer_token) == ("val-sidebar", "viewer")
    assert store.token_owner(admin_token) == ("ada-script", "admin")
    with dashboard(store) as client:
        refresh = "/api/tickets/1/refresh"
        assert client.post(refresh, headers={"Authorization": f"Bearer {viewer_token}"}).status_code == 403
        assert client.post(refresh, headers={"Authorization": f"Bearer {admin_token}"}).status_code == 202
        accounts.remove_account(store, "ada")
        assert client.post(refresh, headers={"Authorization": f"Bearer {admin_token}"}).status_code == 401
    with pytest.raises(Exception, match="no user named"):
        store.create_token("ghost", "viewer", user="ghost")


def test_token_create_for_a_user(store: Store) -> None:
    made = intently("token", "create", "side", "--user", "val", "--db", store.url)
    assert made.returncode == 0, made.stderr
    assert store.token_owner(made.stdout.strip()) == ("side", "viewer")


def test_serve_without_zendesk_serves_the_dashboard_only(tmp_path: Path) -> None:
    """After `intently demo` there is no Zendesk: serve shows the stored data and refuses webhooks."""
    import socket
    import time

    db = tmp_path / "s.db"
    Store.open(db).close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZENDESK_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "intently", "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                health = httpx.get(base + "/healthz")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert health.status_code == 200
        assert httpx.get(base + "/").status_code == 303  # the dashboard asks for a login
        assert httpx.post(base + "/webhooks/zendesk", json={"ticket_id": 1}).status_code == 401
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=20)
    assert "not connected" in out
    refused = subprocess.run(
        [sys.executable, "-m", "intently", "serve", "--db", str(db), "--write-back"], capture_output=True, env=env
    )
    assert refused.returncode == 2
