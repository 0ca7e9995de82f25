"""``intently serve``'s webhooks over real HTTP: uvicorn on 127.0.0.1, a real Zendesk-compatible server behind.

Decisions tested here (and documented in the README): a delivery is answered 202 ``queued``; a replay of a
delivery already seen is 200 ``duplicate`` (a 2xx, so Zendesk stops retrying it) and changes nothing; an
unknown event type is 200 ``ignored``; bad or missing signatures and timestamps more than 5 minutes away are
401; malformed JSON and a missing ticket id are 400; bodies over 1 MB are 413.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from sqlalchemy import func, select

from intently.model import iso
from intently.policy import Policy, load_policy
from intently.store import Store
from intently.store import schema as tables
from intently.store.pipeline import import_path
from intently.web import Settings, create_app
from intently.web.logs import JsonFormatter
from intently.web.server import server_config
from intently.web.services import WRITE_BACK_SINCE
from intently.zendesk.client import ZendeskClient
from intently.zendesk.live.signature import INVOCATION_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.fake_zendesk import API_USER_ID, PREFERRED_FIELD_ID, FakeZendesk, ZendeskDataset

SECRET = "whsec_test-7d1f0c2b9e"
FAST = Settings(poll_interval=0.05, settle=0.01, retry_base=0.05, retry_max=0.2, max_attempts=3, directory_ttl=0.5)
MARKER = "SECRET-TICKET-TEXT-4f2a"

# --- helpers shared with test_api.py ----------------------------------------------------------------


class Served:
    """An ASGI app served by uvicorn in a thread, on a free port of 127.0.0.1 (real sockets, real HTTP). intently's
    app runs as ``intently serve`` runs it (:func:`intently.web.server.server_config`: the request deadline, proxy
    headers believed only from ``forwarded_allow_ips``)."""

    def __init__(self, app: Any, *, forwarded_allow_ips: str | None = None) -> None:
        self.app = app
        # Naming TCP makes asyncio set TCP_NODELAY (without it, each answer waits 40 ms for a delayed ACK).
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        if hasattr(getattr(app, "state", None), "intently"):
            config = server_config(app, forwarded_allow_ips=forwarded_allow_ips, timeout_graceful_shutdown=5)
        else:
            config = uvicorn.Config(app, lifespan="on", log_config=None, access_log=False, timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()


def signed(
    body: bytes,
    *,
    at: datetime | None = None,
    secret: str = SECRET,
    invocation: str | None = "auto",
) -> dict[str, str]:
    """Headers of a Zendesk webhook delivery of ``body`` signed at ``at`` (default: now)."""
    stamp = iso((at or datetime.now(UTC)).replace(microsecond=0))
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, stamp, body),
        TIMESTAMP_HEADER: stamp,
    }
    if invocation is not None:
        headers[INVOCATION_HEADER] = uuid.uuid4().hex if invocation == "auto" else invocation
    return headers


def event_body(ticket_id: int | str, kind: str = "comment_added") -> bytes:
    return orjson.dumps(
        {
            "type": f"zen:event-type:ticket.{kind}",
            "account_id": 1,
            "id": str(uuid.uuid4()),
            "time": iso(datetime.now(UTC).replace(microsecond=0)),
            "zendesk_event_version": "2022-11-06",
            "subject": f"zen:ticket:{ticket_id}",
            "detail": {"id": str(ticket_id), "subject": "whatever the subject is", "status": "OPEN"},
            "event": {},
        }
    )


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def client_factory(
    zd: FakeZendesk, cls: type[ZendeskClient] = ZendeskClient, timeout: float = 10
) -> Callable[[], ZendeskClient]:
    def make() -> ZendeskClient:
        return cls(zd.url, (f"{zd.email}/token", zd.api_token), max_retries=0, sleep=lambda _s: None, timeout=timeout)

    return make


def loaded_store(store_url: str, zd: FakeZendesk, tmp_path: Path, policy: Policy) -> Store:
    """A store holding the fake account's people and tickets (as ``intently import`` or ``sync`` leave it)."""
    store = Store.open(store_url)
    import_path(zd.dataset.write_export(tmp_path / "export"), store, policy)
    titles = {str(PREFERRED_FIELD_ID): "Preferred Region for Support"}
    with store.batch() as batch:
        batch.set_state("zendesk.field_titles", orjson.dumps(titles).decode())
    return store


def counts(store: Store) -> dict[str, int]:
    return store.delivery_counts()


def ticket_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.tickets)).scalar_one())


def drive_by_ticket(
    zd: FakeZendesk, contributor: int = 103, body: str = f"Hi, jumping in. {MARKER}"
) -> tuple[int, int]:
    """A fresh ticket assigned to Ana (101), who answered; then a public reply by a contributor: a drive-by.
    Returns (ticket id, the drive-by comment's id)."""
    ticket_id = zd.add_ticket(5001, f"Invoice wrong {MARKER}", f"My invoice is wrong. {MARKER}", assignee_id=101)
    zd.add_comment(ticket_id, 101, "Looking into it.", public=True)
    audit = zd.add_comment(ticket_id, contributor, body, public=True)
    return ticket_id, audit["events"][0]["id"]


@pytest.fixture
def zd() -> Iterator[FakeZendesk]:
    fake = FakeZendesk(ZendeskDataset.generate(tickets=6)).start()
    yield fake
    fake.stop()


@pytest.fixture
def policy() -> Policy:
    return load_policy()


@pytest.fixture
def store(store_url: str, zd: FakeZendesk, tmp_path: Path, policy: Policy) -> Iterator[Store]:
    store = loaded_store(store_url, zd, tmp_path, policy)
    yield store
    store.close()


@pytest.fixture
def captured() -> Iterator[list[logging.LogRecord]]:
    """Every record of the intently.web logger (as ``intently serve`` writes them, via JsonFormatter)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("intently.web")
    handler = Keep(logging.DEBUG)
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(old)


def log_lines(records: list[logging.LogRecord]) -> list[dict[str, Any]]:
    """The captured records as ``intently serve`` writes them: JSON objects."""
    return [orjson.loads(JsonFormatter().format(record)) for record in records]


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{url}/webhooks/zendesk", content=body, headers=headers, timeout=10)


# --- end to end -----------------------------------------------------------------------------------


def test_a_signed_delivery_is_queued_fetched_judged_and_stored_without_ticket_text_in_logs(
    zd: FakeZendesk, store: Store, policy: Policy, captured: list[logging.LogRecord]
) -> None:
    ticket_id, comment_id = drive_by_ticket(zd)
    assert store.history(ticket_id) is None
    app = create_app(store, policy, client_factory(zd), write_back=False, webhook_secret=SECRET, settings=FAST)
    with Served(app) as served:
        body = event_body(ticket_id)
        started = time.perf_counter()
        answer = post(served.url, body, signed(body))
        assert time.perf_counter() - started < 1.0
        assert answer.status_code == 202 and answer.json() == {"status": "queued"}
        wait_for(lambda: counts(store).get("done") == 1, what="the delivery to be processed")
        health = httpx.get(f"{served.url}/healthz").json()
    assert health["status"] == "ok"
    assert {k: health["queue"][k] for k in ("pending", "done", "failed")} == {"pending": 0, "done": 1, "failed": 0}
    history = store.history(ticket_id)
    assert history is not None and history.ticket.assignee_id == 101
    judged = {j.comment_id: j for j in store.judgements(ticket_id)}
    assert judged[comment_id].verdict == "drive_by" and judged[comment_id].rule == "unsolicited_reply"
    assert zd.count("/api/v2/tickets/", "PUT") == 0  # no write-back unless asked

    lines = [JsonFormatter().format(record) for record in captured]
    assert all(MARKER not in line for line in lines)
    assert all(MARKER not in repr(record.__dict__) for record in captured)
    events = [orjson.loads(line) for line in lines]
    received = next(e for e in events if e.get("event") == "webhook.received")
    assert received["status"] == "queued" and received["ticket_id"] == ticket_id and received["delivery_id"]
    done = next(e for e in events if e.get("event") == "delivery.done")
    assert done["ticket_id"] == ticket_id and done["status"] == "done" and done["duration_ms"] >= 0
    assert {"ts", "level", "event"} <= set(done)


def test_trigger_bodies_and_other_ticket_events_are_accepted(zd: FakeZendesk, store: Store, policy: Policy) -> None:
    ids = sorted(t for t, record in zd.dataset.tickets.items() if record.get("status") != "deleted")[:3]
    bodies = [
        orjson.dumps({"ticket_id": str(ids[0])}),
        orjson.dumps({"ticket": {"id": ids[1]}}),
        event_body(ids[2], "agent_assignment_changed"),
    ]
    app = create_app(store, policy, client_factory(zd), write_back=False, webhook_secret=SECRET, settings=FAST)
    with Served(app) as served:
        for body in bodies:
            assert post(served.url, body, signed(body)).status_code == 202
        wait_for(lambda: counts(store).get("done") == 3, what="three deliveries")
    with store.engine.connect() as conn:
        kinds = sorted(conn.execute(select(tables.webhook_deliveries.c.event_type)).scalars())
    assert kinds == ["trigger", "trigger", "zen:event-type:ticket.agent_assignment_changed"]


def test_a_deleted_ticket_leaves_the_store(zd: FakeZendesk, store: Store, policy: Policy) -> None:
    ticket_id = next(t for t in zd.dataset.tickets if zd.dataset.tickets[t].get("status") != "deleted")
    assert store.history(ticket_id) is not None
    zd.delete_ticket(ticket_id)
    app = create_app(store, policy, client_factory(zd), write_back=False, webhook_secret=SECRET, settings=FAST)
    with Served(app) as served:
        body = event_body(ticket_id, "soft_deleted")
        assert post(served.url, body, signed(body)).status_code == 202
        wait_for(lambda: counts(store).get("done") == 1, what="the deletion")
    assert store.history(ticket_id) is None and store.ticket_judgements(ticket_id) == []


# --- refusals: each changes nothing -----------------------------------------------------------------


def test_refusals_change_nothing(zd: FakeZendesk, store: Store, policy: Policy) -> None:
    ticket_id = sorted(zd.dataset.tickets)[0]
    good = event_body(ticket_id)
    now = datetime.now(UTC)
    before = (ticket_rows(store), [j.to_export() for j in store.judgements()])
    big = b'{"ticket_id": "1", "pad": "' + b"x" * (1024 * 1024) + b'"}'

    def chunked() -> Iterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536

    app = create_app(store, policy, client_factory(zd), write_back=False, webhook_secret=SECRET, settings=FAST)
    with Served(app) as served:
        cases: list[tuple[str, bytes, dict[str, str], int]] = [
            ("bad signature", good, signed(good, secret="not-the-secret"), 401),
            ("signature of another body", good, signed(b'{"ticket_id": 1}') | {"X": "1"}, 401),
            ("missing signature", good, {"Content-Type": "application/json"}, 401),
            ("missing timestamp", good, {k: v for k, v in signed(good).items() if k != TIMESTAMP_HEADER}, 401),
            ("stale timestamp", good, signed(good, at=now - timedelta(minutes=5, seconds=30)), 401),
            ("future timestamp", good, signed(good, at=now + timedelta(minutes=5, seconds=30)), 401),
            ("malformed JSON", b'{"ticket_id": ', signed(b'{"ticket_id": '), 400),
            ("not an object", b"[1, 2]", signed(b"[1, 2]"), 400),
            ("missing ticket id", b'{"hello": 1}', signed(b'{"hello": 1}'), 400),
            ("event without detail.id", b'{"type": "zen:event-type:ticket.comment_added", "detail": {}}', {}, 400),
            ("ticket id not a number", b'{"ticket_id": "12; DROP"}', {}, 400),
            ("huge ticket id", b'{"ticket_id": 123456789012345678901234567890}', {}, 400),
            ("oversized body", big, signed(big), 413),
        ]
        for name, body, headers, status in cases:
            headers = headers or signed(body)
            answer = post(served.url, body, headers)
            assert answer.status_code == status, (name, answer.status_code, answer.text)
        streamed = httpx.post(
            f"{served.url}/webhooks/zendesk", content=chunked(), headers=signed(b"irrelevant"), timeout=10
        )
        assert streamed.status_code == 413 and "content-length" not in streamed.request.headers
        ignored = orjson.dumps({"type": "zen:event-type:user.created", "detail": {"id": "5"}})
        answer = post(served.url, ignored, signed(ignored))
        assert answer.status_code == 200 and answer.json()["status"] == "ignored"
        unknown = orjson.dumps({"type": "something.else"})
        assert post(served.url, unknown, signed(unknown)).json()["status"] == "ignored"
        time.sleep(0.2)  # a worker would have picked anything up by now
    assert counts(store) == {}
    assert (ticket_rows(store), [j.to_export() for j in store.judgements()]) == before
    assert zd.count("/api/v2/tickets/") == 0


def test_a_replayed_delivery_is_acknowledged_once(zd: FakeZendesk, store: Store, policy: Policy) -> None:
    ticket_id = sorted(zd.dataset.tickets)[0]
    body = event_body(ticket_id)
    headers = signed(body, invocation="01HZX-replay-1")
    app = create_app(store, policy, client_factory(zd), write_back=False, webhook_secret=SECRET, settings=FAST)
    with Served(app) as served:
        assert post(served.url, body, headers).json() == {"status": "queued"}
        again = post(served.url, body, headers)
        assert again.status_code == 200 and again.json() == {"status": "duplicate"}
        # Another invocation id is another delivery, even of the same body signed in the same second (Zendesk
        # signs the body and a timestamp in whole seconds: two updates of one ticket in one second look alike).
        other = {**headers, INVOCATION_HEADER: "01HZX-second-update"}
        assert post(served.url, body, other).json() == {"status": "queued"}
        wait_for(lambda: counts(store).get("done") == 2)
    # After a restart the invocation id is still known (it is in the store).
    app = create_app(store, policy, client_factory(zd), write_back=False, webhook_secret=SECRET, settings=FAST)
    with Served(app) as served:
        assert post(served.url, body, headers).json() == {"status": "duplicate"}
        # Without an invocation id the signature is the key.
        fresh = event_body(ticket_id)
        bare = signed(fresh, invocation=None)
        assert post(served.url, fresh, bare).json() == {"status": "queued"}
        assert post(served.url, fresh, bare).json() == {"status": "duplicate"}
        wait_for(lambda: counts(store).get("done") == 3)
    assert counts(store) == {"done": 3}


def test_without_a_secret_every_webhook_is_refused(zd: FakeZendesk, store: Store, policy: Policy) -> None:
    body = event_body(1)
    app = create_app(store, policy, client_factory(zd), write_back=False, webhook_secret=None, settings=FAST)
    with Served(app) as served:
        assert post(served.url, body, signed(body)).status_code == 401
        assert httpx.get(f"{served.url}/healthz").json()["webhooks"] == "disabled (no secret)"
    assert counts(store) == {}


# --- load, restarts, failures ------------------------------------------------------------------------


def test_a_burst_of_500_concurrent_deliveries_loses_none(zd: FakeZendesk, store: Store, policy: Policy) -> None:
    tickets = sorted(t for t, r in zd.dataset.tickets.items() if r.get("status") != "deleted")
    settings = dataclasses.replace(FAST, settle=0.5)  # as served: events of one ticket share a fetch
    # The worker's first fetches wait for the whole burst: on a loaded machine longer than the usual 10 s timeout
    # (a timed-out fetch is retried, rightly, and the delivery then counts two attempts).
    factory = client_factory(zd, timeout=120)
    app = create_app(store, policy, factory, write_back=False, webhook_secret=SECRET, settings=settings)
    gate = threading.Event()  # Zendesk answers nothing until every delivery has been answered
    first = len(zd.requests) + 1
    for number in range(first, first + 2000):
        zd.on_request(number, lambda: gate.wait(120))

    async def burst(url: str) -> list[int]:
        limit = asyncio.Semaphore(50)
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=50)) as client:

            async def one(n: int) -> int:
                body = event_body(tickets[n % len(tickets)])
                headers = signed(body, invocation=f"burst-{n}")
                async with limit:
                    answer = await client.post("/webhooks/zendesk", content=body, headers=headers)
                    return answer.status_code

            return await asyncio.gather(*(one(n) for n in range(500)))

    with Served(app) as served:
        statuses = asyncio.run(burst(served.url))
        assert statuses == [202] * 500  # all answered while Zendesk answered nothing: answers never wait for it
        assert counts(store).get("done", 0) == 0
        gate.set()
        wait_for(lambda: counts(store).get("done") == 500, timeout=60, what="500 deliveries")
    with store.engine.connect() as conn:
        table = tables.webhook_deliveries
        rows = conn.execute(select(table.c.delivery_key, table.c.attempts, table.c.last_error)).all()
        keys = {row.delivery_key: row.attempts for row in rows}
    assert sorted(keys) == sorted(f"zendesk:burst-{n}" for n in range(500))
    retried = {row.delivery_key: row.last_error for row in rows if row.attempts != 1}
    assert set(keys.values()) == {1}, retried  # each processed exactly once
    assert counts(store) == {"done": 500}
    fetches = [r for r in zd.requests if r.method == "GET" and re.fullmatch(r"/api/v2/tickets/\d+\.json", r.path)]
    assert len(fetches) < 250  # the deliveries of one ticket in a batch shared one fetch of it
    # How fast the answers come is measured in bench/webhook.py (server in its own process), not asserted here.


def test_acknowledged_deliveries_survive_a_restart(zd: FakeZendesk, store: Store, policy: Policy) -> None:
    ticket_id, comment_id = drive_by_ticket(zd)
    app = create_app(
        store, policy, client_factory(zd), write_back=False, webhook_secret=SECRET, settings=FAST, run_worker=False
    )
    with Served(app) as served:
        for _ in range(3):
            body = event_body(ticket_id)
            assert post(served.url, body, signed(body)).status_code == 202
    assert counts(store) == {"pending": 3} and store.history(ticket_id) is None
    assert zd.count("/api/v2/tickets/") == 0
    app = create_app(store, policy, client_factory(zd), write_back=False, webhook_secret=SECRET, settings=FAST)
    with Served(app):
        wait_for(lambda: counts(store).get("done") == 3, what="the resumed deliveries")
    assert {j.comment_id for j in store.judgements(ticket_id)} >= {comment_id}


def test_failures_are_retried_with_backoff_then_given_up(zd: FakeZendesk, store: Store, policy: Policy) -> None:
    ticket_id, comment_id = drive_by_ticket(zd)
    app = create_app(store, policy, client_factory(zd), write_back=False, webhook_secret=SECRET, settings=FAST)
    with Served(app) as served:
        zd.fail(503, times=1, path=f"/tickets/{ticket_id}")
        body = event_body(ticket_id)
        assert post(served.url, body, signed(body)).status_code == 202
        wait_for(lambda: counts(store).get("done") == 1, what="a retried delivery")
        zd.fail(500, times=100, path="/tickets/")
        other = event_body(ticket_id, "tags_changed")
        assert post(served.url, other, signed(other)).status_code == 202
        wait_for(lambda: counts(store).get("failed") == 1, what="a delivery given up")
    with store.engine.connect() as conn:
        rows = conn.execute(select(tables.webhook_deliveries).order_by(tables.webhook_deliveries.c.id)).all()
    assert [(r.status, r.attempts) for r in rows] == [("done", 2), ("failed", FAST.max_attempts)]
    assert "500" in rows[1].last_error and MARKER not in rows[1].last_error
    assert comment_id in {j.comment_id for j in store.judgements(ticket_id)}


# --- write-back ---------------------------------------------------------------------------------------


def _since(store: Store, at: datetime) -> None:
    with store.batch() as batch:
        batch.set_state(WRITE_BACK_SINCE, at.isoformat())


def _fake_now(zd: FakeZendesk) -> datetime:
    return datetime.fromtimestamp(zd.clock, UTC)


def test_write_back_notes_a_new_drive_by_exactly_once_and_never_judges_its_note(
    zd: FakeZendesk, store: Store, policy: Policy
) -> None:
    _since(store, _fake_now(zd))
    ticket_id, comment_id = drive_by_ticket(zd)
    app = create_app(store, policy, client_factory(zd), write_back=True, webhook_secret=SECRET, settings=FAST)
    with Served(app) as served:
        body = event_body(ticket_id)
        assert post(served.url, body, signed(body)).status_code == 202
        wait_for(lambda: counts(store).get("done") == 1)
        assert zd.count(f"/tickets/{ticket_id}.json", "PUT") == 1
        # Zendesk tells us about our own note (and the tag): judged again, nothing written again.
        for kind in ("comment_added", "tags_changed"):
            again = event_body(ticket_id, kind)
            assert post(served.url, again, signed(again)).status_code == 202
        wait_for(lambda: counts(store).get("done") == 3)
    assert zd.count(f"/tickets/{ticket_id}.json", "PUT") == 1
    record = zd.dataset.tickets[ticket_id]
    assert "intently_drive_by" in record["tags"]
    notes = [e for a in zd.dataset.audits[ticket_id] for e in a["events"] if e["type"] == "Comment"]
    note = notes[-1]
    assert note["public"] is False and note["author_id"] == API_USER_ID
    assert "unsolicited_reply" in note["body"] and f"intently-ref: drive_by comment {comment_id}" in note["body"]
    assert "internal note" in note["body"] and "needs_collaboration" in note["body"] and "assigned" in note["body"]
    judged = store.ticket_judgements(ticket_id)
    assert API_USER_ID not in {j.author_id for j in judged}
    assert [j.comment_id for j in judged if j.verdict == "drive_by"] == [comment_id]
    assert store.directory().users[API_USER_ID].role == "service"
    assert store.record_write_back(ticket_id, comment_id) is False


def test_a_note_claim_left_by_a_killed_replica_is_taken_over_and_the_note_posted_once(
    zd: FakeZendesk, store: Store, policy: Policy
) -> None:
    """A replica killed after claiming a note leaves the claim: after its lease another replica takes it over. It
    reads the ticket again first, so a note the killed replica had posted (the history in hand does not show it)
    is not posted again, and one it had not posted is posted; either way the claim ends as written."""
    from intently.engine import judge_ticket
    from intently.zendesk.client import fetch_history
    from intently.zendesk.live.write_back import _write_note, write_backs
    from intently.zendesk.records import HistoryBuilder

    _since(store, _fake_now(zd))
    posted, unposted = drive_by_ticket(zd), drive_by_ticket(zd)
    app = create_app(store, policy, client_factory(zd), write_back=True, webhook_secret=SECRET, settings=FAST)
    services = app.state.intently.services
    services.ensure_service_user()
    client = services.client()
    directory, titles = services.directory()
    expired = datetime.now(UTC) - timedelta(seconds=1)
    for ticket_id, comment_id in (posted, unposted):
        record = client.ticket(ticket_id)
        history = fetch_history(client, HistoryBuilder(directory, titles), ticket_id, ticket_record=record)
        judgements = judge_ticket(history, directory.users, policy).judgements
        (drive_by,) = [j for j in judgements if j.verdict == "drive_by" and j.comment_id == comment_id]
        assert store.claim_write_back(ticket_id, comment_id, "killed", expired) == "new"
        if (ticket_id, comment_id) == posted:  # the killed replica got as far as posting it
            record = _write_note(services, client, history, record, drive_by)
        outcome = write_backs(services, client, history, record, judgements, datetime.now(UTC))
        assert outcome.written == (0 if (ticket_id, comment_id) == posted else 1)
        assert zd.count(f"/tickets/{ticket_id}.json", "PUT") == 1
        notes = [e for a in zd.dataset.audits[ticket_id] for e in a["events"] if "intently-ref" in e.get("body", "")]
        assert len(notes) == 1
        assert store.claim_write_back(ticket_id, comment_id, "another", expired) is None  # written, for good


def test_write_back_is_off_without_the_option(zd: FakeZendesk, store: Store, policy: Policy) -> None:
    _since(store, _fake_now(zd))
    ticket_id, _ = drive_by_ticket(zd)
    app = create_app(store, policy, client_factory(zd), write_back=False, webhook_secret=SECRET, settings=FAST)
    with Served(app) as served:
        body = event_body(ticket_id)
        post(served.url, body, signed(body))
        wait_for(lambda: counts(store).get("done") == 1)
    assert zd.count("", "PUT") == 0 and zd.count("/users/me") == 0


def test_write_back_uses_safe_update_and_keeps_a_concurrent_edit(zd: FakeZendesk, store: Store, policy: Policy) -> None:
    _since(store, _fake_now(zd))
    ticket_id, _ = drive_by_ticket(zd)
    raced: list[int] = []

    class Racing(ZendeskClient):
        def update_ticket(
            self, ticket_id: Any, ticket: dict[str, Any], *, safe_update_stamp: str | None = None
        ) -> dict[str, Any]:
            assert safe_update_stamp is not None
            if not raced:  # someone tags the ticket between our read and our write
                raced.append(ticket_id)
                zd.add_comment(ticket_id, 101, "Escalating.", public=False, tags=["vip"])
            return super().update_ticket(ticket_id, ticket, safe_update_stamp=safe_update_stamp)

    app = create_app(store, policy, client_factory(zd, Racing), write_back=True, webhook_secret=SECRET, settings=FAST)
    with Served(app) as served:
        body = event_body(ticket_id)
        post(served.url, body, signed(body))
        wait_for(lambda: counts(store).get("done") == 1)
    puts = [r.status for r in zd.requests if r.method == "PUT"]
    assert puts == [409, 200]
    assert set(zd.dataset.tickets[ticket_id]["tags"]) == {"vip", "intently_drive_by"}


def test_write_back_waits_for_the_ownership_window(zd: FakeZendesk, store: Store, policy: Policy) -> None:
    now = datetime.now(UTC)
    _since(store, now - timedelta(hours=1))
    zd.clock = int(now.timestamp()) - 600
    ticket_id, comment_id = drive_by_ticket(zd)
    app = create_app(store, policy, client_factory(zd), write_back=True, webhook_secret=SECRET, settings=FAST)
    with Served(app) as served:
        body = event_body(ticket_id)
        post(served.url, body, signed(body))
        wait_for(lambda: counts(store).get("done") == 1)
    assert zd.count("", "PUT") == 0
    with store.engine.connect() as conn:
        row = conn.execute(
            select(tables.webhook_deliveries).where(tables.webhook_deliveries.c.status == "pending")
        ).one()
    assert row.delivery_key == f"recheck:{ticket_id}:{comment_id}"
    due = row.next_attempt_at.replace(tzinfo=UTC) if row.next_attempt_at.tzinfo is None else row.next_attempt_at
    assert timedelta(minutes=20) < due - now < timedelta(minutes=32)


def test_history_from_before_write_back_was_enabled_is_never_annotated(
    zd: FakeZendesk, store: Store, policy: Policy
) -> None:
    ticket_id, _ = drive_by_ticket(zd)  # made before write-back was first switched on
    app = create_app(store, policy, client_factory(zd), write_back=True, webhook_secret=SECRET, settings=FAST)
    with Served(app) as served:
        body = event_body(ticket_id)
        post(served.url, body, signed(body))
        wait_for(lambda: counts(store).get("done") == 1)
    assert store.state(WRITE_BACK_SINCE) is not None
    assert zd.count("", "PUT") == 0


# --- the real command ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_intently_serve_end_to_end_with_write_back_and_json_logs(zd: FakeZendesk, store: Store) -> None:
    _since(store, _fake_now(zd))
    ticket_id, comment_id = drive_by_ticket(zd)
    port = _free_port()
    env = {**os.environ, **zd.credentials_env(), "ZENDESK_WEBHOOK_SECRET": SECRET}
    env.pop("ZENDESK_OAUTH_TOKEN", None)
    command = [sys.executable, "-m", "intently", "serve", "--db", store.url, "--url", zd.url, "--port", str(port)]
    command += ["--write-back", "--write-back-tag", "drive_by_seen"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(url) or process.poll() is not None, timeout=30, what="intently serve")
        assert process.poll() is None, process.communicate()
        body = event_body(ticket_id)
        assert post(url, body, signed(body)).status_code == 202
        wait_for(lambda: counts(store).get("done") == 1, what="the delivery")
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=20)
    assert process.returncode in (0, -15), stderr  # uvicorn re-raises SIGTERM after a clean shutdown
    assert f"intently serve on http://127.0.0.1:{port}" in stdout and "write-back on" in stdout
    lines = [orjson.loads(line) for line in stderr.splitlines() if line.strip()]
    events = {line["event"] for line in lines}
    assert {"app.started", "webhook.received", "delivery.done", "write_back.done", "worker.stopped"} <= events
    assert MARKER not in stderr and SECRET not in stderr and zd.api_token not in stderr
    assert comment_id in {j.comment_id for j in store.judgements(ticket_id)}
    assert zd.count(f"/tickets/{ticket_id}.json", "PUT") == 1
    assert "drive_by_seen" in zd.dataset.tickets[ticket_id]["tags"]


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_intently_serve_refuses_to_start_without_what_it_needs(zd: FakeZendesk, tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    Store.open(db).close()
    env = {**os.environ, **zd.credentials_env(), "ZENDESK_WEBHOOK_SECRET": SECRET}

    def serve(*args: str, **changes: str | None) -> subprocess.CompletedProcess[str]:
        run_env = {**env, **changes}
        return subprocess.run(
            [sys.executable, "-m", "intently", "serve", "--db", db, *args],
            env={k: v for k, v in run_env.items() if v is not None},
            capture_output=True,
            text=True,
            timeout=60,
        )

    no_secret = serve("--url", zd.url, ZENDESK_WEBHOOK_SECRET=None)
    assert no_secret.returncode == 1 and "ZENDESK_WEBHOOK_SECRET is not set" in no_secret.stderr
    both = serve("--url", zd.url, "--subdomain", "acme")
    assert both.returncode == 2 and "not both" in " ".join(both.stderr.split())
    wrong = serve("--url", zd.url, ZENDESK_API_TOKEN="wrong")
    assert wrong.returncode == 1 and "401" in wrong.stderr and "wrong" not in wrong.stderr


def test_an_agent_new_since_the_last_sync_is_fetched_and_judged(zd: FakeZendesk, store: Store, policy: Policy) -> None:
    """Someone who joined Zendesk after the last sync writes on a ticket: the worker fetches them (show_many),
    stores them, and judges their comment instead of skipping it until the next sync."""
    zd.add_user(7777, "Noor Haddad", "noor@example.com", role="agent")
    assert 7777 not in store.directory().users
    ticket_id, comment_id = drive_by_ticket(zd, contributor=7777)
    app = create_app(store, policy, client_factory(zd), write_back=False, webhook_secret=SECRET, settings=FAST)
    with Served(app) as served:
        body = event_body(ticket_id)
        assert post(served.url, body, signed(body)).status_code == 202
        wait_for(lambda: counts(store).get("done") == 1)
        again = event_body(ticket_id, "tags_changed")
        assert post(served.url, again, signed(again)).status_code == 202
        wait_for(lambda: counts(store).get("done") == 2)
    assert store.directory().users[7777].name == "Noor Haddad"
    judged = {j.comment_id: j for j in store.judgements(ticket_id)}
    assert (judged[comment_id].author_id, judged[comment_id].verdict) == (7777, "drive_by")
    assert zd.count("/api/v2/users/show_many.json") == 1  # known from then on
    assert zd.count(f"/api/v2/tickets/{ticket_id}/audits.json") == 2  # once per delivery: not again to rebuild


def test_serve_warns_when_write_back_would_take_a_persons_comments_out_of_the_figures(tmp_path: Path) -> None:
    """Write-back writes as the API user, whose comments are then never judged: an API user who has worked
    tickets (their comments judged in the store) is named in a warning before serving."""
    from tests.fake_zendesk import API_USER_ID, ZendeskDataset

    dataset = ZendeskDataset.generate(tickets=5)
    with FakeZendesk(dataset) as zd:
        ticket_id = sorted(zd.dataset.tickets)[0]
        zd.add_comment(ticket_id, API_USER_ID, "I can help with this one.", True)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("INTENTLY_", "ZENDESK_"))},
            **zd.credentials_env(),
            "ZENDESK_WEBHOOK_SECRET": SECRET,
        }
        db = str(tmp_path / "store.db")
        synced = subprocess.run(
            [sys.executable, "-m", "intently", "sync", "zendesk", "--url", zd.url, "--db", db],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        assert synced.returncode == 0, synced.stderr
        with Store.open(db) as store:
            assert store.authored_judgements(API_USER_ID) == 1
        port = _free_port()
        command = [sys.executable, "-m", "intently", "serve", "--db", db, "--url", zd.url, "--port", str(port)]
        process = subprocess.Popen(
            [*command, "--write-back"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            wait_for(lambda: _up(f"http://127.0.0.1:{port}") or process.poll() is not None, timeout=30, what="serve")
            assert process.poll() is None
        finally:
            process.terminate()
            _, stderr = process.communicate(timeout=20)
    said = " ".join(stderr.split())
    assert "warning: the API user Intently Bot wrote 1 of the judged comments in this store" in said
    assert "Give intently an API user of its own" in said
