"""A Zendesk export directory: JSON files in the exact shapes of Zendesk's REST API responses.

``tickets*.json`` (``{"tickets": [...]}``, ticket list or incremental export), ``ticket_audits*.json``
(``{"audits": [...]}``), ``users*.json``, ``groups*.json`` and, optionally, ``group_memberships*.json``
and ``ticket_fields*.json``. Several page files per kind are fine.

History comes from the audits. Audit pages may be in any order and a ticket's audits may be spread
over many pages (the global audit list is in time order, not grouped by ticket). To stream ticket by
ticket without holding the export in memory, a cheap first pass notes the last audit page on which each
ticket appears; the second pass parses the pages in order and hands a ticket on as soon as its last
page has been read. Memory is bounded by the tickets still open between pages, not by the export.

Incremental exports repeat records across page boundaries and as they change, and exports made at different
times overlap: each ticket, user, group, audit and event is read once (:mod:`intently.model.repeats`; an audit's
copies are compared only while its ticket is open).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from intently.errors import InputError
from intently.model import Directory, Group, Id, Ticket, TicketHistory, User
from intently.model.repeats import Repeats
from intently.zendesk.records import (
    HistoryBuilder,
    TicketAudits,
    field_titles,
    group_from_record,
    memberships,
    user_from_record,
    zendesk_id,
)

KINDS = ("tickets", "ticket_audits", "users", "groups", "group_memberships", "ticket_fields")
_TICKET_ID = re.compile(rb'"ticket_id"\s*:\s*"?(\d+)')
_NUMBER = re.compile(r"(\d+)")


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


def _version(record: dict[str, Any]) -> tuple[str, int]:
    """Which version of a record this is, in an incremental export: its update time and generated timestamp."""
    return str(record.get("updated_at") or ""), int(record.get("generated_timestamp") or 0)


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
        self.directory = Directory()
        self.field_titles: dict[str, str] = {}
        self._read_users()
        self._read_groups()
        self._read_fields()
        self._builder = HistoryBuilder(self.directory, self.field_titles)
        self.tickets: dict[Id, Ticket] = {}
        self.deleted: set[Id] = set()
        self._read_tickets()
        self._last_page = self._scan_audits()

    # --- people and fields ----------------------------------------------------------------------

    def _read_users(self) -> None:
        users = Repeats[User]("user")
        for path in self.files["users"]:
            for index, record in enumerate(_load(path, "users")):
                try:
                    user = user_from_record(record)
                except ValueError as exc:
                    field = getattr(exc, "field", None)
                    raise InputError(str(exc), file=str(path), record=f"users[{index}]", field=field) from None
                if users.keep(user.id, user, path.name, _version(record)):
                    self.directory.add_user(user)
        self.warnings.extend(users.warnings())

    def _read_groups(self) -> None:
        members = memberships(
            record for path in self.files["group_memberships"] for record in _load(path, "group_memberships")
        )
        groups = Repeats[Group]("group")
        for path in self.files["groups"]:
            for index, record in enumerate(_load(path, "groups")):
                try:
                    group = group_from_record(record, members)
                except ValueError as exc:
                    raise InputError(str(exc), file=str(path), record=f"groups[{index}]", field="id") from None
                if group is not None and groups.keep(group.id, group, path.name, _version(record)):
                    self.directory.add_group(group)
        self.warnings.extend(groups.warnings())

    def _read_fields(self) -> None:
        self.field_titles.update(
            field_titles(record for path in self.files["ticket_fields"] for record in _load(path, "ticket_fields"))
        )

    # --- tickets --------------------------------------------------------------------------------

    def _read_tickets(self) -> None:
        """The latest version of each ticket (the incremental export repeats a ticket as it changes)."""
        versions = Repeats[Ticket | None]("ticket")
        for path in self.files["tickets"]:
            for index, record in enumerate(_load(path, "tickets")):
                where = f"tickets[{index}]"
                field = "id"
                try:
                    ticket_id = zendesk_id(record["id"])
                    if ticket_id is None:
                        raise ValueError("empty")
                    where = f"ticket {ticket_id}"
                    deleted = record.get("status") == "deleted"
                    ticket = None if deleted else self._builder.ticket(ticket_id, record)
                    if not versions.keep(ticket_id, ticket, path.name, _version(record)):
                        continue
                    if ticket is None:
                        self.deleted.add(ticket_id)
                        self.tickets.pop(ticket_id, None)
                        continue
                    self.deleted.discard(ticket_id)
                    self.tickets[ticket_id] = ticket
                except (KeyError, ValueError, TypeError) as exc:
                    field = getattr(exc, "field", field)
                    raise InputError(str(exc), file=str(path), record=where, field=field) from None
        self.warnings.extend(versions.warnings())

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
        """Every ticket's history, one ticket at a time, each as soon as all its audits are read. An audit
        repeated (across page boundaries, or by overlapping exports) is read once."""
        closing: dict[int, list[Id]] = defaultdict(list)
        for ticket_id, page in self._last_page.items():
            closing[page].append(ticket_id)
        reading: dict[Id, TicketAudits] = {}
        done: set[Id] = set()
        last_page = self._last_page
        for page, path in enumerate(self.files["ticket_audits"]):
            name = path.name
            for index, audit in enumerate(_load(path, "audits")):
                try:
                    of = zendesk_id(audit["ticket_id"])
                    if of is None:
                        raise ValueError("empty ticket_id")
                    if last_page.get(of, -1) < page:
                        raise ValueError("audit for a ticket that was already complete; the export is inconsistent")
                    audits = reading.get(of)
                    if audits is None:
                        audits = reading[of] = TicketAudits(self._builder, of, None if of in self.tickets else {})
                    audits.add(audit, name)
                except KeyError as exc:
                    raise InputError(
                        "required field is missing", file=str(path), record=_where(audit, index), field=str(exc)
                    ) from None
                except (ValueError, TypeError) as exc:
                    raise InputError(str(exc), file=str(path), record=_where(audit, index)) from None
            for ticket_id in sorted(closing.get(page, ()), key=str):
                audits = reading.pop(ticket_id, None)
                if audits is None:  # only mentioned on this page (e.g. a follow-up's via.source)
                    continue
                done.add(ticket_id)
                if ticket_id in self.deleted:
                    continue
                events = audits.events()
                self.warnings.extend(audits.warnings)
                ticket = self.tickets.get(ticket_id) or self._ticket_from_audits(ticket_id, audits.seen or {})
                yield TicketHistory.of(ticket, events)
        for ticket_id, ticket in self.tickets.items():
            if ticket_id not in done:
                yield TicketHistory.of(ticket, ())
        for user_id, first_reference in self._builder.missing.items():
            self.warnings.append(
                f"user {user_id} is referenced ({first_reference}) but is not in the export's users; "
                "their comments are not judged"
            )

    def _ticket_from_audits(self, ticket_id: Id, seen: dict[str, Any]) -> Ticket:
        self.warnings.append(
            f"ticket {ticket_id} has audits but is not in any tickets*.json file; judged from its audits"
        )
        return Ticket(id=ticket_id, created_at=seen["created_at"], requester_id=seen.get("requester_id"))
