"""Zendesk API records (users, groups, ticket fields, tickets, audits) turned into the model.

Shared by the export directory reader and the API sync, so both read Zendesk the same way.
"""

from __future__ import annotations

import reprlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

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
    id_sort_key,
    satisfaction_score,
)
from intently.model.repeats import differing_copies, unique_events

_KEPT_FIELDS = frozenset({"assignee_id", "tags", "status", "priority", "group_id", "requester_id"})


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
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        return text
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
    role = record.get("role") or "end-user"
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
        role=str(role),
        email=record.get("email") or None,
        time_zone=zone if isinstance(zone, str) and "/" in zone else None,
        fields=fields,
    )


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

    def ticket(self, ticket_id: Id, record: dict[str, Any]) -> Ticket:
        fields: dict[str, object] = {}
        for item in record.get("custom_fields") or record.get("fields") or []:
            if isinstance(item, dict) and "id" in item:
                fields[self.field_name(item["id"])] = item.get("value")
        try:
            created_at = parse_time(record.get("created_at"))
        except ValueError as exc:
            raise _field_error("created_at", str(exc)) from None
        return Ticket(
            id=ticket_id,
            created_at=created_at,
            requester_id=zendesk_id(record.get("requester_id")),
            subject=str(record.get("subject") or record.get("raw_subject") or ""),
            status=record.get("status"),
            priority=record.get("priority"),
            tags=tuple(parse_tags(record.get("tags"))),
            assignee_id=zendesk_id(record.get("assignee_id")),
            group_id=zendesk_id(record.get("group_id")),
            fields=fields,
            satisfaction=ticket_satisfaction(record.get("satisfaction_rating")),
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
        audit: dict[str, Any],
        out: list[Event],
        tags: set[str],
        ticket_id: Id,
        seen: dict[str, Any] | None = None,
    ) -> None:
        """Append the model events of one audit to ``out``.

        ``tags`` is the ticket's tag set so far (Create events carry no previous value); ``seen``, when
        given, collects what a ticket without a ticket record can learn from its audits.
        """
        at = parse_time(audit["created_at"])
        update = zendesk_id(audit["id"])
        if update is None:
            raise ValueError("audit without an id")
        actor = zendesk_id(audit.get("author_id"))
        via_data = audit.get("via")
        via = via_data.get("channel") if isinstance(via_data, dict) else None
        if seen is not None:
            seen["created_at"] = min(seen.get("created_at", at), at)
        events = audit.get("events") or []
        if not isinstance(events, list):
            raise ValueError("events must be a list")
        resolve = self.directory.resolve
        base: dict[str, Any] = {"at": at, "actor": actor, "update": update, "via": via}
        for event in events:
            if not isinstance(event, dict):
                continue
            kind = event.get("type")
            if kind == "Comment":
                event_id = zendesk_id(event.get("id"))
                if event_id is None:
                    continue
                public = event.get("public")
                if not isinstance(public, bool):
                    raise ValueError(f"comment {event_id}: public must be true or false")
                author = zendesk_id(event.get("author_id", actor))
                if author not in self.directory.users:
                    self.note_user(author, event_id, ticket_id)
                body = event.get("plain_body") or event.get("body") or ""
                out.append(Comment(id=event_id, **base, author=author, public=public, body=str(body)))
            elif "previous_followers" in event or "current_followers" in event:
                out.append(self._watchers(base, "follower", event, "followers", resolve))
            elif "previous_email_ccs" in event or "current_email_ccs" in event:
                out.append(self._watchers(base, "cc", event, "email_ccs", resolve))
            elif kind == "Create" or kind == "Change":
                self._change(base, event, out, tags, seen)
            elif kind == "SatisfactionRating":
                self._rating(base, event, out)
            # every other event type (Notification, ...) is ignored

    def _rating(self, base: dict[str, Any], event: dict[str, Any], out: list[Event]) -> None:
        """A satisfaction rating (or the survey offered); a score intently does not know is ignored."""
        event_id = zendesk_id(event.get("id"))
        if event_id is None:
            raise ValueError("SatisfactionRating event without an id")
        raw = event.get("score")
        if raw is not None and not isinstance(raw, str):
            raise ValueError(f"SatisfactionRating event {event_id}: score must be a text, got {reprlib.repr(raw)}")
        score = satisfaction_score(raw)
        if score is not None:
            out.append(SatisfactionRating(id=event_id, **base, score=score))

    def _watchers(self, base: dict[str, Any], kind: str, event: dict[str, Any], key: str, resolve: Any) -> Event:
        event_id = zendesk_id(event.get("id"))
        if event_id is None:
            raise ValueError(f"{kind} change without an id")
        before = {resolve(v) for v in event.get(f"previous_{key}") or [] if v is not None}
        after = {resolve(v) for v in event.get(f"current_{key}") or [] if v is not None}
        return WatchersChange(
            id=event_id,
            **base,
            kind=kind,  # type: ignore[arg-type]
            added=tuple(sorted(after - before, key=id_sort_key)),
            removed=tuple(sorted(before - after, key=id_sort_key)),
        )

    def _change(
        self,
        base: dict[str, Any],
        event: dict[str, Any],
        out: list[Event],
        tags: set[str],
        seen: dict[str, Any] | None,
    ) -> None:
        name = event.get("field_name")
        if name not in _KEPT_FIELDS and not (isinstance(name, str | int) and str(name).isdigit()):
            return  # subject, type, brand, form ...: not part of the model
        event_id = zendesk_id(event.get("id"))
        if event_id is None:
            raise ValueError(f"{event.get('type')} event for {name} without an id")
        value = event.get("value")
        if name == "assignee_id":
            out.append(AssigneeChange(id=event_id, **base, assignee=zendesk_id(value)))
        elif name == "tags":
            new = set(parse_tags(value))
            if "previous_value" in event:
                old = set(parse_tags(event["previous_value"]))
            else:  # a Create event sets the ticket's first tags, whatever order its audit is read in
                old = set() if event.get("type") == "Create" else set(tags)
            tags.clear()
            tags.update(new)
            added, removed = sorted(new - old), sorted(old - new)
            if added or removed:
                out.append(TagsChange(id=event_id, **base, added=tuple(added), removed=tuple(removed)))
        elif name == "status":
            if value is not None:
                out.append(StatusChange(id=event_id, **base, status=str(value)))
        elif name == "priority":
            out.append(FieldChange(id=event_id, **base, field=name, value=value))
        elif name == "group_id":
            out.append(FieldChange(id=event_id, **base, field=name, value=zendesk_id(value)))
        elif name == "requester_id":
            if seen is not None:
                seen["requester_id"] = zendesk_id(value)
        else:
            out.append(FieldChange(id=event_id, **base, field=self.field_name(name), value=value))


class TicketAudits:
    """One ticket's audits as they are read, each audit id once (see :mod:`intently.model.repeats`): a repeated
    copy that yields the same events is dropped; one that differs replaces the earlier copy, with a warning.

    Kept only while the ticket is being read, so memory stays bounded by the tickets open at once.
    """

    __slots__ = ("_audits", "_before", "_builder", "_differing", "seen", "tags", "ticket_id", "warnings")

    def __init__(self, builder: HistoryBuilder, ticket_id: Id, seen: dict[str, Any] | None = None) -> None:
        self._builder = builder
        self.ticket_id = ticket_id
        self.seen = seen
        """What a ticket without a ticket record learns from its audits (see :meth:`HistoryBuilder.audit_events`)."""
        self.tags: set[str] = set()
        """The ticket's tags so far (Change events without a previous value read them)."""
        self._before: frozenset[str] = frozenset()
        """The tags as last noted before an audit (shared by consecutive audits that change no tags)."""
        self._audits: dict[Id, tuple[list[Event], frozenset[str], str]] = {}
        """Audit id → (its events, the tags before it, where it was read)."""
        self._differing: dict[Id, list[str]] = {}
        self.warnings: list[str] = []
        """Filled by :meth:`events`."""

    def add(self, audit: dict[str, Any], where: str) -> None:
        """Read one audit (``where``: the file or response it came from, for warnings)."""
        audit_id = zendesk_id(audit["id"])
        if audit_id is None:
            raise ValueError("audit without an id")
        earlier = self._audits.get(audit_id)
        events: list[Event] = []
        if earlier is None:
            before = self._before
            if before != self.tags:
                before = self._before = frozenset(self.tags)
            self._builder.audit_events(audit, events, self.tags, self.ticket_id, self.seen)
            self._audits[audit_id] = (events, before, where)
            return
        kept, before, kept_where = earlier
        self._builder.audit_events(audit, events, set(before), self.ticket_id, self.seen)
        if events == kept:
            return
        places = self._differing.setdefault(audit_id, [kept_where])
        if where not in places:
            places.append(where)
        self._audits[audit_id] = (events, before, where)

    def events(self) -> list[Event]:
        """Every event of the ticket's audits, each event id once; sets :attr:`warnings`."""
        everything = [event for events, _, _ in self._audits.values() for event in events]
        unique, differing = unique_events(everything)
        ticket = f"of ticket {self.ticket_id}"
        self.warnings = [differing_copies(f"audit {key} {ticket}", places) for key, places in self._differing.items()]
        for event_id in differing:
            places = [where for events, _, where in self._audits.values() if any(e.id == event_id for e in events)]
            self.warnings.append(differing_copies(f"event {event_id} {ticket}", list(dict.fromkeys(places))))
        return unique
