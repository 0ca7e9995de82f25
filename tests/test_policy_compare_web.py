"""The Policy page's compare result as CSV: one row per changed judgement, checked against the engine run here
under both policies; admins only, CSRF-checked, invalid proposals named, spreadsheet formulas neutralised."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import httpx
import pytest
import yaml
from markupsafe import escape

from intently.engine import judge_ticket
from intently.policy import Policy, load_policy
from intently.policy.loader import merge, validate_policy
from intently.store import Store
from tests.cli_runner import intently
from tests.dashboard_client import dashboard, ensure_account, form_csrf, login
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import loaded_store

ANA, BEN, CUSTOMER, HOSTILE = 101, 102, 5001, 190
HOSTILE_NAME = '=HYPERLINK("http://evil.test","click")'
# Asking for help with the tag "needs_collaboration" no longer counts: replies it made solicited become drive-bys.
PROPOSAL = 'version: "proposed 2/\\"x"\nrules:\n  solicited: {tags: [escalation_requested]}\n'
HEADER = [
    "Ticket",
    "Comment",
    "Author",
    "Comment time (UTC)",
    "Current verdict",
    "Current rule",
    "Proposed verdict",
    "Proposed rule",
]


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    """Generated tickets, plus one where an agent whose name is a spreadsheet formula replies after help was
    asked for with the solicitation tag."""
    zd = FakeZendesk(ZendeskDataset.generate(tickets=20))
    zd.add_user(HOSTILE, HOSTILE_NAME, "hostile@example.com", user_fields={"support_region": "emea"})
    ticket = zd.add_ticket(CUSTOMER, "Export fails", "The export fails.", assignee_id=ANA)
    zd.add_comment(ticket, ANA, "Looking into it.", public=True)
    zd.add_comment(ticket, BEN, "Asking for a hand here.", public=False, tags=["needs_collaboration"])
    zd.add_comment(ticket, HOSTILE, "Here is the fix.", public=True)
    store = loaded_store(store_url, zd, tmp_path, load_policy())
    ensure_account(store, "val", "viewer")
    ensure_account(store, "ada", "admin")
    yield store
    store.close()


@pytest.fixture
def admin(store: Store) -> Iterator[httpx.Client]:
    with dashboard(store) as client:
        assert login(client, "ada").status_code == 303
        yield client


def _token(client: httpx.Client) -> str:
    page = client.get("/policy")
    assert page.status_code == 200
    return form_csrf(page.text)


def _expected_rows(store: Store, current: Policy, proposed: Policy) -> list[list[str]]:
    """The changed judgements, computed here: every stored ticket judged by the engine under both policies."""
    users = store.directory().users
    rows = []
    for history in store.histories():
        after = {j.comment_id: j for j in judge_ticket(history, users, proposed).judgements}
        for was in judge_ticket(history, users, current).judgements:
            now = after[was.comment_id]
            if (was.verdict, was.rule) == (now.verdict, now.rule):
                continue
            author = users[was.author_id].name if was.author_id in users else f"user {was.author_id}"
            rows.append(
                [
                    str(was.ticket_id),
                    str(was.comment_id),
                    "'" + author if author.startswith("=") else author,
                    was.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    was.verdict,
                    was.rule,
                    now.verdict,
                    now.rule,
                ]
            )
    return rows


def test_admin_downloads_the_changed_judgements_as_csv(admin: httpx.Client, store: Store) -> None:
    page = admin.get("/policy").text
    assert 'formaction="/policy/compare.csv"' in page and "Download CSV" in page
    answer = admin.post("/policy/compare.csv", data={"csrf": form_csrf(page), "proposal": PROPOSAL})
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"].startswith("text/csv")
    # The version "proposed 2/"x" cannot break out of the header or name a path.
    assert answer.headers["content-disposition"] == 'attachment; filename="policy-compare-proposed-2-x.csv"'
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == HEADER
    current = load_policy()
    proposed = validate_policy(merge(current.model_dump(), yaml.safe_load(PROPOSAL)), "test")
    expected = _expected_rows(store, current, proposed)
    assert expected, "the proposal should change some judgements"
    assert rows[1:] == expected
    hostile = [row for row in rows[1:] if row[2].endswith(HOSTILE_NAME)]
    assert [row[2] for row in hostile] == ["'" + HOSTILE_NAME]  # text in a spreadsheet, never a formula
    assert hostile[0][4:] == ["intentional", "solicited", "drive_by", "unsolicited_reply"]
    # The page's count and the CSV agree.
    shown = admin.post("/policy/compare", data={"csrf": form_csrf(page), "proposal": PROPOSAL}).text
    counted = re.search(r"<strong>([\d,]+)</strong> of", shown)
    assert counted and int(counted.group(1).replace(",", "")) == len(expected)


def test_a_proposal_that_changes_nothing_gives_just_the_header(admin: httpx.Client) -> None:
    answer = admin.post("/policy/compare.csv", data={"csrf": _token(admin), "proposal": "version: same\n"})
    assert answer.status_code == 200
    assert list(csv.reader(io.StringIO(answer.text))) == [HEADER]
    assert 'filename="policy-compare-same.csv"' in answer.headers["content-disposition"]


def test_an_invalid_proposal_shows_the_page_with_its_problems(admin: httpx.Client) -> None:
    bad = "rules:\n  ownership: {window: soon}\n"
    answer = admin.post("/policy/compare.csv", data={"csrf": _token(admin), "proposal": bad})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "The proposal is not a valid policy" in answer.text and "rules.ownership.window" in answer.text
    assert "window: soon" in answer.text  # the proposal is kept in the form, to fix
    broken = admin.post("/policy/compare.csv", data={"csrf": _token(admin), "proposal": "rules: [\n"})
    assert broken.status_code == 422 and "not valid YAML" in broken.text


@pytest.mark.parametrize(
    ("proposal", "problem"),
    [
        (
            "rules: {ownership: {window: 99999999999999999999999}}\n",
            "rules.ownership.window: must be between 0m and 30d, got 99999999999999999999999 (minutes)",
        ),
        ("rules: {ownership: {window: 999999999d}}\n", "rules.ownership.window: must be between 0m and 30d"),
        (
            "organisation:\n  reply_targets:\n    low: {first: 24h, next: 999999999d}\n",
            "organisation.reply_targets.low.next: must be between 1m and 365d, got '999999999d'",
        ),
    ],
)
def test_a_duration_out_of_range_is_named_not_a_server_error(admin: httpx.Client, proposal: str, problem: str) -> None:
    for action in ("/policy/compare", "/policy/compare.csv", "/policy/adopt"):
        answer = admin.post(action, data={"csrf": _token(admin), "proposal": proposal})
        assert answer.status_code == 422, (action, answer.status_code)
        assert problem in html.unescape(answer.text), action


@pytest.mark.parametrize(
    "proposal",
    [
        "rules: {ownership: {window: 30m}\n",  # PyYAML's words name '<stream end>': escaped on the page
        "rules:\n\townership: {window: 1h}\n",
        "rules: {ownership: {window: 1h}}\nrules: {coverage: {wait_fraction: 0.5}}\n",
    ],
)
def test_a_proposal_that_is_not_yaml_shows_the_problem_the_cli_shows(
    admin: httpx.Client, tmp_path: Path, proposal: str
) -> None:
    (tmp_path / "proposal.yaml").write_text(proposal)
    cli = intently("policy", "validate", str(tmp_path / "proposal.yaml"), env={"COLUMNS": "400"})
    assert cli.returncode == 1
    problem = cli.stderr.split("\n  - ", 1)[1].strip()
    assert "line" in problem
    answer = admin.post("/policy/compare", data={"csrf": _token(admin), "proposal": proposal})
    assert answer.status_code == 422
    assert str(escape(problem)) in answer.text
    assert "<stream end>" not in answer.text


def test_a_proposals_problems_name_its_lines(admin: httpx.Client) -> None:
    proposal = 'version: "2"\nrules:\n  coverage: {wait_fraction: half}\n  ownership: {window: 400d}\n'
    answer = admin.post("/policy/compare", data={"csrf": _token(admin), "proposal": proposal})
    assert answer.status_code == 422
    text = html.unescape(answer.text)
    assert (
        "rules.coverage.wait_fraction: expected a number such as 0.75 (a share of the reply target), got 'half' "
        "(text) (line 3)" in text
    )
    assert "rules.ownership.window: must be between 0m and 30d, got '400d' (line 4)" in text


def test_the_csv_needs_the_csrf_token(admin: httpx.Client) -> None:
    assert admin.post("/policy/compare.csv", data={"proposal": PROPOSAL}).status_code == 403
    forged = admin.post("/policy/compare.csv", data={"csrf": "forged", "proposal": PROPOSAL})
    assert forged.status_code == 403 and not forged.headers["content-type"].startswith("text/csv")


def test_a_viewer_cannot_download_the_comparison(store: Store) -> None:
    with dashboard(store) as client:
        assert login(client, "val").status_code == 303
        page = client.get("/policy").text
        assert "/policy/compare.csv" not in page
        denied = client.post("/policy/compare.csv", data={"csrf": form_csrf(client.get("/").text), "proposal": ""})
        assert denied.status_code == 403
    with dashboard(store) as anonymous:  # not logged in: to the login page, nothing computed
        answer = anonymous.post("/policy/compare.csv", data={"proposal": PROPOSAL})
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
