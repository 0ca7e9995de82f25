"""Benchmark: one ``intently serve`` against two replicas sharing one PostgreSQL store, on loopback.

    python bench/replicas.py [--deliveries 2000] [--concurrency 50] [--tickets 200] [--postgres URL]

Generates a synthetic account once and starts a Zendesk-compatible server (``tests/fake_zendesk.py``) once; then, for
one replica and for two, in the same run: creates a throwaway database on the PostgreSQL server at ``--postgres``
(default ``$INTENTLY_TEST_POSTGRES`` or ``postgresql://postgres@127.0.0.1:5432/test``), imports the account with
``intently import``, starts the replicas as separate processes, warms each up, waits until the warm-up is worked off,
then sends signed deliveries with ``--concurrency`` in flight, the keep-alive connections split evenly over the
replicas (round-robin), and measures:

1. answers per second, and the p50 and p99 answer latency;
2. drain: how long after the last answer until every queued delivery is done (``/healthz``), since the answer
   (signature check, one queued row) is decoupled from the work (fetch, judge, store) in the replicas' workers;
   and "all done": from the first delivery sent until every one is done.

It prints a table and the ratio two replicas / one. The ratios within one run matter; absolute figures drift between
machines and runs. Not a test. The throwaway databases are dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.webhook import EXPORT, FAKE, SECRET, concurrent_to, free_port, ms, percentile, sequential  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get("INTENTLY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
WARM_UP = 50


class Admin:
    """A connection to the PostgreSQL server for creating and dropping the throwaway databases."""

    def __init__(self, url: str) -> None:
        import pg8000.native
        from sqlalchemy.engine import make_url

        self.url = make_url(url)
        try:
            self.conn = pg8000.native.Connection(
                user=self.url.username or "postgres",
                password=self.url.password,
                host=self.url.host or "127.0.0.1",
                port=self.url.port or 5432,
                database=self.url.database or "postgres",
            )
        except Exception as exc:
            sys.exit(f"no PostgreSQL server at {self.url.render_as_string(hide_password=True)} ({exc})")

    def create(self, name: str) -> str:
        self.drop(name)
        self.conn.run(f'CREATE DATABASE "{name}"')
        return self.url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)

    def drop(self, name: str) -> None:
        self.conn.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self.conn.close()


class Replica:
    """One ``intently serve`` process on the shared store; its log goes to a file (a pipe would fill and block it)."""

    def __init__(self, db: str, zendesk: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.log = log.open("w")
        env = {
            **os.environ,
            "ZENDESK_WEBHOOK_SECRET": SECRET,
            "ZENDESK_EMAIL": "api@example.com",
            "ZENDESK_API_TOKEN": "zd-test-token-3f9a7c1e5b",
        }
        env.pop("ZENDESK_OAUTH_TOKEN", None)
        command = ["serve", "--db", db, "--url", zendesk, "--port", str(self.port), "--log-level", "warning"]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "intently", *command], env=env, stdout=subprocess.DEVNULL, stderr=self.log
        )

    def wait_up(self) -> None:
        deadline = time.monotonic() + 40
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                sys.exit("intently serve did not start:\n" + self.log_path.read_text())
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


def finished(url: str) -> int:
    queue = httpx.get(f"{url}/healthz", timeout=10).json()["queue"]
    return int(queue.get("done", 0)) + int(queue.get("failed", 0))


def wait_drained(url: str, total: int) -> float:
    started = time.perf_counter()
    while finished(url) < total:
        if time.perf_counter() - started > 600:
            sys.exit(f"the queue did not drain: {httpx.get(f'{url}/healthz', timeout=10).json()['queue']}")
        time.sleep(0.1)
    return time.perf_counter() - started


def measure(count: int, args: argparse.Namespace, admin: Admin, folder: Path, zendesk: str) -> dict[str, Any]:
    name = f"intently_bench_replicas_{os.getpid()}_{count}"
    db = admin.create(name)
    replicas: list[Replica] = []
    try:
        subprocess.run(
            [sys.executable, "-m", "intently", "import", str(folder / "export"), "--db", db],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        replicas = [Replica(db, zendesk, folder / f"serve-{count}-{n}.log") for n in range(count)]
        for replica in replicas:
            replica.wait_up()
        for replica in replicas:
            sequential(replica.url, WARM_UP, args.tickets)
        wait_drained(replicas[0].url, WARM_UP * count)
        timings, wall = asyncio.run(
            concurrent_to([r.url for r in replicas], args.deliveries, args.tickets, args.concurrency)
        )
        drained = wait_drained(replicas[0].url, WARM_UP * count + args.deliveries)
        queue = httpx.get(f"{replicas[0].url}/healthz", timeout=10).json()["queue"]
    finally:
        for replica in replicas:
            replica.stop()
        admin.drop(name)
    return {
        "replicas": count,
        "rate": len(timings) / wall,
        "p50": statistics.median(timings),
        "p99": percentile(timings, 0.99),
        "drain": drained,
        "all_done": wall + drained,
        "done": queue.get("done", 0),
        "failed": queue.get("failed", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=2000, help="deliveries measured for each replica count")
    parser.add_argument("--concurrency", type=int, default=50, help="deliveries in flight")
    parser.add_argument("--tickets", type=int, default=200, help="tickets in the synthetic account")
    parser.add_argument("--postgres", default=POSTGRES_ADMIN_URL, help="a PostgreSQL server to create databases on")
    args = parser.parse_args()

    admin = Admin(args.postgres)
    results = []
    with tempfile.TemporaryDirectory(prefix="intently-bench-") as tmp:
        folder = Path(tmp)
        python = sys.executable
        subprocess.run([python, "-c", EXPORT, str(ROOT), str(args.tickets), str(folder / "export")], check=True)
        fake = subprocess.Popen(
            [python, "-c", FAKE, str(ROOT), str(args.tickets)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert fake.stdout is not None
        zendesk = fake.stdout.readline().strip()
        try:
            for count in (1, 2):
                results.append(measure(count, args, admin, folder, zendesk))
        finally:
            fake.terminate()
            fake.wait(10)
            admin.close()

    print(
        f"intently serve replicas on loopback, one PostgreSQL store, {args.tickets} tickets, "
        f"{args.deliveries} deliveries with {args.concurrency} in flight, {os.cpu_count()} CPU cores"
    )
    print(f"  {'replicas':>8}  {'answers/s':>9}  {'p50':>9}  {'p99':>9}  {'drain':>7}  {'all done':>8}  queue")
    for r in results:
        print(
            f"  {r['replicas']:>8}  {r['rate']:>9.0f}  {ms(r['p50']):>9}  {ms(r['p99']):>9}"
            f"  {r['drain']:>6.1f}s  {r['all_done']:>7.1f}s  {r['done']} done, {r['failed']} failed"
        )
    one, two = results
    print(
        f"  ratio two / one: answers/s {two['rate'] / one['rate']:.2f}, p50 {two['p50'] / one['p50']:.2f}, "
        f"p99 {two['p99'] / one['p99']:.2f}, drain {two['drain'] / one['drain']:.2f}, "
        f"all done {two['all_done'] / one['all_done']:.2f}"
    )


if __name__ == "__main__":
    main()
