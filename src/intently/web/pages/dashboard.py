"""The dashboard: Overview, the ticket list behind every chart element, the Ticket page, Engineers, Pods,
Regions. Every route needs a logged-in account (:func:`intently.web.access.sessions.viewer`); every table can be
had as CSV with ``?format=csv&table=NAME``."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from intently.engine.judgement import VERDICT_LABELS
from intently.guide.advice import invitations
from intently.model import Id
from intently.policy import Policy, fingerprint
from intently.report import svg
from intently.report.digest.summary import Figure
from intently.report.formatting import (
    MUTED_COLOUR,
    OTHER_COLOUR,
    VERDICT_COLOURS,
    VOICE_LABELS,
    fmt_date,
    fmt_pct,
    fmt_share,
    fmt_short_date,
    fmt_span,
    ticket_link,
)
from intently.report.metrics import (
    RECENT_DAYS,
    Engineer,
    Metrics,
    PodStats,
    Share,
    previous_period,
    recent_period,
    stored_metrics,
)
from intently.store.queries import RegionTickets, id_encodings, public_replies_by_region, region_tickets
from intently.web.access.accounts import Session
from intently.web.access.sessions import viewer
from intently.web.errors import BadQuery
from intently.web.ids import engineer_path, parse_id, ticket_path
from intently.web.pages.render import page
from intently.web.pages.timeline import ticket_view
from intently.web.pages.views import (
    INSIDE,
    OUTSIDE,
    SORT_COLUMNS,
    UNKNOWN,
    Cell,
    Data,
    Filters,
    Paging,
    Selection,
    Table,
    TicketRow,
    coverage_by_hour,
    csv_response,
    date_ranges,
    facet_of,
    id_text,
    label_id,
    link,
    load,
    num,
    selected_tickets,
    zendesk_link,
)

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Session, Depends(viewer)]
HEAT_LEVELS = 6
Row = TypeVar("Row")


def query_params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def this_page(request: Request, changed: Mapping[str, str | None]) -> str:
    """This page's URL with its query as it came, but the parameters in ``changed`` set to a value or dropped
    (None), and without the page number (other filters list other tickets); every part encoded."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in changed and k != "page"]
    pairs += [(k, v) for k, v in changed.items() if v is not None]
    return quote(request.url.path, safe="/") + ("?" + urlencode(pairs) if pairs else "")


def reversed_period(request: Request, filters: Filters) -> BadQuery | None:
    """A period that ends before it starts: a 400 whose ways back keep the rest of the query (region, pod,
    verdict...), with the two dates swapped or without dates."""
    problem = filters.reversed_period()
    if problem is None or filters.start is None or filters.end is None:
        return None
    earlier, later = filters.end.isoformat(), filters.start.isoformat()
    return BadQuery(
        f"query parameter {problem} (the period ends before it starts)",
        [
            (f"From {earlier} to {later}", this_page(request, {"from": earlier, "to": later})),
            ("Without dates", this_page(request, {"from": None, "to": None})),
        ],
    )


async def page_data(request: Request) -> Data:
    services = request.app.state.intently.services
    filters = Filters.from_query(query_params(request))
    bad_period = reversed_period(request, filters)
    if bad_period is not None:
        raise bad_period
    if filters.active():  # a filter naming nothing known is a 400 listing what is, not an empty page
        directory = (await run_in_threadpool(services.directory))[0]
        try:
            filters = filters.known(services.policy, directory.groups.values())
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=f"query parameter {exc}") from None
    base, behind = await run_in_threadpool(services.dashboard_base)
    return load(base, services.policy, filters, behind)


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
    names = [f"Week of {fmt_date(w.start)}" for w in weeks]
    charts: dict[str, Markup] = {}
    charts["weekly"] = svg.stacked_columns(
        [fmt_short_date(w.start) for w in weeks],
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
    weekly_share = [w.drive_by_share for w in weeks]
    charts["drive_by_trend"] = svg.share_line(
        [fmt_short_date(w.start) for w in weeks],
        [sh.value for sh in weekly_share],
        label=f"Drive-by share per week, {len(weeks)} weeks; period average {fmt_pct(share.value)}",
        tooltips=[
            f"{name}: {fmt_pct(sh.value)} ({sh.part:,} of {sh.whole:,})"
            if sh.whole
            else f"{name}: no contributor replies"
            for name, sh in zip(names, weekly_share, strict=True)
        ],
        colour=VERDICT_COLOURS["drive_by"],
        average=share.value,
        hrefs=[link("/tickets", filters, Selection(verdict="drive_by", week=w.start)) for w in weeks],
        years=[str(w.start.year) for w in weeks],
        bases=[sh.whole for sh in weekly_share],
    )
    return charts


@dataclass(frozen=True, slots=True)
class Trend:
    """A headline figure against the previous period of the same length."""

    figure: Figure
    text: str
    """``up 2.1 points from 12.4% in the 30 days before (1–30 Sep 2026)``; for the data's last 30 days (no dates
    chosen), with the figure of those 30 days first."""

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "same": "=", "n/a": ""}[self.figure.direction]

    @property
    def tone(self) -> str:
        good = self.figure.good_news
        return "neutral" if good is None else ("good" if good else "bad")


def compared_periods(f: Filters, m: Metrics) -> tuple[Filters, Filters, bool] | None:
    """(this period, the previous one of the same length, whether this period is the data's last days because no
    dates were chosen); None when there is nothing dated to compare."""
    first = m.first_comment_at.date() if m.first_comment_at else None
    last = m.last_comment_at.date() if m.last_comment_at else None
    start: date | None
    end: date | None
    if f.start is None and f.end is None:
        if last is None:
            return None
        (start, end), recent = recent_period(last), True
    else:
        start, end, recent = f.start or first, f.end or last, False
    if start is None or end is None or end < start:
        return None
    before_start, before_end = previous_period(start, end)
    before = dataclasses.replace(f, start=before_start, end=before_end)
    return dataclasses.replace(f, start=start, end=end), before, recent


def _days(start: date | None, end: date | None) -> str:
    if start is None or end is None:
        return ""
    return fmt_span(start, end)


def trends(data: Data, m: Metrics) -> dict[str, Trend]:
    """Each headline figure against the previous period of the same length, counted alike (the report's metrics
    under the same filters, with the previous period's dates)."""
    periods = compared_periods(data.filters, m)
    if periods is None:
        return {}
    now_filters, before_filters, recent = periods
    now = load(data.base, data.policy, now_filters).metrics() if recent else m
    before = load(data.base, data.policy, before_filters).metrics()
    assert now_filters.start is not None and now_filters.end is not None
    length = (now_filters.end - now_filters.start).days + 1
    words = (
        f"in the {length:,} day{'s' if length != 1 else ''} before ({_days(before_filters.start, before_filters.end)})"
    )
    figures = {
        "tickets": Figure("tickets", "Tickets", now.tickets, before.tickets),
        "judged": Figure("judged", "Judged comments", now.judged_comments, before.judged_comments),
        "drive_by_share": Figure(
            "drive_by_share", "Drive-by share", now.drive_by_share, before.drive_by_share, "lower"
        ),
        "drive_by_tickets": Figure(
            "drive_by_tickets", "Tickets with a drive-by", now.drive_by_tickets, before.drive_by_tickets, "lower"
        ),
    }
    found = {}
    for key, figure in figures.items():
        text = figure.change_text(words)
        if recent:
            text = f"last {RECENT_DAYS} days of the data: {figure.now_text}, {text}"
        found[key] = Trend(figure, text)
    return found


@router.get("/")
async def overview(request: Request, session: Viewer) -> Response:
    data = await page_data(request)
    m = await run_in_threadpool(data.metrics)
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
                ticket_cell(data, e.ticket_id),
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
    compared = await run_in_threadpool(trends, data, m)
    return respond(
        request,
        session,
        "overview.html.j2",
        [weeks, examples],
        recent_drive_bys=recent,
        m=m,
        imported=None if f.active() else data.base.imported_tickets,
        trends=compared,
        charts=overview_charts(m, f),
        drive_by_link=link("/tickets", f, Selection(verdict="drive_by")),
        **filter_form(data),
    )


TICKET_COLUMNS = ["Ticket", "Subject", "Assignee", "Comments", "Drive-bys", "Drove by", "Last comment"]


def ticket_cell(data: Data, ticket_id: Id) -> Cell:
    """A ticket's id: a link to its page here, and (when the account is known) to the ticket in Zendesk."""
    return Cell(f"#{ticket_id}", ticket_path(ticket_id), external=zendesk_link(data, ticket_id))


def _ticket_table(rows: Iterable[TicketRow], data: Data) -> Table:
    table = Table("tickets", "Tickets", TICKET_COLUMNS)
    for r in rows:
        table.rows.append(
            [
                ticket_cell(data, r.ticket_id),
                Cell(r.subject),
                Cell(r.assignee),
                num(r.matched),
                num(r.drive_bys),
                Cell(", ".join(name if n == 1 else f"{name} ({n:,})" for name, n in r.drove_by)),
                Cell(r.last_at.strftime("%Y-%m-%d %H:%M")),
            ]
        )
    return table


@router.get("/tickets")
async def tickets(request: Request, session: Viewer) -> Response:
    data = await page_data(request)
    params = query_params(request)
    selection = Selection.from_query(params)
    paging = Paging.from_query(params)
    every = params.get("format") == "csv"  # the CSV has every ticket of the list, in the page's order
    found = await run_in_threadpool(selected_tickets, data, selection, paging, every=every)
    table = _ticket_table(found.rows, data)
    kept = [*data.filters.items(), *selection.items()]

    def at(**change: Any) -> str:
        """This list with another order or page."""
        chosen = dataclasses.replace(paging, **change)
        pairs = [*kept, *chosen.items()] + ([("page", str(chosen.page))] if chosen.page != 1 else [])
        return "/tickets" + ("?" + urlencode(pairs) if pairs else "")

    sorting = {}
    for header, key in SORT_COLUMNS.items():
        current = paging.sort == key
        descending = not paging.descending if current else key in ("comments", "drive_bys", "last")
        sorting[header] = (
            at(sort=key, descending=descending, page=1),
            ("descending" if paging.descending else "ascending") if current else None,
        )
    pages = found.pages
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
        listed=found,
        sorting=sorting,
        search_hidden=[*selection.items(), *[(k, v) for k, v in paging.items() if k != "q"]],
        previous_page=at(page=paging.page - 1) if paging.page > 1 else None,
        next_page=at(page=paging.page + 1) if paging.page < pages else None,
        first_row=(paging.page - 1) * paging.per_page + 1 if found.rows else 0,
        **filter_form(data),
    )


@router.get("/tickets/{ticket_id:path}")  # a text id may hold "/" (encoded in links, decoded here)
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
                label_id(j.comment_id, f"#comment-{j.comment_id}"),
                Cell(view.name(j.author_id)),
                Cell(j.created_at.strftime("%Y-%m-%d %H:%M")),
                Cell("public" if j.public else "internal"),
                Cell(VERDICT_LABELS.get(j.verdict, j.verdict)),
                Cell(j.rule),
                Cell(j.reason),
            ]
        )
    base = (await run_in_threadpool(services.dashboard_base))[0]
    zendesk = ticket_link(base.zendesk_base, view.history.ticket.id)
    compact = request.query_params.get("view") == "compact"
    return respond(
        request,
        session,
        "ticket.html.j2",
        [judgements],
        view=view,
        solicitations=asked,
        zendesk=zendesk,
        compact=compact,
    )


@dataclass(frozen=True, slots=True)
class Column(Generic[Row]):
    """One column of a counts table: its header, the value of a row (a count, a text, or a rate), and (for counts)
    which judgements it counts, so the cell links to the tickets behind it; ``href`` links a text cell."""

    header: str
    value: Callable[[Row], int | str | Share]
    selects: Callable[[Row], Selection] | None = None
    href: Callable[[Row], str] | None = None

    @property
    def key(self) -> str:
        """The column's ``sort`` parameter: its header in lower case, words joined by ``_``."""
        return "_".join("".join(ch if ch.isalnum() else " " for ch in self.header.lower()).split())


def _cell(column: Column[Row], row: Row, f: Filters) -> Cell:
    value = column.value(row)
    if isinstance(value, str):
        return Cell(value, column.href(row) if column.href else None, sort_value=value.casefold())
    if isinstance(value, Share):  # with its base, so that a reader can check it: "30.5% (29 of 95)"
        text = fmt_share(value) if value.whole else "n/a"
        return Cell(text, numeric=True, sort_value=value.value)
    return num(value, link("/tickets", f, column.selects(row)) if column.selects else None)


def _counts_table(name: str, title: str, rows: Iterable[Row], columns: list[Column[Row]], f: Filters) -> Table:
    table = Table(name, title, [column.header for column in columns])
    for row in rows:
        table.rows.append([_cell(column, row, f) for column in columns])
    return table


@dataclass(frozen=True, slots=True)
class Order:
    """A counts table's order, from the ``sort`` and ``dir`` query parameters (by a column's key)."""

    key: str | None = None
    descending: bool = True

    @classmethod
    def from_query(cls, params: dict[str, str], columns: list[Column[Row]]) -> Order:
        key = params.get("sort") or None
        if key is not None and key not in {c.key for c in columns}:
            raise HTTPException(
                status_code=400, detail=f"query parameter 'sort': one of {', '.join(c.key for c in columns)}"
            )
        direction = params.get("dir") or None
        if direction not in (None, "asc", "desc"):
            raise HTTPException(status_code=400, detail="query parameter 'dir': asc or desc")
        text = key is not None and key == columns[0].key
        return cls(key, (direction or ("asc" if text else "desc")) == "desc")


def sort_table(table: Table, columns: list[Column[Row]], order: Order) -> None:
    """Sort ``table``'s rows by the chosen column (rows without a value, such as a rate of nothing, last; ties by
    the first column)."""
    if order.key is None:
        return
    index = next(i for i, c in enumerate(columns) if c.key == order.key)

    def value(row: list[Cell]) -> Any:
        cell = row[index]
        return cell.sort_value if cell.sort_value is not None else cell.text.casefold()

    present = [row for row in table.rows if row[index].sort_value is not None or not row[index].numeric]
    missing = [row for row in table.rows if row[index].sort_value is None and row[index].numeric]
    present.sort(key=lambda row: row[0].text.casefold())
    present.sort(key=value, reverse=order.descending)
    table.rows = present + missing


def sorting_links(request: Request, columns: list[Column[Row]], order: Order) -> dict[str, tuple[str, str | None]]:
    """Each header's link to sort by it (again: the other way) and its ``aria-sort`` state."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("sort", "dir", "format", "table")]
    found: dict[str, tuple[str, str | None]] = {}
    for index, column in enumerate(columns):
        current = order.key == column.key
        descending = not order.descending if current else index != 0
        pairs = [*kept, ("sort", column.key), ("dir", "desc" if descending else "asc")]
        state = ("descending" if order.descending else "ascending") if current else None
        found[column.header] = (request.url.path + "?" + urlencode(pairs), state)
    return found


def _engineer_columns(f: Filters) -> list[Column[Engineer]]:
    def by(e: Engineer, **conditions: Any) -> Selection:
        return Selection(author=id_text(e.id), **conditions)

    return [
        Column("Engineer", lambda e: e.name, href=lambda e: link(engineer_path(e.id), f)),
        Column("Region", lambda e: e.region or "unknown"),
        Column("Public replies", lambda e: e.public_replies, lambda e: by(e, public=True)),
        Column("On own tickets", lambda e: e.own_public_replies, lambda e: by(e, public=True, own=True)),
        Column("Own share", lambda e: e.own_share),
        Column(
            "On others'", lambda e: e.public_replies - e.own_public_replies, lambda e: by(e, public=True, own=False)
        ),
        Column("Intentional help", lambda e: e.intentional_help, lambda e: by(e, verdict="intentional")),
        Column("Drive-bys", lambda e: e.drive_bys, lambda e: by(e, verdict="drive_by")),
        Column("Drive-by rate", lambda e: e.drive_by_share),
        Column("Notes as contributor", lambda e: e.contributor_notes, lambda e: by(e, public=False, contributor=True)),
        Column(
            "Notes acknowledged",
            lambda e: e.notes_acknowledged,
            lambda e: by(e, public=False, contributor=True, acknowledged=True),
        ),
        Column("Acknowledged share", lambda e: e.acknowledged_share),
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


def _count(value: int | str | Share) -> int:
    return value if isinstance(value, int) else 0


def _top_bars(rows: list[Row], columns: list[Column[Row]], header: str, colour: str, f: Filters) -> Markup | None:
    """The rows with the most of one column, as linked bars (None when every row has none)."""
    column = _column(columns, header)
    name = columns[0]
    counted = [(r, _count(column.value(r))) for r in rows]
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
    f = data.filters
    rows, columns = (await run_in_threadpool(data.metrics)).engineers, _engineer_columns(f)
    order = Order.from_query(query_params(request), columns)
    table = _counts_table("engineers", "Engineers", rows, columns, f)
    sort_table(table, columns, order)
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
    intro = (
        "Own share: their public replies on their own tickets (as the assignee, or taking the ticket). Drive-by rate: "
        "drive-bys of their public replies as a contributor (as the team's drive-by share counts). Acknowledged "
        "share: their notes as a contributor that the assignee acknowledged. Click a header to sort, a name for "
        "the engineer's page."
    )
    return respond(
        request,
        session,
        "table_page.html.j2",
        [table],
        heading="Engineers",
        intro=intro,
        charts=charts,
        sorting={"engineers": sorting_links(request, columns, order)},
        **filter_form(data),
    )


@router.get("/pods")
async def pods(request: Request, session: Viewer) -> Response:
    data = await page_data(request)
    pod_stats, columns = (await run_in_threadpool(data.metrics)).pods, _pod_columns()
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
        count = _count(column.value(pod))
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
    m = await run_in_threadpool(data.metrics)
    f = data.filters
    split = Table(
        "regions",
        "Public replies by the author's region",
        ["Author region", "Inside", "Outside", "Customer's region unknown or any", "Outside share"],
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
    by_hour = await run_in_threadpool(data.base.cached, ("coverage", f), lambda: coverage_by_hour(data))
    for (region, hour), count in sorted(by_hour.items(), key=lambda item: (item[0][0] or "", item[0][1])):
        counts.setdefault(region or UNKNOWN, [0] * 24)[hour] += count
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
    sides = await run_in_threadpool(
        data.base.cached, ("customer side", fingerprint(data.policy), data.filters), lambda: customer_side(data)
    )
    unknown = unknown_agents(data, m)
    hint = region_hint(data.policy)
    return respond(
        request,
        session,
        "regions.html.j2",
        [split, heat, sides, unknown],
        m=m,
        levels=levels,
        region_hint=hint,
        **filter_form(data),
    )


def customer_side(data: Data) -> Table:
    """For the tickets preferring each region: the share of their public replies written by agents of that region
    (the report's inside/outside count, under the page's filters with that preferred region) and the share of
    them assigned to an agent of that region (the worked tickets' assignee at their last judged comment)."""
    f = data.filters
    table = Table(
        "customer_side",
        "From the customer's side: tickets preferring each region",
        [
            "Preferred region",
            "Tickets",
            "Public replies",
            "From agents of the region",
            "Region of the author unknown",
            "Assigned in the region",
            "Assignee's region unknown",
        ],
    )
    known = list(data.policy.organisation.regions)
    wanted = [r for r in known if f.region in (None, r)]
    with data.store.engine.connect() as conn:
        replies_by_region = public_replies_by_region(conn, data.scope())
        worked = region_tickets(conn, facet_of(data, Selection()))
    for region in wanted:
        scoped = dataclasses.replace(f, region=region)
        replies = replies_by_region.get(region, Counter())
        mine = worked.get(region, RegionTickets())
        table.rows.append(
            [
                Cell(region),
                num(mine.tickets, link("/tickets", scoped)),
                num(replies.total(), link("/tickets", scoped, Selection(public=True))),
                _share_cell(Share(part=replies[INSIDE], whole=replies[INSIDE] + replies[OUTSIDE])),
                num(replies[UNKNOWN], link("/tickets", scoped, Selection(public=True, relation=UNKNOWN))),
                _share_cell(Share(part=mine.inside, whole=mine.assigned)),
                num(mine.assignee_unknown),
            ]
        )
    return table


def _share_cell(share: Share) -> Cell:
    text = f"{fmt_pct(share.value)} ({share.part:,} of {share.whole:,})" if share.whole else "n/a (none)"
    return Cell(text, numeric=True, sort_value=share.value)


def region_hint(policy: Policy) -> str:
    """How an agent's region is set, in words, from the policy (``organisation.agent_region``)."""
    setting = policy.organisation.agent_region
    regions = ", ".join(policy.organisation.regions)
    zones = ", ".join(f"{prefix}/… → {region}" for prefix, region in sorted(setting.time_zone_prefixes.items()))
    text = f"In Zendesk, set the agent's user field {setting.user_field} to their region ({regions})"
    return text + (f", or their time zone to one the policy maps ({zones})." if zones else ".")


def unknown_agents(data: Data, m: Metrics) -> Table:
    """The agents whose region the policy cannot tell (so their replies count as "unknown"), busiest first."""
    replies = {e.id: e.public_replies for e in m.engineers}
    table = Table(
        "unknown_agents",
        "Agents whose region is unknown",
        ["Agent", "Public replies", "Time zone", "What to set"],
    )
    setting = data.policy.organisation.agent_region
    agents = [u for u in data.users.values() if u.is_agent and data.policy.region_of_user(u) is None]
    agents.sort(key=lambda u: (-replies.get(u.id, 0), u.name.casefold()))
    for user in agents:
        zone = user.time_zone or "none"
        table.rows.append(
            [
                Cell(user.name, link(engineer_path(user.id), data.filters) if user.id in replies else None),
                num(
                    replies.get(user.id, 0),
                    link("/tickets", data.filters, Selection(author=id_text(user.id), public=True)),
                ),
                Cell(zone),
                Cell(
                    f"{setting.user_field} (user field)"
                    + ("" if user.time_zone else ", or a time zone")
                    + (" (this time zone maps to no region)" if user.time_zone else "")
                ),
            ]
        )
    return table


ENGINEER_TICKETS = 20
"""Tickets listed on an engineer's page (the Tickets page, filtered by the engineer, has them all)."""


def engineer_metrics(data: Data, user_id: Id) -> Metrics:
    """The report's metrics over the engineer's own judged comments, under the page's filters."""
    me = frozenset(id_encodings(id_text(user_id)))
    scope = data.scope()
    authors = me if scope.authors is None else scope.authors & me
    return data.base.cached(
        ("engineer", fingerprint(data.policy), data.filters, id_text(user_id)),
        lambda: stored_metrics(
            data.store,
            data.users,
            policy_name=data.policy.name,
            policy_version=data.policy.version,
            policy=data.policy,
            scope=dataclasses.replace(scope, authors=authors),
        ),
    )


@router.get("/engineers/{user_id:path}")  # as a ticket's page: a text id may hold "/"
async def engineer(request: Request, session: Viewer, user_id: str) -> Response:
    wanted = parse_id(user_id, "engineer")
    data = await page_data(request)
    everyone = await run_in_threadpool(data.metrics)
    row = next((e for e in everyone.engineers if e.id == wanted), None)
    user = data.users.get(wanted)
    if row is None and (user is None or user.role not in ("agent", "admin")):
        raise HTTPException(status_code=404, detail="no such engineer")
    name = row.name if row is not None else data.name(wanted)
    mine = await run_in_threadpool(engineer_metrics, data, wanted)
    f, me = data.filters, id_text(wanted)
    verdicts = list(mine.by_verdict)
    weeks = Table(
        "weeks", "Their weeks", ["Week", "Judged", *[VERDICT_LABELS.get(v, v) for v in verdicts], "Drive-by rate"]
    )
    for w in reversed(mine.weeks):
        weeks.rows.append(
            [
                Cell(w.start.isoformat()),
                num(w.judged, link("/tickets", f, Selection(author=me, week=w.start))),
                *[
                    num(w.by_verdict.get(v, 0), link("/tickets", f, Selection(author=me, verdict=v, week=w.start)))
                    for v in verdicts
                ],
                _cell(Column("Drive-by rate", lambda week: week.drive_by_share), w, f),
            ]
        )
    found = await run_in_threadpool(selected_tickets, data, Selection(author=me), Paging(per_page=ENGINEER_TICKETS))
    tickets_table = _ticket_table(found.rows, data)
    tickets_table.name, tickets_table.title = "tickets", "Their latest tickets"
    share = mine.drive_by_share
    trend = svg.share_line(
        [fmt_short_date(w.start) for w in mine.weeks],
        [w.drive_by_share.value for w in mine.weeks],
        label=f"{name}: drive-by rate per week; average {fmt_pct(share.value)}",
        tooltips=[
            f"Week of {fmt_date(w.start)}: {fmt_pct(w.drive_by_share.value)} "
            f"({w.contributor_drive_bys:,} of {w.contributor_public:,} replies as a contributor)"
            for w in mine.weeks
        ],
        bases=[w.contributor_public for w in mine.weeks],
        colour=VERDICT_COLOURS["drive_by"],
        average=share.value,
        average_label="their average",
        hrefs=[link("/tickets", f, Selection(author=me, verdict="drive_by", week=w.start)) for w in mine.weeks],
        years=[str(w.start.year) for w in mine.weeks],
    )
    return respond(
        request,
        session,
        "engineer.html.j2",
        [weeks, tickets_table],
        heading=name,
        engineer=row,
        region=row.region if row is not None else data.policy.region_of_user(user),
        team=everyone,
        trend=trend if mine.weeks else None,
        listed=found,
        all_tickets=link("/tickets", f, Selection(author=me)),
        drive_bys=link("/tickets", f, Selection(author=me, verdict="drive_by")),
        **filter_form(data),
    )
