"""The helpdesk-neutral model: users, tickets and the time-ordered events of a ticket's history.

Every source (Zendesk export, Zendesk API, neutral JSON Lines) turns its data into these types and
nothing else; the engine reads only these types.

:mod:`.codec` writes the model as plain JSON-ready dicts (the neutral format's records) and reads it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Literal, TypeAlias

import msgspec

Id: TypeAlias = int | str
MAX_ID = 2**63 - 1
MIN_ID = -(2**63)
MAX_ID_TEXT = 64
"""An id is a 64-bit integer (Zendesk's ids are) or a text of at most this many characters: what every store
keeps (PostgreSQL's bigint range, the id columns' width)."""
"""A helpdesk id. Zendesk ids are integers and stay integers; other helpdesks may use strings."""

AGENT_ROLES = frozenset({"agent", "admin"})
SYSTEM_USER_ID = -1
"""Zendesk's id for changes made by the system itself."""


def iso(at: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: ``2026-03-02T09:00:00Z``."""
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    return at.isoformat()[:-6] + "Z"


def utc(at: datetime) -> datetime | str:
    """A time for orjson with ``OPT_UTC_Z``: a UTC time as it is (orjson writes it as :func:`iso` does, faster),
    any other as :func:`iso`'s text."""
    return at if at.tzinfo is UTC else iso(at)


def as_id(text: str) -> Id:
    """The id a text stands for: a whole number written in ASCII digits (``"10"``, ``"-1"``, ``"007"``) is that
    number, so ``"10"`` and ``10`` are one id; any other text is a text id, as it is. Every source reads ids
    through this (Zendesk's ids are numbers that some of its records give as text). Range checks are the
    caller's (see :data:`MAX_ID`)."""
    digits = text[1:] if text[:1] == "-" else text
    return int(text) if digits.isascii() and digits.isdigit() else text


def id_sort_key(value: Id | None) -> tuple[int, int | str]:
    """A total order over mixed integer and string ids (integers first)."""
    if value is None:
        return (-1, 0)
    if isinstance(value, int):
        return (0, value)
    return (1, value)


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A person in the helpdesk: a customer (end-user), an agent or an admin."""

    id: Id
    name: str
    role: str = "end-user"
    email: str | None = None
    time_zone: str | None = None
    """IANA time zone, e.g. ``Europe/Amsterdam``."""
    fields: Mapping[str, str] = field(default_factory=dict)
    """Custom user fields (Zendesk ``user_fields``), e.g. ``{"support_region": "emea"}``."""

    @property
    def is_agent(self) -> bool:
        return self.role in AGENT_ROLES


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    id: Id
    name: str
    members: tuple[Id, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Ticket:
    """A ticket as it is now. Its history (and so its state at any moment) is in its events."""

    id: Id
    created_at: datetime
    requester_id: Id | None = None
    subject: str = ""
    status: str | None = None
    priority: str | None = None
    tags: tuple[str, ...] = ()
    assignee_id: Id | None = None
    group_id: Id | None = None
    fields: Mapping[str, object] = field(default_factory=dict)
    """Custom ticket fields by title (or by id where the title is unknown)."""
    satisfaction: str | None = None
    """The customer's satisfaction rating now (see :data:`SATISFACTION_SCORES`), where the helpdesk says; the
    history's :class:`SatisfactionRating` events take precedence."""


class Event(msgspec.Struct, kw_only=True, gc=False):
    """Something that happened on a ticket, by someone, at a moment.

    Events made together (one Zendesk audit) share ``update``; ``actor`` made every change in it.
    Events are values: treat them as immutable. They are msgspec structs, not dataclasses, because exports hold
    millions of them: a struct is built several times faster, and (``gc=False``: an event holds only ids, times,
    texts and plain values, never anything that refers back to it) the garbage collector does not track it.
    """

    id: Id
    at: datetime
    actor: Id | None
    update: Id
    via: str | None = None
    """The channel of the update, e.g. ``web``, ``email``, ``api``; ``rule`` for triggers and automations."""


class Comment(Event, kw_only=True, gc=False):
    author: Id | None
    public: bool
    body: str = ""


class AssigneeChange(Event, kw_only=True, gc=False):
    assignee: Id | None


WatcherKind = Literal["follower", "cc"]


class WatchersChange(Event, kw_only=True, gc=False):
    """Followers or e-mail CCs added or removed; ``actor`` is who added or removed them."""

    kind: WatcherKind
    added: tuple[Id, ...] = ()
    removed: tuple[Id, ...] = ()


class TagsChange(Event, kw_only=True, gc=False):
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


class FieldChange(Event, kw_only=True, gc=False):
    """A ticket field set to a value: ``priority``, ``group_id`` or a custom field by its title."""

    field: str
    value: object


class StatusChange(Event, kw_only=True, gc=False):
    status: str


TICKET_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
"""A ticket's status (Zendesk's statuses; other helpdesks' are mapped onto these)."""

SATISFACTION_SCORES = ("good", "bad", "offered", "unoffered")
"""A satisfaction rating's score: ``good`` or ``bad`` is a rating; ``offered`` (the survey was sent, no answer yet)
and ``unoffered`` are not."""


def satisfaction_score(value: object) -> str | None:
    """A helpdesk's satisfaction score as one of :data:`SATISFACTION_SCORES` (Zendesk's older
    ``good_with_comment``/``bad_with_comment`` are ``good``/``bad``), or ``None`` when it is none of them."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    for score in SATISFACTION_SCORES:
        if text == score or text == f"{score}_with_comment":
            return score
    return None


class SatisfactionRating(Event, kw_only=True, gc=False):
    """The customer rated the ticket (or the survey was offered): ``score`` is one of :data:`SATISFACTION_SCORES`.
    The customer's comment is not kept: intently needs only the score."""

    score: str


AnyEvent: TypeAlias = (
    Comment | AssigneeChange | WatchersChange | TagsChange | FieldChange | StatusChange | SatisfactionRating
)


def event_order(event: Event) -> tuple[datetime, tuple[int, int | str], tuple[int, int | str]]:
    """Events are ordered by time, then by the update they belong to, then by id."""
    return (event.at, id_sort_key(event.update), id_sort_key(event.id))


_FAST_ORDER = attrgetter("at", "update", "id")


def ordered(events: Iterable[Event]) -> list[Event]:
    """Events in time order, then update, then id (see :func:`event_order`)."""
    items = events if isinstance(events, list) else list(events)
    try:
        return sorted(items, key=_FAST_ORDER)  # ids of one type: compare them directly (fast)
    except TypeError:  # integer and string ids mixed: the total order of id_sort_key
        return sorted(items, key=event_order)


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketHistory:
    """One ticket with every event of its history, in time order (see :func:`ordered`): put in that order when
    the history is made, whatever order the events are given in, so whoever reads it need not sort them again."""

    ticket: Ticket
    events: tuple[Event, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", tuple(ordered(self.events)))

    @classmethod
    def of(cls, ticket: Ticket, events: Iterable[Event]) -> TicketHistory:
        return cls(ticket=ticket, events=events)  # type: ignore[arg-type]  # ordered into a tuple when made


@dataclass(slots=True)
class Directory:
    """Who is who: users (with agents among them) and groups, looked up by id or e-mail."""

    users: dict[Id, User] = field(default_factory=dict)
    groups: dict[Id, Group] = field(default_factory=dict)
    _by_email: dict[str, Id] = field(default_factory=dict)

    def add_user(self, user: User) -> None:
        self.users[user.id] = user
        if user.email:
            self._by_email[user.email.lower()] = user.id

    def add_group(self, group: Group) -> None:
        self.groups[group.id] = group

    def get(self, user_id: Id | None) -> User | None:
        return None if user_id is None else self.users.get(user_id)

    def resolve(self, ref: str | int) -> Id:
        """A user id from an id or an e-mail address (as in Zendesk follower/CC lists); unknown stays as is."""
        if isinstance(ref, int):
            return ref
        text = ref.strip()
        if "@" in text:
            return self._by_email.get(text.lower(), text)
        return as_id(text)

    def name_of(self, user_id: Id | None) -> str:
        return user_name(self.users, user_id)


def user_name(users: Mapping[Id, User], user_id: Id | None) -> str:
    """A user as a label: their name; ``nobody`` for no one; ``user 123`` when unknown or without a name."""
    if user_id is None:
        return "nobody"
    user = users.get(user_id)
    return user.name if user is not None and user.name else f"user {user_id}"
