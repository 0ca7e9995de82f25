"""Reading what the report and the dashboard count: the rollups (:mod:`intently.store.rollups`) under the page-wide
filters, and the few figures a sum of counts cannot give, from the indexed ``judgements`` table (distinct tickets
and voices under a filter, the latest drive-bys, coverage by hour, the tickets behind a chart element, a page at a
time). No rule is applied here; these are counts of what the engine judged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    String,
    TableClause,
    and_,
    case,
    column,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles

from intently.model import Id
from intently.store import schema
from intently.store.rollups import CELL_COLUMNS, JUDGEMENT_COLUMNS, UNKNOWN, CellKey, cell_of
from intently.store.rows import decode_id, utc
from intently.store.search import subject_matches

J = schema.judgements
R = schema.judgement_rollups
T = schema.ticket_rollups
TK = schema.tickets
OC = schema.outcomes


class _TicketsNow(TableClause):
    """``tickets`` as it is now (id, assignee, group, priority): on SQLite read through the index
    ``ix_tickets_now``, which holds these columns. SQLite would otherwise look each ticket up by its primary key
    and read its row, which holds the whole history (it cannot tell how large a row is)."""

    inherit_cache = True


@compiles(_TicketsNow, "sqlite")
def _indexed(element: _TicketsNow, compiler: Any, **kw: Any) -> str:
    name = str(compiler.visit_table(element, **kw))
    return name + " INDEXED BY ix_tickets_now" if kw.get("asfrom") else name


TKN = _TicketsNow("tickets", *(column(name, TK.c[name].type) for name in ("id", "assignee_id", "group_id", "priority")))
"""``tickets`` where a query reads only the ticket as it is now (:class:`_TicketsNow`)."""


def id_encodings(text: str) -> list[str]:
    """Every stored form of an id shown as ``text`` (``str(id)``): the string id, and the integer id where
    ``text`` is one."""
    found = [orjson.dumps(text).decode()]
    stripped = text.removeprefix("-")
    if text.isascii() and stripped.isdigit() and str(int(text)) == text:
        found.append(text)
    return found


@dataclass(frozen=True, slots=True)
class Scope:
    """Which judgements count (all set conditions hold): ``start``/``end``: the comment's UTC day (inclusive);
    ``region``: the preferred region at the comment (``unknown``: none); ``priority``: the priority at the comment;
    ``groups``: the ticket's group now is one of these (stored ids); ``authors``: the author is one of these (stored
    ids; a pod's members)."""

    start: date | None = None
    end: date | None = None
    region: str | None = None
    priority: str | None = None
    groups: frozenset[str] | None = None
    authors: frozenset[str] | None = None

    @property
    def everything(self) -> bool:
        return all(
            value is None for value in (self.start, self.end, self.region, self.priority, self.groups, self.authors)
        )


def _label_is(column: Any, value: str) -> ColumnElement[bool]:
    """``(column or 'unknown') == value``, as the pages read a region."""
    if value == UNKNOWN:
        return or_(column.is_(None), column == "", column == UNKNOWN)
    return column == value


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def judgement_where(scope: Scope) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if scope.start is not None:
        where.append(J.c.created_at >= _start(scope.start))
    if scope.end is not None:
        where.append(J.c.created_at < _start(scope.end + timedelta(days=1)))
    if scope.region is not None:
        where.append(_label_is(J.c.preferred_region, scope.region))
    if scope.priority is not None:
        where.append(J.c.priority == scope.priority)
    if scope.groups is not None:
        where.append(J.c.ticket_id.in_(select(TK.c.id).where(TK.c.group_id.in_(sorted(scope.groups)))))
    if scope.authors is not None:
        where.append(J.c.author_id.in_(sorted(scope.authors)) if scope.authors else false())
    return where


def _cell_where(scope: Scope) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if scope.start is not None:
        where.append(R.c.day >= scope.start)
    if scope.end is not None:
        where.append(R.c.day <= scope.end)
    if scope.region is not None:
        where.append(
            R.c.preferred_region.in_(["", UNKNOWN]) if scope.region == UNKNOWN else R.c.preferred_region == scope.region
        )
    if scope.priority is not None:
        where.append(R.c.priority == scope.priority)
    if scope.authors is not None:
        where.append(R.c.author_id.in_(sorted(scope.authors)) if scope.authors else false())
    return where


# --- counts ---------------------------------------------------------------------------------------------------


class Count(NamedTuple):
    """Judgements of one combination of what the figures read, in one week (Monday to Sunday, UTC): ``first_day``
    and ``day`` are the first and the last day of that week with such judgements (ids decoded; ``None`` for
    none)."""

    day: date
    verdict: str
    rule: str
    author_id: Id
    public: bool
    contributor: bool
    acknowledged: bool
    relation: str
    author_region: str | None
    pod_outside: str | None
    n: int
    first_day: date


_COUNTED = tuple(name for name in CELL_COLUMNS if name not in ("day", "preferred_region", "priority"))


def _week_of(conn: Connection, day: Any) -> Any:
    """The Monday of ``day``'s week, in SQL."""
    if conn.dialect.name == "postgresql":
        return func.date_trunc("week", day)
    return func.date(day, "-6 days", "weekday 1")


class _Decoder:
    """Days and ids as the counts give them, each distinct value decoded once (a store has few authors and days
    but many combinations)."""

    def __init__(self) -> None:
        self._days: dict[Any, date] = {}
        self._ids: dict[str, Id] = {}

    def day(self, value: Any) -> date:
        found = self._days.get(value)
        if found is None:
            found = self._days[value] = value if isinstance(value, date) else date.fromisoformat(str(value))
        return found

    def id(self, value: str) -> Id:
        found = self._ids.get(value)
        if found is None:
            found = self._ids[value] = decode_id(value)  # type: ignore[assignment]
        return found  # type: ignore[return-value]

    def count(self, first: Any, last: Any, values: Sequence[Any], n: int) -> Count:
        verdict, rule, author, public, contributor, acknowledged, relation, region, pod = values
        return Count(
            self.day(last),
            verdict,
            rule,
            self.id(author),
            bool(public),
            bool(contributor),
            bool(acknowledged),
            relation,
            region or None,
            pod or None,
            int(n),
            self.day(first),
        )


def counts(conn: Connection, scope: Scope) -> list[Count]:
    """The judgements under ``scope``, counted per combination and week: from the rollups (summed per week in SQL:
    fewer, wider rows), or (a group filter: the group is the ticket's now, which the rollups do not keep) from the
    judgements themselves."""
    decoder = _Decoder()
    if scope.groups is None:
        columns = [R.c[name] for name in _COUNTED]
        week = _week_of(conn, R.c.day)
        query = (
            select(func.min(R.c.day), func.max(R.c.day), *columns, func.sum(R.c.n))
            .where(*_cell_where(scope))
            .group_by(week, *columns)
        )
        return [decoder.count(row[0], row[1], row[2:-1], row[-1]) for row in conn.execute(query)]
    found: dict[tuple[Any, ...], list[Any]] = {}
    query = select(*(J.c[name] for name in JUDGEMENT_COLUMNS)).where(*judgement_where(scope))
    for row in conn.execute(query):
        cell: CellKey = cell_of(dict(row._mapping))
        key = (cell.day - timedelta(days=cell.day.weekday()), *(getattr(cell, name) for name in _COUNTED))
        seen = found.get(key)
        if seen is None:
            found[key] = [cell.day, cell.day, 1]
        else:
            seen[0] = min(seen[0], cell.day)
            seen[1] = max(seen[1], cell.day)
            seen[2] += 1
    return [decoder.count(first, last, key[1:], n) for key, (first, last, n) in found.items()]


@dataclass(frozen=True, slots=True)
class TicketCounts:
    """Per-ticket figures under a scope: tickets by their number of distinct public voices, and how many have a
    drive-by."""

    voices: Counter[int] = field(default_factory=Counter)
    drive_by_tickets: int = 0

    @property
    def tickets(self) -> int:
        return sum(self.voices.values())


def ticket_counts(conn: Connection, scope: Scope) -> TicketCounts:
    if scope.everything:
        drove = T.c.drive_bys > 0
        query = select(T.c.voices, drove, func.count()).group_by(T.c.voices, drove)
    else:
        voices = func.count(func.distinct(case((J.c.public.is_(True), J.c.author_id), else_=None)))
        drove_by = func.max(case((J.c.verdict == "drive_by", 1), else_=0))
        per_ticket = (
            select(voices.label("v"), drove_by.label("d")).where(*judgement_where(scope)).group_by(J.c.ticket_id)
        ).subquery()
        query = select(per_ticket.c.v, per_ticket.c.d, func.count()).group_by(per_ticket.c.v, per_ticket.c.d)
    found: Counter[int] = Counter()
    drive_by_tickets = 0
    for voice_count, drove, n in conn.execute(query):
        found[int(voice_count)] += int(n)
        if drove:
            drive_by_tickets += int(n)
    return TicketCounts(found, drive_by_tickets)


def pod_tickets(conn: Connection, scope: Scope) -> dict[str, int]:
    """Distinct tickets per pod with members' judgements on pod-topic tickets assigned outside the pod."""
    query = (
        select(J.c.pod, func.count(func.distinct(J.c.ticket_id)))
        .where(J.c.pod.is_not(None), J.c.pod != "", J.c.assignee_in_pod.is_(False), *judgement_where(scope))
        .group_by(J.c.pod)
    )
    return {str(pod): int(n) for pod, n in conn.execute(query)}


def moment(conn: Connection, scope: Scope, day: date, *, last: bool) -> datetime | None:
    """The first (or last) judged comment's time on ``day`` under ``scope``."""
    pick = func.max(J.c.created_at) if last else func.min(J.c.created_at)
    where = [J.c.created_at >= _start(day), J.c.created_at < _start(day + timedelta(days=1)), *judgement_where(scope)]
    found = conn.execute(select(pick).where(*where)).scalar_one_or_none()
    return None if found is None else utc(found)


def latest_author_region(conn: Connection, scope: Scope, author_id: Id, day: date) -> str | None:
    """The author's region at their last judged comment on ``day`` that names one (store order: time, ticket,
    comment)."""
    from intently.store.rows import encode_id

    where = [
        J.c.author_id == encode_id(author_id),
        J.c.author_region.is_not(None),
        J.c.author_region != "",
        J.c.created_at >= _start(day),
        J.c.created_at < _start(day + timedelta(days=1)),
        *judgement_where(scope),
    ]
    query = (
        select(J.c.author_region)
        .where(*where)
        .order_by(J.c.created_at.desc(), J.c.ticket_id.desc(), J.c.comment_id.desc())
        .limit(1)
    )
    return conn.execute(query).scalar_one_or_none()


class DriveBy(NamedTuple):
    ticket_id: Id
    comment_id: Id
    author_id: Id
    assignee_id: Id | None
    created_at: datetime
    rule: str


def latest_drive_bys(conn: Connection, scope: Scope, tickets: int) -> list[DriveBy]:
    """Every drive-by under ``scope`` at or after the time of the newest drive-by of the ``tickets``-th most recent
    ticket with one: enough to find the latest drive-by of each of the ``tickets`` tickets, ties included."""
    columns = (J.c.ticket_id, J.c.comment_id, J.c.author_id, J.c.assignee_id, J.c.created_at, J.c.rule)
    where = [J.c.verdict == "drive_by", *judgement_where(scope)]
    limit = max(tickets * 10, 100)
    while True:
        rows = conn.execute(select(*columns).where(*where).order_by(J.c.created_at.desc()).limit(limit)).all()
        seen: set[str] = set()
        cutoff = None
        for row in rows:
            if row.ticket_id not in seen:
                seen.add(row.ticket_id)
                if len(seen) == tickets:
                    cutoff = row.created_at
                    break
        if cutoff is None and len(rows) == limit:
            limit *= 10
            continue
        if cutoff is not None:
            rows = conn.execute(select(*columns).where(*where, J.c.created_at >= cutoff)).all()
        return [
            DriveBy(
                decode_id(r.ticket_id),  # type: ignore[arg-type]
                decode_id(r.comment_id),  # type: ignore[arg-type]
                decode_id(r.author_id),  # type: ignore[arg-type]
                decode_id(r.assignee_id),
                utc(r.created_at),
                r.rule,
            )
            for r in rows
        ]


def drive_bys_on(conn: Connection, scope: Scope, ticket_ids: Iterable[Id]) -> dict[Id, int]:
    from intently.store.rows import encode_id

    keys = [encode_id(t) for t in ticket_ids]
    if not keys:
        return {}
    query = (
        select(J.c.ticket_id, func.count())
        .where(J.c.verdict == "drive_by", J.c.ticket_id.in_(keys), *judgement_where(scope))
        .group_by(J.c.ticket_id)
    )
    return {decode_id(t): int(n) for t, n in conn.execute(query)}  # type: ignore[misc]


def public_by_hour(conn: Connection, scope: Scope, rules: Iterable[str]) -> Counter[tuple[str | None, int]]:
    """Public replies by the rules given, per (author's region, UTC hour of the comment)."""
    query = select(J.c.author_region, J.c.created_at).where(
        J.c.rule.in_(sorted(rules)), J.c.public.is_(True), *judgement_where(scope)
    )
    found: Counter[tuple[str | None, int]] = Counter()
    for region, at in conn.execute(query):
        found[(region or None, utc(at).hour)] += 1
    return found


def labels(conn: Connection) -> tuple[list[str], list[str]]:
    """The preferred regions and the priorities the judgements name (for the filter form)."""
    regions = conn.execute(select(R.c.preferred_region).distinct()).scalars().all()
    priorities = conn.execute(select(R.c.priority).distinct()).scalars().all()
    return sorted(r for r in regions if r), sorted(p for p in priorities if p)


# --- the tickets behind a figure, a page at a time ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pick:
    """Which judgements a chart element or table cell counts (every set condition holds); ids as stored."""

    verdict: str | None = None
    other_than: str | None = None
    rules: tuple[str, ...] = ()
    week: date | None = None
    public: bool | None = None
    contributor: bool | None = None
    own: bool | None = None
    authors: tuple[str, ...] | None = None
    acknowledged: bool | None = None
    relation: str | None = None
    author_region: str | None = None
    hour: int | None = None
    pod_outside: str | None = None
    voices: str | None = None
    """The ticket's number of distinct public voices under the scope: ``0``-``3`` or ``4+``."""

    def where(self, conn: Connection, scope: Scope) -> list[ColumnElement[bool]]:
        contributor = or_(J.c.assignee_id.is_(None), J.c.author_id != J.c.assignee_id)
        where: list[ColumnElement[bool]] = []
        if self.verdict is not None:
            where.append(J.c.verdict == self.verdict)
        if self.other_than is not None:
            where.append(J.c.verdict != self.other_than)
        if self.rules:
            where.append(J.c.rule.in_(self.rules))
        if self.week is not None:
            where += [J.c.created_at >= _start(self.week), J.c.created_at < _start(self.week + timedelta(days=7))]
        if self.public is not None:
            where.append(J.c.public.is_(self.public))
        if self.contributor is not None:
            where.append(contributor if self.contributor else not_(contributor))
        if self.own is not None:
            own = or_(not_(contributor), J.c.verdict == "ownership_change")
            where.append(own if self.own else not_(own))
        if self.authors is not None:
            where.append(J.c.author_id.in_(self.authors))
        if self.acknowledged is not None:
            where.append(
                J.c.acknowledged.is_(True)
                if self.acknowledged
                else or_(J.c.acknowledged.is_(None), J.c.acknowledged.is_(False))
            )
        if self.relation is not None:
            where.append(
                J.c.out_of_region.is_(None)
                if self.relation == UNKNOWN
                else J.c.out_of_region.is_(self.relation == "outside")
                if self.relation in ("inside", "outside")
                else false()
            )
        if self.author_region is not None:
            where.append(_label_is(J.c.author_region, self.author_region))
        if self.hour is not None:
            where.append(_hour(conn) == self.hour)
        if self.pod_outside is not None:
            where += [J.c.pod == self.pod_outside, J.c.assignee_in_pod.is_(False)]
        if self.voices is not None:
            where.append(J.c.ticket_id.in_(_voiced(scope, self.voices)))
        return where

    @property
    def anything(self) -> bool:
        """No condition: every judgement under the scope."""
        return self == Pick()


def _hour(conn: Connection) -> ColumnElement[int]:
    if conn.dialect.name == "postgresql":
        return func.extract("hour", func.timezone("UTC", J.c.created_at)).cast(Integer)
    return func.cast(func.substr(J.c.created_at, 12, 2), Integer)


def _voiced(scope: Scope, bucket: str) -> Select[Any]:
    voices = func.count(func.distinct(case((J.c.public.is_(True), J.c.author_id), else_=None)))
    wanted = voices >= 4 if bucket == "4+" else (voices == int(bucket) if bucket.isdigit() else false())
    return select(J.c.ticket_id).where(*judgement_where(scope)).group_by(J.c.ticket_id).having(wanted)


@dataclass(frozen=True, slots=True)
class TicketFacet:
    """Tickets chosen at the ticket's level (the Outcomes page's links): by collaboration class and outcome, under
    the filters read at the ticket's level: the day it was created, its last named preferred region, its priority
    and group now, its assignee now (``assignees``: a pod's members)."""

    klass: str | None = None
    outcome: str | None = None
    start: date | None = None
    end: date | None = None
    region: str | None = None
    priority: str | None = None
    groups: frozenset[str] | None = None
    assignees: frozenset[str] | None = None


OUTCOME_SQL: dict[str, Any] = {
    "rated": lambda: OC.c.satisfaction.is_not(None),
    "good": lambda: OC.c.satisfaction == "good",
    "bad": lambda: OC.c.satisfaction == "bad",
    "solved": lambda: OC.c.solved_at.is_not(None),
    "unsolved": lambda: OC.c.solved_at.is_(None),
    "reopened": lambda: OC.c.reopens > 0,
    "replied": lambda: OC.c.first_reply_at.is_not(None),
}
""":data:`intently.report.facts.OUTCOMES` as conditions on the ``outcomes`` table."""

SORTS = ("ticket", "subject", "assignee", "comments", "drive_bys", "last")


@dataclass(frozen=True, slots=True)
class TicketLine:
    ticket_id: Id
    subject: str
    assignee_id: Id | None
    matched: int
    drive_bys: int
    last_at: datetime
    drove_by: dict[Id, int] = field(default_factory=dict)
    """Who drove by (among the matched judgements; the ticket's, for a ticket-level choice), and how often."""


@dataclass(frozen=True, slots=True)
class TicketPage:
    lines: list[TicketLine]
    tickets: int
    """All tickets chosen (every page)."""
    comments: int
    """Their matched judgements."""


@dataclass(frozen=True, slots=True)
class Search:
    """Tickets whose id is ``ids`` (stored forms), whose subject contains ``text``, or that an agent of ``agents``
    (stored ids) is assigned or wrote a matched judgement on."""

    text: str
    ids: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TicketOrder:
    """Every ticket behind a figure, in the list's order (ids as stored), and their matched judgements in all: what
    a page of the list is cut from (the dashboard keeps it per list while the store stays the same)."""

    keys: list[str]
    comments: int

    @property
    def tickets(self) -> int:
        return len(self.keys)


Within = Callable[[Any], ColumnElement[bool]]
"""A condition on a ticket id column (as stored): the tickets a list is restricted to."""


def ticket_page(
    conn: Connection,
    scope: Scope,
    pick: Pick | TicketFacet,
    *,
    search: Search | None = None,
    sort: str = "last",
    descending: bool = True,
    offset: int = 0,
    limit: int | None = 50,
) -> TicketPage:
    """One page of the tickets behind a figure, sorted by a column of :data:`SORTS` (then newest first), with how
    many tickets and matched comments there are in all: :func:`ticket_order`, then :func:`ticket_lines` for the
    page."""
    order = ticket_order(conn, scope, pick, search=search, sort=sort, descending=descending)
    keys = order.keys[offset:] if limit is None else order.keys[offset : offset + limit]
    return TicketPage(ticket_lines(conn, scope, pick, keys), order.tickets, order.comments)


def ticket_order(
    conn: Connection,
    scope: Scope,
    pick: Pick | TicketFacet,
    *,
    search: Search | None = None,
    sort: str = "last",
    descending: bool = True,
) -> TicketOrder:
    """Every ticket behind a figure (with a ``search``: those it finds), in the order of a column of :data:`SORTS`
    (then newest first, then by id), in one query. A search restricts the tickets read to those it can find before
    grouping (through the indexes: ids, the subject index of :mod:`intently.store.search`, assignees, authors)."""
    within: Within | None = None
    if search is not None:

        def within(key: Any) -> ColumnElement[bool]:
            return _found(conn, key, search, authored=True)

    grouped, whole = _lines(conn, scope, pick, within, agents=search.agents if search is not None else ())
    lines = grouped.subquery("lines")
    where: list[ColumnElement[bool]] = []
    if search is not None:
        where.append(_found(conn, lines.c.ticket_id, search, authored=whole, mine=None if whole else lines.c.mine))
    users = schema.users
    named: Any = lines  # the ticket and its assignee's name only where the order reads them
    if sort in ("subject", "assignee"):
        named = named.outerjoin(TK, TK.c.id == lines.c.ticket_id)
    if sort == "assignee":
        named = named.outerjoin(users, users.c.id == TK.c.assignee_id)
    is_text = lines.c.ticket_id.like('"%')
    by_id = [is_text, func.length(lines.c.ticket_id), lines.c.ticket_id]
    orders: dict[str, list[Any]] = {
        "ticket": by_id,
        "subject": [func.lower(func.coalesce(TK.c.subject, ""))],
        "assignee": [TK.c.assignee_id.is_not(None), func.lower(func.coalesce(users.c.name, TK.c.assignee_id, ""))],
        "comments": [lines.c.matched],
        "drive_bys": [lines.c.drive_bys],
        "last": [lines.c.last_at],
    }
    order = [o.desc() if descending else o.asc() for o in orders[sort if sort in SORTS else "last"]]
    order += [lines.c.last_at.desc(), *(o.desc() for o in by_id)]
    query = select(lines.c.ticket_id, lines.c.matched).select_from(named).where(*where).order_by(*order)
    keys: list[str] = []
    comments = 0
    for key, matched in conn.execute(query):
        keys.append(key)
        comments += matched
    return TicketOrder(keys, int(comments))


LINES_AT_ONCE = 1000
"""Tickets whose lines one query reads (:func:`ticket_lines`)."""


def ticket_lines(conn: Connection, scope: Scope, pick: Pick | TicketFacet, keys: Sequence[str]) -> list[TicketLine]:
    """The lines of the tickets ``keys`` (ids as stored) in that order: subject, assignee, matched judgements,
    drive-bys, the last matched comment and who drove by, as :func:`ticket_order` grouped them."""
    found: dict[str, Any] = {}
    for start in range(0, len(keys), LINES_AT_ONCE):
        wanted = list(keys[start : start + LINES_AT_ONCE])

        def among(key: Any, wanted: list[str] = wanted) -> ColumnElement[bool]:
            return key.in_(wanted)

        grouped, _ = _lines(conn, scope, pick, among)
        lines = grouped.subquery("lines")
        query = select(
            lines.c.ticket_id, TK.c.subject, TK.c.assignee_id, lines.c.matched, lines.c.drive_bys, lines.c.last_at
        ).select_from(lines.outerjoin(TK, TK.c.id == lines.c.ticket_id))
        for row in conn.execute(query):
            found[row.ticket_id] = row
    rows = [found[key] for key in keys if key in found]
    drove = _drove_by(conn, scope, pick, [row.ticket_id for row in rows if row.drive_bys])
    return [
        TicketLine(
            decode_id(row.ticket_id),  # type: ignore[arg-type]
            row.subject or "",
            decode_id(row.assignee_id),
            int(row.matched),
            int(row.drive_bys or 0),
            utc(row.last_at),
            drove.get(row.ticket_id, {}),
        )
        for row in rows
    ]


def _lines(
    conn: Connection, scope: Scope, pick: Pick | TicketFacet, within: Within | None, agents: Sequence[str] = ()
) -> tuple[Select[Any], bool]:
    """The tickets behind a figure, one row each (``ticket_id``, ``matched``, ``drive_bys``, ``last_at``, ``mine``:
    matched judgements by ``agents``), restricted to the tickets ``within`` keeps; and whether a line is the whole
    ticket (its rollup) rather than the judgements the pick matches."""
    if isinstance(pick, TicketFacet):
        return _facet_lines(pick, within), True
    if pick.anything and scope.everything:
        whole = select(
            T.c.ticket_id.label("ticket_id"),
            T.c.judged.label("matched"),
            T.c.drive_bys.label("drive_bys"),
            T.c.last_at.label("last_at"),
            literal(0).label("mine"),
        )
        return (whole if within is None else whole.where(within(T.c.ticket_id))), True
    mine = func.sum(case((J.c.author_id.in_(agents), 1), else_=0)) if agents else literal(0)
    grouped = (
        select(
            J.c.ticket_id.label("ticket_id"),
            func.count().label("matched"),
            func.sum(case((J.c.verdict == "drive_by", 1), else_=0)).label("drive_bys"),
            func.max(J.c.created_at).label("last_at"),
            mine.label("mine"),
        )
        .where(*judgement_where(scope), *pick.where(conn, scope))
        .group_by(J.c.ticket_id)
    )
    return (grouped if within is None else grouped.where(within(J.c.ticket_id))), False


def _found(conn: Connection, key: Any, search: Search, *, authored: bool, mine: Any = None) -> ColumnElement[bool]:
    """The tickets a search finds, as a condition on the ticket id column ``key``: by id, by subject (through the
    subject index), by assignee now, and by an agent's judgements: among the matched ones (``mine``: their count on
    the line), or (``authored``) any."""
    found: list[ColumnElement[bool]] = []
    if search.ids:
        found.append(key.in_(search.ids))
    if search.text:
        found.append(key.in_(subject_matches(conn, search.text)))
    if search.agents:
        found.append(key.in_(select(TK.c.id).where(TK.c.assignee_id.in_(search.agents))))
        if mine is not None:
            found.append(mine > 0)
        elif authored:
            found.append(key.in_(select(J.c.ticket_id).where(J.c.author_id.in_(search.agents)).distinct()))
    return or_(*found) if found else false()


def _facet_lines(facet: TicketFacet, within: Within | None = None) -> Select[Any]:
    where: list[ColumnElement[bool]] = [T.c.klass.is_not(None)]
    if within is not None:
        where.append(within(T.c.ticket_id))
    where += facet_where(facet)
    return (
        select(
            T.c.ticket_id.label("ticket_id"),
            T.c.judged.label("matched"),
            T.c.drive_bys.label("drive_bys"),
            T.c.last_at.label("last_at"),
            literal(0).label("mine"),
        )
        .select_from(T.join(OC, OC.c.ticket_id == T.c.ticket_id).outerjoin(TKN, TKN.c.id == T.c.ticket_id))
        .where(*where)
    )


def facet_where(facet: TicketFacet) -> list[ColumnElement[bool]]:
    """A :class:`TicketFacet`'s conditions on ``ticket_rollups`` joined with ``outcomes`` and (outer) ``tickets``
    (a worked ticket: ``klass`` set, is the caller's)."""
    where: list[ColumnElement[bool]] = []
    if facet.klass is not None:
        where.append(T.c.klass == facet.klass)
    if facet.outcome is not None:
        where.append(OUTCOME_SQL[facet.outcome]() if facet.outcome in OUTCOME_SQL else false())
    if facet.start is not None:
        where.append(OC.c.created_at >= _start(facet.start))
    if facet.end is not None:
        where.append(OC.c.created_at < _start(facet.end + timedelta(days=1)))
    if facet.region is not None:
        where.append(_label_is(T.c.preferred_region, facet.region))
    if facet.priority is not None:
        where.append(func.coalesce(TKN.c.priority, T.c.priority) == facet.priority)
    if facet.groups is not None:
        where.append(TKN.c.group_id.in_(sorted(facet.groups)))
    if facet.assignees is not None:
        where.append(_assignee_now().in_(sorted(facet.assignees)))
    return where


def _assignee_now() -> Any:
    """A worked ticket's assignee now (its stored ticket's), or at its last judged comment when the ticket is not
    stored: the assignee :class:`intently.report.facts.TicketFacts` names."""
    return case((TKN.c.id.is_not(None), TKN.c.assignee_id), else_=T.c.assignee_id)


def _drove_by(conn: Connection, scope: Scope, pick: Pick | TicketFacet, keys: list[str]) -> dict[str, dict[Id, int]]:
    if not keys:
        return {}
    where = [J.c.verdict == "drive_by", J.c.ticket_id.in_(keys)]
    if isinstance(pick, Pick):
        where += [*judgement_where(scope), *pick.where(conn, scope)]
    query = select(J.c.ticket_id, J.c.author_id, func.count()).where(*where).group_by(J.c.ticket_id, J.c.author_id)
    found: dict[str, dict[Id, int]] = {}
    for ticket, author, n in conn.execute(query):
        found.setdefault(ticket, {})[decode_id(author)] = int(n)  # type: ignore[index]
    return found


# --- from the customer's side: worked tickets per preferred region ------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegionTickets:
    """The worked tickets preferring one region (a :class:`TicketFacet`'s): how many, how many have an assignee
    whose region is known (at the last judged comment), how many of those are of this region, and how many have an
    assignee whose region is unknown."""

    tickets: int = 0
    assigned: int = 0
    inside: int = 0
    assignee_unknown: int = 0


def region_tickets(conn: Connection, facet: TicketFacet) -> dict[str | None, RegionTickets]:
    """:class:`RegionTickets` per preferred region (as stored: ``None`` for none) of the worked tickets the facet
    keeps, counted in SQL."""
    assignee = _assignee_now()
    named = and_(T.c.assignee_region.is_not(None), T.c.assignee_region != "")
    assigned = and_(assignee.is_not(None), named)

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            T.c.preferred_region,
            func.count(),
            count(assigned),
            count(and_(assigned, T.c.assignee_region == T.c.preferred_region)),
            count(and_(assignee.is_not(None), not_(named))),
        )
        .select_from(T.join(OC, OC.c.ticket_id == T.c.ticket_id).outerjoin(TKN, TKN.c.id == T.c.ticket_id))
        .where(T.c.klass.is_not(None), *facet_where(facet))
        .group_by(T.c.preferred_region)
    )
    return {region: RegionTickets(*(int(n) for n in counts)) for region, *counts in conn.execute(query)}


def public_replies_by_region(conn: Connection, scope: Scope) -> dict[str, Counter[str]]:
    """Public replies under ``scope``, per preferred region at the comment (as stored; ``''`` for none) and region
    relation (``inside``, ``outside``, ``unknown``): what :func:`intently.report.metrics.stored_metrics` counts as
    ``regions.public_replies`` under ``scope`` with each region, in one query."""
    found: dict[str, Counter[str]] = {}
    if scope.groups is None:
        query = (
            select(R.c.preferred_region, R.c.relation, func.sum(R.c.n))
            .where(R.c.public.is_(True), *_cell_where(scope))
            .group_by(R.c.preferred_region, R.c.relation)
        )
        for region, relation, n in conn.execute(query):
            found.setdefault(region or "", Counter())[relation] += int(n)
        return found
    relation = case(
        (J.c.out_of_region.is_(None), literal(UNKNOWN)),
        (J.c.out_of_region.is_(True), literal("outside")),
        else_=literal("inside"),
    )
    query = (
        select(J.c.preferred_region, relation, func.count())
        .where(J.c.public.is_(True), *judgement_where(scope))
        .group_by(J.c.preferred_region, relation)
    )
    for region, kind, n in conn.execute(query):
        found.setdefault(region or "", Counter())[kind] += int(n)
    return found


FACET_TIMES = ("last_at", "created_at", "solved_at", "first_reply_at")
"""The times among :func:`facet_rows`' columns."""


def facet_rows(conn: Connection, *, times_as_text: bool = False) -> list[Any]:
    """Every worked ticket's rollup with its outcome and its ticket now (the Outcomes and Pilot pages, the
    report's outcomes section): rows of ``ticket_rollups`` joined with ``outcomes`` and ``tickets``, in one query.
    ``times_as_text``: on SQLite, the :data:`FACET_TIMES` as stored (ISO text in UTC, without offset), for a caller
    that parses them faster itself (a datetime elsewhere)."""
    as_text = times_as_text and conn.dialect.name == "sqlite"

    def time_column(column: Any, name: str) -> Any:
        return type_coerce(column, String).label(name) if as_text else column.label(name)

    query = select(
        T.c.ticket_id,
        T.c.klass,
        T.c.judged,
        T.c.drive_bys,
        T.c.intentional,
        T.c.notes,
        T.c.notes_acknowledged,
        time_column(T.c.last_at, "last_at"),
        T.c.preferred_region,
        T.c.assignee_region,
        T.c.priority.label("last_priority"),
        T.c.assignee_id.label("last_assignee_id"),
        TKN.c.id.label("stored_ticket"),
        TKN.c.priority,
        TKN.c.assignee_id,
        TKN.c.group_id,
        time_column(OC.c.created_at, "created_at"),
        time_column(OC.c.solved_at, "solved_at"),
        OC.c.reopens,
        OC.c.satisfaction,
        time_column(OC.c.first_reply_at, "first_reply_at"),
        OC.c.customer_replies,
        OC.c.agent_replies,
    ).select_from(T.join(OC, OC.c.ticket_id == T.c.ticket_id).outerjoin(TKN, TKN.c.id == T.c.ticket_id))
    return list(conn.execute(query.where(T.c.klass.is_not(None))))
