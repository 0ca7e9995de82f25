"""What the dashboard pages show, computed from the stored judgements (never by applying rules again).

:class:`Filters` are the page-wide filters (date range, region, pod, group, priority, from query parameters);
:class:`Selection` is what one chart bar or table cell counts, so that every bar links to
``/tickets?...`` with exactly the judgements behind it. Counting is :func:`intently.report.metrics.build_metrics`'s.
"""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from fastapi import HTTPException
from starlette.responses import Response

from intently.engine.judgement import Judgement
from intently.engine.outcomes import CLASS_LABELS, CLASSES
from intently.model import Directory, Group, Id, Ticket, User, id_sort_key
from intently.policy import Policy
from intently.report.facts import OUTCOMES, TicketFacts, TicketFilter, ticket_facts
from intently.report.formatting import csv_text
from intently.report.metrics import VERDICT_LABELS, Metrics, build_metrics, week_of
from intently.store import Store

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
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(status_code=400, detail=f"query parameter {name!r}: expected a date YYYY-MM-DD") from None


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
            verdict=_param(params, "verdict"),
            other_than=_param(params, "other_than"),
            rule=tuple(r for r in (rules or "").split(",") if r),
            week=week,
            public=_flag(params, "public"),
            contributor=_flag(params, "contributor"),
            own=_flag(params, "own"),
            author=_param(params, "author"),
            acknowledged=_flag(params, "acknowledged"),
            relation=_param(params, "relation"),
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
            f"week of {self.week.isoformat()}" if self.week else None,
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


@dataclass(frozen=True, slots=True)
class TicketInfo:
    id: Id
    subject: str
    status: str | None
    priority: str | None
    assignee_id: Id | None
    group_id: Id | None


@dataclass
class Data:
    """The stored judgements under the page's filters, and who is who."""

    filters: Filters
    judgements: list[Judgement]
    users: dict[Id, User]
    groups: dict[Id, Group]
    tickets: dict[str, TicketInfo]
    policy: Policy
    regions: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    facts: list[TicketFacts] = field(default_factory=list)
    """Worked tickets under the filters read at the ticket's level (:class:`~intently.report.facts.TicketFilter`)."""
    as_of: datetime | None = None
    """When the stored data was read."""
    behind: bool = False
    """The store has changed since: a newer read is under way."""

    def metrics(self, judgements: Iterable[Judgement] | None = None) -> Metrics:
        return build_metrics(
            self.judgements if judgements is None else judgements,
            self.users,
            policy_name=self.policy.name,
            policy_version=self.policy.version,
            policy=self.policy,
        )

    def name(self, user_id: Id | None) -> str:
        if user_id is None:
            return "nobody"
        user = self.users.get(user_id)
        return user.name if user else f"user {user_id}"

    def ticket(self, ticket_id: Id) -> TicketInfo | None:
        return self.tickets.get(id_text(ticket_id))


def _tickets(tickets: Mapping[Id, Ticket]) -> dict[str, TicketInfo]:
    return {
        id_text(t.id): TicketInfo(t.id, t.subject, t.status, t.priority, t.assignee_id, t.group_id)
        for t in tickets.values()
    }


@dataclass(frozen=True, slots=True)
class Base:
    """Everything the dashboard pages read from the store, unfiltered: kept between requests while the store's
    :meth:`~intently.store.Store.data_version` stays the same."""

    version: str | None
    directory: Directory
    tickets: dict[str, TicketInfo]
    judgements: list[Judgement]
    """Without reasons and evidence (the ticket page reads a ticket's judgements whole)."""
    facts: list[TicketFacts]
    """Every worked ticket with its collaboration class and outcome (the Outcomes and Pilot pages)."""
    regions: list[str]
    priorities: list[str]
    as_of: datetime
    """When it was read."""
    took: float
    """Seconds the read took: whether the next one is done while a request waits, or in the background."""


def read_base(store: Store) -> Base:
    """Read the store for the dashboard (runs in a worker thread); the version is read first, so a change made
    meanwhile makes the next request read again rather than be missed."""
    started, as_of = time.perf_counter(), datetime.now(UTC)
    version = store.data_version()
    directory = store.directory()
    tickets_now = store.tickets()
    judgements = list(store.judgements(full=False))
    facts = ticket_facts(judgements, store.outcomes(), tickets_now, directory.groups)
    regions = sorted({j.preferred_region for j in judgements if j.preferred_region})
    priorities = sorted({j.priority for j in judgements if j.priority})
    return Base(
        version,
        directory,
        _tickets(tickets_now),
        judgements,
        facts,
        regions,
        priorities,
        as_of,
        time.perf_counter() - started,
    )


def load(base: Base, policy: Policy, filters: Filters, behind: bool = False) -> Data:
    """The page's data: the base under the page's filters (``behind``: the store has changed since it was read)."""
    directory, tickets, all_judgements = base.directory, base.tickets, base.judgements
    users = directory.users
    regions, priorities = base.regions, base.priorities

    def keep(j: Judgement) -> bool:
        day = _utc(j.created_at).date()
        if filters.start is not None and day < filters.start:
            return False
        if filters.end is not None and day > filters.end:
            return False
        if filters.region is not None and (j.preferred_region or UNKNOWN) != filters.region:
            return False
        if filters.priority is not None and (j.priority or "") != filters.priority:
            return False
        if filters.group is not None:
            info = tickets.get(id_text(j.ticket_id))
            if info is None or id_text(info.group_id) != filters.group:
                return False
        return filters.pod is None or policy.in_pod(filters.pod, users.get(j.author_id))

    return Data(
        filters,
        [j for j in all_judgements if keep(j)],
        dict(users),
        dict(directory.groups),
        tickets,
        policy,
        regions,
        priorities,
        filters.for_tickets().apply(base.facts, policy, users),
        base.as_of,
        behind,
    )


# --- the ticket list behind a chart element -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketRow:
    ticket_id: Id
    subject: str
    assignee: str
    matched: int
    drive_bys: int
    last_at: datetime


def _ticket_rows(data: Data, selection: Selection) -> list[TicketRow]:
    rows = []
    for fact in data.facts:
        if not selection.keeps(fact):
            continue
        info = data.ticket(fact.ticket_id)
        rows.append(
            TicketRow(
                fact.ticket_id,
                info.subject if info else "",
                data.name(fact.assignee_id) if fact.assignee_id is not None else "nobody",
                fact.judged,
                fact.drive_bys,
                fact.last_at or fact.created_at,
            )
        )
    rows.sort(key=lambda r: (r.last_at, id_sort_key(r.ticket_id)), reverse=True)
    return rows


def selected_tickets(data: Data, selection: Selection) -> list[TicketRow]:
    """Tickets with at least one judgement that the selection counts (under the filters), newest first; for a
    selection by class or outcome, the worked tickets it keeps (under the filters read at the ticket's level)."""
    if selection.by_ticket:
        return _ticket_rows(data, selection)
    voices: dict[Id, set[Id]] = defaultdict(set)
    for j in data.judgements:
        voices[j.ticket_id]
        if j.public:
            voices[j.ticket_id].add(j.author_id)
    matched: dict[Id, list[Judgement]] = defaultdict(list)
    for j in data.judgements:
        if selection.voices is not None and voice_bucket(len(voices[j.ticket_id])) != selection.voices:
            continue
        if selection.matches(j):
            matched[j.ticket_id].append(j)
    rows = []
    for ticket_id, found in matched.items():
        info = data.ticket(ticket_id)
        rows.append(
            TicketRow(
                ticket_id,
                info.subject if info else "",
                data.name(info.assignee_id) if info and info.assignee_id is not None else "nobody",
                len(found),
                sum(1 for j in found if j.verdict == "drive_by"),
                max(j.created_at for j in found),
            )
        )
    rows.sort(key=lambda r: (r.last_at, id_sort_key(r.ticket_id)), reverse=True)
    return rows


# --- tables (shown as HTML, and the same rows as CSV) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    href: str | None = None
    numeric: bool = False


def num(value: int, href: str | None = None) -> Cell:
    return Cell(str(value), href if value else None, True)


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
        writer.writerow([cell.text if cell.numeric else csv_text(cell.text) for cell in row])
    return buffer.getvalue()


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
