"""Benchmark: ``intently import`` of the same demo export into SQLite and into PostgreSQL.

    python bench/import_backends.py [--tickets 3000] [--repeat 3] [--postgres URL] [--out bench/out]

Generates the demo export once (``intently demo --tickets N``, cached by its parameters in ``--out``), then times
``intently import EXPORT`` in a fresh process into a new SQLite file and into a throwaway PostgreSQL database
(created empty on the server at ``--postgres``, default ``$INTENTLY_TEST_POSTGRES`` or the local server, dropped
afterwards), alternating backends, and prints the median of ``--repeat`` runs of each and their ratio. Not a test:
the figures drift between machines. Target: PostgreSQL at most 1.5 times SQLite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.5


def intently_command() -> list[str]:
    found = shutil.which("intently", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "intently"]


def demo_export(out: Path, tickets: int) -> tuple[Path, Path | None]:
    """The demo's export folder and policy file (generated once for these parameters)."""
    folder = out / f"demo-{tickets}"
    if not (folder / "export").is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        folder.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [*intently_command(), "demo", "--out", str(folder), "--tickets", str(tickets)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    policy = folder / "intently.yaml"
    return folder / "export", policy if policy.is_file() else None


def admin(url: URL) -> psycopg.Connection:
    return psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname=url.database or "postgres",
        autocommit=True,
    )


def timed_import(export: Path, policy: Path | None, db: str, cwd: Path) -> float:
    command = [*intently_command(), "import", str(export), "--db", db]
    if policy is not None:
        command += ["--config", str(policy)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"intently import failed ({db.split('://')[0]}):\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("INTENTLY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server (any database on it) where a throwaway database may be created",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()

    export, policy = demo_export(args.out, args.tickets)
    server = make_url(args.postgres)
    times: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
    with tempfile.TemporaryDirectory(prefix="intently-bench-") as tmp, admin(server) as conn:
        work = Path(tmp)
        for run in range(args.repeat):
            store = work / f"run{run}.db"
            times["sqlite"].append(timed_import(export, policy, str(store), work))
            name = f"intently_bench_{uuid.uuid4().hex[:12]}"
            conn.execute(f'CREATE DATABASE "{name}"')
            try:
                url = server.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
                times["postgresql"].append(timed_import(export, policy, url, work))
            finally:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(
                f"run {run + 1}: sqlite {times['sqlite'][-1]:.2f} s, postgresql {times['postgresql'][-1]:.2f} s",
                file=sys.stderr,
            )
    sqlite, postgresql = (statistics.median(times[key]) for key in ("sqlite", "postgresql"))
    ratio = postgresql / sqlite
    print(f"export: {args.tickets} demo tickets ({export})")
    print(f"intently import into SQLite:     {sqlite:.2f} s (median of {args.repeat})")
    print(f"intently import into PostgreSQL: {postgresql:.2f} s (median of {args.repeat})")
    print(f"ratio PostgreSQL / SQLite: {ratio:.2f} (target: at most {TARGET})")


if __name__ == "__main__":
    main()
