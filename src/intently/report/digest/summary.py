"""The digest's content: a period (a day, an ISO week, a calendar month, in UTC), its headline figures against the
period before, and the tickets with the most drive-bys in it.

Every figure comes from :func:`intently.report.metrics.build_metrics` over the stored judgements of each period:
nothing here applies a rule again. The top tickets are the judgements whose verdict is ``drive_by``, counted per
ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from intently.engine.judgement import Judgement
from intently.model import Id, User, id_sort_key, user_name
from intently.policy import Policy
from intently.report.formatting import clean_text, fmt_date, fmt_int, fmt_pct, fmt_share, fmt_span, ticket_link
from intently.report.metrics import Metrics, Share, build_metrics

PERIODS = ("day", "week", "month")
PeriodKind = Literal["day", "week", "month"]
DEFAULT_TOP = 5
MAX_TOP = 50
MAX_SUBJECT = 120
"""Characters of a ticket's subject shown in a digest (a subject can be long; the digest is a summary)."""

Direction = Literal["up", "down", "same", "n/a"]
Better = Literal["lower", "higher", "neither"]


# --- periods ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """Whole days in UTC: from ``start`` up to (not including) ``end``."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def previous(self) -> Period:
        """The period of the same kind just before: the day, week or calendar month before."""
        return last_complete(self.kind, self.start)

    def holds(self, at: datetime) -> bool:
        return self.start <= _utc(at).date() < self.end

    @property
    def name(self) -> str:
        """``Monday 5 Oct 2026``, ``week of 5–11 Oct 2026`` (``week of 28 Sep – 4 Oct 2026``) or ``October 2026``."""
        first, last = self.start, self.last_day
        if self.kind == "day":
            return f"{first:%A} {fmt_date(first)}"
        if self.kind == "week":
            return f"week of {fmt_span(first, last)}"
        return f"{first:%B %Y}"

    @property
    def before_words(self) -> str:
        """How the previous period is called in a sentence: "the day before", "the week before", "the month before"."""
        return f"the {self.kind} before"


def last_complete(kind: str, before: date) -> Period:
    """The last whole period of ``kind`` that ends on or before the day before ``before`` (so on ``before`` =
    today: the last complete day, ISO week (Monday to Sunday) or calendar month)."""
    if kind == "day":
        return Period("day", before - timedelta(days=1), before)
    if kind == "week":
        end = before - timedelta(days=before.weekday())
        return Period("week", end - timedelta(days=7), end)
    if kind == "month":
        end = before.replace(day=1)
        return Period("month", (end - timedelta(days=1)).replace(day=1), end)
    raise ValueError(f"unknown period {kind!r}: use one of {', '.join(PERIODS)}")


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# --- figures ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figure:
    """One headline figure in this period and the one before: a count, or a share (compared in percentage points)."""

    key: str
    label: str
    now: int | Share
    before: int | Share
    better: Better = "neither"
    """Which way is good news: ``lower`` (drive-bys), ``higher`` (notes acknowledged), or ``neither``."""

    @property
    def is_share(self) -> bool:
        return isinstance(self.now, Share)

    def _value(self, value: int | Share) -> float | None:
        return value.value if isinstance(value, Share) else float(value)

    @property
    def change(self) -> float | None:
        """The difference (a count, or percentage points for a share); None when either side has no value."""
        now, before = self._value(self.now), self._value(self.before)
        if now is None or before is None:
            return None
        return (now - before) * (100 if self.is_share else 1)

    @property
    def direction(self) -> Direction:
        change = self.change
        if change is None:
            return "n/a"
        if abs(change) < (0.05 if self.is_share else 0.5):  # what shows as 0.0 points, or 0
            return "same"
        return "up" if change > 0 else "down"

    @property
    def good_news(self) -> bool | None:
        """True when the change goes the good way, False the bad way, None when neither (or no change)."""
        if self.better == "neither" or self.direction not in ("up", "down"):
            return None
        return (self.direction == "up") == (self.better == "higher")

    def shown(self, value: int | Share) -> str:
        return fmt_share(value) if isinstance(value, Share) else fmt_int(value)

    @property
    def now_text(self) -> str:
        return self.shown(self.now)

    @property
    def before_text(self) -> str:
        if isinstance(self.before, Share):
            return fmt_pct(self.before.value) if self.before.whole else "n/a"
        return fmt_int(self.before)

    def change_text(self, before_words: str) -> str:
        """``up 5 (+19.2%) from 26 the week before``; ``down 2.1 points from 12.4% ...``; ``no change ...``."""
        direction, change = self.direction, self.change
        if change is None:
            if self._value(self.before) is None:
                return f"nothing to compare with {before_words}"
            return f"{self.before_text} {before_words}"
        if direction == "same":
            return f"no change from {before_words} ({self.before_text})"
        if self.is_share:
            return f"{direction} {abs(change):.1f} points from {self.before_text} {before_words}"
        assert isinstance(self.before, int)
        relative = f" ({change / self.before:+,.1%})" if self.before else ""
        return f"{direction} {fmt_int(round(abs(change)))}{relative} from {self.before_text} {before_words}"


def figures(now: Metrics, before: Metrics) -> list[Figure]:
    """The headline figures of the report (:func:`intently.report.terminal.print_report`), this period and the one
    before, plus the drive-by count."""
    found = [
        Figure("drive_by_share", "Drive-by share of contributor public replies", now.drive_by_share,
               before.drive_by_share, "lower"),
        Figure("drive_bys", "Drive-bys", now.by_verdict.get("drive_by", 0), before.by_verdict.get("drive_by", 0),
               "lower"),
        Figure("drive_by_tickets", "Tickets with a drive-by", now.drive_by_tickets, before.drive_by_tickets, "lower"),
        Figure("multi_voice_tickets", "Tickets where more than one agent replied publicly", now.multi_voice_tickets,
               before.multi_voice_tickets, "lower"),
        Figure("judged_comments", "Judged agent comments", now.judged_comments, before.judged_comments),
        Figure("tickets", "Tickets worked", now.tickets, before.tickets),
        Figure("outside_region", "Public replies from outside the customer's preferred region",
               now.regions.public_replies.outside_share, before.regions.public_replies.outside_share),
    ]  # fmt: skip
    if now.pods or before.pods:
        found.append(
            Figure(
                "pod_notes_acknowledged",
                "Pod notes acknowledged by the assignee",
                now.pod_notes_acknowledged,
                before.pod_notes_acknowledged,
                "higher",
            )
        )
    return found


# --- the top drive-by tickets -----------------------------------------------------------------------------------


@dataclass(slots=True)
class DriveByTicket:
    """A ticket with drive-bys in the period: how many, by whom, on whose ticket, and where to open it."""

    ticket_id: Id
    drive_bys: int
    authors: list[str]
    """Who drove by, in the order of their first drive-by in the period."""
    assignee: str | None
    """The assignee at the latest drive-by (None: unassigned)."""
    last_at: datetime
    subject: str = ""
    """The ticket's subject, cleaned of control characters and shortened (customer text: escape it to show it)."""
    link: str | None = None


@dataclass(slots=True)
class _TicketAcc:
    count: int = 0
    authors: dict[Id, None] = field(default_factory=dict)
    assignee: Id | None = None
    last_at: datetime | None = None


def _name(users: Mapping[Id, User], user_id: Id) -> str:
    return clean_text(user_name(users, user_id))


def _top(
    judgements: Iterable[Judgement], users: Mapping[Id, User], limit: int, base: str | None
) -> tuple[list[DriveByTicket], int]:
    """The ``limit`` tickets with the most drive-bys (then the most recent first), and how many had any."""
    tickets: dict[Id, _TicketAcc] = {}
    for j in judgements:
        if j.verdict != "drive_by":
            continue
        acc = tickets.setdefault(j.ticket_id, _TicketAcc())
        acc.count += 1
        acc.authors.setdefault(j.author_id, None)
        at = _utc(j.created_at)
        if acc.last_at is None or at >= acc.last_at:
            acc.last_at, acc.assignee = at, j.assignee_id
    ranked = sorted(
        tickets.items(),
        key=lambda item: (-item[1].count, -(item[1].last_at or datetime.min.replace(tzinfo=UTC)).timestamp(),
                          id_sort_key(item[0])),
    )  # fmt: skip
    top = [
        DriveByTicket(
            ticket_id=ticket_id,
            drive_bys=acc.count,
            authors=[_name(users, author) for author in acc.authors],
            assignee=None if acc.assignee is None else _name(users, acc.assignee),
            last_at=acc.last_at or datetime.min.replace(tzinfo=UTC),
            link=ticket_link(base, ticket_id),
        )
        for ticket_id, acc in ranked[:limit]
    ]
    return top, len(tickets)


# --- the digest -------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Digest:
    """What a digest says; :mod:`.message` writes it as text, Slack mrkdwn and HTML."""

    period: Period
    previous: Period
    policy: str
    """``name version`` of the policy the judgements were made under."""
    now: Metrics
    before: Metrics
    figures: list[Figure]
    top: list[DriveByTicket]
    drive_by_tickets: int
    last_judged_at: datetime | None
    """The latest judged comment in the store (any period): says how current the store is."""
    zendesk_base: str | None
    generated_at: datetime


def build_digest(
    judgements: Iterable[Judgement],
    users: Mapping[Id, User],
    policy: Policy,
    period: Period,
    *,
    subjects: Callable[[list[Id]], Mapping[Id, str]] | None = None,
    zendesk_base: str | None = None,
    top: int = DEFAULT_TOP,
    generated_at: datetime | None = None,
) -> Digest:
    """The digest of ``period`` against the period before, from ``judgements`` (any order; read once, keeping only
    those of the two periods). ``subjects`` gives the subjects of the top tickets; ``zendesk_base`` (the account's
    ``https://SUBDOMAIN.zendesk.com``, where known) makes each ticket a link."""
    previous = period.previous()
    now_list: list[Judgement] = []
    before_list: list[Judgement] = []
    last: datetime | None = None
    for j in judgements:
        at = _utc(j.created_at)
        last = at if last is None or at > last else last
        if period.holds(at):
            now_list.append(j)
        elif previous.holds(at):
            before_list.append(j)

    def metrics(items: list[Judgement], title: str) -> Metrics:
        return build_metrics(
            items, users, policy_name=policy.name, policy_version=policy.version, title=title, policy=policy
        )

    now = metrics(now_list, period.name)
    before = metrics(before_list, previous.name)
    found, with_drive_bys = _top(now_list, users, max(0, min(top, MAX_TOP)), zendesk_base)
    if subjects is not None and found:
        known = subjects([ticket.ticket_id for ticket in found])
        for ticket in found:
            ticket.subject = _subject(known.get(ticket.ticket_id, ""))
    return Digest(
        period=period,
        previous=previous,
        policy=f"{policy.name} {policy.version}",
        now=now,
        before=before,
        figures=figures(now, before),
        top=found,
        drive_by_tickets=with_drive_bys,
        last_judged_at=last,
        zendesk_base=zendesk_base,
        generated_at=generated_at or datetime.now(UTC),
    )


def _subject(text: str) -> str:
    text = " ".join(clean_text(text).split())
    return text if len(text) <= MAX_SUBJECT else text[: MAX_SUBJECT - 1].rstrip() + "…"
