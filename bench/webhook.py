"""Benchmark: signed Zendesk webhook deliveries against ``intently serve`` on loopback.

    python bench/webhook.py [--deliveries 2000] [--concurrency 50] [--tickets 200] [--db URL]

Sets up a store (a synthetic account imported with ``intently import``), starts a Zendesk-compatible
server (``tests/fake_zendesk.py``) and ``intently serve`` as separate processes, then:

1. latency: deliveries one after another on one keep-alive connection: p50, p99, max;
2. throughput: deliveries with ``--concurrency`` in flight (one keep-alive connection each, a minimal
   asyncio HTTP/1.1 client): answers per second, p50, p99;
3. drain: how long until the worker has fetched, judged and stored every queued delivery.

Every delivery is correctly signed and has its own invocation id, so each is queued. Not a test: the
figures drift between machines. Target: p99 under 50 ms for the answer on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intently.zendesk.live.signature import INVOCATION_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign  # noqa: E402

SECRET = "bench-secret"
FAKE = """
import sys, time
sys.path.insert(0, sys.argv[1])
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
fake = FakeZendesk(ZendeskDataset.generate(tickets=int(sys.argv[2]))).start()
print(fake.url, flush=True)
sys.stdin.read()
"""
EXPORT = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from tests.fake_zendesk import ZendeskDataset
ZendeskDataset.generate(tickets=int(sys.argv[2])).write_export(Path(sys.argv[3]))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def delivery(ticket_id: int) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(
        {
            "type": "zen:event-type:ticket.comment_added",
            "id": str(uuid.uuid4()),
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "subject": f"zen:ticket:{ticket_id}",
            "detail": {"id": str(ticket_id)},
            "event": {},
        }
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(SECRET, stamp, body),
        TIMESTAMP_HEADER: stamp,
        INVOCATION_HEADER: uuid.uuid4().hex,
    }
    return body, headers


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def sequential(url: str, count: int, tickets: int) -> list[float]:
    timings = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for n in range(count):
            body, headers = delivery(1 + n % tickets)
            started = time.perf_counter()
            answer = client.post("/webhooks/zendesk", content=body, headers=headers)
            timings.append(time.perf_counter() - started)
            if answer.status_code != 202:
                sys.exit(f"unexpected answer {answer.status_code}: {answer.text}")
    return timings


async def concurrent(url: str, count: int, tickets: int, concurrency: int) -> tuple[list[float], float]:
    """``count`` deliveries over ``concurrency`` keep-alive connections, each sending one request after another."""
    return await concurrent_to([url], count, tickets, concurrency)


async def concurrent_to(urls: list[str], count: int, tickets: int, concurrency: int) -> tuple[list[float], float]:
    """``count`` deliveries over ``concurrency`` keep-alive connections, connection ``i`` to ``urls[i % len]``,
    each connection sending one request after another from a shared list.

    A minimal HTTP/1.1 client on asyncio streams: httpx.AsyncClient costs several milliseconds of CPU per
    request, so on a small machine it, not the server, would be what is measured."""
    requests = []
    for n in range(count):
        body, headers = delivery(1 + n % tickets)
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        requests.append(
            (f"POST /webhooks/zendesk HTTP/1.1\r\nHost: HOST\r\n{head}Content-Length: {len(body)}\r\n\r\n").encode()
            + body
        )
    timings: list[float] = []
    pending = iter(requests)

    async def connection(url: str) -> None:
        parts = httpx.URL(url)
        host = f"{parts.host}:{parts.port}".encode()
        reader, writer = await asyncio.open_connection(parts.host, parts.port)
        for request in pending:
            started = time.perf_counter()
            writer.write(request.replace(b"Host: HOST", b"Host: " + host, 1))
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            timings.append(time.perf_counter() - started)
            if b" 202 " not in status:
                raise SystemExit(f"unexpected answer {status!r} from {url}")
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection(urls[i % len(urls)]) for i in range(concurrency)))
    return timings, time.perf_counter() - started


def queue(url: str) -> dict[str, int]:
    return dict(httpx.get(f"{url}/healthz", timeout=10).json()["queue"])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=2000, help="deliveries in each phase")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--tickets", type=int, default=200, help="tickets in the synthetic account")
    parser.add_argument("--db", help="store URL (default: a SQLite file in a temporary folder)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="intently-bench-") as tmp:
        folder = Path(tmp)
        db = args.db or str(folder / "bench.db")
        python = sys.executable
        subprocess.run([python, "-c", EXPORT, str(ROOT), str(args.tickets), str(folder / "export")], check=True)
        subprocess.run(
            [python, "-m", "intently", "import", str(folder / "export"), "--db", db],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        fake = subprocess.Popen(
            [python, "-c", FAKE, str(ROOT), str(args.tickets)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert fake.stdout is not None
        zendesk = fake.stdout.readline().strip()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "ZENDESK_WEBHOOK_SECRET": SECRET,
            "ZENDESK_EMAIL": "api@example.com",
            "ZENDESK_API_TOKEN": "zd-test-token-3f9a7c1e5b",
        }
        log = (folder / "serve.log").open("w")
        command = ["serve", "--db", db, "--url", zendesk, "--port", str(port), "--log-level", "warning"]
        serve = subprocess.Popen(
            [python, "-m", "intently", *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or serve.poll() is not None:
                    sys.exit("intently serve did not start:\n" + (folder / "serve.log").read_text())
                time.sleep(0.1)
            sequential(url, 50, args.tickets)  # warm up
            one_by_one = sequential(url, args.deliveries, args.tickets)
            loaded, wall = asyncio.run(concurrent(url, args.deliveries, args.tickets, args.concurrency))
            total = 50 + 2 * args.deliveries
            started = time.perf_counter()
            while queue(url).get("done", 0) + queue(url).get("failed", 0) < total:
                if time.perf_counter() - started > 600:
                    sys.exit(f"the queue did not drain: {queue(url)}")
                time.sleep(0.2)
            drained = time.perf_counter() - started
            final = queue(url)
        finally:
            serve.terminate()
            serve.wait(30)
            fake.terminate()
            fake.wait(10)
            log.close()

    backend = "PostgreSQL" if db.startswith("postgres") else "SQLite"
    print(f"intently serve on loopback, {backend} store, {args.tickets} tickets, {os.cpu_count()} CPU cores")
    print(f"  sequential ({args.deliveries} deliveries, one connection):")
    print(
        f"    p50 {ms(statistics.median(one_by_one))}, p99 {ms(percentile(one_by_one, 0.99))}, "
        f"max {ms(max(one_by_one))}; {len(one_by_one) / sum(one_by_one):.0f} deliveries/s"
    )
    print(f"  concurrent ({args.deliveries} deliveries, {args.concurrency} in flight):")
    print(
        f"    p50 {ms(statistics.median(loaded))}, p99 {ms(percentile(loaded, 0.99))}, max {ms(max(loaded))}; "
        f"{len(loaded) / wall:.0f} deliveries/s"
    )
    print(
        f"  queue: {final.get('done', 0)} done, {final.get('failed', 0)} failed; "
        f"drained {drained:.1f} s after the last answer"
    )


if __name__ == "__main__":
    main()
