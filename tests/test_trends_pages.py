"""Rates and trends: the overview's figures against the previous period, the weekly drive-by share, the engineers'
rates (sortable) and a page per engineer, and the Regions page from the customer's side. Every figure is checked
against a count made here from the store's judgements."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, date, timedelta

import httpx

from intently.engine.judgement import Judgement
from intently.store import Store
from tests.dashboard_client import tables
from tests.test_dashboard import account, client, own_store, store  # noqa: F401 - fixtures


def _ok(client: httpx.Client, url: str) -> str:  # noqa: F811
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.text[:500])
    return answer.text


def _day(j: Judgement) -> date:
    return j.created_at.astimezone(UTC).date()


def _pct(part: int, whole: int) -> str:
    """A share as the tables show it: with its base, so that a reader can check it."""
    return f"{part / whole * 100:.1f}% ({part:,} of {whole:,})" if whole else "n/a"


def _rows(page: str, name: str) -> list[dict[str, str]]:
    found = tables(page).tables[name]
    return [dict(zip(found[0], row, strict=True)) for row in found[1:]]


def test_the_engineers_rates_are_their_judgements(client: httpx.Client, store: Store) -> None:  # noqa: F811
    users = store.directory().users
    mine: defaultdict[str, list[Judgement]] = defaultdict(list)
    for j in store.judgements():
        mine[users[j.author_id].name].append(j)
    rows = {row["Engineer"]: row for row in _rows(_ok(client, "/engineers"), "engineers")}
    assert set(rows) == set(mine)
    for name, judged in mine.items():
        public = [j for j in judged if j.public]
        own = [j for j in public if j.author_id == j.assignee_id or j.verdict == "ownership_change"]
        as_contributor = [j for j in public if j.author_id != j.assignee_id]
        drive_bys = [j for j in judged if j.verdict == "drive_by"]
        notes = [j for j in judged if not j.public and j.author_id != j.assignee_id]
        acknowledged = [j for j in notes if j.acknowledged]
        row = rows[name]
        assert row["Public replies"] == f"{len(public):,}"
        assert row["Own share"] == _pct(len(own), len(public))
        assert row["Drive-by rate"] == _pct(len(drive_bys), len(as_contributor))
        assert row["Acknowledged share"] == _pct(len(acknowledged), len(notes))


def test_the_engineers_table_sorts_on_the_server(client: httpx.Client) -> None:  # noqa: F811
    def rate(text: str) -> float:
        return -1.0 if text == "n/a" else float(text.split("%")[0])

    by_rate = _rows(_ok(client, "/engineers?sort=drive_by_rate"), "engineers")
    rates = [rate(row["Drive-by rate"]) for row in by_rate]
    known = [r for r in rates if r >= 0]
    assert known == sorted(known, reverse=True) and rates[: len(known)] == known  # n/a last
    upward = [
        rate(row["Drive-by rate"]) for row in _rows(_ok(client, "/engineers?sort=drive_by_rate&dir=asc"), "engineers")
    ]
    assert [r for r in upward if r >= 0] == sorted(known)
    names = [row["Engineer"] for row in _rows(_ok(client, "/engineers?sort=engineer"), "engineers")]
    assert names == sorted(names, key=str.casefold)
    page = _ok(client, "/engineers?sort=drive_by_rate")
    assert 'aria-sort="descending"' in page and "sort=drive_by_rate&amp;dir=asc" in page  # the header sorts back
    assert client.get("/engineers?sort=nonsense").status_code == 400


def test_an_engineers_page_has_their_weeks_and_tickets(client: httpx.Client, store: Store) -> None:  # noqa: F811
    users = store.directory().users
    judged = list(store.judgements())
    busiest, _ = Counter(j.author_id for j in judged).most_common(1)[0]
    mine = [j for j in judged if j.author_id == busiest]
    listing = _ok(client, "/engineers")
    assert f'href="/engineers/{busiest}"' in listing
    page = _ok(client, f"/engineers/{busiest}")
    assert f"<h1>{users[busiest].name}</h1>" in page
    weeks: Counter[str] = Counter()
    for j in mine:
        day = _day(j)
        weeks[(day - timedelta(days=day.weekday())).isoformat()] += 1
    shown = {row["Week"]: row["Judged"] for row in _rows(page, "weeks")}
    assert shown == {week: f"{n:,}" for week, n in weeks.items()}
    tickets = {row["Ticket"].lstrip("#") for row in _rows(page, "tickets")}
    assert tickets == {str(j.ticket_id) for j in mine}  # the fixture's engineers have fewer than 20 tickets
    assert f'href="/tickets?author={busiest}"' in page
    assert client.get("/engineers/123456789").status_code == 404


def test_the_overview_compares_with_the_previous_period(client: httpx.Client, store: Store) -> None:  # noqa: F811
    judged = list(store.judgements())
    last = max(_day(j) for j in judged)
    start, end = last - timedelta(days=6), last
    before_start, before_end = start - timedelta(days=7), start - timedelta(days=1)

    def period(a: date, b: date) -> list[Judgement]:
        return [j for j in judged if a <= _day(j) <= b]

    now, before = period(start, end), period(before_start, before_end)
    page = _ok(client, f"/?from={start}&to={end}")
    trends = dict(re.findall(r'data-trend="(\w+)"><span class="arrow"[^>]*>[^<]*</span> ([^<]*)</span>', page))
    assert f"{len(before):,} in the 7 days before" in trends["judged"]
    word = "up" if len(now) > len(before) else "down" if len(now) < len(before) else "no change"
    assert trends["judged"].startswith(word)

    def share(items: list[Judgement]) -> tuple[int, int]:
        replies = [j for j in items if j.public and j.author_id != j.assignee_id]
        return sum(j.verdict == "drive_by" for j in replies), len(replies)

    (part, whole), (b_part, b_whole) = share(now), share(before)
    if whole and b_whole:
        points = abs(part / whole - b_part / b_whole) * 100
        if f"{points:.1f}" != "0.0":
            assert f"{points:.1f} points from {b_part / b_whole * 100:.1f}%" in trends["drive_by_share"]
    else:
        assert "nothing to compare" in trends["drive_by_share"] or "n/a" in trends["drive_by_share"]


def test_the_overview_draws_the_weekly_drive_by_share_with_its_average(
    client: httpx.Client,  # noqa: F811
    store: Store,  # noqa: F811
) -> None:
    replies = [j for j in store.judgements() if j.public and j.author_id != j.assignee_id]
    page = _ok(client, "/")
    section = page.split('id="drive-by-trend"', 1)[1].split("</section>", 1)[0]
    average = sum(j.verdict == "drive_by" for j in replies) / len(replies)
    assert f"period average: {average * 100:.1f}%" in section
    weeks = {_day(j) - timedelta(days=_day(j).weekday()) for j in replies}
    assert section.count("<circle") >= len(weeks) and "<polyline" in section


def test_the_regions_page_from_the_customers_side(client: httpx.Client, store: Store) -> None:  # noqa: F811
    judged = [j for j in store.judgements() if j.public]
    rows = {row["Preferred region"]: row for row in _rows(_ok(client, "/regions"), "customer_side")}
    for region, row in rows.items():
        theirs = [j for j in judged if j.preferred_region == region]
        assert row["Public replies"] == f"{len(theirs):,}"
        known = [j for j in theirs if j.author_region]
        inside = [j for j in known if j.author_region == region]
        expected = _pct(len(inside), len(known)) if known else "n/a (none)"
        assert row["From agents of the region"] == expected


def test_agents_of_unknown_region_are_listed_with_how_to_set_it(client: httpx.Client, store: Store) -> None:  # noqa: F811
    from intently.policy import load_policy

    policy = load_policy()
    users = store.directory().users
    unknown = {u.name for u in users.values() if u.is_agent and policy.region_of_user(u) is None}
    page = _ok(client, "/regions")
    if unknown:
        assert {row["Agent"] for row in _rows(page, "unknown_agents")} == unknown
    else:
        assert "every agent's region is known" in page
    assert "support_region" in page


def test_an_agent_without_a_region_is_listed(own_store: Store) -> None:  # noqa: F811
    """An agent with neither the user field nor a time zone the policy maps: listed, with what to set."""
    from intently.model import User
    from intently.policy import load_policy
    from tests.dashboard_client import dashboard, login

    with own_store.batch() as batch:
        batch.put_users([User(id=990001, name="Nova <Unplaced>", role="agent", time_zone="Etc/UTC")])
    assert load_policy().region_of_user(own_store.directory().users[990001]) is None
    with dashboard(own_store) as fresh:
        assert login(fresh, "val").status_code == 303
        page = _ok(fresh, "/regions")
    rows = {row["Agent"]: row for row in _rows(page, "unknown_agents")}
    assert rows["Nova <Unplaced>"]["Time zone"] == "Etc/UTC" and "Nova &lt;Unplaced&gt;" in page
    assert "support_region" in rows["Nova <Unplaced>"]["What to set"]
