"""What the dashboard pages show, computed from the stored judgements (never by applying rules again).

:class:`Filters` are the page-wide filters (date range, region, pod, group, priority, from query parameters);
:class:`Selection` is what one chart bar or table cell counts, so that every bar links to
``/tickets?...`` with exactly the judgements behind it. Counting is :func:`intently.report.metrics.stored_metrics`'s
(the store's rollups), kept in the store per data version (:mod:`intently.report.kept`); a ticket list's order is
read once per list and data version (:func:`intently.store.queries.ticket_order`), and each page's lines from the
indexed judgements (:func:`intently.store.queries.ticket_lines`).
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from fastapi import HTTPException
from starlette.responses import Response

from intently.engine.judgement import VERDICT_LABELS, Judgement
from intently.engine.outcomes import CLASS_LABELS, CLASSES
from intently.model import Directory, Group, Id, User, user_name
from intently.policy import VERDICTS, Policy, fingerprint
from intently.report.facts import OUTCOMES, TicketFacts, TicketFilter, stored_facts
from intently.report.formatting import csv_text, fmt_date, short_id, ticket_link
from intently.report.kept import kept_metrics, kept_outcomes
from intently.report.metrics import Metrics, week_of
from intently.report.outcomes import OutcomeReport
from intently.store import Store, encode_id
from intently.store.queries import (
    Pick,
    Scope,
    Search,
    TicketFacet,
    TicketOrder,
    id_encodings,
    labels,
    public_by_hour,
    ticket_lines,
    ticket_order,
)

T = TypeVar("T")

MAX_PARAM = 200
OUTSIDE, INSIDE, UNKNOWN = "outside", "inside", "unknown"


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _param(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None or not value.strip():
        return None
    if len(value) > MAX_PARAM:
        raise HTTPException(status_code=400, detail=f"query parameter {name!r} is too long")
    return value.strip()


def _date(params: Mapping[str, str], name: str) -> date | None:
    value = _param(params, name)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise HTTPException(status_code=400, detail=f"query parameter {name!r}: expected a date YYYY-MM-DD") from None
    if not EARLIEST <= day <= LATEST:  # periods are compared with the one before them: keep that in the calendar
        raise HTTPException(
            status_code=400,
            detail=f"query parameter {name!r}: a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}",
        )
    return day


EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)
"""The dates a page's filters take (a period's previous period, and the day after its end, stay in the calendar)."""


def _choice(params: Mapping[str, str], name: str, known: Sequence[str]) -> str | None:
    value = _param(params, name)
    if value is not None and value not in known:
        raise HTTPException(status_code=400, detail=f"query parameter {name!r}: one of {', '.join(known)}")
    return value


OUTCOME_WORDS = {
    "rated": "rated good or bad",
    "good": "rated good",
    "bad": "rated bad",
    "solved": "solved",
    "unsolved": "never solved",
    "reopened": "reopened",
    "replied": "answered by an agent",
}


def _flag(params: Mapping[str, str], name: str) -> bool | None:
    value = _param(params, name)
    if value is None:
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise HTTPException(status_code=400, detail=f"query parameter {name!r}: expected 1 or 0")


def id_text(value: Id | None) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Filters(TicketFilter):
    """Page-wide filters. ``start``/``end``: the comment's day (UTC, inclusive); ``region``: the ticket's preferred
    region; ``pod``: the author belongs to that pod (policy organisation); ``group``: the ticket's group now;
    ``priority``: the ticket's priority at the comment. The Outcomes and Pilot pages read the same filters at the
    ticket's level (:meth:`for_tickets`)."""

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> Filters:
        return cls(
            start=_date(params, "from"),
            end=_date(params, "to"),
            region=_param(params, "region"),
            pod=_param(params, "pod"),
            group=_param(params, "group"),
            priority=_param(params, "priority"),
        )

    def active(self) -> bool:
        return bool(self.items())

    def for_tickets(self) -> TicketFilter:
        """The same filters read at the ticket's level: the day it was created, its preferred region, its
        assignee's pod, its group and priority now."""
        return TicketFilter(self.start, self.end, self.region, self.pod, self.group, self.priority)


@dataclass(frozen=True, slots=True)
class DateRange:
    """A quick choice of dates for the filter form, e.g. "Last month (October 2026)"."""

    label: str
    start: date
    end: date


def date_ranges(today: date) -> list[DateRange]:
    """The quick date choices, counted back from ``today`` (inclusive): the last 7, 30 and 90 days, and the
    previous calendar month."""
    first_of_month = today.replace(day=1)
    previous_end = first_of_month - timedelta(days=1)
    previous = previous_end.replace(day=1)
    return [
        DateRange("Last 7 days", today - timedelta(days=6), today),
        DateRange("Last 30 days", today - timedelta(days=29), today),
        DateRange(f"Last month ({previous:%B %Y})", previous, previous_end),
        DateRange("Last 90 days", today - timedelta(days=89), today),
    ]


@dataclass(frozen=True, slots=True)
class Selection:
    """Which judgements one chart element or table cell counts (all given conditions hold)."""

    verdict: str | None = None
    other_than: str | None = None
    """Any verdict but this one."""
    rule: tuple[str, ...] = ()
    week: date | None = None
    public: bool | None = None
    contributor: bool | None = None
    """The author was not the assignee at the comment (the report's definition)."""
    own: bool | None = None
    """Own work: as the assignee, or a reply with which they took the ticket (the report's definition)."""
    author: str | None = None
    acknowledged: bool | None = None
    relation: str | None = None
    """``inside``, ``outside`` or ``unknown``: the author's region against the ticket's preferred region."""
    author_region: str | None = None
    hour: int | None = None
    """The comment's hour of day, UTC."""
    pod_outside: str | None = None
    """The author's pod's topic, on a ticket assigned outside the pod."""
    voices: str | None = None
    """Ticket-level: the number of distinct agents with a public reply, as the report buckets it."""
    worked: str | None = None
    """Ticket-level: the collaboration class (``solo``, ``intentional``, ``drive_by``); with it, or with
    ``outcome``, the page-wide filters are read at the ticket's level, as the Outcomes page counts."""
    outcome: str | None = None
    """Ticket-level: an outcome (:data:`intently.report.facts.OUTCOMES`: ``rated``, ``good``, ``solved`` ...)."""

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> Selection:
        week = _date(params, "week")
        if week is not None and week.weekday() != 0:
            raise HTTPException(status_code=400, detail="query parameter 'week': the Monday that starts the week")
        hour_text = _param(params, "hour")
        hour = None
        if hour_text is not None:
            if not hour_text.isdigit() or int(hour_text) > 23:
                raise HTTPException(status_code=400, detail="query parameter 'hour': 0 to 23")
            hour = int(hour_text)
        rules = _param(params, "rule")
        return cls(
            verdict=_choice(params, "verdict", VERDICTS),
            other_than=_choice(params, "other_than", VERDICTS),
            rule=tuple(r for r in (rules or "").split(",") if r),
            week=week,
            public=_flag(params, "public"),
            contributor=_flag(params, "contributor"),
            own=_flag(params, "own"),
            author=_param(params, "author"),
            acknowledged=_flag(params, "acknowledged"),
            relation=_choice(params, "relation", (INSIDE, OUTSIDE, UNKNOWN)),
            author_region=_param(params, "author_region"),
            hour=hour,
            pod_outside=_param(params, "pod_outside"),
            voices=_param(params, "voices"),
            worked=_choice(params, "worked", CLASSES),
            outcome=_choice(params, "outcome", tuple(OUTCOMES)),
        )

    @property
    def by_ticket(self) -> bool:
        """Selects tickets by their class or outcome (the Outcomes page's links), not comments."""
        return self.worked is not None or self.outcome is not None

    def keeps(self, fact: TicketFacts) -> bool:
        return (self.worked is None or fact.klass == self.worked) and (
            self.outcome is None or OUTCOMES[self.outcome](fact.outcome)
        )

    def items(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None or value == ():
                continue
            if isinstance(value, bool):
                text = "1" if value else "0"
            elif isinstance(value, tuple):
                text = ",".join(value)
            elif isinstance(value, date):
                text = value.isoformat()
            else:
                text = str(value)
            pairs.append((item.name, text))
        return pairs

    def matches(self, j: Judgement) -> bool:
        contributor = j.author_id != j.assignee_id
        return (
            (self.verdict is None or j.verdict == self.verdict)
            and (self.other_than is None or j.verdict != self.other_than)
            and (not self.rule or j.rule in self.rule)
            and (self.week is None or week_of(j.created_at) == self.week)
            and (self.public is None or j.public == self.public)
            and (self.contributor is None or contributor == self.contributor)
            and (self.own is None or (not contributor or j.verdict == "ownership_change") == self.own)
            and (self.author is None or id_text(j.author_id) == self.author)
            and (self.acknowledged is None or (j.acknowledged is True) == self.acknowledged)
            and (self.relation is None or relation(j) == self.relation)
            and (self.author_region is None or (j.author_region or UNKNOWN) == self.author_region)
            and (self.hour is None or utc_hour(j.created_at) == self.hour)
            and (self.pod_outside is None or (j.pod == self.pod_outside and j.assignee_in_pod is False))
        )

    def describe(self, names: Mapping[str, str] | None = None, rule_titles: Mapping[str, str] | None = None) -> str:
        """The selection in words, e.g. "Drive-by, public replies, by Ana Lee"; ``names`` maps author ids (as
        text) to names and ``rule_titles`` rule ids to titles."""
        names = names or {}
        titles = rule_titles or {}

        def yes_no(value: bool | None, yes: str, no: str) -> str | None:
            return None if value is None else (yes if value else no)

        parts = [
            VERDICT_LABELS.get(self.verdict, self.verdict) if self.verdict else None,
            f"not {VERDICT_LABELS.get(self.other_than, self.other_than).lower()}" if self.other_than else None,
            ("rule " + " or ".join(titles.get(r, r) for r in self.rule)) if self.rule else None,
            f"week of {fmt_date(self.week)}" if self.week else None,
            yes_no(self.public, "public replies", "internal notes"),
            yes_no(self.contributor, "by contributors (not the assignee)", "by the assignee"),
            yes_no(self.own, "own work", "on others' tickets"),
            f"by {names.get(self.author, 'user ' + self.author)}" if self.author else None,
            yes_no(self.acknowledged, "acknowledged", "not acknowledged"),
            f"{self.relation} the preferred region" if self.relation in (INSIDE, OUTSIDE) else None,
            "preferred region unknown" if self.relation == UNKNOWN else None,
            f"authors in {self.author_region}" if self.author_region else None,
            f"written {self.hour:02d}:00-{self.hour:02d}:59 UTC" if self.hour is not None else None,
            f"{self.pod_outside} pod's topic, assigned outside the pod" if self.pod_outside else None,
            f"tickets with {self.voices} public voice{'' if self.voices == '1' else 's'}" if self.voices else None,
            f"tickets worked: {CLASS_LABELS[self.worked].lower()}" if self.worked else None,
            OUTCOME_WORDS[self.outcome] if self.outcome else None,
        ]
        return ", ".join(part for part in parts if part) or "all judged comments"


def relation(j: Judgement) -> str:
    return UNKNOWN if j.out_of_region is None else (OUTSIDE if j.out_of_region else INSIDE)


def utc_hour(at: datetime) -> int:
    return _utc(at).hour


def voice_bucket(count: int) -> str:
    return str(count) if count < 4 else "4+"


def link(path: str, filters: Filters, selection: Selection | None = None, **extra: str) -> str:
    pairs = [*filters.items(), *(selection.items() if selection else []), *extra.items()]
    return path + ("?" + urlencode(pairs) if pairs else "")


@dataclass
class Data:
    """What a page reads: the stored data under the page's filters (counted from the store's rollups, kept per
    filter while the store stays the same), and who is who."""

    filters: Filters
    base: Base
    policy: Policy
    behind: bool = False
    """The store has changed since the base was read: a newer read is under way."""

    @property
    def users(self) -> dict[Id, User]:
        return self.base.directory.users

    @property
    def groups(self) -> dict[Id, Group]:
        return self.base.directory.groups

    @property
    def regions(self) -> list[str]:
        return self.base.regions

    @property
    def priorities(self) -> list[str]:
        return self.base.priorities

    @property
    def as_of(self) -> datetime:
        return self.base.as_of

    @property
    def store(self) -> Store:
        return self.base.store

    def scope(self) -> Scope:
        return scope_of(self.filters, self.policy, self.users)

    def metrics(self) -> Metrics:
        """The report's metrics under the page's filters (kept in the store for its data version)."""
        return self.base.cached(
            ("metrics", fingerprint(self.policy), self.filters),
            lambda: kept_metrics(self.store, self.users, self.policy, self.base.version, self.scope()),
        )

    def outcomes(self) -> OutcomeReport:
        """The outcome analysis of the worked tickets under the filters read at the ticket's level (kept in the
        store for its data version)."""
        return self.base.cached(
            ("outcomes", fingerprint(self.policy), self.filters),
            lambda: kept_outcomes(
                self.store, self.policy, self.users, self.base.version, self.filters.for_tickets(), self.base.all_facts
            ),
        )

    @property
    def facts(self) -> list[TicketFacts]:
        """Worked tickets under the filters read at the ticket's level (see :class:`TicketFilter`)."""
        return self.base.cached(
            ("facts", fingerprint(self.policy), self.filters),
            lambda: self.filters.for_tickets().apply(self.base.all_facts(), self.policy, self.users),
        )

    def name(self, user_id: Id | None) -> str:
        return user_name(self.users, user_id)


def _members(pod: str, policy: Policy, users: Mapping[Id, User]) -> frozenset[str]:
    return frozenset(encode_id(uid) or "" for uid, user in users.items() if policy.in_pod(pod, user))


def scope_of(filters: Filters, policy: Policy, users: Mapping[Id, User]) -> Scope:
    """The page-wide filters as the store reads them (comment level)."""
    return Scope(
        start=filters.start,
        end=filters.end,
        region=filters.region,
        priority=filters.priority,
        groups=None if filters.group is None else frozenset(id_encodings(filters.group)),
        authors=None if filters.pod is None else _members(filters.pod, policy, users),
    )


CACHED = 64
"""Figures kept per base (one per filter and page kind): the oldest go first."""
ORDER_TICKETS = 1_000_000
"""Tickets of the ticket lists' orders kept per base, over all lists (about 65 bytes a ticket): the least recently
read list goes first."""


class Base:
    """What the dashboard keeps between requests while the store's
    :meth:`~intently.store.Store.data_version` stays the same: who is who, the filter form's choices, and the
    figures computed so far (per filter), each computed on first use from the store's rollups."""

    def __init__(
        self,
        store: Store,
        version: str | None,
        directory: Directory,
        regions: list[str],
        priorities: list[str],
        as_of: datetime,
        took: float,
        zendesk_base: str | None = None,
        imported_tickets: int | None = None,
    ) -> None:
        self.store = store
        self.imported_tickets = imported_tickets
        """Every stored ticket, worked or not (the overview says how many of them were worked)."""
        self.zendesk_base = zendesk_base
        """The Zendesk account's address (``https://acme.zendesk.com``): each ticket links to it; None: unknown."""
        self.version = version
        self.directory = directory
        self.regions = regions
        self.priorities = priorities
        self.as_of = as_of
        """When it was read."""
        self.took = took
        """Seconds the read took: whether the next one is done while a request waits, or in the background."""
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._orders: OrderedDict[Hashable, TicketOrder] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return cast(T, self._cache[key])
        value = compute()
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > CACHED:
                self._cache.popitem(last=False)
        return value

    def order(self, key: Hashable, compute: Callable[[], TicketOrder]) -> TicketOrder:
        """A ticket list's order (every ticket of the list, sorted), computed on first use and kept while the
        base is: the newest first, at most :data:`ORDER_TICKETS` tickets over all lists."""
        with self._lock:
            if key in self._orders:
                self._orders.move_to_end(key)
                return self._orders[key]
        value = compute()
        with self._lock:
            self._orders[key] = value
            held = sum(order.tickets for order in self._orders.values())
            while held > ORDER_TICKETS and len(self._orders) > 1:
                held -= self._orders.popitem(last=False)[1].tickets
        return value

    def all_facts(self) -> list[TicketFacts]:
        """Every worked ticket with its collaboration class and outcome (the Outcomes and Pilot pages), read from
        the ticket rollups on first use."""
        return self.cached("all facts", lambda: stored_facts(self.store))


def read_base(store: Store) -> Base:
    """Read the store for the dashboard (runs in a worker thread); the version is read first, so a change made
    meanwhile makes the next request read again rather than be missed."""
    started, as_of = time.perf_counter(), datetime.now(UTC)
    version = store.data_version()
    directory = store.directory()
    with store.engine.connect() as conn:
        regions, priorities = labels(conn)
    base = store.zendesk_base()
    imported = store.ticket_count()
    took = time.perf_counter() - started
    return Base(store, version, directory, regions, priorities, as_of, took, base, imported)


def load(base: Base, policy: Policy, filters: Filters, behind: bool = False) -> Data:
    """The page's data: the base under the page's filters (``behind``: the store has changed since it was read)."""
    return Data(filters, base, policy, behind)


def coverage_by_hour(data: Data) -> Counter[tuple[str | None, int]]:
    """Public coverage replies (rule ``coverage``) under the page's filters, by author's region and UTC hour."""
    with data.store.engine.connect() as conn:
        return public_by_hour(conn, data.scope(), ["coverage"])


# --- the ticket list behind a chart element -------------------------------------------------------

SORT_COLUMNS: dict[str, str] = {
    "Ticket": "ticket",
    "Subject": "subject",
    "Assignee": "assignee",
    "Comments": "comments",
    "Drive-bys": "drive_bys",
    "Last comment": "last",
}
"""The Tickets page's sortable columns and their ``sort`` parameter."""
PER_PAGE = 50
MAX_PER_PAGE = 500


@dataclass(frozen=True, slots=True)
class Paging:
    """The Tickets page's order, search and page (``sort``, ``dir``, ``q``, ``page``, ``per_page``)."""

    sort: str = "last"
    descending: bool = True
    search: str | None = None
    page: int = 1
    per_page: int = PER_PAGE

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> Paging:
        sort = _choice(params, "sort", tuple(SORT_COLUMNS.values())) or "last"
        direction = _choice(params, "dir", ("asc", "desc"))
        return cls(
            sort=sort,
            descending=(direction or ("asc" if sort in ("ticket", "subject", "assignee") else "desc")) == "desc",
            search=_param(params, "q"),
            page=_number(params, "page", 1, 10**9),
            per_page=_number(params, "per_page", PER_PAGE, MAX_PER_PAGE),
        )

    def items(self) -> list[tuple[str, str]]:
        """The order and search as query parameters (not the page)."""
        pairs = (
            [("sort", self.sort), ("dir", "desc" if self.descending else "asc")]
            if self.sort != "last" or not self.descending
            else []
        )
        if self.search:
            pairs.append(("q", self.search))
        if self.per_page != PER_PAGE:
            pairs.append(("per_page", str(self.per_page)))
        return pairs


def _number(params: Mapping[str, str], name: str, default: int, most: int) -> int:
    value = _param(params, name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= most:
        raise HTTPException(status_code=400, detail=f"query parameter {name!r}: a whole number from 1 to {most}")
    return int(value)


def _pick(selection: Selection) -> Pick:
    return Pick(
        verdict=selection.verdict,
        other_than=selection.other_than,
        rules=selection.rule,
        week=selection.week,
        public=selection.public,
        contributor=selection.contributor,
        own=selection.own,
        authors=None if selection.author is None else tuple(id_encodings(selection.author)),
        acknowledged=selection.acknowledged,
        relation=selection.relation,
        author_region=selection.author_region,
        hour=selection.hour,
        pod_outside=selection.pod_outside,
        voices=selection.voices,
    )


def facet_of(data: Data, selection: Selection) -> TicketFacet:
    """A selection by class or outcome, under the filters read at the ticket's level (as the Outcomes page)."""
    f = data.filters
    groups = None
    if f.group is not None:
        named = {encode_id(g.id) or "" for g in data.groups.values() if g.name == f.group}
        groups = frozenset({*id_encodings(f.group), *named})
    return TicketFacet(
        klass=selection.worked,
        outcome=selection.outcome,
        start=f.start,
        end=f.end,
        region=f.region,
        priority=f.priority,
        groups=groups,
        assignees=None if f.pod is None else _members(f.pod, data.policy, data.users),
    )


def _search(data: Data, text: str | None) -> Search | None:
    """Tickets by id (``123`` or ``#123``), by words of their subject, or by an agent's name."""
    if not text:
        return None
    wanted = text.casefold()
    agents = tuple(
        sorted(encode_id(uid) or "" for uid, user in data.users.items() if user.name and wanted in user.name.casefold())
    )
    return Search(text, tuple(id_encodings(text.removeprefix("#").strip())), agents)


@dataclass(frozen=True, slots=True)
class TicketRow:
    ticket_id: Id
    subject: str
    assignee: str
    matched: int
    drive_bys: int
    last_at: datetime
    drove_by: list[tuple[str, int]] = field(default_factory=list)
    """Who drove by, with how many drive-bys each (most first)."""


@dataclass(frozen=True, slots=True)
class TicketList:
    rows: list[TicketRow]
    tickets: int
    comments: int
    paging: Paging

    @property
    def pages(self) -> int:
        return max(1, -(-self.tickets // self.paging.per_page))


def selected_tickets(
    data: Data, selection: Selection, paging: Paging | None = None, *, every: bool = False
) -> TicketList:
    """Tickets with at least one judgement that the selection counts (under the filters), newest first unless
    ``paging`` sorts otherwise, one page of them (``every``: all); for a selection by class or outcome, the worked
    tickets it keeps (under the filters read at the ticket's level)."""
    paging = paging or Paging()
    pick: Pick | TicketFacet = facet_of(data, selection) if selection.by_ticket else _pick(selection)
    scope, search = data.scope(), _search(data, paging.search)

    def compute() -> TicketOrder:
        with data.store.engine.connect() as conn:
            return ticket_order(conn, scope, pick, search=search, sort=paging.sort, descending=paging.descending)

    key = ("order", fingerprint(data.policy), data.filters, selection, paging.search, paging.sort, paging.descending)
    order = data.base.order(key, compute)
    start = (paging.page - 1) * paging.per_page
    keys = order.keys if every else order.keys[start : start + paging.per_page]
    with data.store.engine.connect() as conn:
        lines = ticket_lines(conn, scope, pick, keys)
    rows = [
        TicketRow(
            line.ticket_id,
            line.subject,
            data.name(line.assignee_id),
            line.matched,
            line.drive_bys,
            line.last_at,
            sorted(
                ((data.name(a), n) for a, n in line.drove_by.items()), key=lambda item: (-item[1], item[0].casefold())
            ),
        )
        for line in lines
    ]
    return TicketList(rows, order.tickets, order.comments, paging)


# --- tables (shown as HTML, and the same rows as CSV) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    href: str | None = None
    numeric: bool = False
    external: str | None = None
    """A link out (the ticket in Zendesk), shown next to the text and opened in a new tab; not in the CSV."""
    sort_value: Any = None
    """What the column sorts by when it is not the text (a number, a share)."""
    full: str | None = None
    """The whole value when ``text`` is its short form (a long id as a label): the cell's ``title`` on the page,
    and what the CSV has."""


def num(value: int, href: str | None = None) -> Cell:
    """A count, with thousands separators (the CSV has the bare number)."""
    return Cell(f"{value:,}", href if value else None, True, sort_value=value)


@dataclass
class Table:
    name: str
    title: str
    columns: Sequence[str]
    rows: list[list[Cell]] = field(default_factory=list)


def to_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_csv_value(cell) for cell in row])
    return buffer.getvalue()


def label_id(value: Id, href: str | None = None) -> Cell:
    """A long id that is only a label (a comment's, linking to it on the page) in its short form
    (:func:`~intently.report.formatting.short_id`); the whole id in the cell's title and in the CSV."""
    text = id_text(value)
    short = short_id(text)
    return Cell(short, href, sort_value=text, full=text if short != text else None)


def _csv_value(cell: Cell) -> str:
    """A cell as the CSV has it: a count without separators (a spreadsheet reads it as a number), a shortened id
    whole, text made safe."""
    if cell.numeric:
        return str(cell.sort_value) if isinstance(cell.sort_value, int) else cell.text
    return csv_text(cell.full if cell.full is not None else cell.text)


def zendesk_link(data: Data, ticket_id: Id) -> str | None:
    """The ticket in Zendesk, when the store knows the account's address."""
    return ticket_link(data.base.zendesk_base, ticket_id)


def csv_response(table: Table, filename: str) -> Response:
    """The table as a CSV download named ``filename`` (a name made of safe characters)."""
    return Response(
        to_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )
