"""Remake the README's screenshots from the real app: docs/images/dashboard.png and docs/images/sidebar.png.

    python docs/images/make_screenshots.py [--chromium /usr/bin/chromium] [--out docs/images]

In a temporary folder it runs ``intently demo --until 2026-11-29``, adds an admin account
(``intently user add ... --password-stdin``), starts ``intently serve`` on a free port and drives headless
Chromium (Playwright, with the browser at ``--chromium``; Playwright downloads none) to log in and take:

- the top of the Overview page, 1280 by 1280 pixels;
- the standalone sidebar (``/sidebar?ticket_id=N&agent_id=M``) for a ticket where M drove by, chosen from
  ``intently classify --format jsonl`` as the latest drive-by whose author would drive by again with a public
  reply now (asked through ``POST /api/check-reply``, since the answer depends on the time of day).
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson

HERE = Path(__file__).resolve().parent
UNTIL = "2026-11-29"
ADMIN = "maria"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MAX_BYTES = 300 * 1024


def intently(*args: str, cwd: Path, stdin: str | None = None) -> str:
    """Run ``intently ARGS`` in ``cwd``; its stdout (exits with its stderr when it fails)."""
    done = subprocess.run(
        [sys.executable, "-m", "intently", *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        sys.exit(f"intently {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(db: Path, cwd: Path) -> Iterator[str]:
    """``intently serve`` on a free port, until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "intently", "serve", "--db", str(db), "--port", str(port)],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                sys.exit(f"intently serve stopped ({proc.returncode}):\n{proc.stderr.read() if proc.stderr else ''}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                sys.exit("intently serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def drive_by_to_show(url: str, token: str, judgements: list[dict[str, object]]) -> tuple[object, object]:
    """(ticket id, agent id): the latest drive-by whose author would still drive by with a public reply now."""
    drive_bys = [j for j in judgements if j["verdict"] == "drive_by" and j["rule"] == "unsolicited_reply"]
    drive_bys.sort(key=lambda j: str(j["created_at"]), reverse=True)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=20) as client:
        for judgement in drive_bys:
            body = {"ticket_id": judgement["ticket_id"], "agent_id": judgement["author_id"], "public": True}
            answer = client.post("/api/check-reply", json=body)
            if answer.status_code == 200 and answer.json()["verdict"] == "drive_by":
                return judgement["ticket_id"], judgement["author_id"]
    sys.exit("no drive-by in the demo whose author would drive by again now")


def screenshots(url: str, password: str, ticket_id: object, agent_id: object, chromium: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1280})
        page.goto(f"{url}/login")
        page.fill("input[name=username]", ADMIN)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_selector("text=Judgements per week by verdict")
        page.screenshot(path=str(out / "dashboard.png"))  # the top of the page: tiles, the charts by verdict and rule
        page.set_viewport_size({"width": 900, "height": 800})
        page.goto(f"{url}/sidebar?ticket_id={ticket_id}&agent_id={agent_id}")
        page.wait_for_selector("[data-answer=public]")
        page.screenshot(path=str(out / "sidebar.png"), full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium to drive")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for dashboard.png and sidebar.png")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="intently-shots-") as tmp:
        work = Path(tmp)
        for name in ("INTENTLY_DB", "INTENTLY_CONFIG"):
            os.environ.pop(name, None)
        intently("demo", "--until", UNTIL, cwd=work)
        db = work / "intently-demo" / "intently.db"
        intently("user", "add", ADMIN, "--role", "admin", "--password-stdin", "--db", str(db), cwd=work, stdin=password)
        token = intently("token", "create", "screenshots", "--db", str(db), cwd=work).strip()
        lines = intently("classify", "--format", "jsonl", "--db", str(db), cwd=work).splitlines()
        judgements = [orjson.loads(line) for line in lines if line.strip()]
        with serving(db, work) as url:
            ticket_id, agent_id = drive_by_to_show(url, token, judgements)
            screenshots(url, password, ticket_id, agent_id, args.chromium, args.out)
    for name in ("dashboard.png", "sidebar.png"):
        size = (args.out / name).stat().st_size
        print(f"{args.out / name}: {size / 1024:.0f} KiB" + (" (over 300 KiB)" if size > MAX_BYTES else ""))
    print(f"sidebar: ticket {ticket_id}, agent {agent_id}")


if __name__ == "__main__":
    main()
