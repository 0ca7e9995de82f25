"""Benchmark: classify a large synthetic Zendesk export from files.

    python bench/classify_export.py [--tickets 50000] [--audits-per-page 2000] [--out bench/out]

Generates (once, cached by parameters) a synthetic export whose audits are spread over many pages in
time order, not grouped by ticket; then, each in a fresh process:

1. the baseline: merely parse every file of the export with orjson;
2. the real thing: ``intently classify EXPORT --format jsonl`` (output discarded).

Prints judged comments per second, peak memory (max RSS of the classify process) and the ratio of
the classify time to the parse time. Not a test: figures drift between machines; the ratio is what
to compare (targets: ratio at most 5, peak memory under 1 GiB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
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


def run(command: list[str]) -> tuple[float, int, bytes]:
    """Wall time (s), peak RSS (KiB) and stdout of a child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks = []
    assert process.stdout is not None
    lines = 0
    for chunk in iter(lambda: process.stdout.read(1 << 20), b""):
        lines += chunk.count(b"\n")
        chunks.append(chunk[-2000:])
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read() if process.stderr else b""
    if status != 0:
        sys.exit(f"command failed ({status}): {' '.join(command)}\n{stderr.decode(errors='replace')}")
    return elapsed, usage.ru_maxrss, str(lines).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--audits-per-page", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest counts")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
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

    parse_runs, classify_runs = [], []
    for _ in range(args.repeat):  # interleaved, so both see the same machine
        parse_runs.append(run([sys.executable, "-c", PARSE_ONLY, str(export)]))
        classify_runs.append(run([sys.executable, "-m", "intently", "classify", str(export), "--format", "jsonl"]))
    parse_s, parse_rss, _ = min(parse_runs)
    classify_s, classify_rss, lines = min(classify_runs)
    judged = int(lines)
    mib = size / 2**20
    print(f"export:     {args.tickets:,} tickets, {len(files)} files ({audit_pages} audit pages), {mib:,.0f} MiB")
    print(f"parse with orjson: {parse_s:.2f} s (peak {parse_rss / 1024:,.0f} MiB), fastest of {args.repeat}")
    print(f"intently classify: {classify_s:.2f} s (peak {classify_rss / 1024:,.0f} MiB), fastest of {args.repeat}")
    print(f"judged comments:   {judged:,} ({judged / classify_s:,.0f} per second)")
    print(f"ratio classify / parse: {classify_s / parse_s:.2f}")


if __name__ == "__main__":
    main()
