"""The model as plain JSON-ready dicts (the neutral format's records) and back.

Used by the neutral JSON Lines source and writer and by the store; validation of untrusted input
happens in :mod:`intently.sources.neutral` before :func:`history_from_record` is called.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from intently.model import (
    AssigneeChange,
    Comment,
    Event,
    FieldChange,
    Group,
    SatisfactionRating,
    StatusChange,
    TagsChange,
    Ticket,
    TicketHistory,
    User,
    WatchersChange,
    iso,
)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- users and groups -----------------------------------------------------------------------------


def user_to_record(user: User) -> dict[str, Any]:
    record: dict[str, Any] = {"kind": "user", "id": user.id, "name": user.name, "role": user.role}
    if user.email:
        record["email"] = user.email
    if user.time_zone:
        record["time_zone"] = user.time_zone
    if user.fields:
        record["fields"] = dict(user.fields)
    return record


def user_from_record(record: dict[str, Any]) -> User:
    return User(
        id=record["id"],
        name=record.get("name") or f"user {record['id']}",
        role=record.get("role") or "end-user",
        email=record.get("email"),
        time_zone=record.get("time_zone"),
        fields=record.get("fields") or {},
    )


def group_to_record(group: Group) -> dict[str, Any]:
    return {"kind": "group", "id": group.id, "name": group.name, "members": list(group.members)}


def group_from_record(record: dict[str, Any]) -> Group:
    return Group(id=record["id"], name=record.get("name") or "", members=tuple(record.get("members") or ()))


# --- events ---------------------------------------------------------------------------------------


def event_to_record(event: Event) -> dict[str, Any]:
    record: dict[str, Any] = {"id": event.id, "at": iso(event.at), "actor": event.actor}
    if event.update != event.id:
        record["update"] = event.update
    if event.via:
        record["via"] = event.via
    if isinstance(event, Comment):
        record["type"] = "comment"
        if event.author != event.actor:
            record["author"] = event.author
        record["public"] = event.public
        record["body"] = event.body
    elif isinstance(event, AssigneeChange):
        record["type"] = "assignee"
        record["assignee"] = event.assignee
    elif isinstance(event, WatchersChange):
        record["type"] = "followers" if event.kind == "follower" else "ccs"
        record["added"] = list(event.added)
        record["removed"] = list(event.removed)
    elif isinstance(event, TagsChange):
        record["type"] = "tags"
        record["added"] = list(event.added)
        record["removed"] = list(event.removed)
    elif isinstance(event, FieldChange):
        record["type"] = "field"
        record["field"] = event.field
        record["value"] = event.value
    elif isinstance(event, StatusChange):
        record["type"] = "status"
        record["status"] = event.status
    elif isinstance(event, SatisfactionRating):
        record["type"] = "satisfaction"
        record["score"] = event.score
    else:  # pragma: no cover - every model event type is handled above
        raise TypeError(f"unknown event type {type(event).__name__}")
    return record


def event_from_record(record: dict[str, Any]) -> Event:
    common: dict[str, Any] = {
        "id": record["id"],
        "at": parse_time(record["at"]),
        "actor": record.get("actor"),
        "update": record.get("update", record["id"]),
        "via": record.get("via"),
    }
    kind = record["type"]
    if kind == "comment":
        author = record.get("author", common["actor"])
        return Comment(**common, author=author, public=record["public"], body=record.get("body") or "")
    if kind == "assignee":
        return AssigneeChange(**common, assignee=record.get("assignee"))
    if kind in ("followers", "ccs"):
        return WatchersChange(
            **common,
            kind="follower" if kind == "followers" else "cc",
            added=tuple(record.get("added") or ()),
            removed=tuple(record.get("removed") or ()),
        )
    if kind == "tags":
        return TagsChange(**common, added=tuple(record.get("added") or ()), removed=tuple(record.get("removed") or ()))
    if kind == "field":
        return FieldChange(**common, field=record["field"], value=record.get("value"))
    if kind == "status":
        return StatusChange(**common, status=record["status"])
    if kind == "satisfaction":
        return SatisfactionRating(**common, score=record["score"])
    raise ValueError(f"unknown event type {kind!r}")


# --- tickets --------------------------------------------------------------------------------------


def history_to_record(history: TicketHistory) -> dict[str, Any]:
    ticket = history.ticket
    return {
        "kind": "ticket",
        "id": ticket.id,
        "created_at": iso(ticket.created_at),
        "requester_id": ticket.requester_id,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "tags": list(ticket.tags),
        "assignee_id": ticket.assignee_id,
        "group_id": ticket.group_id,
        "fields": dict(ticket.fields),
        **({"satisfaction": ticket.satisfaction} if ticket.satisfaction else {}),
        "events": [event_to_record(event) for event in history.events],
    }


def ticket_from_record(record: dict[str, Any]) -> Ticket:
    return Ticket(
        id=record["id"],
        created_at=parse_time(record["created_at"]),
        requester_id=record.get("requester_id"),
        subject=record.get("subject") or "",
        status=record.get("status"),
        priority=record.get("priority"),
        tags=tuple(record.get("tags") or ()),
        assignee_id=record.get("assignee_id"),
        group_id=record.get("group_id"),
        fields=record.get("fields") or {},
        satisfaction=record.get("satisfaction"),
    )


def history_from_record(record: dict[str, Any]) -> TicketHistory:
    return TicketHistory.of(ticket_from_record(record), (event_from_record(e) for e in record.get("events") or ()))
