"""Several ``intently serve`` replicas on one PostgreSQL store share the webhook queue: real processes, a throwaway
database, the Zendesk stand-in. A burst of deliveries is spread over three replicas, one is killed with SIGKILL
mid-burst and restarted: every ticket is judged, every delivery is finished exactly once (by one replica), every
write-back note is posted once, and failed logins on one replica count on the others. SQLite stays one server.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from intently.engine import judge_ticket
from intently.policy import load_policy
from intently.store import Store
from intently.store import schema as tables
from tests.conftest import POSTGRES_ADMIN_URL, postgres_admin_at
from tests.dashboard_client import PASSWORD, ensure_account, form_csrf
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import (
    SECRET,
    _fake_now,
    _free_port,
    _since,
    _up,
    drive_by_ticket,
    event_body,
    loaded_store,
    signed,
    wait_for,
)

LEASE = "2"


@pytest.fixture
def pg_url() -> Iterator[str]:
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_ADMIN_URL)
    admin = postgres_admin_at(url)
    name = f"intently_replicas_{os.getpid()}"
    admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.run(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(drivername="postgresql+pg8000", database=name).render_as_string(hide_password=False)
    finally:
        admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


class Replica:
    """One ``intently serve`` process; its JSON log goes to a file (a pipe would fill and block it)."""

    def __init__(self, db: str, zd: FakeZendesk | None, log: Path, *args: str, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs: list[Path] = []
        self.db, self.zd, self.log, self.args = db, zd, log, args
        self.process: subprocess.Popen[str] | None = None
        self._err: IO[str] | None = None

    def start(self) -> Replica:
        env = {**os.environ, "ZENDESK_WEBHOOK_SECRET": SECRET}
        command = [sys.executable, "-m", "intently", "serve", "--db", self.db, "--port", str(self.port), *self.args]
        if self.zd is not None:
            env.update(self.zd.credentials_env())
            env.pop("ZENDESK_OAUTH_TOKEN", None)
            command += ["--url", self.zd.url]
        path = self.log.with_name(f"{self.log.name}.{len(self.logs)}")
        self.logs.append(path)
        self._err = path.open("w")
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=self._err, text=True)
        return self

    def wait_up(self) -> None:
        process = self.process
        assert process is not None
        wait_for(lambda: _up(self.url) or process.poll() is not None, timeout=40, what="intently serve")
        assert process.poll() is None, self.lines()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._err is not None:
            self._err.close()

    def lines(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for path in self.logs:
            for line in path.read_text().splitlines():
                if line.startswith("{"):
                    found.append(orjson.loads(line))
        return found


def _finished_keys(replicas: list[Replica]) -> Counter[str]:
    """Delivery keys in the ``delivery.done`` lines of every replica's logs: how often each was finished."""
    finished: Counter[str] = Counter()
    for replica in replicas:
        for line in replica.lines():
            if line.get("event") == "delivery.done":
                finished.update(line.get("deliveries") or [line["delivery_id"]])
    return finished


def _bad_login(client: httpx.Client) -> int:
    page = client.get("/login")
    data = {"csrf": form_csrf(page.text), "username": "ana", "password": "wrong password", "next": "/"}
    return client.post("/login", data=data).status_code


def test_three_replicas_share_the_queue_through_a_sigkill(pg_url: str, tmp_path: Path) -> None:
    zd = FakeZendesk(ZendeskDataset.generate(tickets=20)).start()
    replicas: list[Replica] = []
    try:
        store = loaded_store(pg_url, zd, tmp_path, load_policy())
        _since(store, _fake_now(zd) - timedelta(hours=1))
        drive_bys = dict(drive_by_ticket(zd, body=f"Hi, jumping in {n}.") for n in range(8))
        ensure_account(store, "ana")
        tickets = sorted(zd.dataset.tickets)
        replicas = [
            Replica(pg_url, zd, tmp_path / f"replica{n}.log", "--write-back", "--lease", LEASE) for n in range(3)
        ]
        for replica in replicas:
            replica.start()
        for replica in replicas:
            replica.wait_up()

        # failed logins on one replica count on the others (the limit is 5 per user name)
        a, b, c = (httpx.Client(base_url=replica.url, timeout=20) for replica in replicas)
        with a, b, c:
            assert [_bad_login(a) for _ in range(3)] + [_bad_login(b) for _ in range(2)] == [401] * 5
            assert _bad_login(c) == 429
            page = b.get("/login")
            data = {"csrf": form_csrf(page.text), "username": "ana", "password": PASSWORD, "next": "/"}
            assert b.post("/login", data=data).status_code == 429  # even the right password, for now

        # a burst of 300 signed deliveries, round-robin over the replicas; replica 2 is killed mid-burst
        total = 300
        accepted: list[int] = []
        lock = threading.Lock()
        down = threading.Event()

        def send(n: int) -> None:
            ticket_id = tickets[n % len(tickets)]
            target = replicas[n % 3] if not (down.is_set() and n % 3 == 2) else replicas[n % 2]
            body = event_body(ticket_id)
            answer = httpx.post(f"{target.url}/webhooks/zendesk", content=body, headers=signed(body), timeout=20)
            assert answer.status_code == 202, answer.text
            with lock:
                accepted.append(n)

        with ThreadPoolExecutor(16) as pool:
            first = list(pool.map(send, range(total // 2)))
            down.set()
            replicas[2].kill()  # SIGKILL: whatever it claimed waits for its lease, then another replica takes it
            rest = pool.map(send, range(total // 2, total))
            replicas[2].start()
            list(rest)
        assert len(first) == total // 2 and len(accepted) == total
        replicas[2].wait_up()
        wait_for(lambda: store.delivery_counts() == {"done": total}, timeout=30, what="every delivery done")
        # the drive-by tickets' deliveries, sent now that every replica is up
        for n, ticket_id in enumerate(drive_bys):
            body = event_body(ticket_id)
            target = replicas[n % 3]
            assert httpx.post(f"{target.url}/webhooks/zendesk", content=body, headers=signed(body)).status_code == 202
        wait_for(
            lambda: store.delivery_counts() == {"done": total + len(drive_bys)},
            timeout=30,
            what="the drive-by deliveries done",
        )
        health = [httpx.get(f"{replica.url}/healthz", timeout=10).json() for replica in replicas]
    finally:
        for replica in replicas:
            replica.stop()
        zd.stop()

    with store.engine.connect() as conn:
        rows = conn.execute(select(tables.webhook_deliveries)).all()
    assert len(rows) == total + len(drive_bys)
    assert {(row.status, row.attempts, row.claimed_by) for row in rows} == {("done", 1, None)}  # finished once each
    finished = _finished_keys(replicas)
    assert set(finished.values()) == {1}  # no replica finished a delivery twice, nor two replicas one
    # Every delivery finished is in a replica's log, except those the killed replica committed as finished in the
    # instant before SIGKILL took it, with no time left to log them: at most the one ticket it was finishing.
    unlogged = {row.ticket_id for row in rows if row.delivery_key not in finished}
    assert len(unlogged) <= 1, unlogged
    assert set(finished) <= {row.delivery_key for row in rows}
    by_replica = [sum(1 for line in r.lines() if line.get("event") == "delivery.done") for r in replicas]
    assert sum(1 for n in by_replica if n) >= 2, by_replica  # the burst was spread over the replicas
    users, policy = store.directory().users, load_policy()
    for ticket_id in [*tickets, *drive_bys]:  # every ticket judged: its stored judgements are its history's
        history = store.history(ticket_id)
        if zd.dataset.tickets[ticket_id].get("status") == "deleted":
            assert history is None, ticket_id  # a ticket deleted in Zendesk is removed
            continue
        assert history is not None, ticket_id
        expected = {(j.comment_id, j.verdict, j.rule) for j in judge_ticket(history, users, policy).judgements}
        assert {(j.comment_id, j.verdict, j.rule) for j in store.ticket_judgements(ticket_id)} == expected, ticket_id
    for ticket_id, comment_id in drive_bys.items():  # every write-back note posted exactly once
        assert zd.count(f"/tickets/{ticket_id}.json", "PUT") == 1, ticket_id
        notes = [
            e
            for a in zd.dataset.audits[ticket_id]
            for e in a["events"]
            if e["type"] == "Comment" and f"intently-ref: drive_by comment {comment_id}" in e["body"]
        ]
        assert len(notes) == 1
    for answer in health:
        queue = answer["queue"]
        assert answer["status"] == "ok" and queue["pending"] == 0 and queue["claimed_here"] == 0
        assert queue["oldest_due_age_s"] == 0 and re.fullmatch(r"[0-9a-f]{6}", queue["replica"])  # no host, no pid
    assert len({answer["queue"]["replica"] for answer in health}) == 3
    store.close()


def test_a_killed_replicas_claims_go_to_another_after_the_lease(pg_url: str) -> None:
    store = Store.open(pg_url)
    now = datetime.now(UTC)
    for n in range(40):
        store.enqueue_delivery(f"k{n}", n, "ticket.comment_added", now)
    claims: dict[str, list[int]] = {}

    def claim(name: str) -> None:
        claims[name] = [d.id for d in store.claim_deliveries(name, now, 30, limit=15)]

    threads = [threading.Thread(target=claim, args=(f"r{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everyone = [i for ids in claims.values() for i in ids]
    assert len(everyone) == len(set(everyone)) == 40  # no delivery claimed twice
    assert max(len(ids) for ids in claims.values()) <= 15  # none took more than its limit
    dead = claims["r0"]
    assert store.claim_deliveries("r9", now + timedelta(seconds=10), 30) == []  # the leases hold
    assert not store.finish_delivery(dead[0], claimed_by="r9")  # only the claimer finishes
    later = now + timedelta(seconds=31)
    store.renew_claims("r1", later + timedelta(seconds=30))  # r1 and r2 alive: r2's lapse, r1 renewed
    taken = {d.id for d in store.claim_deliveries("r9", later, 30)}
    assert taken == set(dead) | set(claims["r2"])
    assert not store.finish_delivery(dead[0], claimed_by="r0")  # the killed replica's claim is gone
    assert store.finish_delivery(dead[0], claimed_by="r9")
    assert store.queue_state("r9", later)["claimed_here"] == len(taken) - 1
    store.close()


def test_a_second_server_on_a_sqlite_store_exits_saying_to_use_postgresql(tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    Store.open(db).close()
    first = Replica(db, None, tmp_path / "first.log").start()
    try:
        first.wait_up()
        second = subprocess.run(
            [sys.executable, "-m", "intently", "serve", "--db", db, "--port", str(_free_port())],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        first.stop()
    message = " ".join(second.stderr.split())
    assert second.returncode == 1, second.stderr
    assert "served by one process only" in message and "PostgreSQL" in message
