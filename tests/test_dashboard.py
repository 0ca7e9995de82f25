"""The dashboard pages over real HTTP: escaping, deep links from every chart to the tickets behind it (checked
against the stored judgements), the ticket timeline, filters, and CSV that matches each table."""

from __future__ import annotations

import csv
import html
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from intently.engine.judgement import Judgement
from intently.model import Id
from intently.policy import load_policy
from intently.report.html import chart_css
from intently.report.metrics import week_of
from intently.store import Store
from tests.dashboard_client import dashboard, ensure_account, login, tables
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import loaded_store

ANA, BEN, MARIA, CUSTOMER = 101, 102, 103, 5001
SCRIPT = "<script>alert(1)</script>"


# The account, its store and a logged-in client are shared by the tests of a module (they only read them); a test
# that writes takes ``own_store``.


@pytest.fixture(scope="module")
def account() -> dict[str, int]:
    """A generated account plus tickets of our own: a drive-by (with a contributor's internal note), one with
    script in its text, and one where the assignee asked Ben for help."""
    zd = FakeZendesk(ZendeskDataset.generate(tickets=30))
    drive = zd.add_ticket(CUSTOMER, "Invoice wrong", "My invoice is wrong.", assignee_id=ANA)
    zd.add_comment(drive, ANA, "Looking into it.", public=True)
    zd.add_comment(drive, MARIA, "Hi, jumping in.", public=True)
    zd.add_comment(drive, BEN, "Checked the billing log: charge is duplicated.", public=False)
    script = zd.add_ticket(CUSTOMER, f"=HYPERLINK(1) {SCRIPT}", f"Body {SCRIPT}", assignee_id=ANA)
    zd.add_comment(script, MARIA, SCRIPT, public=True)
    asked = zd.add_ticket(CUSTOMER, "Export is slow", "Exports take an hour.", assignee_id=ANA)
    zd.add_comment(asked, ANA, "@Ben could you look at the export queue?", public=False, follow=[BEN])
    return {"drive": drive, "script": script, "asked": asked, "zd_ref": _keep(zd)}


_KEPT: list[FakeZendesk] = []


def _keep(zd: FakeZendesk) -> int:
    _KEPT.append(zd)
    return len(_KEPT) - 1


def _loaded(url: str, account: dict[str, int], folder: Path) -> Store:
    store = loaded_store(url, _KEPT[account["zd_ref"]], folder, load_policy())
    ensure_account(store, "val", "viewer")
    return store


@pytest.fixture(scope="module")
def store(module_store_url: str, account: dict[str, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = _loaded(module_store_url, account, tmp_path_factory.mktemp("account"))
    yield store
    store.close()


@pytest.fixture
def own_store(store_url: str, account: dict[str, int], tmp_path: Path) -> Iterator[Store]:
    """The account's store, for one test that changes it."""
    store = _loaded(store_url, account, tmp_path)
    yield store
    store.close()


@pytest.fixture(scope="module")
def client(store: Store) -> Iterator[httpx.Client]:
    with dashboard(store) as client:
        assert login(client, "val").status_code == 303
        yield client


def _ok(client: httpx.Client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.text[:500])
    return answer.text


def _ticket_links(page: str) -> set[str]:
    """The tickets the list shows (the fixtures' lists fit on one page: checked by :func:`_one_page`)."""
    _one_page(page)
    rows = tables(page).tables["tickets"][1:] if 'data-table="tickets"' in page else []
    return {row[0].lstrip("#") for row in rows}


def _comments(page: str) -> int:
    _one_page(page)
    rows = tables(page).tables.get("tickets", [])[1:]
    return sum(int(row[3]) for row in rows)


def _one_page(page: str) -> None:
    assert 'rel="next"' not in page and 'rel="prev"' not in page, "the list has more than one page"


def _chart_links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'<a href="(/tickets\?[^"]*)"><rect', page)] + [
        html.unescape(href) for href in re.findall(r'<a href="(/tickets\?[^"]*)"><g>', page)
    ]


def _expected(judgements: list[Judgement], query: dict[str, str]) -> list[Judgement]:
    """The judgements a deep link stands for, computed here from the stored judgements."""
    voices: dict[Id, set[Id]] = defaultdict(set)
    for j in judgements:
        if j.public:
            voices[j.ticket_id].add(j.author_id)
        else:
            voices[j.ticket_id]
    found = []
    for j in judgements:
        if "verdict" in query and j.verdict != query["verdict"]:
            continue
        if "other_than" in query and j.verdict == query["other_than"]:
            continue
        if "week" in query and week_of(j.created_at) != date.fromisoformat(query["week"]):
            continue
        if "rule" in query and j.rule not in query["rule"].split(","):
            continue
        if "public" in query and j.public != (query["public"] == "1"):
            continue
        if "contributor" in query and (j.author_id != j.assignee_id) != (query["contributor"] == "1"):
            continue
        if "author" in query and str(j.author_id) != query["author"]:
            continue
        if "voices" in query:
            count = len(voices[j.ticket_id])
            if (str(count) if count < 4 else "4+") != query["voices"]:
                continue
        found.append(j)
    return found


# --- escaping -------------------------------------------------------------------------------------


def test_ticket_text_renders_as_text_everywhere(client: httpx.Client, account: dict[str, int]) -> None:
    ticket = account["script"]
    for url in (f"/tickets/{ticket}", "/tickets?verdict=drive_by", "/", "/engineers", "/tickets"):
        page = _ok(client, url)
        assert "<script" not in page.lower(), url
    page = _ok(client, f"/tickets/{ticket}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<div class="body">&lt;script&gt;alert(1)&lt;/script&gt;</div>' in page
    listed = tables(_ok(client, "/tickets?verdict=drive_by")).tables["tickets"]
    assert [f"=HYPERLINK(1) {SCRIPT}"] == [row[1] for row in listed if row[0] == f"#{ticket}"]
    exported = client.get("/tickets", params={"verdict": "drive_by", "format": "csv"}).text
    assert f"'=HYPERLINK(1) {SCRIPT}" in exported  # no formula in a spreadsheet
    headers = client.get(f"/tickets/{ticket}").headers
    assert "script-src" not in headers["content-security-policy"]
    assert headers["content-security-policy"].startswith("default-src 'none'")


# --- deep links -----------------------------------------------------------------------------------


def test_every_overview_chart_links_to_the_tickets_behind_it(client: httpx.Client, store: Store) -> None:
    judgements = list(store.judgements())
    page = _ok(client, "/")
    links = _chart_links(page)
    kinds = {tuple(sorted(parse_qs(urlsplit(link).query))) for link in links}
    assert ("verdict", "week") in kinds and ("rule",) in kinds and ("voices",) in kinds
    assert ("contributor", "public", "verdict") in kinds and ("contributor", "other_than", "public") in kinds
    assert len(links) >= 10
    for link in links:
        query = {key: values[0] for key, values in parse_qs(urlsplit(link).query).items()}
        expected = _expected(judgements, query)
        target = _ok(client, link)
        assert _ticket_links(target) == {str(j.ticket_id) for j in expected}, link
        assert _comments(target) == len(expected), link


def test_a_drive_by_bar_leads_to_the_drive_by_ticket(
    client: httpx.Client, account: dict[str, int], store: Store
) -> None:
    drive_by = next(j for j in store.judgements(account["drive"]) if j.verdict == "drive_by")
    week = week_of(drive_by.created_at).isoformat()
    link = next(link for link in _chart_links(_ok(client, "/")) if link.endswith(f"verdict=drive_by&week={week}"))
    assert str(account["drive"]) in _ticket_links(_ok(client, link))
    target = _ok(client, f"/tickets/{account['drive']}")
    assert f'id="comment-{drive_by.comment_id}"' in target


def test_engineer_table_cells_link_to_their_tickets(client: httpx.Client, store: Store) -> None:
    judgements = list(store.judgements())
    page = _ok(client, "/engineers")
    parsed = tables(page)
    header, *rows = parsed.tables["engineers"]
    links = parsed.links["engineers"][1:]
    checked = 0
    for row, row_links in zip(rows, links, strict=True):
        for column in ("Public replies", "Drive-bys"):
            href = row_links[header.index(column)]
            if href is None:
                assert row[header.index(column)] == "0"
                continue
            query = {key: values[0] for key, values in parse_qs(urlsplit(href).query).items()}
            expected = _expected(judgements, query)
            assert len(expected) == int(row[header.index(column)])
            target = _ok(client, href)
            assert _ticket_links(target) == {str(j.ticket_id) for j in expected}
            checked += 1
    assert checked >= 3


def test_engineer_charts_show_the_most_drive_bys_and_link_to_their_tickets(client: httpx.Client, store: Store) -> None:
    judgements = list(store.judgements())
    page = _ok(client, "/engineers")
    assert "Drive-bys by engineer" in page
    drive_by_links = [link for link in _chart_links(page) if "verdict=drive_by" in link]
    per_author: dict[str, int] = defaultdict(int)
    for j in judgements:
        if j.verdict == "drive_by":
            per_author[str(j.author_id)] += 1
    # the chart's bars are the engineers with the most drive-bys, most first
    charted = [parse_qs(urlsplit(link).query)["author"][0] for link in drive_by_links]
    assert charted and [per_author[a] for a in charted] == sorted(per_author.values(), reverse=True)[: len(charted)]
    for href in drive_by_links:
        query = {key: values[0] for key, values in parse_qs(urlsplit(href).query).items()}
        assert _ticket_links(_ok(client, href)) == {str(j.ticket_id) for j in _expected(judgements, query)}


def test_filters_narrow_every_count(client: httpx.Client, store: Store) -> None:
    judgements = list(store.judgements())
    region = next(j.preferred_region for j in judgements if j.preferred_region)
    page = _ok(client, f"/tickets?region={region}")
    assert _ticket_links(page) == {str(j.ticket_id) for j in judgements if j.preferred_region == region}
    first = min(j.created_at for j in judgements).date()
    page = _ok(client, f"/tickets?from={first.isoformat()}&to={first.isoformat()}")
    assert _comments(page) == sum(1 for j in judgements if j.created_at.date() == first)
    overview = _ok(client, f"/?region={region}")
    assert all(f"region={region}" in link for link in _chart_links(overview))
    assert client.get("/tickets?from=yesterday").status_code == 400
    assert client.get("/tickets?week=2026-09-08").status_code == 400  # not a Monday


def test_dates_at_the_ends_of_the_calendar_are_a_clear_400_page(client: httpx.Client) -> None:
    """The day after 9999-12-31, or the period before one starting in year 1, is not in the calendar: said as a
    400 page naming the parameter, never a 500."""
    for path in (
        "/?to=9999-12-31",
        "/?from=0001-01-08",
        "/tickets?to=9999-12-31",
        "/engineers?to=9999-12-31",
        "/regions?to=9999-12-31",
        "/tickets?week=9999-12-27",
    ):
        answer = client.get(path, headers={"Accept": "text/html"})
        assert answer.status_code == 400, (path, answer.status_code)
        assert "text/html" in answer.headers["content-type"] and "1970-01-01 to 2999-12-31" in answer.text, path
        assert "default-src" in answer.headers["content-security-policy"]


def test_a_filter_naming_nothing_known_is_a_400_listing_what_is(client: httpx.Client, store: Store) -> None:
    """A typo in a link or a bookmark would otherwise show an empty page, or the filter silently dropped."""
    region = next(j.preferred_region for j in store.judgements() if j.preferred_region)
    for path, said in (
        ("/tickets?verdict=nope", "'verdict': one of assignee, ownership_change, intentional, drive_by"),
        ("/tickets?relation=sideways", "'relation': one of inside, outside, unknown"),
        ("/?from=2026-11-30&to=2026-01-01", "to 2026-01-01: before from 2026-11-30"),
        ("/?pod=nope", "pod nope: no such pod in the policy (pods: "),
        ("/engineers?region=%00", "no such region in the policy (regions: "),
        ("/regions?group=abc", "group abc: no such group (groups: "),
        ("/tickets?priority=hgih", "priority hgih: no such priority (priorities: urgent, high, normal, low)"),
        ("/sidebar", "say which ticket"),
        ("/sidebar?ticket_id=1&agent_id=" + "9" * 65, "agent_id: an id of at most 64 characters"),
    ):
        answer = client.get(path, headers={"Accept": "text/html"})
        assert answer.status_code == 400, (path, answer.status_code)
        assert said in html.unescape(answer.text), (path, answer.text[-800:])
    assert client.get(f"/?region={region.lower()}&priority=High").status_code == 200  # any case


def _ways_back(page: str) -> dict[str, str]:
    """An error page's ways back: each link's label and its href, as a browser reads them (unescaped)."""
    found = re.search(r'<ul class="ways-back">(.*?)</ul>', page, re.S)
    assert found, "no way back on the page"
    links = re.findall(r'<a href="([^"<>]*)">([^<]*)</a>', found.group(1))
    return {html.unescape(label): html.unescape(href) for href, label in links}


def test_a_period_that_ends_before_it_starts_is_a_400_whose_ways_back_keep_the_other_filters(
    client: httpx.Client, store: Store
) -> None:
    region = next(j.preferred_region for j in store.judgements() if j.preferred_region)
    for path in ("/tickets", "/", "/engineers", "/outcomes"):
        chosen = {"region": region, "verdict": "drive_by"}
        if path == "/tickets":
            chosen |= {"sort": "subject", "q": "invoice"}
        query = {**chosen, "from": "2026-09-10", "to": "2026-09-01", "page": "2"}
        answer = client.get(path, params=query, headers={"Accept": "text/html"})
        assert answer.status_code == 400, (path, answer.status_code)
        assert "to 2026-09-01: before from 2026-09-10" in html.unescape(answer.text), path
        ways = _ways_back(answer.text)
        assert set(ways) == {"From 2026-09-01 to 2026-09-10", "Without dates"}, path
        for href in ways.values():
            assert urlsplit(href).path == path
        swapped = parse_qs(urlsplit(ways["From 2026-09-01 to 2026-09-10"]).query)
        undated = parse_qs(urlsplit(ways["Without dates"]).query)
        assert swapped == {**{k: [v] for k, v in chosen.items()}, "from": ["2026-09-01"], "to": ["2026-09-10"]}
        assert undated == {k: [v] for k, v in chosen.items()}  # no dates, and back to the first page
        assert client.get(ways["Without dates"]).status_code == 200, path
    # the way back lists what the same filters list without dates
    chosen = {"region": region, "verdict": "drive_by", "sort": "subject"}
    reversed_query = {**chosen, "from": "2026-09-10", "to": "2026-09-01"}
    undated = _ways_back(client.get("/tickets", params=reversed_query, headers={"Accept": "text/html"}).text)
    listed = tables(_ok(client, undated["Without dates"])).tables["tickets"]
    assert len(listed) > 1 and listed == tables(_ok(client, "/tickets?" + urlencode(chosen))).tables["tickets"]


def test_the_ways_back_carry_hostile_values_encoded_and_escaped(client: httpx.Client) -> None:
    quote_break = '"><img src=x onerror=alert(1)>'
    query = {"from": "2026-09-10", "to": "2026-09-01", "verdict": SCRIPT, "pod": quote_break, "q": "a&b=c#d"}
    answer = client.get("/tickets", params=query, headers={"Accept": "text/html"})
    assert answer.status_code == 400
    assert SCRIPT not in answer.text and "<img" not in answer.text
    ways = _ways_back(answer.text)
    assert set(ways) == {"From 2026-09-01 to 2026-09-10", "Without dates"}
    kept = parse_qs(urlsplit(ways["Without dates"]).query)
    assert kept == {"verdict": [SCRIPT], "pod": [quote_break], "q": ["a&b=c#d"]}  # each value as it came
    # and the way back answers as the same query without dates does: a 400 naming the unknown pod, escaped
    back = client.get(ways["Without dates"], headers={"Accept": "text/html"})
    assert back.status_code == 400 and f"pod {quote_break}: no such pod" in html.unescape(back.text)
    assert "<img" not in back.text


# --- the ticket page ------------------------------------------------------------------------------


def test_ticket_page_has_one_lane_per_participant(client: httpx.Client, account: dict[str, int], store: Store) -> None:
    page = _ok(client, f"/tickets/{account['drive']}")
    heads = re.findall(r'<th class="lane-head" data-lane="([^"]+)">([^<]*)<small>([^<]*)</small>', page)
    roles = {lane: role for lane, _, role in heads}
    assert heads[0][0] == f"u{CUSTOMER}" and heads[0][2] == "customer"
    assert roles[f"u{ANA}"] == "assignee"
    assert roles[f"u{MARIA}"] == "contributor" and roles[f"u{BEN}"] == "contributor"
    assert 'class="ev public"' in page and 'class="ev internal"' in page
    assert "marker-assignment" in page and "⇄ assignment" in page
    for j in store.ticket_judgements(account["drive"]):
        assert html.escape(j.reason, quote=True) in page or html.escape(j.reason, quote=False) in page
        assert f'<span class="rule" title="rule {j.rule} of the policy">' in page  # its title shown, its id named
    assert "v-drive_by" in page and "v-intentional" in page
    assert client.get("/tickets/999999999").status_code == 404


# --- CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "table"),
    [
        ("/tickets?verdict=drive_by", "tickets"),
        ("/engineers", "engineers"),
        ("/", "weeks"),
        ("/regions", "regions"),
        ("/pods", "pods"),
    ],
)
def test_csv_matches_the_table(client: httpx.Client, url: str, table: str) -> None:
    shown = tables(_ok(client, url)).tables[table]
    sep = "&" if "?" in url else "?"
    answer = client.get(f"{url}{sep}format=csv&table={table}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert [[cell.removeprefix("'") for cell in row] for row in rows] == shown


def test_pages_are_offline(client: httpx.Client, account: dict[str, int]) -> None:
    for url in ("/", "/tickets", f"/tickets/{account['drive']}", "/engineers", "/pods", "/regions"):
        page = _ok(client, url)
        for target in re.findall(r'src="([^"]*)"', page):
            assert target.startswith("/"), (url, target)
        # the only links out: a ticket in the account's Zendesk, in a new tab that cannot reach back
        for tag in re.findall(r"<a [^>]*>", page):
            target = re.search(r'href="([^"]*)"', tag)
            assert target is not None, tag
            if not target.group(1).startswith(("/", "#")):
                assert re.fullmatch(r"https://example\.zendesk\.com/agent/tickets/\d+", target.group(1)), (url, tag)
                assert 'target="_blank"' in tag and 'rel="noopener noreferrer"' in tag, tag
    assert client.get("/static/intently.css").headers["content-type"].startswith("text/css")
    shared = client.get("/static/charts.css")  # the charts' rules for narrow screens: the HTML report inlines them
    assert shared.headers["content-type"].startswith("text/css") and shared.text == chart_css()


# --- the policy page ------------------------------------------------------------------------------


def test_policy_page_renders_the_handbook(client: httpx.Client) -> None:
    page = _ok(client, "/policy")
    # the handbook's headings sit under the page's own h1
    assert "<h2>Collaboration handbook:" in page and "<table>" in page and page.count("<h1>") == 1
    assert 'action="/policy/compare"' not in page  # a viewer sees no compare form


def test_markdown_raw_html_is_escaped() -> None:
    from intently.web.pages.policy import markdown_html

    out = str(markdown_html(f"# T {SCRIPT}\n\n[x](javascript:alert(1))\n"))
    assert "<script" not in out and "&lt;script&gt;" in out and 'href="javascript' not in out


def test_only_an_admin_compares_a_proposed_policy(client: httpx.Client, store: Store) -> None:
    from tests.dashboard_client import form_csrf

    proposal = "version: proposed-1\nrules:\n  ownership: {window: 2m}\n"
    viewer_csrf = form_csrf(_ok(client, "/"))
    denied = client.post("/policy/compare", data={"csrf": viewer_csrf, "proposal": proposal})
    assert denied.status_code == 403
    ensure_account(store, "ada", "admin")
    with httpx.Client(base_url=str(client.base_url), timeout=60) as admin:
        assert login(admin, "ada").status_code == 303
        page = _ok(admin, "/policy")
        assert 'action="/policy/compare"' in page
        token = form_csrf(page)
        assert admin.post("/policy/compare", data={"proposal": proposal}).status_code == 403
        assert admin.post("/policy/compare", data={"csrf": "forged", "proposal": proposal}).status_code == 403
        bad = admin.post("/policy/compare", data={"csrf": token, "proposal": "rules:\n  ownership: {window: soon}\n"})
        assert bad.status_code == 422 and "rules.ownership.window" in bad.text
        done = admin.post("/policy/compare", data={"csrf": token, "proposal": proposal})
        assert done.status_code == 200, done.text[:500]
        assert "judgements change" in done.text and "proposed-1" in done.text
        shown = tables(done.text).tables["verdicts"]
        assert [row[0] for row in shown[1:]] == [
            "Assignee's own work",
            "Took the ticket",
            "Intentional help",
            "Drive-by",
        ]


# --- regions: the split and the coverage heat map, on the demo's data (it has coverage) -------------


def _region_expected(judgements: list[Judgement], query: dict[str, str]) -> set[str]:
    found = set()
    for j in judgements:
        relation = "unknown" if j.out_of_region is None else ("outside" if j.out_of_region else "inside")
        if "rule" in query and j.rule != query["rule"]:
            continue
        if "public" in query and j.public != (query["public"] == "1"):
            continue
        if "relation" in query and relation != query["relation"]:
            continue
        if "hour" in query and j.created_at.astimezone(UTC).hour != int(query["hour"]):
            continue
        if (j.author_region or "unknown") != query["author_region"]:
            continue
        found.add(str(j.ticket_id))
    return found


def test_region_pod_tables_and_heat_map_link_to_their_tickets(tmp_path: Path) -> None:
    from intently.demo import generate_export
    from intently.store.pipeline import import_path

    summary = generate_export(tmp_path / "export", tickets=80, seed=3)
    policy = load_policy(summary.policy_path)
    with Store.open(str(tmp_path / "demo.db")) as store:
        import_path(tmp_path / "export", store, policy)
        ensure_account(store, "val", "viewer")
        judgements = list(store.judgements())
        assert any(j.rule == "coverage" for j in judgements)
        with dashboard(store, policy) as client:
            assert login(client, "val").status_code == 303
            page = _ok(client, "/regions")
            parsed = tables(page)
            heat = parsed.tables["coverage"]
            assert heat[0] == ["Region", *[f"{hour:02d}" for hour in range(24)]]
            assert sum(int(cell) for row in heat[1:] for cell in row[1:]) == sum(
                1 for j in judgements if j.rule == "coverage"
            )
            checked = 0
            for name in ("regions", "coverage"):
                for row_links in parsed.links[name][1:]:
                    for href in row_links:
                        if href is None:
                            continue
                        query = {key: values[0] for key, values in parse_qs(urlsplit(href).query).items()}
                        assert _ticket_links(_ok(client, href)) == _region_expected(judgements, query), href
                        checked += 1
            assert checked >= 5
            exported = client.get("/regions?format=csv&table=coverage").text
            assert list(csv.reader(io.StringIO(exported))) == heat
            pods = tables(_ok(client, "/pods"))
            assert len(pods.tables["pods"]) > 1
            pod_header = pods.tables["pods"][0]
            for row, row_links in zip(pods.tables["pods"][1:], pods.links["pods"][1:], strict=True):
                for column, cell, href in zip(pod_header, row, row_links, strict=True):
                    if href is None:
                        continue
                    query = {key: values[0] for key, values in parse_qs(urlsplit(href).query).items()}
                    expected = [
                        j
                        for j in judgements
                        if j.pod == query["pod_outside"]
                        and j.assignee_in_pod is False
                        and ("public" not in query or j.public == (query["public"] == "1"))
                        and ("verdict" not in query or j.verdict == query["verdict"])
                        and ("acknowledged" not in query or (j.acknowledged is True) == (query["acknowledged"] == "1"))
                    ]
                    target = _ok(client, href)
                    tickets = {str(j.ticket_id) for j in expected}
                    assert _ticket_links(target) == tickets, href
                    assert _comments(target) == len(expected)
                    assert int(cell) == (len(tickets) if column == "Tickets" else len(expected)), column


def test_browsers_get_error_pages_and_api_clients_json(client: httpx.Client) -> None:
    missing = client.get("/tickets/999999999", headers={"accept": "text/html"})
    assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.text
    assert client.get("/tickets/999999999").json() == {"detail": "no such ticket"}
    api = client.get("/api/tickets/1/judgements", headers={"accept": "text/html"})
    assert api.status_code == 401 and api.headers["content-type"].startswith("application/json")


def test_drive_bys_of_the_last_month_are_one_click_away(client: httpx.Client, store: Store) -> None:
    judgements = list(store.judgements())
    last = max(j.created_at for j in judgements).astimezone(UTC).date()
    page = _ok(client, "/")
    link = html.unescape(re.search(r'<a href="([^"]+)">those of the last 30 days</a>', page).group(1))
    expected = {
        str(j.ticket_id)
        for j in judgements
        if j.verdict == "drive_by" and (last - j.created_at.astimezone(UTC).date()).days < 30
    }
    assert expected and _ticket_links(_ok(client, link)) == expected


def test_quick_date_ranges_count_back_from_today() -> None:
    from intently.web.pages.views import date_ranges

    ranges = {r.label: (r.start, r.end) for r in date_ranges(date(2026, 11, 27))}
    assert ranges == {
        "Last 7 days": (date(2026, 11, 21), date(2026, 11, 27)),
        "Last 30 days": (date(2026, 10, 29), date(2026, 11, 27)),
        "Last month (October 2026)": (date(2026, 10, 1), date(2026, 10, 31)),
        "Last 90 days": (date(2026, 8, 30), date(2026, 11, 27)),
    }
    january = {r.label: (r.start, r.end) for r in date_ranges(date(2027, 1, 1))}
    assert january["Last month (December 2026)"] == (date(2026, 12, 1), date(2026, 12, 31))


def test_date_range_links_keep_the_other_filters_and_the_selection(client: httpx.Client, store: Store) -> None:
    region = next(j.preferred_region for j in store.judgements() if j.preferred_region)
    page = _ok(client, f"/tickets?verdict=drive_by&region={region}")
    month = re.search(r'<a href="([^"]+)"[^>]*>Last month \(', page)
    assert month is not None
    query = parse_qs(urlsplit(html.unescape(month.group(1))).query)
    assert query["verdict"] == ["drive_by"] and query["region"] == [region]
    start, end = date.fromisoformat(query["from"][0]), date.fromisoformat(query["to"][0])
    assert start.day == 1 and (end + timedelta(days=1)).day == 1 and end < datetime.now(UTC).date()
    # the page in words, not in query parameters
    assert "Tickets with comments judged as: <strong>Drive-by</strong> (filtered)" in page
    ana = _ok(client, f"/tickets?author={ANA}&public=1&contributor=0")
    assert "<strong>public replies, by the assignee, by Ana Lee</strong>" in ana


def test_ticket_page_lists_open_solicitations(client: httpx.Client, store: Store) -> None:
    from intently.engine import solicitations

    policy, users = load_policy(), store.directory().users
    found = {h.ticket.id: [s for s in solicitations(h, users, policy) if s.open] for h in store.histories()}
    asked = next(ticket_id for ticket_id, items in found.items() if items)
    page = _ok(client, f"/tickets/{asked}")
    assert "Open solicitations:" in page
    assert all(html.escape(s.detail) in page for s in found[asked])
    quiet = next(ticket_id for ticket_id, items in found.items() if not items)
    assert "No open solicitations." in _ok(client, f"/tickets/{quiet}")
