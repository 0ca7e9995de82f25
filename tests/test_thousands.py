"""One vocabulary in every terminal command (issue 13): every count of 1,000 or more is written with thousands
separators, and no output says ``None``.

The commands run in-process on one store built once for the module: a neutral file of 2,280 tickets over two
weeks, worked by three engineers so that nearly every figure the commands print is a count above 1,000 (per week,
per engineer, per pod, per region, per rule, per verdict, per outcome class and pilot cell). Each output is checked
the same way: what is not a count is taken out (dates, times, years, ticket ids, the policy's fingerprint), and no
number of four digits or more may be left without a separator. Each test also says which separated counts it
expects, so that a check can never pass on output that holds no large count."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from rich.progress import Task

from intently.cli.common import CountColumn
from intently.engine import Tally
from intently.policy import fingerprint, load_policy
from intently.report.formatting import short_id, short_id_html
from intently.store import Store
from intently.zendesk.sync import SyncStats
from tests.cli_runner import intently
from tests.dashboard_client import dashboard, ensure_account, form_csrf, login, tables
from tests.test_team_scenarios import OUTSIDE_SCENARIO

pytestmark = pytest.mark.xdist_group("thousands")  # the module's store is built once, by one test process

WEEK_BEFORE = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)  # a Monday
WEEK = WEEK_BEFORE + timedelta(days=7)
PER_WEEK = 1_100
"""Tickets with a drive-by, a pod member's note and its acknowledgement, each week."""
SOLO = 40
"""Tickets only the assignee worked, each week."""
ASSIGNEE, DRIVER, NOTER, LEAD = 10, 11, 12, 13
EVENT_IDS = 41_000_000_000_000
"""Event ids as long as Zendesk's (14 digits): a comment's id is a label on the ticket page, shown short."""
POLICY = (
    "organisation:\n  pods:\n    data:\n      members: [nia@example.com, dan@example.com]\n      tags: [pipelines]\n"
)
PROPOSAL = "version: 1.1.0\nrules:\n  solicited:\n    tags: [pipelines]\n"
"""A tag every ticket carries asks for help: every drive-by and every note becomes 'asked to help'."""

NOT_COUNTS = (
    r"\d{4}-\d{2}-\d{2}",  # a day: 2026-09-14
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4}\b",  # a month's year: Sep 2026, March 2026
    r"#\d+",  # a ticket: #1234
    r"\b[Tt]icket \d+",  # Ticket 1234
    r"\bexplain \d+",  # intently explain 1234
    r"\bfingerprint \w+",  # a policy's fingerprint can be all digits
    r"https?://\S+",  # an address: its port, an id in its path
    r"…\d+",  # a long id shown by its last digits
)
UNSEPARATED = re.compile(r"(?<![\w.,])\d{4,}(?!\w)")
SEPARATED = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\d,])")


def unseparated(text: str, *not_counts: str) -> list[str]:
    """The numbers of four digits or more without a thousands separator in ``text``, once what is not a count
    (:data:`NOT_COUNTS`, and ``not_counts``) is taken out."""
    for pattern in (*NOT_COUNTS, *not_counts):
        text = re.sub(pattern, " ", text)
    return UNSEPARATED.findall(text)


def check(text: str, *expected: str, not_counts: tuple[str, ...] = ()) -> None:
    """``text`` writes every count with separators, holds each of ``expected`` (large counts it must show, in any
    spacing) and never says ``None``."""
    assert not unseparated(text, *not_counts), f"counts without separators: {unseparated(text, *not_counts)}\n{text}"
    assert not re.search(r"\bNone\b", text), text
    flowing = " ".join(text.split())  # lines wrapped at the console's width joined again
    missing = [e for e in expected if " ".join(e.split()) not in flowing]
    assert not missing, f"expected {missing} in\n{text}"
    assert SEPARATED.search(text), text


def test_the_check_itself() -> None:
    """The check finds a bare count among ids, dates and times, and only it."""
    line = "2026-09-14 08:56  #3169  Ticket 3169: 1100 of 1,100 (12.5%), 7 Sep 2026, 4.0 h, sha256 3bf24e4988"
    assert unseparated(line) == ["1100"]
    assert unseparated("up 1234.5% from 2,200") == ["1234"]
    assert unseparated("-2200 and +2,200") == ["2200"]
    with pytest.raises(AssertionError, match="None"):
        check("assignee None, 1,100 comments")


# --- the store -----------------------------------------------------------------------------------------------


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _ticket(ticket_id: int, start: datetime, n: int, *, solo: bool, escalated: bool) -> dict[str, Any]:
    """One ticket: the customer asks, the lead assigns it to Ana, Ana replies; unless ``solo``, Dan drives by, Nia
    (the data pod) leaves an internal note that Ana acknowledges by adding her as a follower; Ana solves it and
    the customer rates it."""
    t0 = start + timedelta(minutes=(n * 7) % (5 * 24 * 60))
    customer = 100 + n % 20

    def at(minutes: int) -> str:
        return _iso(t0 + timedelta(minutes=minutes))

    events: list[dict[str, Any]] = [
        {"id": 1, "at": at(0), "actor": customer, "type": "comment", "public": True, "body": "The pipeline fails."},
        {"id": 2, "at": at(0), "actor": customer, "update": 1, "type": "status", "status": "new"},
        {"id": 3, "at": at(0), "actor": customer, "update": 1, "type": "field", "field": "preferred_region",
         "value": "amer"},
        {"id": 4, "at": at(0), "actor": customer, "update": 1, "type": "tags", "added": ["pipelines"]},
        {"id": 5, "at": at(5), "actor": LEAD, "type": "assignee", "assignee": ASSIGNEE},
        {"id": 6, "at": at(30), "actor": ASSIGNEE, "type": "comment", "public": True, "body": "On it."},
        {"id": 7, "at": at(30), "actor": ASSIGNEE, "update": 6, "type": "status", "status": "open"},
    ]  # fmt: skip
    if not solo:
        events += [
            {"id": 8, "at": at(60), "actor": DRIVER, "type": "comment", "public": True, "body": "Restart it."},
            {"id": 9, "at": at(120), "actor": NOTER, "type": "comment", "public": False, "body": "A timeout."},
            {"id": 10, "at": at(180), "actor": ASSIGNEE, "type": "followers", "added": [NOTER]},
        ]
    events += [
        {"id": 11, "at": at(240), "actor": ASSIGNEE, "type": "comment", "public": True, "body": "Fixed."},
        {"id": 12, "at": at(240), "actor": ASSIGNEE, "update": 11, "type": "status", "status": "solved"},
        {"id": 13, "at": at(540), "actor": customer, "type": "satisfaction", "score": "good" if n % 3 else "bad"},
    ]
    for event in events:
        event["id"] = EVENT_IDS + ticket_id * 100 + event["id"]
        if "update" in event:
            event["update"] = EVENT_IDS + ticket_id * 100 + event["update"]
    return {
        "kind": "ticket",
        "id": ticket_id,
        "created_at": _iso(t0),
        "requester_id": customer,
        "subject": "The nightly pipeline fails",
        "status": "solved",
        "priority": "high" if escalated else "normal",
        "tags": ["pipelines"],
        "assignee_id": ASSIGNEE,
        "group_id": 2 if escalated else 1,
        "fields": {"preferred_region": "amer"},
        "events": events,
    }


def write_wide(path: Path) -> None:
    """The module's data as a neutral file. The week before: drive-by tickets and solo tickets in Support; this
    week: the drive-by tickets in Escalations (priority high), so that a pilot of that group has no ticket before
    and the outcomes' adjustment for priority and group leaves Escalations out."""
    lines: list[dict[str, Any]] = [
        {"kind": "user", "id": ASSIGNEE, "name": "Ana Assignee", "role": "agent", "email": "ana@example.com",
         "fields": {"support_region": "amer"}},
        {"kind": "user", "id": DRIVER, "name": "Dan Driveby", "role": "agent", "email": "dan@example.com",
         "fields": {"support_region": "emea"}},
        {"kind": "user", "id": NOTER, "name": "Nia Notes", "role": "agent", "email": "nia@example.com",
         "fields": {"support_region": "apac"}},
        {"kind": "user", "id": LEAD, "name": "Lee Lead", "role": "admin", "fields": {"support_region": "amer"}},
        *({"kind": "user", "id": 100 + n, "name": f"Customer {n}", "role": "end-user"} for n in range(20)),
        {"kind": "group", "id": 1, "name": "Support", "members": [ASSIGNEE, DRIVER, NOTER]},
        {"kind": "group", "id": 2, "name": "Escalations", "members": [ASSIGNEE, DRIVER, NOTER]},
    ]  # fmt: skip
    ticket_id = 1000
    for week, start in enumerate((WEEK_BEFORE, WEEK)):
        for n in range(PER_WEEK + SOLO):
            ticket_id += 1
            solo = n >= PER_WEEK
            lines.append(_ticket(ticket_id, start, n, solo=solo, escalated=week == 1 and not solo))
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))


@dataclass(frozen=True)
class Wide:
    folder: Path
    imported: str
    """What ``intently import`` printed."""

    def run(self, *args: str) -> str:
        """``intently ARGS --db store.db`` in the store's folder (its ``intently.yaml`` is the store's policy):
        stdout, after checking that it succeeded and that stderr says no ``None``."""
        done = intently(*args, "--db", "store.db", cwd=self.folder)
        assert done.returncode == 0, done.stdout + done.stderr
        assert not re.search(r"\bNone\b", done.stderr), done.stderr
        return done.stdout


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Wide:
    folder = tmp_path_factory.mktemp("thousands")
    write_wide(folder / "wide.jsonl")
    (folder / "intently.yaml").write_text(POLICY, encoding="utf-8")
    (folder / "proposal.yaml").write_text(PROPOSAL, encoding="utf-8")
    done = intently("import", "wide.jsonl", "--db", "store.db", cwd=folder)
    assert done.returncode == 0, done.stderr
    return Wide(folder, done.stdout)


# --- the commands --------------------------------------------------------------------------------------------


def test_import_tally(wide: Wide) -> None:
    check(
        wide.imported,
        "Imported 2,280 tickets",
        "8,960 agent comments judged on 2,280 tickets worked, of 2,280 imported",
        "4,560",
        "2,200",
    )


def test_report(wide: Wide) -> None:
    text = wide.run("report", "--html", "report.html")
    check(
        text,
        "8,960 on 2,280 tickets worked (6,760 public replies, 2,200 internal notes)",
        "100.0% (2,200 of 2,200)",  # the drive-by share and the pods' acknowledged notes
        "100.0% (1,100 of 1,100)",  # the drive-by share of each week
        "2,200 of 2,280",  # tickets with more than one public voice
        "2,200 of 2,200",  # a pod member's notes acknowledged, in the engineers' table
        "4,560 (100%)",  # replies on the engineer's own tickets
        "(2,200 tickets had a drive-by in all)",
    )
    page = (wide.folder / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"\bNone\b", page)
    assert "2,200 of 2,200" in page and "8,960" in page


def test_classify_table_and_tally(wide: Wide) -> None:
    text = wide.run("classify")
    body = r"(?m)^│.*$"  # the table's rows: a ticket id, a time and names each, no count
    check(
        text,
        "Judgements (latest 50 of 8,960)",
        "8,960 agent comments judged on 2,280 tickets worked",
        not_counts=(body,),
    )
    assert re.search(r"(?m)^│ 3280 ", text), "the table's rows name their ticket by its id, whole"


def test_outcomes(wide: Wide) -> None:
    check(
        wide.run("outcomes"),
        "(2,280 worked tickets)",
        "│   2,200 │ 2,200 │",  # tickets and rated of the drive-by class
        "The adjustment uses 1,180 of the 2,280 tickets",
    )


def test_outcomes_too_few(wide: Wide) -> None:
    """A class too small to compare is counted in the sentence that says so."""
    check(
        wide.run("outcomes", "--group", "Escalations"),
        "Too few tickets to tell: 1,100 with a drive-by and 0 others",
    )


def test_evaluate(wide: Wide) -> None:
    check(
        wide.run("evaluate", "--pilot", "group=Escalations", "--start", WEEK.date().isoformat()),
        "Tickets: pilot 0 before, 1,100 after; others 1,140 before, 40 after",
        "0 in the pilot before, 1,100 in the pilot after, 1,140 among the others before",
    )


def test_policy_compare(wide: Wide) -> None:
    text = wide.run("policy", "compare", "proposal.yaml")
    examples = r"(?m)│[^│\n]*│\s*$"  # the last column: example tickets, by id
    check(
        text,
        "4,400 of 8,960 judgements change (49.1%), on 2,200 of 2,280 tickets",
        "│ 2,200 │",  # comments moving from one rule to another
        "+2,200",  # the change in a verdict
        not_counts=(examples,),
    )


def test_policy_adopt(wide: Wide, tmp_path: Path) -> None:
    """On a copy: adopting judges the store again."""
    for name in ("store.db", "proposal.yaml"):
        shutil.copyfile(wide.folder / name, tmp_path / name)
    done = intently("policy", "adopt", "proposal.yaml", "--db", "store.db", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    check(done.stdout, "8,960 comments judged again across 2,280 tickets", "2,200", "4,560", "-2,200")


def test_digest(wide: Wide) -> None:
    week = wide.run("digest", "--dry-run", "--until", (WEEK + timedelta(days=6)).date().isoformat())
    check(
        week,
        "Drive-bys: 1,100, no change from the week before (1,100)",
        "Judged agent comments: 4,480",
        "(5 of 1,100 tickets with a drive-by)",
    )
    month = wide.run("digest", "--dry-run", "--period", "month", "--until", "2026-09-30")
    check(month, "Drive-bys: 2,200, up 2,200 from 0 the month before", "Tickets worked: 2,280")


def test_policy_commands_and_explain_say_no_none(wide: Wide) -> None:
    """The commands that print no large count print no ``None`` either (a scenario's null is ``null``)."""
    for args in (("policy", "show"), ("policy", "test"), ("explain", "1001")):
        text = wide.run(*args)
        assert not re.search(r"\bNone\b", text), text
        assert not unseparated(text), text


def test_a_failing_scenario_says_null_and_true(tmp_path: Path) -> None:
    """``policy test`` names what a scenario expected and got in the words of its YAML file: ``null``, ``true``."""
    (tmp_path / "intently.yaml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "intently.scenarios").mkdir()
    wrong = {**OUTSIDE_SCENARIO, "expect": [{"step": 4, "acknowledged": True, "verdict": "intentional"}]}
    path = tmp_path / "intently.scenarios" / "outside.yaml"
    path.write_text(yaml.safe_dump(wrong, sort_keys=False), encoding="utf-8")
    done = intently("policy", "test", "--config", "intently.yaml", cwd=tmp_path)
    assert done.returncode == 1
    failures = sorted(line for line in done.stdout.splitlines() if line.startswith("FAIL "))
    assert failures == [
        f"FAIL {path.relative_to(tmp_path)}: scenario outside-the-pod, step 4: acknowledged expected true, got null",
        f"FAIL {path.relative_to(tmp_path)}: scenario outside-the-pod, step 4: verdict expected 'intentional', "
        "got 'drive_by'",
    ]
    assert not re.search(r"\bNone\b|\bTrue\b", done.stdout), done.stdout


def test_the_count_of_comments_not_judged_has_separators() -> None:
    tally = Tally()
    tally.skipped_authors.update({9001: 1234, 9002: 5})
    assert tally.warnings() == [
        "1,234 comment(s) by user 9001 not judged: the user is not in the data",
        "5 comment(s) by user 9002 not judged: the user is not in the data",
    ]


def test_warnings_beyond_the_tenth(tmp_path: Path) -> None:
    """More than 1,000 warnings: the line for the rest counts them with separators."""
    path = tmp_path / "unknown.jsonl"
    events = [{"id": 1, "at": "2026-09-01T08:00:00Z", "actor": 1, "type": "comment", "public": True, "body": "Hi"}]
    events += [
        {"id": 2 + n, "at": "2026-09-01T09:00:00Z", "actor": 5000 + n, "type": "comment", "public": False, "body": "."}
        for n in range(1_015)
    ]
    lines = [
        {"kind": "user", "id": 1, "name": "Customer", "role": "end-user"},
        {"kind": "ticket", "id": 1, "created_at": "2026-09-01T08:00:00Z", "requester_id": 1, "events": events},
    ]
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    done = intently("classify", str(path), "--format", "jsonl", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    assert "… and 1,005 more" in done.stderr, done.stderr
    assert not re.search(r"\bNone\b", done.stderr)


def test_sync_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``intently sync zendesk``'s summary, with the sync itself replaced by one that reports large counts."""
    tally = Tally(tickets=1_234, judged=5_678, worked=1_230, verdicts=Counter(assignee=4_000, drive_by=1_678))
    stats = SyncStats(
        base_url="https://acme.zendesk.com",
        start_time=0,
        pages=1_500,
        tickets=1_234,
        deleted=1_300,
        skipped=1_200,
        audits=56_789,
        users=2_000,
        rejudged=45_678,
        requests=3_456,
        tally=tally,
    )

    def synced(*args: Any, **kwargs: Any) -> SyncStats:
        return stats

    monkeypatch.setattr("intently.zendesk.sync.sync_zendesk", synced)
    monkeypatch.setenv("ZENDESK_EMAIL", "bot@example.com")
    monkeypatch.setenv("ZENDESK_API_TOKEN", "secret")
    done = intently("sync", "zendesk", "--subdomain", "acme", "--db", "store.db", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    check(
        done.stdout,
        "Synced 1,234 tickets (56,789 audits on 1,500 export pages) and 2,000 people",
        "(3,456 API requests)",
        "1,200 already synced",
        "1,300 deleted in Zendesk",
        "(45,678 judgements",
        "5,678 agent comments judged on 1,230 tickets worked, of 1,234 imported",
        "4,000",
        "1,678",
    )


def test_demo(tmp_path: Path) -> None:
    done = intently("demo", "--out", "d", "--tickets", "250", "--seed", "7", "--until", "2026-10-01", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    check(done.stdout, "agent comments judged on 2", "events imported into d/intently.db")


def test_progress_counts() -> None:
    """The progress bars of import, demo and adopt (shown on a terminal only) count with separators too."""
    column = CountColumn()

    def shown(completed: int, total: int | None) -> str:
        task = Task(0, "Judging", total, completed, _get_time=lambda: 0.0)
        return column.render(task).plain

    assert shown(1_234, 30_000) == "1,234/30,000"
    assert shown(12_345, None) == "12,345/?"


# --- the pages -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(wide: Wide) -> Iterator[Any]:
    store = Store.open(str(wide.folder / "store.db"))
    try:
        ensure_account(store, "reader", "admin")
        with dashboard(store, load_policy(wide.folder / "intently.yaml")) as client:
            assert login(client, "reader").status_code == 303
            yield client
    finally:
        store.close()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ["2,280 tickets worked", "8,960 judged comments", "2,200 tickets with a drive-by"]),
        ("/tickets?verdict=drive_by", ["2,200 tickets, 2,200 comments"]),
        ("/engineers", ["4,560", "2,200"]),
        ("/regions", ["67.5% (4,560 of 6,760)"]),
        ("/pods", ["2,200"]),
        ("/outcomes", ["The adjustment uses 1,180 of the 2,280 tickets"]),
        ("/pilot?pilot=group%3D2&start=2026-09-14", ["1,100 in the pilot after, 1,140 among the others before"]),
        ("/policy", []),
        ("/settings", []),
        ("/tickets/1001", []),
        ("/sidebar?ticket_id=1001", []),
    ],
)
def test_pages(pages: Any, path: str, expected: list[str]) -> None:
    """A dashboard page's text (tags, scripts and styles taken out) separates its counts and says no ``None``."""
    answer = pages.get(path)
    assert answer.status_code == 200, answer.text
    text = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", answer.text)
    text = re.sub(r"<[^>]*>", " ", text)
    english = "None: every agent's region is known."  # the word, in a sentence (the Regions page)
    assert not re.search(r"\bNone\b", text.replace(english, "")), text
    found = unseparated(text)
    assert not found, f"{path}: counts without separators: {found}"
    flowing = " ".join(text.split())
    missing = [e for e in expected if e not in flowing]
    assert not missing, f"{path}: expected {missing} in\n{flowing}"


def test_short_ids() -> None:
    """A number keeps its end, text its start (as git shows a hash); a policy's fingerprint and a short id stay
    whole; on a page the whole id is the title."""
    assert short_id(31_504_227_814_272) == "…27814272"
    assert short_id(123_456_789) == "123456789"
    assert short_id("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08") == "9f86d081884c…"
    assert short_id(fingerprint(load_policy())) == fingerprint(load_policy())
    assert short_id("sync-4f1c\x1b[2J") == "sync-4f1c [2J"
    assert short_id_html(31_504_227_814_272) == '<span class="id" title="31504227814272">…27814272</span>'
    tag = "&lt;b&gt;"
    assert short_id_html("<b>" * 5) == f'<span class="id" title="{tag * 5}">{tag * 4}…</span>'
    assert short_id_html("<b>") == tag


def test_a_comment_id_is_a_short_label_on_the_ticket_page(pages: Any, wide: Wide) -> None:
    """The ticket page's judgements name each comment by the end of its 14-digit id, the whole id in the cell's
    title and its link; the table's CSV has the whole id."""
    whole = [str(EVENT_IDS + 1001 * 100 + step) for step in (6, 8, 9, 11)]
    page = pages.get("/tickets/1001").text
    found = tables(page)
    assert [row[0] for row in found.tables["judgements"][1:]] == ["…" + comment[-8:] for comment in whole]
    assert [link[0] for link in found.links["judgements"][1:]] == [f"#comment-{comment}" for comment in whole]
    for comment in whole:
        assert f'title="{comment}">…{comment[-8:]}</a>' in page
    csv_rows = pages.get("/tickets/1001", params={"format": "csv", "table": "judgements"}).text.splitlines()
    assert [row.split(",")[0] for row in csv_rows[1:]] == whole
    policy = fingerprint(load_policy(wide.folder / "intently.yaml"))
    assert f"(fingerprint {policy};" in pages.get("/settings").text, "a fingerprint is already short: whole"


def test_policy_compare_page(pages: Any) -> None:
    """The Policy page's comparison counts the judgements that change, by verdict and by rule, with separators."""
    csrf = form_csrf(pages.get("/policy").text)
    answer = pages.post("/policy/compare", data={"csrf": csrf, "proposal": PROPOSAL})
    assert answer.status_code == 200, answer.text
    found = tables(answer.text).tables
    assert ["Drive-by", "2,200", "0", "-2,200"] in found["verdicts"]
    assert ["Intentional help", "2,200", "4,400", "+2,200"] in found["verdicts"]
    assert {row[2] for row in found["changes"][1:]} == {"2,200"}
