"""Every command in the README and in docs/*.md runs as written, and every relative link leads somewhere.

Each line of a ```` ```sh ```` block (continuation lines joined) is run for real with bash, page by page in the
order written, in a folder of its own holding a copy of ``intently demo --tickets 300 --until 2026-11-29`` (made
once per test run), with ``$INTENTLY_DB`` pointing at that copy's store. Pages run side by side; each command is
a test of its own, failing with the command and its stderr. A command added to the docs later is picked up by
the same rules, and fails its test if it cannot be run. The rules:

- Placeholders the docs use (``acme``, ``12345``, ``...`` for a secret, a PostgreSQL host ...) are replaced
  by :data:`PLACEHOLDERS`, an explicit table; ``$TOKEN`` (an admin API token of the demo store) and
  ``$PASSWORD`` are in the environment. Zendesk is a local stand-in (``tests/fake_zendesk.py``) serving the
  demo's own export, so a sync brings the same tickets.
- ``export NAME=VALUE`` lines set the environment of the page's later commands.
- ``intently serve ...`` lines start in the background (on a free port), must answer ``GET /healthz``, and keep
  running for the page's ``curl`` lines until the next ``intently serve`` line or the end of the page.
- ``curl`` lines go to that server and fail on an HTTP error.
- A line that only CI runs (the README's set-up commands) must be a line of ``.ci/run``; anything else that
  cannot run in a test (clicking in Zendesk) belongs in prose, not in a ``sh`` block.
- A PostgreSQL URL gets a throwaway database on the local server (as ``tests/conftest.py``'s ``store_url``),
  dropped when the page is done.
- ```` ```yaml ```` blocks whose first line is ``# NAME.yaml``, and blocks that name a file after their language
  (```` ```jsonl example.jsonl ````), are written to every page's folder first (the policy and data files the
  commands name); ```` ```python ```` blocks run there too, in page order.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import POSTGRES_ADMIN_URL, postgres_admin_at

# One test process runs the documented commands while the others run the rest of the suite (--dist loadgroup):
# spread over all of them, each would stop to run its share of the pages, and wait for the slowest.
pytestmark = pytest.mark.xdist_group("docs")

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
CI_RUN = ROOT / ".ci" / "run"
MAX_README_LINES = 200

DEMO = ("demo", "--tickets", "300", "--until", "2026-11-29")
PASSWORD = "docs-test password 42"
WEBHOOK_SECRET = "docs-test-webhook-secret"
ZENDESK_EMAIL = "api-user@example.com"
ZENDESK_TOKEN = "docs-test-zendesk-token"

SHELL = "sh"
FENCE_LANGUAGES = {"sh", "python", "yaml", "json", "jsonl", "nginx", "caddyfile", "text"}
"""Fenced blocks must name one of these. Shell commands go in ``sh`` blocks only (so this test runs them)."""

PLACEHOLDERS: list[tuple[str, str]] = [
    # (a regular expression in a docs command, what the test runs instead; {NAME} is filled in when needed)
    (r"--subdomain acme\b", "--url {zendesk}"),  # the Zendesk stand-in
    (r"--url https://support\.acme\.com\b", "--url {zendesk}"),
    (r"\bintently-bot@acme\.com\b", ZENDESK_EMAIL),
    (r"\bZENDESK_API_TOKEN=\.\.\.", f"ZENDESK_API_TOKEN={ZENDESK_TOKEN}"),
    (r"\bZENDESK_OAUTH_TOKEN=\.\.\.", "ZENDESK_OAUTH_TOKEN=unused"),
    (r"\bZENDESK_WEBHOOK_SECRET=\.\.\.", f"ZENDESK_WEBHOOK_SECRET={WEBHOOK_SECRET}"),
    (r"https://intently\.example\.com/(?=api/|healthz)", "{server}/"),  # curl: the page's running `intently serve`
    (r"\b12345\b", "{ticket_id}"),  # a ticket of the demo store with a drive-by ...
    (r"\b40213\b", "{agent_id}"),  # ... and the agent who drove by
    (r"\bpath/to/zendesk-export/", "intently-demo/export/"),
    (r"\bpostgresql://intently:secret@db\.internal/intently\b", "{postgres_with_password}"),  # a throwaway database
    (r"\bpostgresql://intently@db\.internal/intently\b", "{postgres}"),
    (r"^sqlite3 intently\.db\b", "sqlite3 intently-demo/intently.db"),
    (r"^intently demo(?=\s*(#|$))", "intently demo --tickets 50 --until 2026-11-29"),  # a small one: it is timed
    (r"^python bench/classify_export\.py", "python {root}/bench/classify_export.py --tickets 200 --repeat 1 --out out"),
    (r"^python bench/webhook\.py", "python {root}/bench/webhook.py --deliveries 10 --concurrency 2 --tickets 5"),
]


# --- reading the docs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    """The line number of the block's first content line."""
    language: str
    lines: tuple[str, ...]
    name: str = ""
    """The file the block is, where the fence names one after the language (```` ```jsonl example.jsonl ````)."""


@dataclass(frozen=True)
class Command:
    page: str
    line: int
    text: str
    language: str = SHELL

    def __str__(self) -> str:
        shown = self.text if self.language == SHELL else f"{self.language} block"
        return f"{self.page}:{self.line} {shown}"


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def blocks(text: str, page: str = "page") -> Iterator[Block]:
    """The fenced code blocks of a Markdown text (also those indented inside list items), without the indent."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = re.match(r"^(\s*)```(\S*)(?:\s+([\w./-]+))?\s*$", lines[index])
        if not opening:
            index += 1
            continue
        indent, language, name = len(opening.group(1)), opening.group(2), opening.group(3) or ""
        start = index + 1
        index = start
        while index < len(lines) and not re.match(r"^\s*```\s*$", lines[index]):
            index += 1
        body = tuple(line[indent:] if not line[:indent].strip() else line.lstrip() for line in lines[start:index])
        yield Block(page, start + 1, language, body, name)
        index += 1


def shell_commands(block: Block) -> Iterator[Command]:
    """The commands of a ``sh`` block: one per line (a line ending in a backslash goes on), comments skipped."""
    pending, first = "", 0
    for offset, raw in enumerate(block.lines):
        line = raw.rstrip()
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if not pending:
            first = block.line + offset
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        yield Command(block.page, first, (pending + line.strip()).strip())
        pending = ""
    if pending:
        yield Command(block.page, first, pending.strip())


def page_blocks(path: Path) -> list[Block]:
    return list(blocks(path.read_text(encoding="utf-8"), _relative(path)))


def page_commands(path: Path) -> list[Command]:
    """What runs for a page, in order: every line of its ``sh`` blocks and every ``python`` block."""
    found: list[Command] = []
    for block in page_blocks(path):
        if block.language == SHELL:
            found.extend(shell_commands(block))
        elif block.language == "python":
            found.append(Command(block.page, block.line, "\n".join(block.lines), "python"))
    return found


def named_files() -> dict[str, str]:
    """``yaml`` blocks whose first line is ``# NAME.yaml`` and blocks whose fence names a file: the files the docs'
    commands read."""
    files: dict[str, str] = {}
    for path in PAGES:
        for block in page_blocks(path):
            first = block.lines[0].strip() if block.lines else ""
            named = re.fullmatch(r"#\s*([\w./-]+\.ya?ml)", first)
            if (block.language == "yaml" and named) or block.name:
                name = block.name or (named.group(1) if named else "")
                assert not name.startswith(("/", "..")), f"{block.page}:{block.line}: {name} must be a relative path"
                assert files.get(name, "\n".join(block.lines)) == "\n".join(block.lines), f"two different {name}"
                files[name] = "\n".join(block.lines) + "\n"
    return files


def ci_lines() -> set[str]:
    return {line.strip() for line in CI_RUN.read_text(encoding="utf-8").splitlines() if line.strip()}


COMMANDS = [command for path in PAGES for command in page_commands(path)]


# --- running a page ---------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    status: str
    """ok, ci (CI runs it: a line of .ci/run), failed or skipped."""
    message: str = ""


@dataclass
class Shared:
    """What every page starts from: the demo folder, the Zendesk stand-in, ids and a token of the demo store."""

    demo: Path
    zendesk: str
    ticket_id: str
    agent_id: str
    token: str
    files: dict[str, str]
    ci: set[str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


@dataclass
class PageRun:
    """One page's commands, in order, in a folder of its own."""

    path: Path
    shared: Shared
    work: Path
    env: dict[str, str] = field(default_factory=dict)
    server: tuple[subprocess.Popen[bytes], str] | None = None
    databases: dict[str, str] = field(default_factory=dict)
    admin: Any = None
    servers_started: int = 0

    def setup(self) -> None:
        shutil.copytree(self.shared.demo / "intently-demo", self.work / "intently-demo")
        for name, text in self.shared.files.items():
            (self.work / name).parent.mkdir(parents=True, exist_ok=True)
            (self.work / name).write_text(text, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INTENTLY_", "ZENDESK_"))}
        env.update(
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            INTENTLY_DB=str(self.work / "intently-demo" / "intently.db"),
            TOKEN=self.shared.token,
            PASSWORD=PASSWORD,
            COLUMNS="120",
        )
        self.env = env

    def run(self) -> dict[Command, Outcome]:
        commands = page_commands(self.path)
        outcomes: dict[Command, Outcome] = {}
        skipped = ""
        try:
            self.setup()
            for command in commands:
                if skipped:  # what follows may build on the command that could not run here
                    outcomes[command] = Outcome("skipped", f"an earlier command on this page was skipped: {skipped}")
                    continue
                try:
                    outcomes[command] = self.one(command)
                except pytest.skip.Exception as exc:
                    skipped = str(exc)
                    outcomes[command] = Outcome("skipped", skipped)
                except Exception as exc:  # the test says what went wrong, with the command
                    outcomes[command] = Outcome("failed", f"{command}: {type(exc).__name__}: {exc}")
        except Exception as exc:
            for command in commands:
                outcomes.setdefault(command, Outcome("failed", f"{self.path.name}: {type(exc).__name__}: {exc}"))
        finally:
            self.stop_server()
            self.drop_databases()
        return outcomes

    # --- one command

    def one(self, command: Command) -> Outcome:
        if command.language == "python":
            done = subprocess.run(
                [sys.executable, "-c", command.text],
                cwd=self.work,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=180,
            )
            return self.outcome(command, "python block", done)
        if command.text in self.shared.ci:
            return Outcome("ci")
        text = self.substitute(command.text)
        if re.match(r"^export\s", text):
            return self.export(command, text)
        if re.search(r"(^|[;&|]\s*)intently serve\b", text):
            return self.serve(command, text)
        if text.startswith("curl "):
            if self.server is None:
                return Outcome("failed", f"{command}: a curl line needs an `intently serve` line before it on its page")
            text = "curl --silent --show-error --fail-with-body " + text.removeprefix("curl ")
        done = self.bash(text)
        return self.outcome(command, text, done)

    def outcome(self, command: Command, ran: str, done: subprocess.CompletedProcess[str]) -> Outcome:
        if done.returncode == 0:
            return Outcome("ok")
        return Outcome(
            "failed",
            f"{command.page}:{command.line}: `{command.text}`\nran as: {ran}\nexit {done.returncode}; stderr:\n"
            f"{_tail(done.stderr)}\nstdout:\n{_tail(done.stdout, 15)}",
        )

    def bash(self, text: str) -> subprocess.CompletedProcess[str]:
        # A new session: no controlling terminal, so a password prompt reads the two lines given on stdin.
        return subprocess.run(
            ["bash", "-o", "pipefail", "-c", text],
            cwd=self.work,
            env=self.env,
            input=f"{PASSWORD}\n{PASSWORD}\n",
            capture_output=True,
            text=True,
            timeout=180,
            start_new_session=True,
        )

    def export(self, command: Command, text: str) -> Outcome:
        done = self.bash(f"{text}\nenv -0")
        if done.returncode != 0:
            return self.outcome(command, text, done)
        for item in done.stdout.split("\0"):
            name, sep, value = item.partition("=")
            if sep and name not in ("_", "SHLVL", "PWD", "OLDPWD"):
                self.env[name] = value
        return Outcome("ok")

    def serve(self, command: Command, text: str) -> Outcome:
        self.stop_server()
        if "--port" not in text:
            text = re.sub(r"\bintently serve\b", "intently serve --port 8000", text, count=1)
        for _ in range(3):  # the free port may be taken before the server binds it: try another
            text = re.sub(r"--port[ =]\d+", f"--port {free_port()}", text)
            outcome, log = self.start_server(command, text)
            if outcome.status == "ok" or "address already in use" not in log.lower():
                return outcome
        return outcome

    def start_server(self, command: Command, text: str) -> tuple[Outcome, str]:
        """Start ``text`` in the background; ok once it answers ``/healthz`` (the outcome, and its log so far)."""
        port = re.search(r"--port[ =](\d+)", text)
        assert port, text
        url = f"http://127.0.0.1:{port.group(1)}"
        self.servers_started += 1
        log = self.work / f"serve-{self.servers_started}.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                ["bash", "-c", text],
                cwd=self.work,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.server = (proc, url)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.server = None
                output = log.read_text(errors="replace")
                message = (
                    f"{command.page}:{command.line}: `{command.text}`\nran as: {text}\nstopped with exit "
                    f"{proc.returncode} before answering /healthz:\n{_tail(output)}"
                )
                return Outcome("failed", message), output
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200 and proc.poll() is None:
                    return Outcome("ok"), ""
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop_server()
        output = log.read_text(errors="replace")
        return Outcome("failed", f"{command}: no answer from {url}/healthz within 90 s\n{_tail(output)}"), output

    def stop_server(self) -> None:
        if self.server is None:
            return
        proc, _ = self.server
        self.server = None
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    # --- placeholders

    def substitute(self, text: str) -> str:
        for pattern, template in PLACEHOLDERS:
            if re.search(pattern, text):
                values = {name: self.value(name) for name in re.findall(r"{(\w+)}", template)}
                replacement = template.format(**values)
                text = re.sub(pattern, lambda _, r=replacement: r, text)
        return text

    def value(self, name: str) -> str:
        values: dict[str, Callable[[], str]] = {
            "zendesk": lambda: self.shared.zendesk,
            "server": lambda: self.server[1] if self.server else "http://127.0.0.1:9",
            "ticket_id": lambda: self.shared.ticket_id,
            "agent_id": lambda: self.shared.agent_id,
            "postgres": lambda: self.database(password=False),
            "postgres_with_password": lambda: self.database(password=True),
            "root": lambda: str(ROOT),
        }
        return values[name]()

    def database(self, *, password: bool) -> str:
        """A throwaway database on the local PostgreSQL server, one per page (made on first use)."""
        from sqlalchemy.engine import make_url

        url = make_url(POSTGRES_ADMIN_URL)
        name = f"intently_docs_{os.getpid()}_{re.sub(r'[^a-z0-9]', '_', self.path.stem.lower())}"
        if name not in self.databases:
            if self.admin is None:
                self.admin = postgres_admin_at(url)
            self.admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.admin.run(f'CREATE DATABASE "{name}"')
            self.databases[name] = name
        user = url.username or "postgres"
        secret = ":not-needed-on-a-trust-server" if password else ""
        return f"postgresql://{user}{secret}@{url.host or '127.0.0.1'}:{url.port or 5432}/{name}"

    def drop_databases(self) -> None:
        for name in self.databases:
            self.admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if self.admin is not None:
            self.admin.close()


# --- running every page once ------------------------------------------------------------------------------------


@contextmanager
def prepared(base: Path) -> Iterator[Shared]:
    """``intently demo`` once; a Zendesk stand-in serving its export; a drive-by's ids; an admin API token."""
    from intently.store import Store
    from tests.fake_zendesk import FakeZendesk, ZendeskDataset

    demo = base / "demo"
    demo.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTENTLY_", "ZENDESK_"))}
    done = subprocess.run(
        [sys.executable, "-m", "intently", *DEMO], cwd=demo, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    with Store.open(demo / "intently-demo" / "intently.db", create=False) as store:
        drive_by = max(
            (j for j in store.judgements() if j.verdict == "drive_by" and j.rule == "unsolicited_reply"),
            key=lambda j: j.created_at,
        )
        token = store.create_token("docs-test", "admin")
    data = ZendeskDataset.from_export(demo / "intently-demo" / "export")
    zendesk = FakeZendesk(
        data, email=ZENDESK_EMAIL, api_token=ZENDESK_TOKEN, page_size=100, audit_page_size=100, list_page_size=100
    ).start()
    try:
        yield Shared(
            demo=demo,
            zendesk=zendesk.url,
            ticket_id=str(drive_by.ticket_id),
            agent_id=str(drive_by.author_id),
            token=token,
            files=named_files(),
            ci=ci_lines(),
        )
    finally:
        zendesk.stop()


def _weight(path: Path) -> int:
    """About how long a page takes: slow commands (benchmarks, servers, syncs, the demo) count more."""
    slow = re.compile(r"bench/|intently (serve|sync|demo)\b")
    return sum(1 + 5 * bool(slow.search(command.text)) for command in page_commands(path))


PAGE_THREADS = 2
"""Pages one test process runs side by side (each page's commands wait on servers and subprocesses)."""
PAGE_WAIT = 900.0
"""Seconds to wait for a page another test process took before counting its commands as failed."""


def run_pages(pages: list[Path], base: Path, board: Path) -> dict[str, Outcome]:
    """Every command of ``pages``: each page's commands in order, the pages shared among the test processes that get
    here (pytest-xdist workers). ``board`` is a folder they all see: a process takes a page nobody has taken (the
    slowest first), runs it and leaves its outcomes there; then it waits for the pages the others took. So no
    process waits while a page is still untaken, and a process that never gets here runs none."""
    ordered = sorted(pages, key=_weight, reverse=True)
    with ExitStack() as stack:
        lock = threading.Lock()
        state: dict[str, Shared] = {}

        def shared() -> Shared:  # the demo and the Zendesk stand-in: only once this process takes a page
            with lock:
                if "shared" not in state:
                    state["shared"] = stack.enter_context(prepared(base))
                return state["shared"]

        def take() -> Path | None:
            with lock:
                for path in ordered:
                    try:
                        os.close(os.open(board / f"{path.stem}.taken", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                    except FileExistsError:
                        continue
                    return path
            return None

        def work() -> None:
            while (path := take()) is not None:
                try:
                    run = PageRun(path, shared(), base / path.stem.lower())
                    found = {str(command): outcome for command, outcome in run.run().items()}
                except Exception as exc:  # the page's commands say what went wrong
                    found = {
                        str(command): Outcome("failed", f"{path.name}: {type(exc).__name__}: {exc}")
                        for command in page_commands(path)
                    }
                done = board / f"{path.stem}.json"
                done.with_suffix(".part").write_text(
                    json.dumps({key: [o.status, o.message] for key, o in found.items()}), encoding="utf-8"
                )
                done.with_suffix(".part").replace(done)

        with ThreadPoolExecutor(max_workers=PAGE_THREADS) as pool:
            for job in [pool.submit(work) for _ in range(PAGE_THREADS)]:
                job.result()
    results: dict[str, Outcome] = {}
    deadline = time.monotonic() + PAGE_WAIT
    for path in ordered:
        done = board / f"{path.stem}.json"
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        if not done.exists():
            message = f"{path.name}: its commands did not finish within {PAGE_WAIT:.0f} s in another test process"
            results.update({str(command): Outcome("failed", message) for command in page_commands(path)})
            continue
        saved = json.loads(done.read_text(encoding="utf-8"))
        results.update({key: Outcome(*value) for key, value in saved.items()})
    return results


@pytest.fixture(scope="session")
def outcomes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """The outcome of every selected command, computed once per test run and shared among its test processes (see
    :func:`run_pages`)."""
    wanted = {
        item.callspec.params["command"].page
        for item in request.session.items
        if hasattr(item, "callspec") and isinstance(item.callspec.params.get("command"), Command)
    }
    pages = [path for path in PAGES if _relative(path) in wanted]
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    base = tmp_path_factory.mktemp("docs")
    # without pytest-xdist this process is alone; with it, the workers share a folder beside their own
    board = base / "board" if run_id is None else tmp_path_factory.getbasetemp().parent / f"docs-board-{run_id}"
    board.mkdir(exist_ok=True)
    return run_pages(pages, base, board)


# --- the tests --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_a_documented_command_runs(command: Command, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes.get(str(command))
    assert outcome is not None, f"{command} was not run"
    if outcome.status == "skipped":
        pytest.skip(outcome.message)
    assert outcome.status in ("ok", "ci"), outcome.message


def test_the_readme_set_up_commands_are_what_ci_runs() -> None:
    """The README opens with the two set-up commands; CI runs them exactly as written (so this test need not)."""
    first_two = [command.text for command in page_commands(README)[:2]]
    assert first_two == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && intently demo",
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && pytest",
    ]
    missing = [text for text in first_two if text not in ci_lines()]
    assert not missing, f".ci/run must run these README commands as written: {missing}"


def test_the_readme_is_at_most_200_lines() -> None:
    count = len(README.read_text(encoding="utf-8").splitlines())
    assert count <= MAX_README_LINES, f"README.md has {count} lines; move detail to docs/ (at most {MAX_README_LINES})"


def test_code_blocks_name_a_known_language() -> None:
    """Shell commands must sit in ```sh blocks, where this module finds and runs them (not bash, console ...)."""
    wrong = [
        f"{block.page}:{block.line - 1}: ```{block.language or '(no language)'}"
        for path in PAGES
        for block in page_blocks(path)
        if block.language not in FENCE_LANGUAGES
    ]
    assert not wrong, f"use one of {sorted(FENCE_LANGUAGES)} (shell commands: sh):\n" + "\n".join(wrong)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"^\s*```.*?^\s*```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {_slug(match) for match in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.M)}


def test_every_relative_link_points_to_a_file() -> None:
    broken = []
    for path in PAGES:
        text = re.sub(r"^\s*```.*?^\s*```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # http:, https:, mailto:
            file_part, _, anchor = target.partition("#")
            where = (path.parent / file_part).resolve() if file_part else path
            if not where.exists():
                broken.append(f"{_relative(path)}: ({target}): no such file")
            elif anchor and where.suffix == ".md" and anchor not in _anchors(where):
                broken.append(f"{_relative(path)}: ({target}): no heading #{anchor} in {where.name}")
    assert not broken, "\n".join(broken)


def test_the_reader_finds_commands_as_written() -> None:
    """The extraction itself: indented blocks, continuation lines, comments, python blocks."""
    text = "\n".join(
        [
            "1. Run:",
            "",
            "   ```sh",
            "   # a comment line",
            "   intently report   # a trailing comment stays (bash ignores it)",
            "   curl -H 'A: b' \\",
            "        https://intently.example.com/healthz",
            "   ```",
            "```python",
            "print(1)",
            "```",
            "```jsonl data/example.jsonl",
            '{"kind": "user", "id": 1, "name": "Casey"}',
            "```",
        ]
    )
    found = list(blocks(text, "x.md"))
    assert [(b.language, b.line, b.name) for b in found] == [
        ("sh", 4, ""),
        ("python", 10, ""),
        ("jsonl", 13, "data/example.jsonl"),
    ]
    commands = list(shell_commands(found[0]))
    assert [(c.line, c.text) for c in commands] == [
        (5, "intently report   # a trailing comment stays (bash ignores it)"),
        (6, "curl -H 'A: b' https://intently.example.com/healthz"),
    ]
    serving = {page.page for page in COMMANDS if "intently serve" in page.text}
    assert {"README.md", "docs/server.md", "docs/zendesk.md"} <= serving, serving
