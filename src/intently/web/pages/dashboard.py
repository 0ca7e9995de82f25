"""The dashboard: Overview, the ticket list behind every chart element, the Ticket page, Engineers, Pods,
Regions. Every route needs a logged-in account (:func:`intently.web.access.sessions.viewer`); every table can be
had as CSV with ``?format=csv&table=NAME``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from intently.guide.advice import invitations
from intently.report import svg
from intently.report.formatting import MUTED_COLOUR, OTHER_COLOUR, VERDICT_COLOURS, VOICE_LABELS, fmt_pct
from intently.report.metrics import VERDICT_LABELS, Engineer, Metrics, PodStats
from intently.web.access.accounts import Session
from intently.web.access.sessions import viewer
from intently.web.ids import parse_id
from intently.web.pages.render import page
from intently.web.pages.timeline import ticket_view
from intently.web.pages.views import (
    INSIDE,
    OUTSIDE,
    UNKNOWN,
    Cell,
    Data,
    Filters,
    Selection,
    Table,
    csv_response,
    date_ranges,
    id_text,
    link,
    load,
    num,
    selected_tickets,
    utc_hour,
)

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Session, Depends(viewer)]
HEAT_LEVELS = 6
Row = TypeVar("Row")


def query_params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


async def page_data(request: Request) -> Data:
    services = request.app.state.intently.services
    filters = Filters.from_query(query_params(request))
    base, behind = await run_in_threadpool(services.dashboard_base)
    data: Data = await run_in_threadpool(load, base, services.policy, filters, behind)
    return data


def respond(request: Request, session: Session, template: str, tables: list[Table], **context: Any) -> Response:
    """The page, or one of its tables as CSV (``?format=csv&table=NAME``; the first table without a name)."""
    params = query_params(request)
    if params.get("format") == "csv":
        wanted = params.get("table") or (tables[0].name if tables else "")
        table = next((t for t in tables if t.name == wanted), None)
        if table is None:
            raise HTTPException(status_code=404, detail="no such table on this page")
        return csv_response(table, f"intently-{table.name}.csv")
    if params.get("format") not in (None, "", "html"):
        raise HTTPException(status_code=400, detail="format: html or csv")
    return page(request, template, session, tables={t.name: t for t in tables}, csv_link=_csv_link(request), **context)


def _csv_link(request: Request) -> object:
    def make(name: str) -> str:
        pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in ("format", "table")]
        pairs += [("format", "csv"), ("table", name)]
        return request.url.path + "?" + urlencode(pairs)

    return make


def filter_form(data: Data) -> dict[str, Any]:
    pods = sorted(data.policy.organisation.pods)
    groups = sorted(((id_text(g.id), g.name) for g in data.groups.values()), key=lambda item: item[1].lower())
    f = data.filters
    ranges = [
        (r.label, dataclasses.replace(f, start=r.start, end=r.end).items(), (f.start, f.end) == (r.start, r.end))
        for r in date_ranges(datetime.now(UTC).date())
    ]
    return {
        "filters": f,
        "date_ranges": ranges,
        "as_of": data.as_of,
        "behind": data.behind,
        "regions": data.regions,
        "pods": pods,
        "groups": groups,
        "priorities": data.priorities,
    }


def _share_tooltip(label: str, part: int, whole: int) -> str:
    return f"{label}: {part:,} of {whole:,} ({part / whole * 100:.1f}%)" if whole else f"{label}: {part:,}"


def _verdict_colour(verdict: str) -> str:
    return VERDICT_COLOURS.get(verdict, OTHER_COLOUR)


def overview_charts(m: Metrics, filters: Filters) -> dict[str, Markup]:
    """The report's overview charts, each bar a link to the tickets behind it."""
    weeks = m.weeks
    names = [f"Week of {w.start.isoformat()}" for w in weeks]
    charts: dict[str, Markup] = {}
    charts["weekly"] = svg.stacked_columns(
        [f"{w.start:%d %b}" for w in weeks],
        [
            svg.Series(
                VERDICT_LABELS.get(v, v),
                _verdict_colour(v),
                [w.by_verdict.get(v, 0) for w in weeks],
                hrefs=[link("/tickets", filters, Selection(verdict=v, week=w.start)) for w in weeks],
            )
            for v in m.by_verdict
        ],
        label=f"Judged comments per week by verdict: {len(weeks)} weeks, {m.judged_comments:,} comments",
        tooltips=names,
        years=[str(w.start.year) for w in weeks],
    )
    total = m.judged_comments
    charts["rules"] = svg.horizontal_bars(
        [
            svg.Bar(
                m.rule_titles.get(rule, rule),
                count,
                _verdict_colour(m.rule_verdicts.get(rule, "")),
                _share_tooltip(m.rule_titles.get(rule, rule), count, total),
                f"{count:,} ({fmt_pct(count / total if total else None)})",
                href=link("/tickets", filters, Selection(rule=(rule,))),
            )
            for rule, count in m.by_rule.items()
        ],
        label="Judged comments by the rule that decided them",
        label_width=270,
    )
    share = m.drive_by_share
    charts["drive_by_share"] = svg.share_bar(
        [
            svg.Bar(
                "Drive-by",
                share.part,
                VERDICT_COLOURS["drive_by"],
                _share_tooltip("Drive-bys", share.part, share.whole),
                href=link("/tickets", filters, Selection(verdict="drive_by", public=True, contributor=True)),
            ),
            svg.Bar(
                "Other contributor replies",
                share.whole - share.part,
                MUTED_COLOUR,
                _share_tooltip("Taken, asked for or covering", share.whole - share.part, share.whole),
                href=link("/tickets", filters, Selection(other_than="drive_by", public=True, contributor=True)),
            ),
        ],
        label=f"Drive-by share of contributor public replies: {fmt_pct(share.value)}",
    )
    voice_total = sum(m.voices.values())
    charts["voices"] = svg.horizontal_bars(
        [
            svg.Bar(
                VOICE_LABELS.get(bucket, bucket),
                count,
                VERDICT_COLOURS["assignee"] if bucket == "1" else (OTHER_COLOUR if bucket == "0" else "#e3a05b"),
                _share_tooltip(f"Tickets with {VOICE_LABELS.get(bucket, bucket)}", count, voice_total),
                f"{count:,} ({fmt_pct(count / voice_total if voice_total else None)})",
                href=link("/tickets", filters, Selection(voices=bucket)),
            )
            for bucket, count in m.voices.items()
        ],
        label="Tickets by the number of agents who replied publicly",
    )
    return charts


@router.get("/")
async def overview(request: Request, session: Viewer) -> Response:
    data = await page_data(request)
    m = data.metrics()
    f = data.filters
    weeks = Table("weeks", "Per week", ["Week", *[VERDICT_LABELS.get(v, v) for v in m.by_verdict], "Drive-by share"])
    for w in m.weeks:
        weeks.rows.append(
            [
                Cell(w.start.isoformat()),
                *[
                    num(w.by_verdict.get(v, 0), link("/tickets", f, Selection(verdict=v, week=w.start)))
                    for v in m.by_verdict
                ],
                Cell(fmt_pct(w.drive_by_share.value), numeric=True),
            ]
        )
    examples = Table("drive_bys", "Latest drive-bys", ["Ticket", "Author", "Assignee", "When", "Rule", "Drive-bys"])
    for e in m.drive_by_examples:
        examples.rows.append(
            [
                Cell(f"#{e.ticket_id}", f"/tickets/{e.ticket_id}"),
                Cell(e.author_name),
                Cell(e.assignee_name or "nobody"),
                Cell(e.created_at.strftime("%Y-%m-%d %H:%M")),
                Cell(m.rule_titles.get(e.rule, e.rule)),
                num(e.drive_bys_on_ticket),
            ]
        )
    recent = None
    if m.last_comment_at is not None and f.start is None and f.end is None:
        # the last 30 days of the data (not of the clock: a store may be old); hidden once dates are chosen
        last = m.last_comment_at.date()
        month = dataclasses.replace(f, start=last - timedelta(days=29), end=last)
        recent = link("/tickets", month, Selection(verdict="drive_by"))
    return respond(
        request,
        session,
        "overview.html.j2",
        [weeks, examples],
        recent_drive_bys=recent,
        m=m,
        charts=overview_charts(m, f),
        drive_by_link=link("/tickets", f, Selection(verdict="drive_by")),
        **filter_form(data),
    )


@router.get("/tickets")
async def tickets(request: Request, session: Viewer) -> Response:
    data = await page_data(request)
    selection = Selection.from_query(query_params(request))
    rows = await run_in_threadpool(selected_tickets, data, selection)
    table = Table("tickets", "Tickets", ["Ticket", "Subject", "Assignee", "Comments", "Drive-bys", "Last comment"])
    for r in rows:
        table.rows.append(
            [
                Cell(f"#{r.ticket_id}", f"/tickets/{r.ticket_id}"),
                Cell(r.subject),
                Cell(r.assignee),
                num(r.matched),
                num(r.drive_bys),
                Cell(r.last_at.strftime("%Y-%m-%d %H:%M")),
            ]
        )
    return respond(
        request,
        session,
        "tickets.html.j2",
        [table],
        selection=selection,
        selection_text=selection.describe(
            {id_text(uid): user.name for uid, user in data.users.items()},
            {rule_id: data.policy.rule(rule_id).title for rule_id in selection.rule if rule_id in data.policy.rules},
        ),
        comments=sum(r.matched for r in rows),
        **filter_form(data),
    )


@router.get("/tickets/{ticket_id}")
async def ticket(request: Request, session: Viewer, ticket_id: str) -> Response:
    wanted = parse_id(ticket_id)
    services = request.app.state.intently.services
    directory = (await run_in_threadpool(services.directory))[0]
    view = await run_in_threadpool(ticket_view, services.store, services.policy, wanted, directory)
    if view is None:
        raise HTTPException(status_code=404, detail="no such ticket")
    asked = await run_in_threadpool(invitations, view.history, directory, services.policy)
    judgements = Table("judgements", "Judgements", ["Comment", "Author", "When", "Public", "Verdict", "Rule", "Reason"])
    for j in view.judgements:
        judgements.rows.append(
            [
                Cell(str(j.comment_id), f"#comment-{j.comment_id}"),
                Cell(view.name(j.author_id)),
                Cell(j.created_at.strftime("%Y-%m-%d %H:%M")),
                Cell("public" if j.public else "internal"),
                Cell(j.verdict),
                Cell(j.rule),
                Cell(j.reason),
            ]
        )
    return respond(request, session, "ticket.html.j2", [judgements], view=view, solicitations=asked)


@dataclass(frozen=True, slots=True)
class Column(Generic[Row]):
    """One column of a counts table: its header, the value of a row, and (for counts) which judgements it counts,
    so the cell links to the tickets behind it."""

    header: str
    value: Callable[[Row], int | str]
    selects: Callable[[Row], Selection] | None = None


def _counts_table(name: str, title: str, rows: Iterable[Row], columns: list[Column[Row]], f: Filters) -> Table:
    table = Table(name, title, [column.header for column in columns])
    for row in rows:
        cells: list[Cell] = []
        for column in columns:
            value = column.value(row)
            if isinstance(value, str):
                cells.append(Cell(value))
            else:
                cells.append(num(value, link("/tickets", f, column.selects(row)) if column.selects else None))
        table.rows.append(cells)
    return table


def _engineer_columns() -> list[Column[Engineer]]:
    def by(e: Engineer, **conditions: Any) -> Selection:
        return Selection(author=id_text(e.id), **conditions)

    return [
        Column("Engineer", lambda e: e.name),
        Column("Region", lambda e: e.region or ""),
        Column("Public replies", lambda e: e.public_replies, lambda e: by(e, public=True)),
        Column("On own tickets", lambda e: e.own_public_replies, lambda e: by(e, public=True, own=True)),
        Column(
            "On others'", lambda e: e.public_replies - e.own_public_replies, lambda e: by(e, public=True, own=False)
        ),
        Column("Intentional help", lambda e: e.intentional_help, lambda e: by(e, verdict="intentional")),
        Column("Drive-bys", lambda e: e.drive_bys, lambda e: by(e, verdict="drive_by")),
        Column("Notes as contributor", lambda e: e.contributor_notes, lambda e: by(e, public=False, contributor=True)),
        Column(
            "Notes acknowledged",
            lambda e: e.notes_acknowledged,
            lambda e: by(e, public=False, contributor=True, acknowledged=True),
        ),
    ]


def _pod_columns() -> list[Column[PodStats]]:
    def on(p: PodStats, **conditions: Any) -> Selection:
        return Selection(pod_outside=p.name, **conditions)

    return [
        Column("Pod", lambda p: p.name),
        Column("Notes", lambda p: p.notes, lambda p: on(p, public=False)),
        Column("Acknowledged", lambda p: p.acknowledged, lambda p: on(p, public=False, acknowledged=True)),
        Column(
            "Not acknowledged", lambda p: p.notes - p.acknowledged, lambda p: on(p, public=False, acknowledged=False)
        ),
        Column("Public replies", lambda p: p.public_replies, lambda p: on(p, public=True)),
        Column("Drive-bys", lambda p: p.drive_bys, lambda p: on(p, verdict="drive_by")),
        Column("Members active", lambda p: p.members_active),
        Column("Tickets", lambda p: p.tickets, lambda p: on(p)),
    ]


TOP_ENGINEERS = 12


def _column(columns: list[Column[Row]], header: str) -> Column[Row]:
    return next(c for c in columns if c.header == header)


def _top_bars(rows: list[Row], columns: list[Column[Row]], header: str, colour: str, f: Filters) -> Markup | None:
    """The rows with the most of one column, as linked bars (None when every row has none)."""
    column = _column(columns, header)
    name = columns[0]
    counted = [(r, int(column.value(r))) for r in rows]
    ranked = [(r, n) for r, n in sorted(counted, key=lambda item: -item[1])[:TOP_ENGINEERS] if n]
    if not ranked:
        return None
    bars = [
        svg.Bar(
            str(name.value(r)),
            n,
            colour,
            f"{name.value(r)}: {n:,} {header.lower()}",
            href=link("/tickets", f, column.selects(r)) if column.selects else None,
        )
        for r, n in ranked
    ]
    return svg.horizontal_bars(bars, label=f"{header} by engineer (the {len(bars)} with the most)", label_width=200)


@router.get("/engineers")
async def engineers(request: Request, session: Viewer) -> Response:
    data = await page_data(request)
    rows, columns, f = data.metrics().engineers, _engineer_columns(), data.filters
    table = _counts_table("engineers", "Engineers", rows, columns, f)
    wanted = (
        ("Drive-bys by engineer", "Drive-bys", VERDICT_COLOURS["drive_by"]),
        (
            "Intentional help by engineer (notes, asked to help, coverage)",
            "Intentional help",
            VERDICT_COLOURS["intentional"],
        ),
    )
    charts = [
        (title, chart) for title, header, colour in wanted if (chart := _top_bars(rows, columns, header, colour, f))
    ]
    return respond(
        request, session, "table_page.html.j2", [table], heading="Engineers", charts=charts, **filter_form(data)
    )


@router.get("/pods")
async def pods(request: Request, session: Viewer) -> Response:
    data = await page_data(request)
    pod_stats, columns = data.metrics().pods, _pod_columns()
    table = _counts_table("pods", "Pods", pod_stats, columns, data.filters)
    charts = [
        (f"{pod.name}: notes on tickets assigned outside the pod", _acknowledged_bar(pod, columns, data.filters))
        for pod in pod_stats
        if pod.notes
    ]
    intro = (
        "Pod members' notes and replies on tickets with the pod's topic tags that were assigned outside the "
        "pod, and how many of the notes the assignee acknowledged."
    )
    return respond(
        request,
        session,
        "table_page.html.j2",
        [table],
        heading="Pods",
        intro=intro,
        charts=charts,
        **filter_form(data),
    )


def _acknowledged_bar(pod: PodStats, columns: list[Column[PodStats]], f: Filters) -> Markup:
    """A pod's notes on tickets assigned outside the pod, acknowledged by the assignee or not: the table's two
    columns of that name, as one bar."""
    bars = []
    for header, colour in (("Acknowledged", VERDICT_COLOURS["intentional"]), ("Not acknowledged", MUTED_COLOUR)):
        column = _column(columns, header)
        count = int(column.value(pod))
        selects = column.selects
        bars.append(
            svg.Bar(
                header,
                count,
                colour,
                _share_tooltip(header, count, pod.notes),
                href=link("/tickets", f, selects(pod)) if selects else None,
            )
        )
    return svg.share_bar(bars, label=f"{pod.name}: {pod.acknowledged:,} of {pod.notes:,} notes acknowledged")


@router.get("/regions")
async def regions(request: Request, session: Viewer) -> Response:
    data = await page_data(request)
    m = data.metrics()
    f = data.filters
    split = Table(
        "regions",
        "Public replies by the author's region",
        ["Author region", "Inside", "Outside", "Unknown", "Outside share"],
    )
    for name, s in m.regions.by_author_region.items():
        split.rows.append(
            [
                Cell(name),
                num(s.inside, link("/tickets", f, Selection(author_region=name, public=True, relation=INSIDE))),
                num(s.outside, link("/tickets", f, Selection(author_region=name, public=True, relation=OUTSIDE))),
                num(s.unknown, link("/tickets", f, Selection(author_region=name, public=True, relation=UNKNOWN))),
                Cell(fmt_pct(s.outside_share.value), numeric=True),
            ]
        )
    # Coverage (public replies for an unavailable assignee) by the covering author's region and hour (UTC).
    counts: dict[str, list[int]] = {name: [0] * 24 for name in m.regions.coverage_by_author_region}
    for j in data.judgements:
        if j.rule == "coverage" and j.public:
            counts.setdefault(j.author_region or UNKNOWN, [0] * 24)[utc_hour(j.created_at)] += 1
    top = max((max(hours) for hours in counts.values()), default=0)
    heat = Table("coverage", "Coverage by region and hour of day (UTC)", ["Region", *[f"{h:02d}" for h in range(24)]])
    levels: list[list[int]] = []
    for name, hours in counts.items():
        heat.rows.append(
            [
                Cell(name),
                *[
                    num(count, link("/tickets", f, Selection(rule=("coverage",), author_region=name, hour=hour)))
                    for hour, count in enumerate(hours)
                ],
            ]
        )
        levels.append([0 if not count else 1 + (count * (HEAT_LEVELS - 2)) // max(top, 1) for count in hours])
    return respond(request, session, "regions.html.j2", [split, heat], m=m, levels=levels, **filter_form(data))
