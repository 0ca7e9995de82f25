"""A Zendesk export directory: JSON files in the exact shapes of Zendesk's REST API responses.

``tickets*.json`` (``{"tickets": [...]}``, ticket list or incremental export), ``ticket_audits*.json``
(``{"audits": [...]}``), ``users*.json``, ``groups*.json`` and, optionally, ``group_memberships*.json``
and ``ticket_fields*.json``. Several page files per kind are fine.

History comes from the audits. Audit pages may be in any order and a ticket's audits may be spread
over many pages (the global audit list is in time order, not grouped by ticket). To stream ticket by
ticket without holding the export in memory, a cheap first pass notes the last audit page on which each
ticket appears; the second pass parses the pages in order and hands a ticket on as soon as its last
page has been read. Memory is bounded by the tickets still open between pages, not by the export.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from intently.errors import InputError
from intently.model import (
    SYSTEM_USER_ID,
    AssigneeChange,
    Comment,
    Directory,
    Event,
    FieldChange,
    Group,
    Id,
    StatusChange,
    TagsChange,
    Ticket,
    TicketHistory,
    User,
    WatchersChange,
    id_sort_key,
)

KINDS = ("tickets", "ticket_audits", "users", "groups", "group_memberships", "ticket_fields")
_TICKET_ID = re.compile(rb'"ticket_id"\s*:\s*"?(\d+)')
_NUMBER = re.compile(r"(\d+)")
_KEPT_FIELDS = frozenset({"assignee_id", "tags", "status", "priority", "group_id", "requester_id"})


def _natural(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in _NUMBER.split(path.name)]


def export_files(root: Path) -> dict[str, list[Path]]:
    """The page files of each kind in a Zendesk export directory, in natural name order."""
    found: dict[str, list[Path]] = {kind: [] for kind in KINDS}
    for path in root.iterdir():
        if not path.is_file() or path.suffix != ".json":
            continue
        name = path.name
        # longest prefixes first: "tickets" must not claim "ticket_audits" or "ticket_fields"
        for kind in ("ticket_audits", "ticket_fields", "group_memberships", "tickets", "users", "groups"):
            if name.startswith(kind):
                found[kind].append(path)
                break
    return {kind: sorted(paths, key=_natural) for kind, paths in found.items()}


def is_zendesk_export(path: Path) -> bool:
    return path.is_dir() and any(export_files(path)[kind] for kind in ("tickets", "ticket_audits"))


def _load(path: Path, key: str) -> list[dict[str, Any]]:
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc})", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", file=str(path)) from None
    if not isinstance(data, dict) or key not in data:
        raise InputError(f'expected a Zendesk API response with a "{key}" list at the top level', file=str(path))
    records = data[key]
    if not isinstance(records, list):
        raise InputError(f'"{key}" must be a list', file=str(path))
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise InputError("must be an object", file=str(path), record=f"{key}[{index}]")
    return records


def zendesk_id(value: Any) -> Id | None:
    """Zendesk ids arrive as numbers or, in Create/Change events, as strings: normalise to int."""
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


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(tag) for tag in value]
    raise ValueError(f"tags must be a list, got {type(value).__name__}")


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 time, got {value!r}")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 time, got {value!r}") from None
    if at.tzinfo is None:
        raise ValueError(f"time without a time zone: {value!r}")
    return at


def _where(audit: dict[str, Any], index: int) -> str:
    if "id" in audit and "ticket_id" in audit:
        return f"audit {audit['id']} (ticket {audit['ticket_id']})"
    return f"audits[{index}]"


class ZendeskExport:
    """Reads a Zendesk export directory: the directory of people first, then ticket histories."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise InputError("not a directory", file=str(self.root))
        self.files = export_files(self.root)
        if not self.files["tickets"] and not self.files["ticket_audits"]:
            raise InputError(
                "no tickets*.json or ticket_audits*.json files: is this a Zendesk export directory?",
                file=str(self.root),
            )
        self.warnings: list[str] = []
        self._missing: dict[Id, str] = {}
        self.directory = Directory()
        self.field_titles: dict[str, str] = {}
        self._read_users()
        self._read_groups()
        self._read_fields()
        self.tickets: dict[Id, Ticket] = {}
        self.deleted: set[Id] = set()
        self._read_tickets()
        self._last_page = self._scan_audits()

    # --- people and fields ----------------------------------------------------------------------

    def _read_users(self) -> None:
        for path in self.files["users"]:
            for index, record in enumerate(_load(path, "users")):
                where = f"users[{index}]"
                try:
                    user_id = zendesk_id(record["id"])
                    if user_id is None:
                        raise ValueError("empty")
                except (KeyError, ValueError) as exc:
                    raise InputError(
                        f"missing or invalid id ({exc})", file=str(path), record=where, field="id"
                    ) from None
                role = record.get("role") or "end-user"
                zone = record.get("iana_time_zone") or record.get("time_zone")
                fields = {}
                if role != "end-user":
                    raw_fields = record.get("user_fields") or {}
                    if not isinstance(raw_fields, dict):
                        raise InputError("must be an object", file=str(path), record=where, field="user_fields")
                    fields = {str(k): str(v) for k, v in raw_fields.items() if v is not None}
                self.directory.add_user(
                    User(
                        id=user_id,
                        name=str(record.get("name") or f"user {user_id}"),
                        role=str(role),
                        email=record.get("email") or None,
                        time_zone=zone if isinstance(zone, str) and "/" in zone else None,
                        fields=fields,
                    )
                )

    def _read_groups(self) -> None:
        members: dict[Id, list[Id]] = defaultdict(list)
        for path in self.files["group_memberships"]:
            for index, record in enumerate(_load(path, "group_memberships")):
                try:
                    group_id, user_id = zendesk_id(record["group_id"]), zendesk_id(record["user_id"])
                except (KeyError, ValueError) as exc:
                    raise InputError(
                        f"missing or invalid id ({exc})", file=str(path), record=f"group_memberships[{index}]"
                    ) from None
                if group_id is not None and user_id is not None:
                    members[group_id].append(user_id)
        for path in self.files["groups"]:
            for index, record in enumerate(_load(path, "groups")):
                try:
                    group_id = zendesk_id(record["id"])
                except (KeyError, ValueError) as exc:
                    raise InputError(
                        f"missing or invalid id ({exc})", file=str(path), record=f"groups[{index}]", field="id"
                    ) from None
                if group_id is None:
                    continue
                self.directory.add_group(
                    Group(id=group_id, name=str(record.get("name") or ""), members=tuple(members.get(group_id, ())))
                )

    def _read_fields(self) -> None:
        for path in self.files["ticket_fields"]:
            for record in _load(path, "ticket_fields"):
                if record.get("id") is not None and record.get("title"):
                    self.field_titles[str(record["id"])] = str(record["title"])

    def _field_name(self, field_id: Any) -> str:
        key = str(field_id)
        return self.field_titles.get(key, key)

    # --- tickets --------------------------------------------------------------------------------

    def _read_tickets(self) -> None:
        stamps: dict[Id, tuple[str, int]] = {}
        for path in self.files["tickets"]:
            for index, record in enumerate(_load(path, "tickets")):
                where = f"tickets[{index}]"
                field = "id"
                try:
                    ticket_id = zendesk_id(record["id"])
                    if ticket_id is None:
                        raise ValueError("empty")
                    where = f"ticket {ticket_id}"
                    stamp = (str(record.get("updated_at") or ""), int(record.get("generated_timestamp") or 0))
                    if ticket_id in stamps and stamps[ticket_id] > stamp:
                        continue  # the incremental export repeats a ticket as it changes: keep the latest
                    stamps[ticket_id] = stamp
                    if record.get("status") == "deleted":
                        self.deleted.add(ticket_id)
                        self.tickets.pop(ticket_id, None)
                        continue
                    self.deleted.discard(ticket_id)
                    self.tickets[ticket_id] = self._ticket(ticket_id, record)
                except (KeyError, ValueError, TypeError) as exc:
                    field = getattr(exc, "field", field)
                    raise InputError(str(exc), file=str(path), record=where, field=field) from None

    def _ticket(self, ticket_id: Id, record: dict[str, Any]) -> Ticket:
        fields: dict[str, object] = {}
        for item in record.get("custom_fields") or record.get("fields") or []:
            if isinstance(item, dict) and "id" in item:
                fields[self._field_name(item["id"])] = item.get("value")
        try:
            created_at = _time(record.get("created_at"))
        except ValueError as exc:
            error = ValueError(str(exc))
            error.field = "created_at"  # type: ignore[attr-defined]
            raise error from None
        return Ticket(
            id=ticket_id,
            created_at=created_at,
            requester_id=zendesk_id(record.get("requester_id")),
            subject=str(record.get("subject") or record.get("raw_subject") or ""),
            status=record.get("status"),
            priority=record.get("priority"),
            tags=tuple(_tags(record.get("tags"))),
            assignee_id=zendesk_id(record.get("assignee_id")),
            group_id=zendesk_id(record.get("group_id")),
            fields=fields,
        )

    # --- audits ---------------------------------------------------------------------------------

    def _scan_audits(self) -> dict[Id, int]:
        """First pass: the last audit page each ticket appears on (an over-estimate is harmless)."""
        last: dict[Id, int] = {}
        for page, path in enumerate(self.files["ticket_audits"]):
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read file ({exc.strerror})", file=str(path)) from None
            for match in _TICKET_ID.finditer(data):
                last[int(match.group(1))] = page
        return last

    @property
    def ticket_count(self) -> int:
        return len(self.tickets.keys() | (self._last_page.keys() - self.deleted))

    def histories(self) -> Iterator[TicketHistory]:
        """Every ticket's history, one ticket at a time, each as soon as all its audits are read."""
        closing: dict[int, list[Id]] = defaultdict(list)
        for ticket_id, page in self._last_page.items():
            closing[page].append(ticket_id)
        pending: dict[Id, list[Event]] = {}
        tag_state: dict[Id, set[str]] = {}
        first_seen: dict[Id, dict[str, Any]] = {}
        done: set[Id] = set()
        last_page = self._last_page
        for page, path in enumerate(self.files["ticket_audits"]):
            for index, audit in enumerate(_load(path, "audits")):
                try:
                    of = zendesk_id(audit["ticket_id"])
                    if of is None:
                        raise ValueError("empty ticket_id")
                    if last_page.get(of, -1) < page:
                        raise ValueError("audit for a ticket that was already complete; the export is inconsistent")
                    events = pending.get(of)
                    if events is None:
                        events = pending[of] = []
                        tag_state[of] = set()
                    self._audit_events(audit, events, tag_state[of], first_seen, of)
                except KeyError as exc:
                    raise InputError(
                        "required field is missing", file=str(path), record=_where(audit, index), field=str(exc)
                    ) from None
                except (ValueError, TypeError) as exc:
                    raise InputError(str(exc), file=str(path), record=_where(audit, index)) from None
            for ticket_id in sorted(closing.get(page, ()), key=str):
                collected = pending.pop(ticket_id, None)
                if collected is None:  # only mentioned on this page (e.g. a follow-up's via.source)
                    continue
                tag_state.pop(ticket_id, None)
                done.add(ticket_id)
                if ticket_id in self.deleted:
                    continue
                ticket = self.tickets.get(ticket_id) or self._ticket_from_audits(
                    ticket_id, first_seen.pop(ticket_id, {})
                )
                first_seen.pop(ticket_id, None)
                yield TicketHistory.of(ticket, collected)
        for ticket_id, ticket in self.tickets.items():
            if ticket_id not in done:
                yield TicketHistory.of(ticket, ())
        for user_id, first_reference in self._missing.items():
            self.warnings.append(
                f"user {user_id} is referenced ({first_reference}) but is not in the export's users; "
                "their comments are not judged"
            )

    def _note_user(self, user_id: Id | None, comment_id: Id, ticket_id: Id) -> None:
        if user_id is not None and user_id != SYSTEM_USER_ID and user_id not in self._missing:
            self._missing[user_id] = f"author of comment {comment_id} on ticket {ticket_id}"

    def _ticket_from_audits(self, ticket_id: Id, seen: dict[str, Any]) -> Ticket:
        self.warnings.append(
            f"ticket {ticket_id} has audits but is not in any tickets*.json file; judged from its audits"
        )
        return Ticket(id=ticket_id, created_at=seen["created_at"], requester_id=seen.get("requester_id"))

    def _audit_events(
        self,
        audit: dict[str, Any],
        out: list[Event],
        tags: set[str],
        first_seen: dict[Id, dict[str, Any]],
        ticket_id: Id,
    ) -> None:
        at = _time(audit["created_at"])
        update = zendesk_id(audit["id"])
        if update is None:
            raise ValueError("audit without an id")
        actor = zendesk_id(audit.get("author_id"))
        via_data = audit.get("via")
        via = via_data.get("channel") if isinstance(via_data, dict) else None
        seen = None
        if ticket_id not in self.tickets:  # no ticket record: learn what we can from the audits
            seen = first_seen.setdefault(ticket_id, {"created_at": at})
            seen["created_at"] = min(seen["created_at"], at)
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
                    self._note_user(author, event_id, ticket_id)
                body = event.get("plain_body") or event.get("body") or ""
                out.append(Comment(id=event_id, **base, author=author, public=public, body=str(body)))
            elif "previous_followers" in event or "current_followers" in event:
                out.append(self._watchers(base, "follower", event, "followers", resolve))
            elif "previous_email_ccs" in event or "current_email_ccs" in event:
                out.append(self._watchers(base, "cc", event, "email_ccs", resolve))
            elif kind == "Create" or kind == "Change":
                self._change(base, event, out, tags, seen)
            # every other event type (Notification, SatisfactionRating, ...) is ignored

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
            new = set(_tags(value))
            old = set(_tags(event["previous_value"])) if "previous_value" in event else set(tags)
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
            out.append(FieldChange(id=event_id, **base, field=self._field_name(name), value=value))
