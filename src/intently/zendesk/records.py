"""Zendesk API records (users, groups, ticket fields, tickets, audits) turned into the model.

Shared by the export directory reader and the API sync, so both read Zendesk the same way.

An audit is read as an :class:`AuditRecord` (with its events as :class:`EventRecord`): only the fields intently
reads, in one shape whether it was decoded straight from an export page (:data:`AUDIT_PAGE`, which skips every
other field and takes only the plain JSON values the mapping expects) or made from a dict that the API, a webhook
or a page of unusual content gave (:func:`audit_record`, which keeps whatever the dict holds). The mapping to the
model (:meth:`HistoryBuilder.audit_events`) reads only these records, so every source reads an audit the same way.
"""

from __future__ import annotations

import reprlib
import sys
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from intently.errors import some_of
from intently.model import (
    MAX_ID,
    MAX_ID_TEXT,
    MIN_ID,
    SYSTEM_USER_ID,
    AssigneeChange,
    Comment,
    Directory,
    Event,
    FieldChange,
    Group,
    Id,
    SatisfactionRating,
    StatusChange,
    TagsChange,
    Ticket,
    TicketHistory,
    User,
    WatchersChange,
    as_id,
    id_sort_key,
    satisfaction_score,
)
from intently.model.repeats import differing_copies, unique_events

_KEPT_FIELDS = frozenset({"assignee_id", "tags", "status", "priority", "group_id", "requester_id"})

# --- audits as read ---------------------------------------------------------------------------------------------

_Int = Annotated[int, msgspec.Meta(ge=MIN_ID, le=MAX_ID)]
_Scalar = str | _Int | float | bool | None
_Value = _Scalar | list[_Scalar]
"""What a field holds when an export page is decoded straight into records: plain JSON values only (an integer
beyond 64 bits, an object where a value is expected ... makes the page fall back on the generic decoding, which
keeps any JSON value and so reads such a page exactly as before)."""


class EventRecord(msgspec.Struct, gc=False):
    """The fields of an audit event that intently reads. ``UNSET``: the field is absent (not ``null``), where the
    mapping tells the two apart."""

    id: _Scalar = None
    type: _Scalar = None
    author_id: _Scalar | UnsetType = UNSET
    public: _Scalar = None
    plain_body: _Scalar = None
    body: _Scalar = None
    field_name: _Scalar = None
    value: _Value = None
    previous_value: _Value | UnsetType = UNSET
    previous_followers: _Value | UnsetType = UNSET
    current_followers: _Value | UnsetType = UNSET
    previous_email_ccs: _Value | UnsetType = UNSET
    current_email_ccs: _Value | UnsetType = UNSET
    score: _Scalar = None


class ViaRecord(msgspec.Struct, gc=False):
    channel: _Scalar = None


class AuditRecord(msgspec.Struct, gc=False):
    """The fields of an audit that intently reads (``UNSET``: absent)."""

    id: _Scalar | UnsetType = UNSET
    ticket_id: _Scalar | UnsetType = UNSET
    created_at: _Scalar | UnsetType = UNSET
    author_id: _Scalar = None
    via: ViaRecord | None = None
    events: list[EventRecord] | None = None

    def where(self, index: int) -> str:
        """The audit named for an error message (its position when it has no id or ticket)."""
        return _audit_where(self.id, self.ticket_id, index)


def _audit_where(audit_id: Any, ticket_id: Any, index: int) -> str:
    if audit_id is not UNSET and ticket_id is not UNSET:
        return f"audit {audit_id} (ticket {ticket_id})"
    return f"audits[{index}]"


class AuditPage(msgspec.Struct):
    audits: list[AuditRecord]


AUDIT_PAGE = msgspec.json.Decoder(AuditPage)
"""Decodes a ``ticket_audits`` page of plain content straight into records; raises ``msgspec.MsgspecError`` for
anything else (the caller then decodes the page generically and converts it with :func:`audit_record`)."""


class AuditHead(msgspec.Struct, gc=False):
    """An audit with its events left undecoded (``events``: their JSON text, checked to be JSON): what a process
    that works only some of the tickets reads of the others' audits (see :func:`audit_from_head`)."""

    id: _Scalar | UnsetType = UNSET
    ticket_id: _Scalar | UnsetType = UNSET
    created_at: _Scalar | UnsetType = UNSET
    author_id: _Scalar = None
    via: ViaRecord | None = None
    events: msgspec.Raw = msgspec.Raw(b"null")

    def where(self, index: int) -> str:
        """As :meth:`AuditRecord.where`."""
        return _audit_where(self.id, self.ticket_id, index)


class HeadPage(msgspec.Struct):
    audits: list[AuditHead]


HEAD_PAGE = msgspec.json.Decoder(HeadPage)
"""Decodes a ``ticket_audits`` page of plain content into :class:`AuditHead` records (as :data:`AUDIT_PAGE`)."""

_EVENTS = msgspec.json.Decoder(list[EventRecord] | None)


def audit_from_head(head: AuditHead) -> AuditRecord:
    """The whole record of an audit read as a head: what :data:`AUDIT_PAGE` would have decoded. Raises
    ``msgspec.MsgspecError`` where its events hold anything unusual (the page is then decoded as a whole)."""
    return AuditRecord(
        id=head.id,
        ticket_id=head.ticket_id,
        created_at=head.created_at,
        author_id=head.author_id,
        via=head.via,
        events=_EVENTS.decode(head.events),
    )


class FieldValueRecord(msgspec.Struct, gc=False):
    """A custom field's value on a ticket record."""

    id: _Scalar | UnsetType = UNSET
    value: _Value = None


class RatingRecord(msgspec.Struct, gc=False):
    """A ticket record's ``satisfaction_rating`` object (a score that is not a text: the generic path, whose error
    shows the whole object)."""

    score: str | None = None


class TicketRecord(msgspec.Struct, gc=False):
    """The fields of a ticket record that intently reads (``UNSET``: absent)."""

    id: _Scalar | UnsetType = UNSET
    status: _Scalar = None
    updated_at: _Scalar = None
    generated_timestamp: _Scalar = None
    created_at: _Scalar = None
    requester_id: _Scalar = None
    subject: _Scalar = None
    raw_subject: _Scalar = None
    priority: _Scalar = None
    tags: _Value = None
    assignee_id: _Scalar = None
    group_id: _Scalar = None
    custom_fields: list[FieldValueRecord] | None = None
    fields: list[FieldValueRecord] | None = None
    satisfaction_rating: RatingRecord | str | None = None


class TicketPage(msgspec.Struct):
    tickets: list[TicketRecord]


TICKET_PAGE = msgspec.json.Decoder(TicketPage)
"""Decodes a ``tickets`` page of plain content straight into records (as :data:`AUDIT_PAGE` does audits)."""


def _field_values(value: Any) -> Any:
    """A ticket record's ``custom_fields`` as records; anything but a list stays as it is (iterating it finds no
    field, or fails, as it did)."""
    if not isinstance(value, list):
        return value
    return [FieldValueRecord(id=i.get("id", UNSET), value=i.get("value")) if isinstance(i, dict) else i for i in value]


def ticket_record(record: dict[str, Any]) -> TicketRecord:
    """A ticket record from a dict (the API, a webhook, an export page of unusual content), keeping whatever it
    holds."""
    get = record.get
    return TicketRecord(
        id=get("id", UNSET),
        status=get("status"),
        updated_at=get("updated_at"),
        generated_timestamp=get("generated_timestamp"),
        created_at=get("created_at"),
        requester_id=get("requester_id"),
        subject=get("subject"),
        raw_subject=get("raw_subject"),
        priority=get("priority"),
        tags=get("tags"),
        assignee_id=get("assignee_id"),
        group_id=get("group_id"),
        custom_fields=_field_values(get("custom_fields")),
        fields=_field_values(get("fields")),
        satisfaction_rating=get("satisfaction_rating"),
    )


def event_record(event: dict[str, Any]) -> EventRecord:
    get = event.get
    return EventRecord(
        id=get("id"),
        type=get("type"),
        author_id=get("author_id", UNSET),
        public=get("public"),
        plain_body=get("plain_body"),
        body=get("body"),
        field_name=get("field_name"),
        value=get("value"),
        previous_value=get("previous_value", UNSET),
        previous_followers=get("previous_followers", UNSET),
        current_followers=get("current_followers", UNSET),
        previous_email_ccs=get("previous_email_ccs", UNSET),
        current_email_ccs=get("current_email_ccs", UNSET),
        score=get("score"),
    )


def audit_record(audit: dict[str, Any]) -> AuditRecord:
    """An audit from a dict (the API, a webhook, an export page of unusual content), keeping whatever it holds:
    an event that is not an object is no event; ``events`` that is not a list stays as it is (the mapping then
    says so)."""
    events = audit.get("events") or []
    if isinstance(events, list):
        events = [event_record(event) for event in events if isinstance(event, dict)]
    via = audit.get("via")
    return AuditRecord(
        id=audit.get("id", UNSET),
        ticket_id=audit.get("ticket_id", UNSET),
        created_at=audit.get("created_at", UNSET),
        author_id=audit.get("author_id"),
        via=ViaRecord(channel=via.get("channel")) if isinstance(via, dict) else None,
        events=events,
    )


def zendesk_id(value: Any) -> Id | None:
    """Zendesk ids arrive as numbers or, in Create/Change events, as strings: normalise to int. Zendesk's ids are
    64-bit integers; a larger number, or a text id longer than 64 characters, is not an id."""
    found = _zendesk_id(value)
    if isinstance(found, int) and not MIN_ID <= found <= MAX_ID:
        raise ValueError(f"not an id: {found} is beyond the 64-bit range of Zendesk's ids")
    if isinstance(found, str) and len(found) > MAX_ID_TEXT:
        raise ValueError(f"not an id: {len(found)} characters long (at most {MAX_ID_TEXT})")
    return found


def _zendesk_id(value: Any) -> Id | None:
    if type(value) is int:
        return value
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an id: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return as_id(value.strip())
    raise ValueError(f"not an id: {value!r}")


def parse_tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(tag) for tag in value]
    raise ValueError(f"tags must be a list, got {type(value).__name__}")


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 time, got {value!r}")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 time, got {value!r}") from None
    if at.tzinfo is None:
        raise ValueError(f"time without a time zone: {value!r}")
    return at


def ticket_satisfaction(value: Any) -> str | None:
    """A ticket record's ``satisfaction_rating`` (``{"score": "good", ...}``, a plain score, or ``null``) as one of
    :data:`~intently.model.SATISFACTION_SCORES`; an unknown score is ``None``. A ValueError names the bad field
    in its ``field`` attribute."""
    score = value.get("score") if isinstance(value, dict) else value
    if score is not None and not isinstance(score, str):
        raise _field_error(
            "satisfaction_rating", f"must be an object with a score, a score or null, got {reprlib.repr(value)}"
        )
    return satisfaction_score(score)


def user_from_record(record: dict[str, Any]) -> User:
    """A user from a Zendesk user record; a ValueError names the bad field in its ``field`` attribute."""
    user_id = zendesk_id(record.get("id"))
    if user_id is None:
        raise _field_error("id", "missing or invalid id")
    role = str(record.get("role") or "end-user").strip().lower()
    zone = record.get("iana_time_zone") or record.get("time_zone")
    fields: dict[str, str] = {}
    if role != "end-user":
        raw_fields = record.get("user_fields") or {}
        if not isinstance(raw_fields, dict):
            raise _field_error("user_fields", "must be an object")
        fields = {str(k): str(v) for k, v in raw_fields.items() if v is not None}
    return User(
        id=user_id,
        name=str(record.get("name") or f"user {user_id}"),
        role=role,
        email=record.get("email") or None,
        time_zone=zone if isinstance(zone, str) and "/" in zone else None,
        fields=fields,
    )


ROLES = ("end-user", "agent", "admin")
"""The roles of Zendesk's user records (``role``; a custom agent role is in ``custom_role_id``, not here)."""


def odd_roles(user_ids_and_records: Iterable[tuple[Id, dict[str, Any]]]) -> str | None:
    """One warning about the users whose record has no role or one that is none of :data:`ROLES` (read as they
    are: not agents, so their comments are not judged); None when every role is known."""
    odd = [user_id for user_id, record in user_ids_and_records if not _known_role(record.get("role"))]
    if not odd:
        return None
    return (
        f"{len(odd):,} user{'' if len(odd) == 1 else 's'} without a role, or with one that is not end-user, agent "
        f"or admin (user {some_of(odd)}): not read as agents, so their comments are not judged"
    )


def _known_role(role: Any) -> bool:
    return isinstance(role, str) and role.strip().lower() in ROLES


def memberships(records: Iterable[dict[str, Any]]) -> dict[Id, list[Id]]:
    """Group id → member user ids, from group membership records (a repeated membership counts once)."""
    members: dict[Id, dict[Id, None]] = defaultdict(dict)
    for record in records:
        group_id, user_id = zendesk_id(record.get("group_id")), zendesk_id(record.get("user_id"))
        if group_id is not None and user_id is not None:
            members[group_id][user_id] = None
    return {group_id: list(users) for group_id, users in members.items()}


def group_from_record(record: dict[str, Any], members: dict[Id, list[Id]]) -> Group | None:
    group_id = zendesk_id(record.get("id"))
    if group_id is None:
        return None
    return Group(id=group_id, name=str(record.get("name") or ""), members=tuple(members.get(group_id, ())))


def field_titles(records: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Custom ticket field id → title, from ticket field records."""
    return {str(r["id"]): str(r["title"]) for r in records if r.get("id") is not None and r.get("title")}


def _shared(value: Any) -> Any:
    """One copy of a short text that many tickets and events hold (a status, a tag, a channel, a field's name or
    value); anything else as it is."""
    return sys.intern(value) if type(value) is str and len(value) <= _SHARED_LENGTH else value


_SHARED_LENGTH = 64


def _field_error(field: str, message: str) -> ValueError:
    error = ValueError(message)
    error.field = field  # type: ignore[attr-defined]
    return error


class HistoryBuilder:
    """Turns Zendesk ticket records and audits into tickets and model events."""

    def __init__(self, directory: Directory, titles: dict[str, str] | None = None) -> None:
        self.directory = directory
        self.field_titles = titles or {}
        self.missing: dict[Id, str] = {}
        """Users referenced (as comment authors) but not in the directory, with where first seen."""
        self.repeats: list[str] = []
        """Warnings about audits or events repeated with different content (see :class:`TicketAudits`)."""

    def field_name(self, field_id: Any) -> str:
        key = str(field_id)
        return self.field_titles.get(key, key)

    def ticket(self, ticket_id: Id, record: TicketRecord | dict[str, Any]) -> Ticket:
        if isinstance(record, dict):
            record = ticket_record(record)
        fields: dict[str, object] = {}
        for item in record.custom_fields or record.fields or []:
            if isinstance(item, FieldValueRecord) and item.id is not UNSET:
                fields[_shared(self.field_name(item.id))] = _shared(item.value)
        try:
            created_at = parse_time(record.created_at)
        except ValueError as exc:
            raise _field_error("created_at", str(exc)) from None
        rating = record.satisfaction_rating
        status: Any = record.status  # as the record has it, whatever it is
        priority: Any = record.priority
        return Ticket(
            id=ticket_id,
            created_at=created_at,
            requester_id=zendesk_id(record.requester_id),
            subject=str(record.subject or record.raw_subject or ""),
            status=_shared(status),
            priority=_shared(priority),
            tags=tuple(map(_shared, parse_tags(record.tags))),
            assignee_id=zendesk_id(record.assignee_id),
            group_id=zendesk_id(record.group_id),
            fields=fields,
            satisfaction=ticket_satisfaction(rating.score if isinstance(rating, RatingRecord) else rating),
        )

    def history(self, record: dict[str, Any], audits: Iterable[dict[str, Any]]) -> TicketHistory:
        """A whole ticket history from its ticket record and all its audits (any order; a repeated audit once)."""
        ticket_id = zendesk_id(record.get("id"))
        if ticket_id is None:
            raise _field_error("id", "missing or invalid id")
        collected = TicketAudits(self, ticket_id)
        for audit in sorted(audits, key=lambda a: (str(a.get("created_at")), id_sort_key(zendesk_id(a.get("id"))))):
            collected.add(audit, f"the audits of ticket {ticket_id}")
        events = collected.events()
        self.repeats.extend(collected.warnings)
        return TicketHistory.of(self.ticket(ticket_id, record), events)

    def warnings(self) -> list[str]:
        return [
            *self.repeats,
            *(
                f"user {user_id} is referenced ({first}) but is not in the users; their comments are not judged"
                for user_id, first in self.missing.items()
            ),
        ]

    def note_user(self, user_id: Id | None, comment_id: Id, ticket_id: Id) -> None:
        if user_id is not None and user_id != SYSTEM_USER_ID and user_id not in self.missing:
            self.missing[user_id] = f"author of comment {comment_id} on ticket {ticket_id}"

    def audit_events(
        self,
        audit: AuditRecord,
        out: list[Event],
        tags: set[str],
        ticket_id: Id,
        seen: dict[str, Any] | None = None,
    ) -> None:
        """Append the model events of one audit to ``out``.

        ``tags`` is the ticket's tag set so far (Create events carry no previous value); ``seen``, when
        given, collects what a ticket without a ticket record can learn from its audits.
        """
        created = audit.created_at
        if created is UNSET:
            raise KeyError("created_at")
        at = parse_time(created)
        raw = audit.id
        if raw is UNSET:
            raise KeyError("id")
        update = raw if type(raw) is int and MIN_ID <= raw <= MAX_ID else zendesk_id(raw)
        if update is None:
            raise ValueError("audit without an id")
        raw = audit.author_id
        actor = raw if type(raw) is int and MIN_ID <= raw <= MAX_ID else zendesk_id(raw)
        via_data = audit.via
        via: Any = _shared(via_data.channel) if via_data is not None else None
        if seen is not None:
            seen["created_at"] = min(seen.get("created_at", at), at)
        events = audit.events or []
        if not isinstance(events, list):
            raise ValueError("events must be a list")
        users = self.directory.users
        for event in events:
            kind = event.type
            if kind == "Comment":
                raw = event.id
                event_id = raw if type(raw) is int and MIN_ID <= raw <= MAX_ID else zendesk_id(raw)
                if event_id is None:
                    continue
                public = event.public
                if not isinstance(public, bool):
                    raise ValueError(f"comment {event_id}: public must be true or false")
                raw = event.author_id
                if raw is UNSET or raw is None:  # absent or null: the comment is the audit's author's
                    author = actor
                else:
                    author = raw if type(raw) is int and MIN_ID <= raw <= MAX_ID else zendesk_id(raw)
                if author not in users:
                    self.note_user(author, event_id, ticket_id)
                body = event.plain_body or event.body or ""
                out.append(
                    Comment(
                        id=event_id,
                        at=at,
                        actor=actor,
                        update=update,
                        via=via,
                        author=author,
                        public=public,
                        body=body if type(body) is str else str(body),
                    )
                )
            elif event.previous_followers is not UNSET or event.current_followers is not UNSET:
                out.append(
                    self._watchers(
                        at, actor, update, via, "follower", event.id, event.previous_followers, event.current_followers
                    )
                )
            elif event.previous_email_ccs is not UNSET or event.current_email_ccs is not UNSET:
                out.append(
                    self._watchers(
                        at, actor, update, via, "cc", event.id, event.previous_email_ccs, event.current_email_ccs
                    )
                )
            elif kind == "Create" or kind == "Change":
                name = event.field_name
                if name in _SKIPPED_NAMES:
                    continue  # subject, type, brand, form ...: not part of the model
                self._change(at, actor, update, via, event, out, tags, seen)
            elif kind == "SatisfactionRating":
                self._rating(at, actor, update, via, event, out)
            # every other event type (Notification, ...) is ignored

    def _rating(
        self, at: datetime, actor: Id | None, update: Id, via: Any, event: EventRecord, out: list[Event]
    ) -> None:
        """A satisfaction rating (or the survey offered); a score intently does not know is ignored."""
        event_id = zendesk_id(event.id)
        if event_id is None:
            raise ValueError("SatisfactionRating event without an id")
        raw = event.score
        if raw is not None and not isinstance(raw, str):
            raise ValueError(f"SatisfactionRating event {event_id}: score must be a text, got {reprlib.repr(raw)}")
        score = satisfaction_score(raw)
        if score is not None:
            out.append(SatisfactionRating(id=event_id, at=at, actor=actor, update=update, via=via, score=score))

    def _watchers(
        self,
        at: datetime,
        actor: Id | None,
        update: Id,
        via: Any,
        kind: str,
        raw_id: Any,
        previous: Any,
        current: Any,
    ) -> Event:
        event_id = zendesk_id(raw_id)
        if event_id is None:
            raise ValueError(f"{kind} change without an id")
        resolve = self.directory.resolve
        before = {resolve(v) for v in previous or [] if v is not None}
        after = {resolve(v) for v in current or [] if v is not None}
        return WatchersChange(
            id=event_id,
            at=at,
            actor=actor,
            update=update,
            via=via,
            kind=kind,  # type: ignore[arg-type]
            added=tuple(sorted(after - before, key=id_sort_key)),
            removed=tuple(sorted(before - after, key=id_sort_key)),
        )

    def _change(
        self,
        at: datetime,
        actor: Id | None,
        update: Id,
        via: Any,
        event: EventRecord,
        out: list[Event],
        tags: set[str],
        seen: dict[str, Any] | None,
    ) -> None:
        name = event.field_name
        if name not in _KEPT_FIELDS and not (isinstance(name, str | int) and str(name).isdigit()):
            if isinstance(name, str) and len(_SKIPPED_NAMES) < 1000:
                _SKIPPED_NAMES.add(name)  # known from now on as a field intently does not read
            return  # subject, type, brand, form ...: not part of the model
        event_id = zendesk_id(event.id)
        if event_id is None:
            raise ValueError(f"{event.type} event for {name} without an id")
        value = event.value
        if name == "assignee_id":
            out.append(
                AssigneeChange(id=event_id, at=at, actor=actor, update=update, via=via, assignee=zendesk_id(value))
            )
        elif name == "tags":
            new = set(parse_tags(value))
            if event.previous_value is not UNSET:
                old = set(parse_tags(event.previous_value))
            else:  # a Create event sets the ticket's first tags, whatever order its audit is read in
                old = set() if event.type == "Create" else set(tags)
            tags.clear()
            tags.update(new)
            added, removed = sorted(new - old), sorted(old - new)
            if added or removed:
                out.append(
                    TagsChange(
                        id=event_id,
                        at=at,
                        actor=actor,
                        update=update,
                        via=via,
                        added=tuple(map(_shared, added)),
                        removed=tuple(map(_shared, removed)),
                    )
                )
        elif name == "status":
            if value is not None:
                out.append(
                    StatusChange(id=event_id, at=at, actor=actor, update=update, via=via, status=_shared(str(value)))
                )
        elif name == "priority":
            out.append(
                FieldChange(id=event_id, at=at, actor=actor, update=update, via=via, field=name, value=_shared(value))
            )
        elif name == "group_id":
            out.append(
                FieldChange(
                    id=event_id, at=at, actor=actor, update=update, via=via, field=name, value=zendesk_id(value)
                )
            )
        elif name == "requester_id":
            if seen is not None:
                seen["requester_id"] = zendesk_id(value)
        else:
            out.append(
                FieldChange(
                    id=event_id,
                    at=at,
                    actor=actor,
                    update=update,
                    via=via,
                    field=_shared(self.field_name(name)),
                    value=_shared(value),
                )
            )


_SKIPPED_NAMES: set[str] = set()
"""Field names of Create and Change events that :meth:`HistoryBuilder._change` found it does not read (so the
next such event is passed over with one look-up)."""


class TicketAudits:
    """One ticket's audits as they are read, each audit id once (see :mod:`intently.model.repeats`): a repeated
    copy that yields the same events is dropped; one that differs replaces the earlier copy, with a warning.

    Kept only while the ticket is being read, so memory stays bounded by the tickets open at once; and lean, since
    a large export has tens of thousands open at once: the events of every audit in one list, each audit a span of
    it.
    """

    __slots__ = (
        "_audits",
        "_before",
        "_builder",
        "_differing",
        "_events",
        "_replaced",
        "seen",
        "tags",
        "ticket_id",
        "warnings",
    )

    def __init__(self, builder: HistoryBuilder, ticket_id: Id, seen: dict[str, Any] | None = None) -> None:
        self._builder = builder
        self.ticket_id = ticket_id
        self.seen = seen
        """What a ticket without a ticket record learns from its audits (see :meth:`HistoryBuilder.audit_events`)."""
        self.tags: set[str] = set()
        """The ticket's tags so far (Change events without a previous value read them)."""
        self._before: frozenset[str] = frozenset()
        """The tags as last noted before an audit (shared by consecutive audits that change no tags)."""
        self._events: list[Event] = []
        """The events of every audit read, in the order read (a replaced copy's too)."""
        self._audits: dict[Id, tuple[int, int, frozenset[str], str]] = {}
        """Audit id → (where its events start and end in :attr:`_events`, the tags before it, where it was read)."""
        self._replaced = False
        """Whether a differing copy has replaced an audit (:attr:`_events` then holds events no longer in force)."""
        self._differing: dict[Id, list[str]] = {}
        self.warnings: list[str] = []
        """Filled by :meth:`events`."""

    def add(self, audit: AuditRecord | dict[str, Any], where: str) -> None:
        """Read one audit (``where``: the file or response it came from, for warnings)."""
        if isinstance(audit, dict):
            audit = audit_record(audit)
        raw = audit.id
        if raw is UNSET:
            raise KeyError("id")
        audit_id = raw if type(raw) is int and MIN_ID <= raw <= MAX_ID else zendesk_id(raw)
        if audit_id is None:
            raise ValueError("audit without an id")
        earlier = self._audits.get(audit_id)
        everything = self._events
        start = len(everything)
        if earlier is None:
            before = self._before
            if before != self.tags:
                before = self._before = frozenset(self.tags)
            self._read(audit, self.tags, start)
            self._audits[audit_id] = (start, len(everything), before, where)
            return
        kept_start, kept_end, before, kept_where = earlier
        self._read(audit, set(before), start)
        if everything[start:] == everything[kept_start:kept_end]:
            del everything[start:]
            return
        places = self._differing.setdefault(audit_id, [kept_where])
        if where not in places:
            places.append(where)
        self._audits[audit_id] = (start, len(everything), before, where)
        self._replaced = True

    def _read(self, audit: AuditRecord, tags: set[str], start: int) -> None:
        """The audit's events onto :attr:`_events` (``tags``: the ticket's tags before it); none of them if it fails."""
        try:
            self._builder.audit_events(audit, self._events, tags, self.ticket_id, self.seen)
        except BaseException:
            del self._events[start:]
            raise

    def _spans(self) -> list[tuple[list[Event], str]]:
        """Each audit in force: its events and where it was read."""
        return [(self._events[start:end], where) for start, end, _, where in self._audits.values()]

    def events(self) -> list[Event]:
        """Every event of the ticket's audits, each event id once; sets :attr:`warnings`."""
        everything = self._events
        if self._replaced:
            everything = [event for events, _ in self._spans() for event in events]
        unique, differing = unique_events(everything)
        ticket = f"of ticket {self.ticket_id}"
        self.warnings = [differing_copies(f"audit {key} {ticket}", places) for key, places in self._differing.items()]
        for event_id in differing:
            places = [where for events, where in self._spans() if any(e.id == event_id for e in events)]
            self.warnings.append(differing_copies(f"event {event_id} {ticket}", list(dict.fromkeys(places))))
        return unique
