"""Benchmark: classify a large synthetic Zendesk export from files, against two baselines.

    python bench/classify_export.py [--tickets 50000] [--audits-per-page 2000] [--repeat 5] [--out bench/out]
    python bench/classify_export.py --tickets 500000 --repeat 1     # the large run (generates ~8 GiB once)
    python bench/classify_export.py --floor    # and how fast classify could be here at best (see FLOOR)

Generates (once, cached by parameters) a synthetic export whose audits are spread over many pages in
time order, not grouped by ticket; then, alternating, each in a fresh process:

1. the parse baseline: merely parse every file of the export with orjson, in one process;
2. the DuckDB baseline (``pip install intently[bench]``): one SQL query that reads the same files and computes
   only the three simplest rules (the assignee's comment, an internal note, any other public reply), with an ASOF
   join for the assignee at each comment, written as JSON Lines (:data:`DUCKDB_QUERY`);
3. ``intently classify EXPORT --format jsonl --jobs 1`` (output discarded);
4. ``intently classify EXPORT --format jsonl`` as a user runs it: every core.

Prints, for each, the median wall time of the runs, the median CPU time (user and system, every process; the
load of other work on the machine moves it less than the wall time) and the peak memory (the largest sum, over
the process and its children, of their proportional set size: memory forked processes share counts once), then
the ratios of the
classify times to the baselines, each ratio taken within one round (the runs next to each other) and the median
of those. Not a test: figures drift between machines and with the load on them; the ratios are what to compare
(targets for ``classify`` as a user runs it: at most 1.5x the parse, at most 1.0x the DuckDB query, peak memory
under 1 GiB).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

GENERATE = """
import sys
from pathlib import Path
from intently.demo import generate_export
out, tickets, seed, per_page = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
generate_export(Path(out), tickets=tickets, seed=seed, audits_per_page=per_page)
"""

PARSE_ONLY = """
import sys, pathlib, orjson
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    orjson.loads(path.read_bytes())
"""

DUCKDB_QUERY = """
WITH events AS (
  SELECT a.ticket_id, a.created_at AS ts, a.id AS audit_id, a.author_id AS actor, a.via.channel AS via,
         unnest(a.events, recursive := true)
  FROM (SELECT unnest(from_json(content, '{"audits": [{"id": "BIGINT", "ticket_id": "BIGINT",
          "created_at": "TIMESTAMPTZ", "author_id": "BIGINT", "via": {"channel": "VARCHAR"}, "events": [{"id": "BIGINT",
          "type": "VARCHAR", "author_id": "BIGINT", "public": "BOOLEAN", "field_name": "VARCHAR", "value": "JSON"}]}]}'
        ).audits) AS a FROM read_text($audits))),
agents AS (
  SELECT unnest(from_json(content, '{"users": [{"id": "BIGINT", "role": "VARCHAR"}]}').users, recursive := true)
  FROM read_text($users)),
comments AS (
  SELECT ticket_id, id AS comment_id, ts, via, coalesce(author_id, actor) AS author, public,
         row_number() OVER (PARTITION BY ticket_id ORDER BY ts, audit_id, id) AS nth
  FROM events WHERE type = 'Comment'),
assignments AS (
  SELECT ticket_id, ts, TRY_CAST(value ->> '$' AS BIGINT) AS assignee
  FROM events WHERE type IN ('Create', 'Change') AND field_name = 'assignee_id')
SELECT c.ticket_id, c.comment_id, c.author AS author_id, c.ts AS created_at, c.public, a.assignee AS assignee_id,
       CASE WHEN c.author = a.assignee THEN 'assignee' WHEN NOT c.public THEN 'internal_note'
            ELSE 'unsolicited_reply' END AS rule
FROM comments c ASOF LEFT JOIN assignments a ON c.ticket_id = a.ticket_id AND c.ts > a.ts
WHERE c.nth > 1 AND coalesce(c.via, '') NOT IN ('rule', 'system')
  AND c.author IN (SELECT id FROM agents WHERE role IN ('agent', 'admin'))
ORDER BY c.ticket_id, c.ts, c.comment_id
"""
"""The analyst's query: the comments after each ticket's first, by agents, not by triggers; the assignee at each
(the last assignment before it, by an ASOF join); the three simplest rules. ``read_text`` with ``from_json`` reads
these one-object-per-file pages several times faster than ``read_json``, and ``asof_loop_join_threshold = 0`` keeps
DuckDB from planning the ASOF join as a nested loop (which it does here, from a low estimate, at many times the
cost): the fast form of the query, as an analyst who tried would write it."""

DUCKDB = """
import sys, duckdb
export = sys.argv[1]
query = sys.argv[2]
con = duckdb.connect()
con.execute("SET asof_loop_join_threshold = 0")
params = {"audits": f"{export}/ticket_audits*.json", "users": f"{export}/users*.json"}
con.execute(f"COPY ({query}) TO '/dev/stdout' (FORMAT json)", params)
"""


def _tree(pid: int) -> list[int]:
    """The process and its descendants (from /proc)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    queue.extend(int(child) for child in children.read().split())
        except OSError:
            continue
    return found


def _pss(pids: list[int]) -> int:
    """Proportional set size (KiB) summed over processes: shared pages counted once."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def run(command: list[str]) -> tuple[float, int, int, float]:
    """Wall time (s), peak memory (KiB, summed proportional set size), lines of output and CPU time (s, user and
    system, of the process and its children) of a child process. Its output is counted by a thread blocked on the
    pipe, and its memory sampled every 50 ms or less often (a few percent of one core), so this process takes next
    to no CPU from it."""
    errors = tempfile.TemporaryFile()  # noqa: SIM115 - read after the process ends
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
    assert process.stdout is not None
    stdout = process.stdout
    counted = [0]

    def count() -> None:
        for chunk in iter(lambda: stdout.read(1 << 20), b""):
            counted[0] += chunk.count(b"\n")

    reader = threading.Thread(target=count)
    reader.start()
    peak, pause = 0, 0.05
    while reader.is_alive():
        polled = time.perf_counter()
        peak = max(peak, _pss(_tree(process.pid)))
        # reading the memory of a large process costs the kernel time: keep it to a few percent of one core
        pause = max(0.05, 20 * (time.perf_counter() - polled))
        reader.join(pause)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    errors.seek(0)
    stderr = errors.read()
    if status != 0:
        sys.exit(f"command failed ({status}): {' '.join(command[:5])}\n{stderr.decode(errors='replace')}")
    return elapsed, max(peak, usage.ru_maxrss), counted[0], usage.ru_utime + usage.ru_stime


FLOOR = """
import sys, time, pathlib
t0 = time.process_time()
import intently.cli  # what classify imports before it reads anything
started = time.process_time() - t0
from intently.engine import judge_ticket
from intently.policy import load_policy
from intently.zendesk.export import ZendeskExport
from intently.zendesk.records import AUDIT_PAGE
export = pathlib.Path(sys.argv[1])
decoding = 0.0
for path in sorted(export.glob("ticket_audits*.json")):
    data = path.read_bytes()
    t = time.process_time()
    AUDIT_PAGE.decode(data)
    decoding += time.process_time() - t
source = ZendeskExport(export)
users, policy = source.directory.users, load_policy()
judging = 0.0
for history in source.histories():
    t = time.process_time()
    judge_ticket(history, users, policy, outcome=False)
    judging += time.process_time() - t
print(started, decoding, judging)
"""
"""The floor: the CPU time of the three parts of ``classify`` no restructuring removes, each measured alone: starting
(importing the command), decoding the audit pages into the records intently reads (msgspec, the fastest decoding
it has), and the engine judging every history (the one pure engine, in Python). Everything else (reading files,
turning records into histories, writing the output, sharing the work among processes) is left out, as if free."""


def floor(export: Path, cores: int, duckdb_seconds: float | None, parse_seconds: float) -> None:
    """Prints the floor (:data:`FLOOR`): how fast ``classify`` could be on this machine's cores if all but those
    three parts cost nothing, against the baselines."""
    done = subprocess.run([sys.executable, "-c", FLOOR, str(export)], check=True, capture_output=True, text=True)
    started, decoding, judging = map(float, done.stdout.split())
    bound = started + (decoding + judging) / cores
    print("floor (CPU of the parts no restructuring removes, each measured alone, one run; see FLOOR):")
    print(f"  start {started:.2f} s, decode the audit pages {decoding:.2f} s, judge every history {judging:.2f} s")
    print(f"  on {cores} cores, with everything else free: at least {bound:.2f} s wall")
    print(f"  floor / parse: {bound / parse_seconds:.2f}")
    if duckdb_seconds is not None:
        print(f"  floor / duckdb: {bound / duckdb_seconds:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=50_000, help="500000 for the large run")
    parser.add_argument("--audits-per-page", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of runs (alternating); medians are shown")
    parser.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB baseline")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument(
        "--floor", action="store_true", help="also measure the floor: the parts of classify no restructuring removes"
    )
    args = parser.parse_args()

    export = args.out / f"export-{args.tickets}-{args.audits_per_page}-{args.seed}"
    marker = export / ".complete"
    if not marker.exists():
        # In its own process: a child's peak memory would otherwise include this process's.
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", GENERATE, str(export), str(args.tickets), str(args.seed), str(args.audits_per_page)],
            check=True,
        )
        marker.write_text(json.dumps({"seconds": time.perf_counter() - started}))
        print(f"generated {export} in {time.perf_counter() - started:.1f}s")
    files = sorted(export.glob("*.json"))
    size = sum(path.stat().st_size for path in files)
    audit_pages = len([path for path in files if path.name.startswith("ticket_audits")])

    classify = [sys.executable, "-m", "intently", "classify", str(export), "--format", "jsonl"]
    commands = {"parse": [sys.executable, "-c", PARSE_ONLY, str(export)]}
    if not args.no_duckdb and importlib.util.find_spec("duckdb") is None:
        print("DuckDB is not installed, so its baseline is skipped: pip install -e '.[bench]' to compare with it")
        args.no_duckdb = True
    if not args.no_duckdb:
        commands["duckdb"] = [sys.executable, "-c", DUCKDB, str(export), DUCKDB_QUERY]
    commands["jobs 1"] = [*classify, "--jobs", "1"]
    commands["default"] = classify
    rounds: list[dict[str, tuple[float, int, int, float]]] = []
    for _ in range(args.repeat):  # alternating, so every command sees the same machine
        rounds.append({name: run(command) for name, command in commands.items()})

    cores = len(os.sched_getaffinity(0))
    mib = size / 2**20
    print(f"export:  {args.tickets:,} tickets, {len(files)} files ({audit_pages} audit pages), {mib:,.0f} MiB")
    print(f"machine: {cores} cores; {args.repeat} alternating rounds, medians")
    labels = {
        "parse": "parse with orjson (1 process)",
        "duckdb": "DuckDB, three rules",
        "jobs 1": "intently classify --jobs 1",
        "default": f"intently classify (default: {cores} jobs)",
    }
    for name in commands:
        seconds = statistics.median(r[name][0] for r in rounds)
        peak = max(r[name][1] for r in rounds)
        lines = rounds[-1][name][2]
        cpu = statistics.median(r[name][3] for r in rounds)
        print(
            f"  {labels[name]:<40} {seconds:7.2f} s   cpu {cpu:7.2f} s   peak {peak / 1024:7,.0f} MiB   {lines:,} lines"
        )
    judged = rounds[-1]["default"][2]
    print(
        f"judged comments: {judged:,} ({judged / statistics.median(r['default'][0] for r in rounds):,.0f} per second)"
    )
    for name in ("jobs 1", "default"):
        for base in ("parse", "duckdb"):
            if base in commands:
                ratio = statistics.median(r[name][0] / r[base][0] for r in rounds)
                print(f"  ratio {labels[name]} / {base}: {ratio:.2f}")
    if args.floor:
        duckdb_seconds = statistics.median(r["duckdb"][0] for r in rounds) if "duckdb" in commands else None
        floor(export, cores, duckdb_seconds, statistics.median(r["parse"][0] for r in rounds))


if __name__ == "__main__":
    main()
