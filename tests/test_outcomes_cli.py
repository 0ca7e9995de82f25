"""``intently outcomes`` and ``intently evaluate`` as a user relies on them: the figures are the report's over the
tickets each filter means, every format says the same, a what-if writes nothing, and a wrong option is a usage
error that names it.

One demo store for the module (it is only read; a test that could write works on a copy). The commands run
in-process through Typer's runner; one test runs them as real processes, where exit codes come from ``main``."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from intently.cli import app
from intently.demo import generate_export
from intently.engine.outcomes import CLASSES
from intently.errors import InputError
from intently.model import Group, Id, TicketHistory, User
from intently.policy import Policy, fingerprint, load_policy
from intently.report.facts import TicketFacts, judged_facts, stored_facts
from intently.report.outcomes import outcomes_by_class
from intently.report.pilot import choose_pilot, evaluate
from intently.store import Store
from intently.store.pipeline import import_path
from tests.cli_runner import intently_process
from tests.store_snapshot import copy_store, data_snapshot, snapshot

START = date(2026, 8, 3)
PILOT_START = date(2026, 9, 15)
LABELS = ["Solo", "Intentional help", "Drive-by"]
CLASS_KEYS = {
    "class",
    "tickets",
    "rated",
    "csat_good_rate",
    "csat_good_rate_ci",
    "resolved",
    "median_resolution_hours",
    "median_resolution_hours_ci",
    "reopened_rate",
    "reopened_rate_ci",
    "median_first_reply_hours",
}
PILOT_MEASURES = [
    "drive_by_share",
    "intentional_share",
    "note_acknowledgement",
    "csat_good_rate",
    "median_resolution_hours",
]
CELLS = ["pilot_before", "pilot_after", "others_before", "others_after"]
WHAT_IF = "version: what-if-2\nrules:\n  solicited:\n    enabled: false\n"
"""Appended to the demo's own policy: the same pods, one rule off (tickets move from intentional to drive-by)."""


@dataclass(frozen=True)
class Demo:
    export: Path
    policy_file: Path
    db: str
    policy: Policy
    facts: list[TicketFacts]
    users: dict[Id, User]
    groups: dict[Id, Group]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A demo store of 300 tickets over 91 days under the export's own policy, with its worked tickets."""
    folder = tmp_path_factory.mktemp("outcomes_cli")
    export = folder / "export"
    generate_export(export, tickets=300, seed=11, start=START, days=91)
    policy = load_policy(export / "intently.yaml")
    db = str(folder / "store.db")
    with Store.open(db) as store:
        import_path(export, store, policy, save=True)
        facts = stored_facts(store)
        directory = store.directory()
    yield Demo(export, export / "intently.yaml", db, policy, facts, directory.users, directory.groups)


@pytest.fixture(autouse=True)
def _no_ambient_policy_or_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ./intently.yaml, ./intently.db, $INTENTLY_CONFIG or $INTENTLY_DB but what a test gives."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTENTLY_CONFIG", raising=False)
    monkeypatch.delenv("INTENTLY_DB", raising=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> Result:
    result = run(*args)
    problem = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else ""
    assert result.exit_code == 0, (args, result.stderr, problem)
    return result


def as_json(*args: str) -> Any:
    return json.loads(ok(*args, "--format", "json").stdout)


def said(text: str) -> str:
    """Console text as one line: Rich's wrapping and the error box's borders taken out."""
    return " ".join(text.replace("│", " ").split())


def day(f: TicketFacts) -> date:
    return f.created_at.astimezone(UTC).date()


def in_pod(demo: Demo, pod: str, assignee: Id | None) -> bool:
    """Read from the policy file's member list directly: a member is an agent's id or e-mail address."""
    user = demo.users.get(assignee) if assignee is not None else None
    if user is None:
        return False
    members = demo.policy.organisation.pods[pod].members
    return any(m == user.id or (isinstance(m, str) and m.lower() == (user.email or "").lower()) for m in members)


def group_id(demo: Demo, name: str) -> Id:
    return next(g.id for g in demo.groups.values() if g.name == name)


def test_the_demo_has_something_to_measure(demo: Demo) -> None:
    """The other tests are only as good as the data: every class well filled, each filter keeps some."""
    counts = Counter(f.klass for f in demo.facts)
    assert all(counts[klass] >= 60 for klass in CLASSES), counts
    assert {"high", "normal"} <= {f.priority for f in demo.facts}
    assert {None, "APAC"} <= {f.preferred_region for f in demo.facts}
    days = Counter(day(f) for f in demo.facts)
    assert all(days[date.fromisoformat(d)] for d in ("2026-08-31", "2026-09-01", "2026-10-15", "2026-10-16"))
    assert 0 < sum(in_pod(demo, "data", f.assignee_id) for f in demo.facts) < len(demo.facts)


# --- outcomes -------------------------------------------------------------------------------------


def test_outcomes_json_is_the_report_of_the_stored_tickets_and_repeatable(demo: Demo) -> None:
    before = data_snapshot(demo.db)
    first = ok("outcomes", "--db", demo.db, "--format", "json")
    body = json.loads(first.stdout)
    assert [c["class"] for c in body["classes"]] == list(CLASSES)
    for c in body["classes"]:
        assert c.keys() >= CLASS_KEYS, CLASS_KEYS - c.keys()
        for rate in ("csat_good_rate", "reopened_rate"):
            assert c[rate] is not None and 0 <= c[rate] <= 1
            low, high = c[f"{rate}_ci"]
            assert 0 <= low <= c[rate] <= high <= 1
        for name in ("csat_good_rate", "median_resolution_hours", "reopened_rate"):
            interval = c[f"{name}_ci"]
            assert interval is None or (len(interval) == 2 and interval[0] <= c[name] <= interval[1]), (name, c)
        assert c["median_resolution_hours_ci"] is not None and c["median_first_reply_hours"] > 0
        assert c["rated"] <= c["tickets"] and c["resolved"] <= c["tickets"]
    counts = Counter(f.klass for f in demo.facts)
    assert [c["tickets"] for c in body["classes"]] == [counts[k] for k in CLASSES]
    assert body["tickets"] == len(demo.facts)
    with Store.open(demo.db) as store:  # the report over the store, computed here
        assert body == outcomes_by_class(stored_facts(store)).to_dict()
    again = ok("outcomes", "--db", demo.db, "--format", "json")
    assert again.stdout_bytes == first.stdout_bytes  # a seeded bootstrap: the same intervals every run
    assert first.stderr == ""
    # the judgements are current: reading writes no data (the figures computed are kept, per data version)
    assert data_snapshot(demo.db) == before


def _filter(demo: Demo, name: str) -> tuple[list[str], Callable[[TicketFacts], bool]]:
    """A filter's options, and what it means, written out here (not through TicketFilter)."""
    emea = group_id(demo, "Support EMEA")
    cases: dict[str, tuple[list[str], Callable[[TicketFacts], bool]]] = {
        "priority": (["--priority", "high"], lambda f: f.priority == "high"),
        "dates": (  # both ends inclusive, by the UTC day: each boundary day has tickets, so does each day beyond
            ["--from", "2026-09-01", "--to", "2026-10-15"],
            lambda f: date(2026, 9, 1) <= day(f) <= date(2026, 10, 15),
        ),
        "from only": (["--from", "2026-10-16"], lambda f: day(f) >= date(2026, 10, 16)),
        "group by name": (["--group", "Support EMEA"], lambda f: f.group_id == emea),
        "group by id": (["--group", str(emea)], lambda f: f.group_id == emea),
        "pod": (["--pod", "data"], lambda f: in_pod(demo, "data", f.assignee_id)),
        "region": (["--region", "APAC"], lambda f: f.preferred_region == "APAC"),
        "region unknown": (["--region", "unknown"], lambda f: f.preferred_region is None),
        "region alias": (["--region", "europe"], lambda f: f.preferred_region == "EMEA"),  # the policy's alias
        "several": (
            ["--priority", "normal", "--region", "EMEA", "--to", "2026-10-15"],
            lambda f: f.priority == "normal" and f.preferred_region == "EMEA" and day(f) <= date(2026, 10, 15),
        ),
    }
    return cases[name]


@pytest.mark.parametrize(
    "name",
    [
        "priority",
        "dates",
        "from only",
        "group by name",
        "group by id",
        "pod",
        "region",
        "region unknown",
        "region alias",
        "several",
    ],
)
def test_each_filter_counts_the_tickets_it_means(demo: Demo, name: str) -> None:
    options, keep = _filter(demo, name)
    kept = [f for f in demo.facts if keep(f)]
    assert 0 < len(kept) < len(demo.facts)
    body = as_json("outcomes", "--db", demo.db, *options)
    counts = Counter(f.klass for f in kept)
    assert [c["tickets"] for c in body["classes"]] == [counts[k] for k in CLASSES]
    assert body["tickets"] == len(kept)
    assert body == outcomes_by_class(kept).to_dict()  # every figure over exactly those tickets


def test_outcomes_csv_is_the_class_table(demo: Demo) -> None:
    body = as_json("outcomes", "--db", demo.db)
    result = ok("outcomes", "--db", demo.db, "--format", "csv")
    raw = result.stdout_bytes.decode("utf-8")
    assert raw.count("\r\n") == 4 and raw.count("\n") == 4  # a header and three rows, CRLF as RFC 4180 says
    header, *rows = list(csv.reader(io.StringIO(raw, newline="")))
    expected_header: list[str] = []
    for key in body["classes"][0]:
        expected_header += [f"{key}_low", f"{key}_high"] if key.endswith("_ci") else [key]
    assert header == expected_header
    assert {"csat_good_rate_ci_low", "csat_good_rate_ci_high"} <= set(header)
    assert [row[header.index("label")] for row in rows] == LABELS  # fixed labels: no free text reaches this table
    for row, c in zip(rows, body["classes"], strict=True):
        cells = dict(zip(header, row, strict=True))
        for key, value in c.items():
            if key.endswith("_ci"):
                pair = [cells[f"{key}_low"], cells[f"{key}_high"]]
                assert (pair == ["", ""]) if value is None else ([float(x) for x in pair] == value), key
            elif value is None:
                assert cells[key] == ""
            elif isinstance(value, list):
                assert cells[key] == "; ".join(value)
            elif isinstance(value, int):
                assert int(cells[key]) == value
            elif isinstance(value, float):
                assert float(cells[key]) == value
            else:
                assert cells[key] == value
        assert not any(cell[:1] in ("=", "+", "-", "@") for cell in row)


def test_outcomes_table_says_what_the_numbers_show(demo: Demo) -> None:
    result = ok("outcomes", "--db", demo.db)
    text, flat = result.stdout, said(result.stdout)
    report = outcomes_by_class(demo.facts)
    for c in report.classes:
        row = re.search(rf"│ {re.escape(c.label)} +│ +([\d,]+) │ +([\d,]+) │", text)
        assert row is not None, c.label
        assert (int(row[1].replace(",", "")), int(row[2].replace(",", ""))) == (c.tickets, c.rated)
    assert f"Outcomes by how tickets were worked ({len(demo.facts)} worked tickets)" in flat
    assert "Does it matter?" in flat
    for comparison in report.comparisons:
        assert " ".join(comparison.sentence.split()) in flat
    assert "association, not a cause" in flat
    assert result.stderr == ""
    filtered = said(ok("outcomes", "--db", demo.db, "--priority", "High", "--region", "APAC").stdout)
    high = sum(1 for f in demo.facts if f.priority == "high" and f.preferred_region == "APAC")
    assert f"({high} worked tickets; region APAC, priority high)" in filtered


def test_a_what_if_reads_the_store_under_another_policy_and_writes_nothing(demo: Demo, tmp_path: Path) -> None:
    db = str(tmp_path / "copy.db")
    copy_store(demo.db, db)
    with Store.open(db) as store:  # stale judgements: judging them again would be a write that shows
        history = next(iter(store.histories()))
        with store.batch() as batch:
            batch.put_histories([TicketHistory.of(history.ticket, history.events[:-2])])
    other = tmp_path / "other.yaml"
    other.write_text(demo.policy_file.read_text() + WHAT_IF)
    before, digest = snapshot(db), hashlib.sha256(Path(db).read_bytes()).hexdigest()
    bodies = {}
    for form in ("json", "csv", "table"):
        result = ok("outcomes", "--db", db, "--config", str(other), "--format", form)
        note = said(result.stdout if form == "table" else result.stderr)
        assert f"what-if: judged under {other} (policy intently-default what-if-2);" in note, form
        assert "the store's judgements (policy intently-default 1.0.0) are unchanged" in note
        bodies[form] = result.stdout
    assert snapshot(db) == before and hashlib.sha256(Path(db).read_bytes()).hexdigest() == digest
    with Store.open(db) as store:
        assert store.judgements_stale(fingerprint(demo.policy)) is not None  # still stale: nothing judged again
        directory = store.directory()
        expected = judged_facts(store.histories(), directory.users, load_policy(other), directory.groups)
    body = json.loads(bodies["json"])  # stdout holds the JSON only: the note went to stderr
    assert body == outcomes_by_class(expected).to_dict()
    counts = [c["tickets"] for c in body["classes"]]
    stored = Counter(f.klass for f in demo.facts)
    assert counts[1] < stored["intentional"] and counts[2] > stored["drive_by"]  # the rule off moved tickets


def test_outcomes_from_an_export_folder_needs_no_store(demo: Demo, tmp_path: Path) -> None:
    from_files = ok("outcomes", str(demo.export), "--config", str(demo.policy_file), "--format", "json")
    from_store = ok("outcomes", "--db", demo.db, "--format", "json")
    assert from_files.stdout_bytes == from_store.stdout_bytes  # the same tickets under the same policy
    assert "what-if" not in from_files.stderr
    assert list(tmp_path.iterdir()) == []  # no ./intently.db made


def test_an_empty_store_gives_three_empty_classes(tmp_path: Path) -> None:
    db = str(tmp_path / "empty.db")
    Store.open(db).close()
    body = as_json("outcomes", "--db", db)
    assert body["tickets"] == 0
    assert [c["class"] for c in body["classes"]] == list(CLASSES)
    for c in body["classes"]:
        assert (c["tickets"], c["rated"], c["resolved"]) == (0, 0, 0)
        for key in CLASS_KEYS - {"class", "tickets", "rated", "resolved"}:
            assert c[key] is None, key
    assert all("Too few tickets to tell: 0 with a drive-by and 0 others" in c["sentence"] for c in body["comparisons"])
    assert ok("outcomes", "--db", db).exit_code == 0
    assert ok("outcomes", "--db", db, "--format", "csv").stdout_bytes.count(b"\r\n") == 4


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--format", "xml"], "--format"),
        (["--from", "2026-13-01"], "--from"),
        (["--to", "1 Oct 2026"], "--to"),
        (["--from", "2026-10-02", "--to", "2026-10-01"], "--to"),
    ],
)
def test_outcomes_usage_errors_name_the_option(demo: Demo, options: list[str], named: str) -> None:
    result = run("outcomes", "--db", demo.db, *options)
    assert result.exit_code == 2 and f"Invalid value for {named}" in said(result.stderr)


@pytest.mark.parametrize(
    ("option", "value", "known"),
    [
        ("--pod", "dta", "(pods: data, identity)"),
        ("--region", "mars", "(regions: AMER, EMEA, APAC, unknown)"),
        ("--group", "Nobody's group", "(groups: "),
        ("--priority", "hgih", "(priorities: urgent, high, normal, low)"),
    ],
)
def test_a_filter_naming_nothing_known_lists_what_is(demo: Demo, option: str, value: str, known: str) -> None:
    """A typo would otherwise count no ticket, silently."""
    result = run("outcomes", "--db", demo.db, option, value)
    assert isinstance(result.exception, InputError)
    assert f"{option} {value}: no such" in str(result.exception) and known in str(result.exception)


# --- evaluate -------------------------------------------------------------------------------------


def _split(demo: Demo, in_pilot: Callable[[TicketFacts], bool], end: date | None = None) -> dict[str, int]:
    cells = Counter(
        f"{'pilot' if in_pilot(f) else 'others'}_{'before' if day(f) < PILOT_START else 'after'}"
        for f in demo.facts
        if end is None or day(f) <= end
    )
    return {cell: cells[cell] for cell in CELLS}


def test_evaluate_a_pod_pilot(demo: Demo) -> None:
    body = as_json("evaluate", "--pilot", "pod=data", "--start", PILOT_START.isoformat(), "--db", demo.db)
    assert (body["label"], body["start"], body["end"], body["left_out"]) == ("pod data", "2026-09-15", None, 0)
    assert [m["measure"] for m in body["measures"]] == PILOT_MEASURES
    pilot = _split(demo, lambda f: in_pod(demo, "data", f.assignee_id))
    assert body["tickets"] == pilot and all(pilot.values())
    for m in body["measures"]:
        for cell in CELLS:
            assert {"n", "value", "part", "whole"} <= m[cell].keys(), (m["measure"], cell)
        estimate, interval = m["difference_in_differences"], m["difference_in_differences_ci"]
        assert estimate is not None
        assert interval is None or interval[0] <= estimate <= interval[1]
    share = body["measures"][0]  # the drive-by share, counted here
    for cell in CELLS:
        side, when = cell.split("_")
        tickets = [
            f
            for f in demo.facts
            if in_pod(demo, "data", f.assignee_id) == (side == "pilot") and (day(f) < PILOT_START) == (when == "before")
        ]
        assert (share[cell]["part"], share[cell]["whole"]) == (sum(f.drive_bys > 0 for f in tickets), len(tickets))
    chosen = choose_pilot("pod", "data", demo.policy, demo.users, demo.groups)
    assert body == evaluate(demo.facts, chosen.covers, PILOT_START, None, label=chosen.label).to_dict()


def test_evaluate_a_group_or_a_region_pilot_and_an_end(demo: Demo) -> None:
    end = date(2026, 10, 15)
    emea = group_id(demo, "Support EMEA")
    body = as_json(
        "evaluate", "--pilot", "group=Support EMEA", "--start", "2026-09-15", "--end", end.isoformat(), "--db", demo.db
    )
    assert (body["label"], body["end"]) == ("group Support EMEA", "2026-10-15")
    assert body["tickets"] == _split(demo, lambda f: f.group_id == emea, end)
    assert body["left_out"] == sum(1 for f in demo.facts if day(f) > end) > 0
    by_id = as_json(
        "evaluate", "--pilot", f"group={emea}", "--start", "2026-09-15", "--end", "2026-10-15", "--db", demo.db
    )
    assert by_id["tickets"] == body["tickets"]
    region = as_json("evaluate", "--pilot", "region=EMEA", "--start", "2026-09-15", "--db", demo.db)
    assert region["label"] == "region EMEA" and sum(region["tickets"].values()) == len(demo.facts)
    assert 0 < region["tickets"]["pilot_before"] + region["tickets"]["pilot_after"] < len(demo.facts)
    lower = as_json("evaluate", "--pilot", "region=emea", "--start", "2026-09-15", "--db", demo.db)
    assert lower == region  # the region's code in any case, as the docs write it
    table = said(ok("evaluate", "--pilot", "region=EMEA", "--start", "2026-09-15", "--db", demo.db).stdout)
    assert "Pilot: region EMEA, from 2026-09-15" in table
    assert "other changes at the same time also show up here" in table


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--pilot", "pod=data", "--start", "2026-09-15", "--end", "2026-09-01"], "--end"),
        (["--pilot", "planet=x", "--start", "2026-09-15"], "--pilot"),
        (["--pilot", "pod", "--start", "2026-09-15"], "--pilot"),
        (["--pilot", "pod=", "--start", "2026-09-15"], "--pilot"),
        (["--pilot", "pod=data", "--start", "15/09/2026"], "--start"),
        (["--pilot", "pod=data", "--start", " "], "--start"),
        (["--pilot", "pod=data"], "--start"),
        (["--pilot", "pod=data", "--start", "2026-09-15", "--format", "xml"], "--format"),
    ],
)
def test_evaluate_usage_errors_name_the_option_before_reading_any_data(
    tmp_path: Path, options: list[str], named: str
) -> None:
    result = run("evaluate", *options, "--db", str(tmp_path / "absent.db"))  # no store: not even opened
    assert result.exit_code == 2, (result.stderr, result.exception)
    assert named in said(result.stderr)
    assert not (tmp_path / "absent.db").exists()


def test_evaluate_an_unknown_pod_lists_the_known_ones(demo: Demo) -> None:
    result = run("evaluate", "--pilot", "pod=nobody", "--start", "2026-09-15", "--db", demo.db)
    assert isinstance(result.exception, InputError)  # `main` turns it into exit code 1 (a real process, below)
    assert "no pod 'nobody' in the policy (pods: data, identity)" in str(result.exception)


# --- as a user runs it ----------------------------------------------------------------------------


def test_the_commands_in_a_real_process(demo: Demo, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("INTENTLY_CONFIG", "INTENTLY_DB")}
    for form in ("json", "csv"):  # byte for byte what the in-process run wrote: also across processes' hash seeds
        done = intently_process("outcomes", "--db", demo.db, "--format", form, cwd=tmp_path, env=env)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        in_process = ok("outcomes", "--db", demo.db, "--format", form).stdout_bytes.decode("utf-8")
        assert done.stdout == in_process.replace("\r\n", "\n")  # text mode reads CRLF as a newline
    unknown = intently_process(
        "evaluate", "--pilot", "pod=nobody", "--start", "2026-09-15", "--db", demo.db, cwd=tmp_path, env=env
    )
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    assert "error: --pilot pod=nobody: no pod 'nobody' in the policy (pods: data, identity)" in said(unknown.stderr)
