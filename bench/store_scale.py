"""Benchmark: the dashboard's pages and ``intently report`` on a large store, first read and after.

    python bench/store_scale.py [--tickets 500000] [--days 365] [--repeat 3] [--out bench/out]
    python bench/store_scale.py --store COPY.db --config POLICY.yaml   # a store built before (use a copy)

Builds the store with the demo generator and an import, as a user would (``generate_export`` of ``--tickets``
tickets over ``--days`` days, then ``intently import EXPORT`` into a new SQLite store: every row, the rollups
included, is written by intently's own code), cached in ``--out`` by its parameters. Then:

- starts ``intently serve`` on the store (a fresh process: nothing read yet) and times each dashboard page over
  real HTTP: the first request (the first read of the store) and the median of ``--repeat`` more;
- times ``intently report`` and ``intently report --html``, twice each, each run a fresh process: the first may
  compute the figures and keep them in the store for its data version (an import keeps them already), the second
  reads them.

Not a test: the figures drift between machines. Target (issue 12): every page and the report under 1 s after the
first read. ``--store`` takes a store of an older schema too: opening it upgrades it in place first (timed).
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password 1"
PAGES = [
    "/",
    "/engineers",
    "/pods",
    "/regions",
    "/outcomes",
    "/pilot",
    "/tickets",
    "/tickets?verdict=drive_by",
    "/tickets?verdict=drive_by&sort=drive_bys",
    "/tickets?q=refund",
    "/tickets?q=sync",
    "/tickets?q=sync&page=3",
    "/tickets?worked=drive_by&outcome=reopened",
    "/?region=emea",
    "/?from={last30}&to={last}",
    "/tickets?from={last30}&to={last}&verdict=drive_by",
    "/engineers?priority=high",
]


def intently_command() -> list[str]:
    found = shutil.which("intently", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "intently"]


def build_store(out: Path, tickets: int, days: int, start: date) -> tuple[Path, Path]:
    """The store (and its policy) for these parameters, built once: the demo's export, imported."""
    folder = out / f"scale-{tickets}-{days}"
    store = folder / "store.db"
    policy = folder / "export" / "intently.yaml"
    if store.is_file():
        return store, policy
    from intently.demo import generate_export

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    began = time.perf_counter()
    generate_export(folder / "export", tickets=tickets, seed=7, start=start, days=days)
    generated = time.perf_counter() - began
    began = time.perf_counter()
    subprocess.run(
        [*intently_command(), "import", str(folder / "export"), "--db", str(store), "--config", str(policy)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"built: generated {tickets:,} tickets in {generated:.0f} s, imported in {time.perf_counter() - began:.0f} s")
    return store, policy


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(client: httpx.Client, url: str) -> float:
    began = time.perf_counter()
    answer = client.get(url)
    took = time.perf_counter() - began
    if answer.status_code != 200:
        raise SystemExit(f"{url}: HTTP {answer.status_code}: {answer.text[:300]}")
    return took


def bench_pages(store: Path, policy: Path, repeat: int, last: date) -> list[tuple[str, float, float, int]]:
    subprocess.run(  # fails harmlessly when the account exists (a cached store)
        [*intently_command(), "user", "add", "bench", "--password-stdin", "--db", str(store)],
        input=PASSWORD + "\n",
        text=True,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = free_port()
    server = subprocess.Popen(
        [*intently_command(), "serve", "--db", str(store), "--config", str(policy), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = []
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=600) as client:
            for _ in range(600):
                try:
                    if client.get("/healthz").status_code in (200, 503):
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            login = client.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
            assert csrf, "no login form"
            done = client.post("/login", data={"csrf": csrf.group(1), "username": "bench", "password": PASSWORD})
            assert done.status_code == 303, done.text[:300]
            values = {"last": last.isoformat(), "last30": (last - timedelta(days=29)).isoformat()}
            for page in PAGES:
                url = page.format(**values)
                first = timed(client, url)
                again = [timed(client, url) for _ in range(repeat)]
                size = len(client.get(url).content)
                after = statistics.median(again)
                results.append((url, first, after, size))
                print(f"{url:55} first {first:7.2f} s   after {after:6.3f} s   {size / 1024:7.0f} KB")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def bench_report(store: Path, policy: Path) -> list[tuple[str, float, float]]:
    """Each report twice, each run a fresh process: the first may compute the figures (and keep them in the store
    for its data version), the second reads them."""
    found = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, extra in (("intently report", []), ("intently report --html", ["--html", f"{scratch}/r.html"])):
            took = []
            for _ in range(2):
                began = time.perf_counter()
                subprocess.run(
                    [*intently_command(), "report", "--db", str(store), "--config", str(policy), *extra],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                took.append(time.perf_counter() - began)
            found.append((name, took[0], took[1]))
            print(f"{name:55} first {took[0]:7.2f} s   again {took[1]:6.2f} s (each a fresh process)")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=500_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--store", type=Path, help="time this store (built before) instead of building one")
    parser.add_argument("--config", type=Path, help="its policy (with --store): the export's intently.yaml")
    args = parser.parse_args()
    start = date(2025, 7, 1)
    if args.store is not None:
        if args.config is None:
            parser.error("--store needs --config")
        store, policy = args.store, args.config
    else:
        store, policy = build_store(args.out, args.tickets, args.days, start)
    size = sum(p.stat().st_size for p in store.parent.glob(store.name + "*"))
    print(f"store: {store} ({size / 2**30:.2f} GiB)")
    from intently.store import Store

    began = time.perf_counter()
    Store.open(store).close()  # a store of an older schema is upgraded here, not in the server's first request
    print(f"opened (upgraded in place if older) in {time.perf_counter() - began:.1f} s")
    bench_pages(store, policy, args.repeat, start + timedelta(days=args.days - 1))
    bench_report(store, policy)


if __name__ == "__main__":
    main()
