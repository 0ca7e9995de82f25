"""Metrics over judgements: what a support manager reads in the report.

Everything here is counted from judgements the engine has already made; no rule is applied again.
:func:`build_metrics` reads the judgements once, as a stream, and keeps only running totals plus the
one thing a ticket-level metric needs: the distinct agents who replied publicly on each ticket.

Terms used throughout (from the policy's definitions):

* a *public reply* is an agent comment the customer can see; an *internal note* is one only agents see;
* a *contributor* is the author of a comment who was not the assignee at that comment
  (``author_id != assignee_id``, which includes every comment on an unassigned ticket);
* an engineer's *own work* is what they wrote as the assignee, plus replies with which they took the ticket
  (verdict ``ownership_change``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from intently.engine.judgement import VERDICT_LABELS as VERDICT_LABELS  # re-exported: the one vocabulary
from intently.engine.judgement import Judgement
from intently.model import Id, User, id_sort_key, iso, user_name
from intently.policy.schema import RULE_IDS, VERDICTS, Policy

if TYPE_CHECKING:
    from intently.store import Store
    from intently.store.queries import Scope

DEFAULT_TITLE = "Collaboration on support tickets"


RULE_TITLES: dict[str, str] = {
    "assignee": "The assignee's own work",
    "ownership": "Taking the ticket",
    "solicited": "Asked to help",
    "internal_note": "Internal note",
    "coverage": "Covering for an unavailable assignee",
    "unowned_reply": "Reply on an unowned ticket",
    "unsolicited_reply": "Unsolicited public reply",
}
"""The default policy's rule titles; a policy with other titles can pass its own to :func:`build_metrics`."""

RULE_VERDICTS: dict[str, str] = {
    "assignee": "assignee",
    "ownership": "ownership_change",
    "solicited": "intentional",
    "internal_note": "intentional",
    "coverage": "intentional",
    "unowned_reply": "drive_by",
    "unsolicited_reply": "drive_by",
}
"""The verdict each rule gives (fixed by the policy schema)."""

HELP_RULES = ("solicited", "internal_note", "coverage")
"""Rules whose judgements count as intentional help given by a contributor."""

VOICE_BUCKETS = ("0", "1", "2", "3", "4+")
"""Tickets by the number of distinct agents who replied publicly (``0``: judged comments, none public)."""

UNKNOWN_REGION = "unknown"
MAX_EXAMPLES = 20


RECENT_DAYS = 30
"""Without dates chosen, the dashboard's trends compare the data's last 30 days with the 30 days before."""


def recent_period(last: date, days: int = RECENT_DAYS) -> tuple[date, date]:
    """The ``days`` days up to ``last`` (inclusive): the data's last days."""
    return last - timedelta(days=days - 1), last


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before ``start``..``end`` (inclusive)."""
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def share(part: int, whole: int) -> float | None:
    """``part / whole``, or ``None`` when there is nothing to divide (shown as "n/a", never as 0%)."""
    return part / whole if whole else None


def week_of(at: datetime) -> date:
    """The Monday (in UTC) of the ISO week ``at`` falls in; a naive time is taken as UTC."""
    moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _ordered(counts: Mapping[str, int], known: Iterable[str]) -> dict[str, int]:
    """Counts with every known key (zero where absent) in the known order, then any others sorted."""
    known = tuple(known)
    result = {key: counts.get(key, 0) for key in known}
    for key in sorted(k for k in counts if k not in result):
        result[key] = counts[key]
    return result


# --- the metrics ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Share:
    """``part`` of ``whole``; ``value`` is ``None`` when ``whole`` is 0."""

    part: int
    whole: int

    @property
    def value(self) -> float | None:
        return share(self.part, self.whole)

    def to_dict(self) -> dict[str, Any]:
        return {"part": self.part, "whole": self.whole, "share": self.value}


@dataclass(frozen=True, slots=True, kw_only=True)
class Week:
    """One ISO week (``start`` is its Monday, UTC)."""

    start: date
    judged: int
    by_verdict: dict[str, int]
    by_rule: dict[str, int]
    contributor_public: int
    """Public replies by contributors (author is not the assignee at the comment)."""
    contributor_drive_bys: int

    @property
    def drive_by_share(self) -> Share:
        return Share(part=self.contributor_drive_bys, whole=self.contributor_public)

    def to_dict(self) -> dict[str, Any]:
        return {
            "week": self.start.isoformat(),
            "judged": self.judged,
            "by_verdict": dict(self.by_verdict),
            "by_rule": dict(self.by_rule),
            "contributor_public_replies": self.contributor_public,
            "contributor_drive_bys": self.contributor_drive_bys,
            "drive_by_share": self.drive_by_share.value,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Engineer:
    id: Id
    name: str
    region: str | None
    public_replies: int
    own_public_replies: int
    """Public replies as the assignee at the comment, plus replies with which they took the ticket."""
    internal_notes: int
    intentional_help: int
    """Judgements by the rules solicited, internal_note and coverage: help given as a contributor."""
    help_by_rule: dict[str, int]
    drive_bys: int
    contributor_notes: int
    """Internal notes written while not the assignee."""
    notes_acknowledged: int
    """Of ``contributor_notes``, those the assignee later acknowledged."""
    contributor_public_replies: int = 0
    """Public replies written while not the assignee (the team's drive-by share counts over these)."""

    @property
    def own_share(self) -> Share:
        return Share(part=self.own_public_replies, whole=self.public_replies)

    @property
    def drive_by_share(self) -> Share:
        """The engineer's drive-by rate: drive-bys of their public replies as a contributor (as the team's share)."""
        return Share(part=self.drive_bys, whole=self.contributor_public_replies)

    @property
    def acknowledged_share(self) -> Share:
        return Share(part=self.notes_acknowledged, whole=self.contributor_notes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "region": self.region,
            "public_replies": self.public_replies,
            "own_public_replies": self.own_public_replies,
            "own_share": self.own_share.value,
            "internal_notes": self.internal_notes,
            "intentional_help": self.intentional_help,
            "help_by_rule": dict(self.help_by_rule),
            "drive_bys": self.drive_bys,
            "contributor_notes": self.contributor_notes,
            "notes_acknowledged": self.notes_acknowledged,
            "acknowledged_share": self.acknowledged_share.value,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PodStats:
    """A pod's members' work on tickets with the pod's topic tags that were assigned outside the pod."""

    name: str
    notes: int
    """Internal notes by members on pod-topic tickets assigned to someone outside the pod."""
    acknowledged: int
    """Of ``notes``, those the assignee later acknowledged."""
    public_replies: int
    """Public replies by members on the same kind of ticket."""
    drive_bys: int
    members_active: int
    """Distinct members with at least one note or reply counted here."""
    tickets: int
    """Distinct tickets counted here."""

    @property
    def acknowledged_share(self) -> Share:
        return Share(part=self.acknowledged, whole=self.notes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "notes": self.notes,
            "acknowledged": self.acknowledged,
            "acknowledged_share": self.acknowledged_share.value,
            "public_replies": self.public_replies,
            "drive_bys": self.drive_bys,
            "members_active": self.members_active,
            "tickets": self.tickets,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionSplit:
    """Public replies inside, outside and with unknown relation to the customer's preferred region."""

    inside: int = 0
    outside: int = 0
    unknown: int = 0

    @property
    def total(self) -> int:
        return self.inside + self.outside + self.unknown

    @property
    def outside_share(self) -> Share:
        """Outside as a share of the replies whose region relation is known."""
        return Share(part=self.outside, whole=self.inside + self.outside)

    def to_dict(self) -> dict[str, Any]:
        return {
            "inside": self.inside,
            "outside": self.outside,
            "unknown": self.unknown,
            "total": self.total,
            "outside_share": self.outside_share.value,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Regions:
    public_replies: RegionSplit
    by_author_region: dict[str, RegionSplit]
    """Keyed by the author's region (``unknown`` where the policy could not tell)."""
    coverage_by_author_region: dict[str, int]
    """Public replies judged as coverage for an unavailable assignee, by the covering author's region."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "public_replies": self.public_replies.to_dict(),
            "by_author_region": {name: split.to_dict() for name, split in self.by_author_region.items()},
            "coverage_by_author_region": dict(self.coverage_by_author_region),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DriveByExample:
    """The most recent drive-by on one ticket, for a manager to follow up."""

    ticket_id: Id
    comment_id: Id
    author_id: Id
    author_name: str
    assignee_id: Id | None
    assignee_name: str | None
    created_at: datetime
    rule: str
    drive_bys_on_ticket: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "comment_id": self.comment_id,
            "author_id": self.author_id,
            "author_name": self.author_name,
            "assignee_id": self.assignee_id,
            "assignee_name": self.assignee_name,
            "created_at": iso(self.created_at),
            "rule": self.rule,
            "drive_bys_on_ticket": self.drive_bys_on_ticket,
        }


def worked_tickets(worked: int, imported: int | None = None) -> str:
    """The tickets counted: "300 tickets worked", with the tickets of the data when known: ", of 300
    imported", or ", of 310 imported (10 without an agent comment)". A ticket is worked when it has at least one
    judged agent comment: what the report, the dashboard and the demo's summary count as tickets."""
    text = f"{worked:,} ticket{'' if worked == 1 else 's'} worked"
    if imported is None:
        return text
    rest = imported - worked
    return f"{text}, of {imported:,} imported" + (f" ({rest:,} without an agent comment)" if rest else "")


@dataclass(frozen=True, slots=True, kw_only=True)
class Metrics:
    """Everything the report shows; :meth:`to_dict` gives it as JSON-ready data."""

    title: str
    policy_name: str
    policy_version: str
    generated_at: datetime | None
    """When the report was made; set by the caller (never read from the clock here), or ``None``."""
    first_comment_at: datetime | None
    last_comment_at: datetime | None
    tickets: int
    judged_comments: int
    public_replies: int
    internal_notes: int
    by_verdict: dict[str, int]
    by_rule: dict[str, int]
    rule_titles: dict[str, str]
    rule_verdicts: dict[str, str]
    weeks: list[Week]
    """Every week from the first comment's to the last comment's, empty weeks included."""
    contributor_public: int
    contributor_drive_bys: int
    voices: dict[str, int]
    """Tickets by the number of distinct agents with a judged public reply (keys :data:`VOICE_BUCKETS`)."""
    engineers: list[Engineer]
    """By public replies (most first), then by name."""
    pods: list[PodStats]
    regions: Regions
    drive_by_examples: list[DriveByExample]
    """The most recent drive-by of up to 20 tickets, newest first."""
    drive_by_tickets: int
    """Tickets with at least one drive-by."""
    imported_tickets: int | None = None
    """Every ticket of the data (worked or not) when the report covers all of it; None: not known here."""

    @property
    def tickets_text(self) -> str:
        """The tickets counted, in the words the demo, the report and the dashboard share."""
        return worked_tickets(self.tickets, self.imported_tickets)

    @property
    def drive_by_share(self) -> Share:
        """Drive-bys as a share of contributors' public replies."""
        return Share(part=self.contributor_drive_bys, whole=self.contributor_public)

    @property
    def pod_notes_acknowledged(self) -> Share:
        """All pods together: acknowledged notes of members' notes on pod tickets assigned outside the pod."""
        return Share(part=sum(p.acknowledged for p in self.pods), whole=sum(p.notes for p in self.pods))

    @property
    def multi_voice_tickets(self) -> int:
        """Tickets where two or more agents replied publicly."""
        return sum(count for bucket, count in self.voices.items() if bucket not in ("0", "1"))

    def with_generated_at(self, at: datetime | None) -> Metrics:
        return replace(self, generated_at=at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "policy": {"name": self.policy_name, "version": self.policy_version},
            "generated_at": iso(self.generated_at) if self.generated_at else None,
            "first_comment_at": iso(self.first_comment_at) if self.first_comment_at else None,
            "last_comment_at": iso(self.last_comment_at) if self.last_comment_at else None,
            "tickets": self.tickets,
            "judged_comments": self.judged_comments,
            "public_replies": self.public_replies,
            "internal_notes": self.internal_notes,
            "by_verdict": dict(self.by_verdict),
            "by_rule": dict(self.by_rule),
            "rule_titles": dict(self.rule_titles),
            "rule_verdicts": dict(self.rule_verdicts),
            "weeks": [week.to_dict() for week in self.weeks],
            "drive_by_share": {
                "contributor_public_replies": self.contributor_public,
                "drive_bys": self.contributor_drive_bys,
                "share": self.drive_by_share.value,
            },
            "voices": dict(self.voices),
            "engineers": [engineer.to_dict() for engineer in self.engineers],
            "pods": [pod.to_dict() for pod in self.pods],
            "pod_notes_acknowledged": self.pod_notes_acknowledged.to_dict(),
            "regions": self.regions.to_dict(),
            "drive_by_examples": [example.to_dict() for example in self.drive_by_examples],
            "drive_by_tickets": self.drive_by_tickets,
        }


# --- building them --------------------------------------------------------------------------------


@dataclass(slots=True)
class _WeekAcc:
    judged: int = 0
    by_verdict: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    contributor_public: int = 0
    contributor_drive_bys: int = 0


@dataclass(slots=True)
class _EngineerAcc:
    region: str | None = None
    public_replies: int = 0
    own_public_replies: int = 0
    internal_notes: int = 0
    help_by_rule: Counter[str] = field(default_factory=Counter)
    drive_bys: int = 0
    contributor_notes: int = 0
    notes_acknowledged: int = 0
    contributor_public: int = 0


@dataclass(slots=True)
class _PodAcc:
    notes: int = 0
    acknowledged: int = 0
    public_replies: int = 0
    drive_bys: int = 0
    members: set[Id] = field(default_factory=set)


@dataclass(slots=True)
class _RegionAcc:
    inside: int = 0
    outside: int = 0
    unknown: int = 0

    def add(self, relation: str, n: int = 1) -> None:
        if relation == "inside":
            self.inside += n
        elif relation == "outside":
            self.outside += n
        else:
            self.unknown += n

    def freeze(self) -> RegionSplit:
        return RegionSplit(inside=self.inside, outside=self.outside, unknown=self.unknown)


def _relation(out_of_region: bool | None) -> str:
    return "unknown" if out_of_region is None else ("outside" if out_of_region else "inside")


def _user_region(user: User | None) -> str | None:
    if user is None:
        return None
    value = user.fields.get("support_region") if user.fields else None
    return str(value) if value else None


class _Counter:
    """The running totals of the report: ``n`` judgements of one combination at a time (one judgement of a stream,
    or one row of the store's rollups), so both count alike."""

    def __init__(self, policy: Policy | None) -> None:
        self.policy = policy
        self.order = policy.rule_ids if policy is not None else RULE_IDS
        self.help_rules = _help_rules(policy)
        self.cover_rules = _cover_rules(policy)
        self.rule_verdicts: dict[str, str] = (
            dict(RULE_VERDICTS) if policy is None else {r.id: r.verdict for r in policy.rules.values()}
        )
        self.by_verdict: Counter[str] = Counter()
        self.by_rule: Counter[str] = Counter()
        self.weeks: defaultdict[date, _WeekAcc] = defaultdict(_WeekAcc)
        self.engineers: defaultdict[Id, _EngineerAcc] = defaultdict(_EngineerAcc)
        self.pods: defaultdict[str, _PodAcc] = defaultdict(_PodAcc)
        self.regions = _RegionAcc()
        self.by_author_region: defaultdict[str, _RegionAcc] = defaultdict(_RegionAcc)
        self.coverage_by_region: Counter[str] = Counter()
        self.judged = self.public_replies = self.internal_notes = 0
        self.contributor_public = self.contributor_drive_bys = 0

    def add(
        self,
        week: date,
        verdict: str,
        rule: str,
        author_id: Id,
        public: bool,
        contributor: bool,
        acknowledged: bool,
        relation: str,
        author_region: str | None,
        pod_outside: str | None,
        n: int = 1,
    ) -> None:
        """``n`` judgements alike: ``contributor``: the author was not the assignee at the comment;
        ``acknowledged``: the assignee acknowledged the note; ``relation``: inside, outside or unknown (the
        preferred region); ``pod_outside``: the author's pod, on a pod-topic ticket assigned outside the pod."""
        self.judged += n
        self.by_verdict[verdict] += n
        self.by_rule[rule] += n
        self.rule_verdicts.setdefault(rule, verdict)
        week_acc = self.weeks[week]
        week_acc.judged += n
        week_acc.by_verdict[verdict] += n
        week_acc.by_rule[rule] += n
        drive_by = verdict == "drive_by"
        engineer = self.engineers[author_id]
        if drive_by:
            engineer.drive_bys += n
        if rule in self.help_rules:
            engineer.help_by_rule[rule] += n
        if public:
            self.public_replies += n
            engineer.public_replies += n
            if not contributor or verdict == "ownership_change":
                engineer.own_public_replies += n
            if contributor:
                self.contributor_public += n
                engineer.contributor_public += n
                week_acc.contributor_public += n
                if drive_by:
                    self.contributor_drive_bys += n
                    week_acc.contributor_drive_bys += n
            self.regions.add(relation, n)
            region = author_region or UNKNOWN_REGION
            self.by_author_region[region].add(relation, n)
            if rule in self.cover_rules:
                self.coverage_by_region[region] += n
        else:
            self.internal_notes += n
            engineer.internal_notes += n
            if contributor:
                engineer.contributor_notes += n
                if acknowledged:
                    engineer.notes_acknowledged += n
        if pod_outside is not None:
            pod = self.pods[pod_outside]
            pod.members.add(author_id)
            if public:
                pod.public_replies += n
                pod.drive_bys += n if drive_by else 0
            else:
                pod.notes += n
                pod.acknowledged += n if acknowledged else 0

    def metrics(
        self,
        users: Mapping[Id, User],
        *,
        title: str,
        policy_name: str,
        policy_version: str,
        generated_at: datetime | None,
        rule_titles: Mapping[str, str] | None,
        first: datetime | None,
        last: datetime | None,
        voices: Mapping[str, int],
        examples: list[DriveByExample],
        drive_by_tickets: int,
        pod_tickets: Mapping[str, int],
    ) -> Metrics:
        policy, order, by_rule = self.policy, self.order, self.by_rule
        titles = {**RULE_TITLES, **(policy.rule_titles() if policy is not None else {}), **(rule_titles or {})}
        regions, by_region, coverage = self.regions, self.by_author_region, self.coverage_by_region
        return Metrics(
            title=title,
            policy_name=policy_name,
            policy_version=policy_version,
            generated_at=generated_at,
            first_comment_at=first,
            last_comment_at=last,
            tickets=sum(voices.values()),
            judged_comments=self.judged,
            public_replies=self.public_replies,
            internal_notes=self.internal_notes,
            by_verdict=_ordered(self.by_verdict, VERDICTS),
            by_rule=_ordered(by_rule, order),
            rule_titles={rule: titles.get(rule, rule) for rule in _ordered(by_rule, order)},
            rule_verdicts={rule: self.rule_verdicts[rule] for rule in _ordered(by_rule, order)},
            weeks=_weeks(self.weeks, self.by_verdict, by_rule, order),
            contributor_public=self.contributor_public,
            contributor_drive_bys=self.contributor_drive_bys,
            voices=dict(voices),
            engineers=_engineers(self.engineers, users, self.help_rules),
            pods=[_pod(name, acc, pod_tickets.get(name, 0)) for name, acc in sorted(self.pods.items())],
            regions=Regions(
                public_replies=regions.freeze(),
                by_author_region={name: by_region[name].freeze() for name in _region_order(by_region)},
                coverage_by_author_region={name: coverage[name] for name in _region_order(coverage)},
            ),
            drive_by_examples=examples,
            drive_by_tickets=drive_by_tickets,
        )


def build_metrics(
    judgements: Iterable[Judgement],
    users: Mapping[Id, User],
    *,
    policy_name: str,
    policy_version: str,
    title: str = DEFAULT_TITLE,
    generated_at: datetime | None = None,
    rule_titles: Mapping[str, str] | None = None,
    policy: Policy | None = None,
) -> Metrics:
    """Count the report's metrics in one pass over ``judgements`` (any iterable; it is read once).

    ``users`` gives names (and a fallback region) for authors and assignees. ``policy`` gives the rules: their
    order, titles and verdicts, which of them are intentional help and which cover for an unavailable assignee
    (without it, the default policy's seven); ``rule_titles`` overrides titles. (A store's own judgements are
    counted from its rollups instead: :func:`stored_metrics`.)
    """
    counter = _Counter(policy)
    voices: dict[Id, set[Id]] = {}
    pod_tickets: defaultdict[str, set[Id]] = defaultdict(set)
    latest_drive_by: dict[Id, Judgement] = {}
    drive_bys_per_ticket: Counter[Id] = Counter()
    first: datetime | None = None
    last: datetime | None = None

    for j in judgements:
        at = _utc(j.created_at)
        first = at if first is None or at < first else first
        last = at if last is None or at > last else last
        pod_outside = j.pod if j.pod is not None and j.assignee_in_pod is False else None
        counter.add(
            week_of(at),
            j.verdict,
            j.rule,
            j.author_id,
            j.public,
            j.author_id != j.assignee_id,
            j.acknowledged is True,
            _relation(j.out_of_region),
            j.author_region,
            pod_outside,
        )
        if j.author_region:
            counter.engineers[j.author_id].region = j.author_region
        authors = voices.setdefault(j.ticket_id, set())
        if j.public:
            authors.add(j.author_id)
        if pod_outside is not None:
            pod_tickets[pod_outside].add(j.ticket_id)
        if j.verdict == "drive_by":
            drive_bys_per_ticket[j.ticket_id] += 1
            _keep_latest(latest_drive_by, j)

    return counter.metrics(
        users,
        title=title,
        policy_name=policy_name,
        policy_version=policy_version,
        generated_at=generated_at,
        rule_titles=rule_titles,
        first=first,
        last=last,
        voices=_voices(Counter(len(authors) for authors in voices.values())),
        examples=_examples(latest_drive_by, drive_bys_per_ticket, users),
        drive_by_tickets=len(drive_bys_per_ticket),
        pod_tickets={name: len(tickets) for name, tickets in pod_tickets.items()},
    )


def stored_metrics(
    store: Store,
    users: Mapping[Id, User],
    *,
    policy_name: str,
    policy_version: str,
    title: str = DEFAULT_TITLE,
    generated_at: datetime | None = None,
    rule_titles: Mapping[str, str] | None = None,
    policy: Policy | None = None,
    scope: Scope | None = None,
) -> Metrics:
    """The metrics of :func:`build_metrics` over the store's judgements under ``scope`` (all of them without one),
    counted from the store's rollups and a few indexed queries: no judgement is read one by one. The caller
    brings the judgements up to date first."""
    from intently.store import queries

    scope = scope or queries.Scope()
    counter = _Counter(policy)
    first_day: date | None = None
    last_day: date | None = None
    named: dict[Id, tuple[date, set[str]]] = {}
    with store.engine.connect() as conn:
        for c in queries.counts(conn, scope):
            counter.add(
                c.day - timedelta(days=c.day.weekday()),
                c.verdict,
                c.rule,
                c.author_id,
                c.public,
                c.contributor,
                c.acknowledged,
                c.relation,
                c.author_region,
                c.pod_outside,
                c.n,
            )
            first_day = c.first_day if first_day is None or c.first_day < first_day else first_day
            last_day = c.day if last_day is None or c.day > last_day else last_day
            if c.author_region:
                seen = named.get(c.author_id)
                if seen is None or c.day > seen[0]:
                    named[c.author_id] = (c.day, {c.author_region})
                elif c.day == seen[0]:
                    seen[1].add(c.author_region)
        for author, (day, regions) in named.items():
            # the author's region at their last comment that names one (as the stream, in time order, keeps it)
            counter.engineers[author].region = (
                next(iter(regions)) if len(regions) == 1 else queries.latest_author_region(conn, scope, author, day)
            )
        first = None if first_day is None else queries.moment(conn, scope, first_day, last=False)
        last = None if last_day is None else queries.moment(conn, scope, last_day, last=True)
        tickets = queries.ticket_counts(conn, scope) if counter.judged else queries.TicketCounts()
        pod_tickets = queries.pod_tickets(conn, scope) if counter.pods else {}
        latest: dict[Id, Any] = {}
        counts: dict[Id, int] = {}
        if counter.by_verdict.get("drive_by"):
            for row in queries.latest_drive_bys(conn, scope, MAX_EXAMPLES):
                _keep_latest(latest, row)
            counts = queries.drive_bys_on(conn, scope, latest)
    return counter.metrics(
        users,
        title=title,
        policy_name=policy_name,
        policy_version=policy_version,
        generated_at=generated_at,
        rule_titles=rule_titles,
        first=first,
        last=last,
        voices=_voices(tickets.voices),
        examples=_examples(latest, counts, users),
        drive_by_tickets=tickets.drive_by_tickets,
        pod_tickets=pod_tickets,
    )


def _keep_latest(latest: dict[Id, Any], j: Any) -> None:
    """Keep ``j`` as its ticket's example drive-by when it is the ticket's latest so far."""
    current = latest.get(j.ticket_id)
    if current is None or _example_key(j) > _example_key(current):
        latest[j.ticket_id] = j


def _example_key(j: Any) -> tuple[datetime, tuple[int, int | str]]:
    """A drive-by's order (a :class:`Judgement`, or a stored row with the same fields)."""
    return (_utc(j.created_at), id_sort_key(j.comment_id))


def _help_rules(policy: Policy | None) -> tuple[str, ...]:
    """The rules whose judgements are intentional help by a contributor, in the policy's order."""
    if policy is None:
        return HELP_RULES
    return tuple(r.id for r in policy.rules.values() if r.verdict == "intentional")


def _cover_rules(policy: Policy | None) -> frozenset[str]:
    """The rules that cover for an unavailable assignee (their condition asks whether the assignee is away)."""
    if policy is None:
        return frozenset({"coverage"})
    return frozenset(
        r.id
        for r in policy.rules.values()
        if r.verdict == "intentional" and (r.facts("assignee_unavailable") or r.facts("assignee_out_of_office"))
    )


def _weeks(
    weeks: Mapping[date, _WeekAcc], verdicts: Mapping[str, int], rules: Mapping[str, int], order: Iterable[str]
) -> list[Week]:
    if not weeks:
        return []
    verdict_keys = tuple(_ordered(verdicts, VERDICTS))
    rule_keys = tuple(_ordered(rules, order))
    result = []
    start, end = min(weeks), max(weeks)
    empty = _WeekAcc()
    while start <= end:
        acc = weeks.get(start, empty)
        result.append(
            Week(
                start=start,
                judged=acc.judged,
                by_verdict={key: acc.by_verdict.get(key, 0) for key in verdict_keys},
                by_rule={key: acc.by_rule.get(key, 0) for key in rule_keys},
                contributor_public=acc.contributor_public,
                contributor_drive_bys=acc.contributor_drive_bys,
            )
        )
        start += timedelta(days=7)
    return result


def _voices(tickets: Mapping[int, int]) -> dict[str, int]:
    """Tickets by their number of distinct public voices, bucketed as the report shows them."""
    counts = dict.fromkeys(VOICE_BUCKETS, 0)
    for voices, n in tickets.items():
        counts[str(voices) if voices < 4 else "4+"] += n
    return counts


def _engineers(accs: Mapping[Id, _EngineerAcc], users: Mapping[Id, User], help_rules: Iterable[str]) -> list[Engineer]:
    help_rules = tuple(help_rules)
    rows = [
        Engineer(
            id=author_id,
            name=user_name(users, author_id),
            region=acc.region or _user_region(users.get(author_id)),
            public_replies=acc.public_replies,
            own_public_replies=acc.own_public_replies,
            internal_notes=acc.internal_notes,
            intentional_help=sum(acc.help_by_rule.values()),
            help_by_rule={rule: acc.help_by_rule.get(rule, 0) for rule in help_rules},
            drive_bys=acc.drive_bys,
            contributor_notes=acc.contributor_notes,
            notes_acknowledged=acc.notes_acknowledged,
            contributor_public_replies=acc.contributor_public,
        )
        for author_id, acc in accs.items()
    ]
    rows.sort(key=lambda row: (-row.public_replies, row.name.casefold(), id_sort_key(row.id)))
    return rows


def _pod(name: str, acc: _PodAcc, tickets: int) -> PodStats:
    return PodStats(
        name=name,
        notes=acc.notes,
        acknowledged=acc.acknowledged,
        public_replies=acc.public_replies,
        drive_bys=acc.drive_bys,
        members_active=len(acc.members),
        tickets=tickets,
    )


def _region_order(keys: Iterable[str]) -> list[str]:
    """Regions by name, with ``unknown`` last."""
    return sorted(keys, key=lambda name: (name == UNKNOWN_REGION, name))


def _examples(latest: Mapping[Id, Any], counts: Mapping[Id, int], users: Mapping[Id, User]) -> list[DriveByExample]:
    newest = sorted(latest.values(), key=lambda j: (*_example_key(j), id_sort_key(j.ticket_id)), reverse=True)[
        :MAX_EXAMPLES
    ]
    return [
        DriveByExample(
            ticket_id=j.ticket_id,
            comment_id=j.comment_id,
            author_id=j.author_id,
            author_name=user_name(users, j.author_id),
            assignee_id=j.assignee_id,
            assignee_name=None if j.assignee_id is None else user_name(users, j.assignee_id),
            created_at=_utc(j.created_at),
            rule=j.rule,
            drive_bys_on_ticket=counts[j.ticket_id],
        )
        for j in newest
    ]
