"""`intently sync zendesk` against a Zendesk-compatible server on 127.0.0.1 (real HTTP, no mocks of httpx)."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from intently.cli import app
from intently.errors import IntentlyError
from intently.policy import Policy, load_policy, policy_from_mapping
from intently.store import Store
from intently.store.pipeline import import_path
from intently.zendesk.client import (
    BearerAuth,
    ConflictError,
    NotFoundError,
    ZendeskAuthError,
    ZendeskClient,
    ZendeskUnavailableError,
    base_url_for,
    fetch_history,
)
from intently.zendesk.sync import CURSOR_KEY, FIELD_TITLES_KEY, USERS_CURSOR_KEY, stored_builder, sync_zendesk
from tests.cli_runner import intently
from tests.fake_zendesk import API_USER_ID, PREFERRED_FIELD_ID, FakeZendesk, ZendeskDataset

TICKETS = 30


@pytest.fixture
def zd() -> Iterator[FakeZendesk]:
    server = FakeZendesk(ZendeskDataset.generate(tickets=TICKETS, seed=5)).start()
    yield server
    server.stop()


def _client(zd: FakeZendesk, waits: list[float] | None = None, **kw: Any) -> ZendeskClient:
    sleep = waits.append if waits is not None else _no_sleep
    return ZendeskClient(zd.url, (f"{zd.email}/token", zd.api_token), sleep=sleep, **kw)


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"unexpected wait of {seconds} s")


def _sync(zd: FakeZendesk, url: str, policy: Policy | None = None, **kw: Any) -> Any:
    store = Store.open(url)
    try:
        with _client(zd, kw.pop("waits", None)) as client:
            return sync_zendesk(client, store, policy or load_policy(), **kw)
    finally:
        store.close()


def _snapshot(url: str, *, sync_state: bool = True) -> dict[str, Any]:
    """What a store holds: people, groups, ticket histories, judgements (and the sync checkpoint)."""
    store = Store.open(url, create=False)
    try:
        directory = store.directory()
        snap: dict[str, Any] = {
            "users": directory.users,
            "groups": directory.groups,
            "histories": {history.ticket.id: history for history in store.histories()},
            "judgements": list(store.judgements()),
            "policy": store.judged_policy(),
        }
        if sync_state:
            snap["cursor"] = store.state(CURSOR_KEY)
            snap["synced"] = store.synced()
        return snap
    finally:
        store.close()


def _imported(zd: FakeZendesk, tmp_path: Path, policy: Policy | None = None, name: str = "imported") -> dict[str, Any]:
    """The store you get by importing the server's current data as an export directory."""
    export = zd.dataset.write_export(tmp_path / f"{name}-export")
    db = str(tmp_path / f"{name}.db")
    import_path(export, Store.open(db), policy or load_policy())
    return _snapshot(db, sync_state=False)


def _without_sync_state(snap: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in snap.items() if key not in ("cursor", "synced")}


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "INTENTLY_"))}
    return {**env, "COLUMNS": "200", **extra}


def _cli_sync(zd: FakeZendesk, db: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "intently", "sync", "zendesk", "--url", zd.url, "--db", db, *args]


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``cmd`` (``python -m intently ARGS``) run in this process; the tests that stop a sync run it as a process."""
    assert cmd[:3] == [sys.executable, "-m", "intently"], cmd
    return intently(*cmd[3:], env=env, cwd=cwd)


# --- the sync itself ------------------------------------------------------------------------------


def test_a_full_sync_equals_importing_the_same_data(zd: FakeZendesk, store_url: str, tmp_path: Path) -> None:
    stats = _sync(zd, store_url)
    assert (stats.tickets, stats.deleted, stats.skipped, stats.rejudged) == (TICKETS - 1, 1, 0, None)  # 4 is deleted
    assert stats.pages == TICKETS // zd.page_size and stats.users == len(zd.dataset.users)
    assert stats.audits == sum(len(a) for t, a in zd.dataset.audits.items() if t != 4)
    assert any("user 7777" in warning for warning in stats.warnings)
    synced = _snapshot(store_url)
    assert synced["cursor"] and synced["synced"] == {}
    assert 4 not in synced["histories"] and len(synced["histories"]) == TICKETS - 1
    assert stats.judgements == len(synced["judgements"]) > 100
    assert {j.verdict for j in synced["judgements"]} == {"assignee", "ownership_change", "intentional", "drive_by"}
    assert _without_sync_state(synced) == _imported(zd, tmp_path)
    # custom fields are read by title, and the titles are kept for later runs and the webhook worker
    assert "Preferred Region for Support" in synced["histories"][1].ticket.fields
    store = Store.open(store_url)
    assert str(PREFERRED_FIELD_ID) in (store.state(FIELD_TITLES_KEY) or "")
    store.close()


def test_sync_from_the_recorded_zendesk_export(recorded_export: Path, tmp_path: Path) -> None:
    """Real recorded records (string ids, nulls, a deleted ticket, a missing author) served live."""
    data = ZendeskDataset.from_export(recorded_export)
    me = max(u["id"] for u in data.users if u["role"] == "admin")
    with FakeZendesk(data, me_id=me, page_size=20, audit_page_size=1) as server:
        stats = _sync(server, str(tmp_path / "live.db"))
    assert stats.deleted == 1 and stats.tickets == len(data.tickets) - 1
    imported = tmp_path / "imported.db"
    import_path(recorded_export, Store.open(imported), load_policy())
    assert _without_sync_state(_snapshot(str(tmp_path / "live.db"))) == _snapshot(str(imported), sync_state=False)


def test_saved_raw_responses_import_to_the_same_store(zd: FakeZendesk, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    db = str(tmp_path / "live.db")
    _sync(zd, db, save_raw=raw)
    first = sorted(path.name for path in raw.iterdir())
    assert "users.page-001.json" in first and "ticket_fields.page-001.json" in first
    assert "ticket_audits.ticket-7.page-001.json" in first and not any(n.endswith(".part") for n in first)
    _sync(zd, db, save_raw=raw)  # nothing new: nothing more kept
    assert sorted(path.name for path in raw.iterdir()) == first
    zd.add_comment(7, zd.dataset.agents[2], "Jumping in with the answer.", True)
    zd.add_comment(9, zd.dataset.agents[0], "Internal: see the runbook.", False)
    _sync(zd, db, save_raw=raw)
    pages = sorted(path.name for path in raw.glob("tickets.page-*.json"))
    assert pages == [f"tickets.page-{n:03d}.json" for n in range(1, len(pages) + 1)]  # earlier pages kept
    assert len(pages) == TICKETS // zd.page_size + 1
    again = tmp_path / "again.db"
    outcome = import_path(raw, Store.open(again), load_policy())
    assert outcome.stats.tickets == TICKETS - 1
    assert _without_sync_state(_snapshot(db)) == _snapshot(str(again), sync_state=False)


def test_a_rerun_without_changes_fetches_nothing_new(zd: FakeZendesk, store_url: str) -> None:
    _sync(zd, store_url)
    store = Store.open(store_url)
    cursor, users_cursor = store.state(CURSOR_KEY), store.state(USERS_CURSOR_KEY)
    store.close()
    before = len(zd.requests)
    stats = _sync(zd, store_url)
    new = zd.requests[before:]
    assert (stats.tickets, stats.audits, stats.pages, stats.users, stats.rejudged) == (0, 0, 1, 0, None)
    assert not [r for r in new if "/audits" in r.path or r.path.startswith(("/api/v2/tickets/", "/api/v2/users.json"))]
    assert [(r.path, r.query) for r in new if "incremental" in r.path] == [
        ("/api/v2/incremental/users/cursor.json", {"cursor": users_cursor}),
        ("/api/v2/incremental/tickets/cursor.json", {"cursor": cursor}),
    ]
    assert _snapshot(store_url)["cursor"] == cursor


def test_a_new_comment_is_picked_up_and_only_that_ticket_fetched(
    zd: FakeZendesk, store_url: str, tmp_path: Path
) -> None:
    _sync(zd, store_url)
    ticket = zd.dataset.tickets[7]
    author = next(a for a in zd.dataset.agents if a != ticket["assignee_id"])
    audit = zd.add_comment(7, author, "Hi! I can answer this one: try the new export.", True)
    new_id = next(e["id"] for e in audit["events"] if e["type"] == "Comment")
    before = len(zd.requests)
    stats = _sync(zd, store_url)
    fetched = {r.path for r in zd.requests[before:] if "/tickets/" in r.path and "incremental" not in r.path}
    assert fetched == {"/api/v2/tickets/7/audits.json"}
    assert (stats.tickets, stats.skipped, stats.deleted) == (1, 0, 0)
    snap = _snapshot(store_url)
    judged = {j.comment_id: j for j in snap["judgements"] if j.ticket_id == 7}
    assert judged[new_id].verdict == "drive_by" and judged[new_id].author_id == author
    assert _without_sync_state(snap) == _imported(zd, tmp_path)


def test_new_and_deleted_tickets_follow_zendesk(zd: FakeZendesk, store_url: str, tmp_path: Path) -> None:
    _sync(zd, store_url)
    customer = next(u["id"] for u in zd.dataset.users if u["role"] == "end-user")
    new = zd.add_ticket(customer, "A brand new question", "Hello?", assignee_id=zd.dataset.agents[0])
    zd.add_comment(new, zd.dataset.agents[0], "Hello! Looking.", True)
    zd.delete_ticket(11)
    stats = _sync(zd, store_url)
    assert (stats.tickets, stats.deleted) == (1, 1)
    snap = _snapshot(store_url)
    assert new in snap["histories"] and 11 not in snap["histories"]
    assert all(j.ticket_id != 11 for j in snap["judgements"])
    assert _without_sync_state(snap) == _imported(zd, tmp_path)


def test_since_limits_the_first_sync_and_an_earlier_since_backfills(zd: FakeZendesk, tmp_path: Path) -> None:
    db = str(tmp_path / "since.db")
    ranked = sorted(zd.dataset.tickets.values(), key=lambda t: t["generated_timestamp"])
    middle = ranked[len(ranked) // 2]["generated_timestamp"]
    stats = _sync(zd, db, since=datetime.fromtimestamp(middle, UTC))
    expected = {t["id"] for t in ranked if t["generated_timestamp"] >= middle and t["status"] != "deleted"}
    assert set(_snapshot(db)["histories"]) == expected and stats.start_time == middle
    assert _sync(zd, db, since=datetime.fromtimestamp(middle + 60, UTC)).tickets == 0  # covered: continue
    backfill = _sync(zd, db, since=datetime(2026, 1, 1, tzinfo=UTC))
    assert backfill.tickets == TICKETS - 1
    assert _without_sync_state(_snapshot(db)) == _imported(zd, tmp_path)


def test_a_changed_policy_judges_every_stored_ticket_again(zd: FakeZendesk, tmp_path: Path) -> None:
    db = str(tmp_path / "policy.db")
    _sync(zd, db)
    stricter = policy_from_mapping({"version": "test-strict", "rules": {"ownership": {"window": "1m"}}})
    stats = _sync(zd, db, policy=stricter)
    assert stats.tickets == 0 and stats.rejudged is not None and stats.rejudged > 100
    assert _without_sync_state(_snapshot(db)) == _imported(zd, tmp_path, stricter)


def test_a_changed_agent_judges_again_but_a_new_customer_does_not(zd: FakeZendesk, tmp_path: Path) -> None:
    db = str(tmp_path / "people.db")
    _sync(zd, db)
    zd.add_user(5900, "New Customer", "new@client9.test", role="end-user", iana_time_zone="Asia/Tokyo")
    stats = _sync(zd, db)
    assert (stats.users, stats.tickets, stats.rejudged) == (1, 0, None)
    zd.update_user(zd.dataset.agents[0], user_fields={"support_region": "apac"}, iana_time_zone="Australia/Brisbane")
    stats = _sync(zd, db)
    assert (stats.users, stats.tickets) == (1, 0) and stats.rejudged is not None
    assert _without_sync_state(_snapshot(db)) == _imported(zd, tmp_path)


def test_the_webhook_worker_can_rebuild_one_ticket_like_the_sync(zd: FakeZendesk, tmp_path: Path) -> None:
    db = str(tmp_path / "one.db")
    _sync(zd, db)
    store = Store.open(db)
    with _client(zd) as client:
        history = fetch_history(client, stored_builder(store), 12)
        assert history == store.history(12)
        with pytest.raises(NotFoundError, match="404"):
            fetch_history(client, stored_builder(store), 4)  # deleted


# --- failures on the way ------------------------------------------------------------------------


def test_rate_limits_server_errors_and_dropped_connections_are_survived(
    zd: FakeZendesk, store_url: str, tmp_path: Path
) -> None:
    zd.fail(429, retry_after=7, path="/incremental/tickets")
    zd.fail(503, times=2, path="/tickets/3/audits")
    zd.fail(500, path="/incremental/users")
    zd.fail(429, retry_after=2, path="/tickets/8/audits")
    zd.fail("drop", path="/groups.json")
    zd.fail(502, path="/tickets/20/audits")
    waits: list[float] = []
    messages: list[str] = []
    store = Store.open(store_url)
    with _client(zd, waits, on_wait=lambda message, seconds: messages.append(message)) as client:
        sync_zendesk(client, store, load_policy())
    store.close()
    assert sorted(w for w in waits if w >= 2) == [2, 7]
    backoffs = [w for w in waits if w not in (2, 7)]
    assert len(backoffs) == 5 and all(0.5 <= w <= 2.0 for w in backoffs)  # attempts 0 and 1: 1 s, 2 s, jittered
    assert any(m.startswith("Zendesk asked us to wait 7 s (rate limit") for m in messages)
    assert any("503" in m for m in messages) and any("RemoteProtocolError" in m for m in messages)
    statuses = [r.status for r in zd.requests]
    assert statuses.count(429) == 2 and statuses.count(503) == 2 and statuses.count(0) == 1
    assert _without_sync_state(_snapshot(store_url)) == _imported(zd, tmp_path)


def test_retries_stop_after_max_retries(zd: FakeZendesk) -> None:
    zd.fail(503, times=100)
    waits: list[float] = []
    with _client(zd, waits, max_retries=3) as client, pytest.raises(ZendeskUnavailableError, match="503"):
        client.me()
    assert len(waits) == 3 and waits[2] >= 2.0  # 1, 2, 4 s, jittered to at least half
    assert zd.count("/users/me") == 4


def test_update_ticket_is_safe(zd: FakeZendesk) -> None:
    with _client(zd) as client:
        ticket = client.ticket(5)
        answer = client.update_ticket(
            5,
            {"comment": {"body": "intently: noted.", "public": False}, "additional_tags": ["intently_checked"]},
            safe_update_stamp=ticket["updated_at"],
        )
        assert answer["audit"]["author_id"] == API_USER_ID
        assert "intently_checked" in client.ticket(5)["tags"]
        assert client.ticket_audits(5)[-1]["events"][0]["body"] == "intently: noted."
        with pytest.raises(ConflictError, match="409"):
            client.update_ticket(
                5, {"comment": {"body": "again", "public": False}}, safe_update_stamp=ticket["updated_at"]
            )


def test_credentials_come_from_the_environment_and_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "ZENDESK_OAUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(IntentlyError, match="ZENDESK_EMAIL and ZENDESK_API_TOKEN"):
        ZendeskClient.from_env(subdomain="acme")
    monkeypatch.setenv("ZENDESK_EMAIL", "ana@acme.test")
    with pytest.raises(IntentlyError, match="ZENDESK_API_TOKEN is not set"):
        ZendeskClient.from_env(subdomain="acme")
    monkeypatch.setenv("ZENDESK_API_TOKEN", "sekrit-123")
    client = ZendeskClient.from_env(subdomain="acme")
    assert client.base_url == "https://acme.zendesk.com" and "sekrit" not in repr(client) + repr(vars(client))
    monkeypatch.delenv("ZENDESK_EMAIL")
    monkeypatch.delenv("ZENDESK_API_TOKEN")
    monkeypatch.setenv("ZENDESK_OAUTH_TOKEN", "oauth-sekrit")
    client = ZendeskClient.from_env(url="https://support.acme.test/api/v2/")
    assert client.base_url == "https://support.acme.test" and "oauth-sekrit" not in repr(BearerAuth("oauth-sekrit"))
    with pytest.raises(IntentlyError, match="plain http"):
        base_url_for(url="http://acme.zendesk.com")
    with pytest.raises(IntentlyError, match="subdomain"):
        base_url_for(subdomain="acme corp")


def test_oauth_tokens_work_and_bad_credentials_are_401(zd: FakeZendesk) -> None:
    zd.oauth_token = "oauth-abc"
    with ZendeskClient(zd.url, BearerAuth("oauth-abc"), sleep=_no_sleep) as client:
        assert client.me()["id"] == API_USER_ID
    wrong = ZendeskClient(zd.url, BearerAuth("wrong"), sleep=_no_sleep, credential_hint="ZENDESK_OAUTH_TOKEN")
    with (
        wrong,
        pytest.raises(ZendeskAuthError, match=r"401 Unauthorized for GET /api/v2/users/me\.json: check ZENDESK_OAUTH"),
    ):
        wrong.me()


# --- the command line ---------------------------------------------------------------------------


def test_the_cli_end_to_end_over_http(zd: FakeZendesk, tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    raw = tmp_path / "raw"
    env = _clean_env(**zd.credentials_env())
    zd.fail(429, retry_after=1, path="/incremental")
    done = _run(_cli_sync(zd, str(db), "--save-raw", str(raw)), env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Zendesk asked us to wait 1 s (rate limit" in done.stderr
    assert "First sync from the beginning" in done.stdout
    assert f"Synced {TICKETS - 1} tickets" in done.stdout and "1 deleted in Zendesk" in done.stdout
    assert "Drive-by" in done.stdout  # the tally, in the verdicts' plain-language names
    again = _run(_cli_sync(zd, str(db)), env, tmp_path)
    assert again.returncode == 0 and "Nothing changed since the last sync" in again.stdout
    report = _run([sys.executable, "-m", "intently", "explain", "7", "--db", str(db)], env, tmp_path)
    assert report.returncode == 0 and "Ticket 7" in report.stdout
    token = zd.api_token.encode()
    for output in (done.stdout, done.stderr, again.stdout, again.stderr):
        assert zd.api_token not in output
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name.startswith(("cli.db", "raw"))]
    files += list(raw.iterdir())
    assert any(p.name == "cli.db" for p in files)
    for path in files:
        assert token not in path.read_bytes(), path


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "401 Unauthorized for GET /api/v2/users/me.json: check ZENDESK_EMAIL/ZENDESK_API_TOKEN"),
        (403, "403 Forbidden for GET /api/v2/incremental/users/cursor.json"),
        (404, "404 Not Found for GET /api/v2/groups.json"),
    ],
)
def test_the_cli_stops_with_a_clear_message(zd: FakeZendesk, tmp_path: Path, status: int, expected: str) -> None:
    env = _clean_env(**zd.credentials_env())
    if status == 401:
        env["ZENDESK_API_TOKEN"] = "not-the-token-77"
    else:
        zd.fail(status, times=10, path="/incremental/users" if status == 403 else "/groups.json")
    done = _run(_cli_sync(zd, str(tmp_path / "x.db")), env, tmp_path)
    assert done.returncode == 1
    assert expected in " ".join(done.stderr.split()), done.stderr
    assert "Traceback" not in done.stderr and env["ZENDESK_API_TOKEN"] not in done.stdout + done.stderr
    assert not list(tmp_path.glob("x.db*"))  # a first sync stopped before any ticket leaves no empty store


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("closed-port", "the connection was refused"),
        ("https://intently-test.invalid", "the host name could not be found"),
    ],
)
def test_a_host_that_cannot_be_reached_stops_the_sync_at_once(tmp_path: Path, url: str, expected: str) -> None:
    """No backoff for a host that has never answered: a wrong address or a host that is down is said in one line,
    naming the URL, within seconds."""
    if url == "closed-port":
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = _clean_env(ZENDESK_EMAIL="ana@acme.test", ZENDESK_API_TOKEN="tok-secret-5")
    started = time.monotonic()
    cmd = [sys.executable, "-m", "intently", "sync", "zendesk", "--url", url, "--db", str(tmp_path / "x.db")]
    done = _run(cmd, env, tmp_path)
    took = time.monotonic() - started
    stderr = " ".join(done.stderr.split())
    assert done.returncode == 1, done.stderr
    assert f"cannot reach Zendesk at {url}: {expected}" in stderr
    assert "Traceback" not in stderr and "tok-secret-5" not in stderr + done.stdout
    assert took < 10, took


def test_a_host_that_answered_before_is_retried_with_backoff(zd: FakeZendesk) -> None:
    """A refused connection to a host that has answered before (a restart, a blip) is waited for and retried."""
    waits: list[float] = []
    with _client(zd, waits, max_retries=2) as client:
        client.me()
        assert client.answered
    port = int(zd.url.rsplit(":", 1)[1])
    zd.stop()
    with _client(zd, waits, max_retries=2) as client:
        with pytest.raises(ZendeskUnavailableError, match="cannot reach Zendesk at"):
            client.me()  # never answered: at once
        assert waits == []
        client.answered = True  # as after a first answer
        with pytest.raises(ZendeskUnavailableError, match=rf"127.0.0.1:{port} .*after 3 attempts"):
            client.me()
    assert len(waits) == 2


def test_the_cli_needs_credentials_in_the_environment(zd: FakeZendesk, tmp_path: Path) -> None:
    done = _run(_cli_sync(zd, str(tmp_path / "x.db")), _clean_env(), tmp_path)
    assert done.returncode == 1 and "ZENDESK_EMAIL and ZENDESK_API_TOKEN" in " ".join(done.stderr.split())
    assert zd.requests == []


@pytest.mark.parametrize(
    "args",
    [
        ["sync", "zendesk"],
        ["sync", "zendesk", "--subdomain", "acme", "--url", "https://acme.zendesk.com"],
        ["sync", "zendesk", "--subdomain", "acme", "--since", "last tuesday"],
        ["sync", "zendesk", "--subdomain", "acme", "--token", "x"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert CliRunner().invoke(app, args).exit_code == 2


# --- stopped at any moment, resumed ---------------------------------------------------------------


def _reference(zd: FakeZendesk, tmp_path: Path) -> tuple[dict[str, Any], int]:
    """An uninterrupted sync's store, and how many requests it took."""
    before = len(zd.requests)
    _sync(zd, str(tmp_path / "reference.db"))
    return _snapshot(str(tmp_path / "reference.db")), len(zd.requests) - before


def _interrupt_at(zd: FakeZendesk, number: int, proc: subprocess.Popen[str], sig: int, delay: float) -> None:
    def fire() -> None:
        if proc.poll() is None:
            proc.send_signal(sig)

    if delay == 0:  # while that request waits for its answer: the process is surely still running
        zd.on_request(number, fire)
    else:
        zd.on_request(number, lambda: threading.Timer(delay, fire).start())


def test_a_killed_sync_resumes_with_nothing_lost_or_repeated(zd: FakeZendesk, store_url: str, tmp_path: Path) -> None:
    reference, total = _reference(zd, tmp_path)
    env = _clean_env(**zd.credentials_env())
    seeds = (11, 23, 37) if "://" not in store_url else (11,)  # one seed on PostgreSQL keeps it quick
    killed = 0
    for seed in seeds:
        rng = random.Random(seed)
        url = store_url if seed == seeds[0] else str(tmp_path / f"seed-{seed}.db")
        for _ in range(2):  # two kills at random points, then a run to the end
            proc = subprocess.Popen(
                _cli_sync(zd, url), env=env, cwd=tmp_path, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            _interrupt_at(zd, len(zd.requests) + rng.randint(2, total - 2), proc, signal.SIGKILL, rng.random() * 0.03)
            proc.communicate(timeout=120)
            killed += proc.returncode == -signal.SIGKILL
        done = _run(_cli_sync(zd, url), env, tmp_path)
        assert done.returncode == 0, done.stderr
        assert _snapshot(url) == reference, f"seed {seed}"
    assert killed >= len(seeds)


def test_ctrl_c_stops_cleanly_and_the_next_run_resumes(zd: FakeZendesk, tmp_path: Path) -> None:
    reference, total = _reference(zd, tmp_path)
    db = str(tmp_path / "interrupted.db")
    env = _clean_env(**zd.credentials_env())
    runner_sigint = signal.getsignal(signal.SIGINT)
    proc = subprocess.Popen(
        _cli_sync(zd, db),
        env=env,
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # Ctrl-C as from a terminal: a child started while SIGINT is ignored (as it can be inside a test runner's
        # worker) keeps ignoring it, since Python installs its KeyboardInterrupt handler only when SIGINT is not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    _interrupt_at(zd, len(zd.requests) + total // 2, proc, signal.SIGINT, 0.0)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, (stderr, [r.number for r in zd.requests][-3:], zd._hooks, runner_sigint)
    assert "interrupted" in stderr and "run the same command again to resume" in " ".join(stderr.split())
    partial = _snapshot(db)
    assert 0 < len(partial["histories"]) < TICKETS - 1
    done = _run(_cli_sync(zd, db), env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert _snapshot(db) == reference


def test_an_unreadable_ticket_is_skipped_with_a_warning_and_the_sync_goes_on(zd: FakeZendesk, store_url: str) -> None:
    """One ticket Zendesk sends in a shape intently cannot read (a comment's public flag as text) must not stop
    every later sync at its page: it is skipped, named in a warning, the others are synced, and it is read again
    once it changes in Zendesk."""
    first = _sync(zd, store_url)
    assert first.tickets == len(zd.dataset.tickets) - first.deleted
    ticket = zd.dataset.tickets[7]
    author = next(a for a in zd.dataset.agents if a != ticket["assignee_id"])
    broken = zd.add_comment(7, author, "A reply that arrives oddly.", True)
    comment = next(e for e in broken["events"] if e["type"] == "Comment")
    comment["public"] = "true"
    zd.add_comment(8, author, "And one that is fine.", True)
    second = _sync(zd, store_url)
    skipped = [w for w in second.warnings if w.startswith("skipped, not read: ")]
    assert len(skipped) == 1 and "ticket 7" in skipped[0] and "public must be true or false" in skipped[0]
    assert second.tickets == 1  # ticket 8; ticket 7 keeps what the store had of it
    with Store.open(store_url) as store:
        kept = store.history(7)
        assert kept is not None and comment["id"] not in {e.id for e in kept.events}
        assert any(e.id == next(
            ev["id"] for ev in zd.dataset.audits[8][-1]["events"] if ev["type"] == "Comment"
        ) for e in store.history(8).events)  # fmt: skip
    comment["public"] = True
    zd.add_comment(7, ticket["assignee_id"], "Thanks, following up.", True)  # ticket 7 changes again
    third = _sync(zd, store_url)
    assert not [w for w in third.warnings if w.startswith("skipped")] and third.tickets == 1
    with Store.open(store_url) as store:
        assert comment["id"] in {e.id for e in store.history(7).events}


def test_rate_limit_answers_are_waited_out_not_counted_as_failures(zd: FakeZendesk) -> None:
    """A large first sync meets the plan's rate limit again and again: each 429 with Retry-After is waited out as
    told, however many come (9 here, over the 3 failures allowed), and the request then succeeds."""
    zd.fail(429, times=9, retry_after=0.01, path="/users/me")
    waits: list[float] = []
    with _client(zd, waits, max_retries=3) as client:
        assert client.me()["id"]
    assert len(waits) == 9 and zd.count("/users/me") == 10


def test_a_user_without_a_known_role_is_warned_about(zd: FakeZendesk, store_url: str) -> None:
    """As the export reader does: a Zendesk user with no role, or one that is none of end-user, agent and admin,
    is no agent, so their comments are not judged: said in one warning."""
    agent = next(user for user in zd.dataset.users if user["role"] == "agent")
    agent["role"] = None
    stats = _sync(zd, store_url)
    assert [w for w in stats.warnings if "without a role" in w] == [
        f"1 user without a role, or with one that is not end-user, agent or admin (user {agent['id']}): not read "
        "as agents, so their comments are not judged"
    ]
