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

An audit page is decoded straight into the few fields intently reads (:data:`~intently.zendesk.records.AUDIT_PAGE`);
a page with anything unusual in those fields, or that is not valid JSON, is decoded generically instead, so it reads
(or fails, with the same message) exactly as any other source's records do.

The tickets can be shared among several processes (:meth:`ZendeskExport.share`, used by
:mod:`intently.sources.parallel`): each reads every audit page but turns into histories only the audits of its own
tickets, and tags each history with its place in the order of :meth:`ZendeskExport.histories`.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, cast

import msgspec
import orjson

from intently.errors import InputError, some_of
from intently.model import MAX_ID, MIN_ID, Directory, Group, Id, Ticket, TicketHistory, User
from intently.model.repeats import Repeats
from intently.zendesk.forked import Forked
from intently.zendesk.records import (
    AUDIT_PAGE,
    HEAD_PAGE,
    TICKET_PAGE,
    UNSET,
    AuditHead,
    AuditRecord,
    HistoryBuilder,
    TicketAudits,
    TicketRecord,
    audit_from_head,
    audit_record,
    field_titles,
    group_from_record,
    memberships,
    odd_roles,
    ticket_record,
    user_from_record,
    zendesk_id,
)
from intently.zendesk.ticket_table import TicketTable, pickled

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


def _tickets(path: Path) -> list[TicketRecord]:
    """The ticket records of one page: decoded straight into records, or (anything unusual) generically."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", file=str(path)) from None
    try:
        data.decode()
        return TICKET_PAGE.decode(data).tickets
    except (UnicodeDecodeError, msgspec.MsgspecError):
        pass
    return [ticket_record(record) for record in _load(path, "tickets")]


def _audits(
    path: Path, utf8: bool, own: set[Id] | None = None, known: dict[Id, int] | None = None
) -> Iterable[tuple[int, AuditRecord | AuditHead]]:
    """The audits of one page with their places on it: decoded straight into records, or (anything unusual)
    generically as before. With ``own``, only the audits of those tickets (decoded whole) and of tickets not
    ``known`` to the first pass or of none (as :class:`AuditHead` records, for the caller to say what is wrong):
    the process that works the other tickets reads their audits, and says what is wrong with them. ``utf8``:
    whether the page's text is UTF-8 (the first pass checks every page once, for every process)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", file=str(path)) from None
    if utf8:  # text that is not UTF-8 fails the generic decoding, even in fields intently never reads
        try:
            if own is None:
                return enumerate(AUDIT_PAGE.decode(data).audits)
            picked: list[tuple[int, AuditRecord | AuditHead]] = []
            for index, head in enumerate(HEAD_PAGE.decode(data).audits):
                raw = head.ticket_id
                of = raw if type(raw) is int else _ticket_of(raw)
                if of in own:
                    picked.append((index, audit_from_head(head)))
                elif of is None or known is None or of not in known:
                    picked.append((index, head))
            return picked
        except msgspec.MsgspecError:
            pass
    return enumerate([audit_record(audit) for audit in _load(path, "audits")])


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


def _ticket_of(raw: Any) -> Id | None:
    """The ticket an audit's ``ticket_id`` names; None where it names none (the caller then says what is wrong)."""
    try:
        return zendesk_id(raw)
    except ValueError:
        return None


def _hashed(ticket_id: Id, jobs: int) -> int:
    """A ticket's share (the same in every process)."""
    if isinstance(ticket_id, int):
        return ticket_id % jobs
    return zlib.crc32(ticket_id.encode("utf-8", "surrogatepass")) % jobs


class Closed(NamedTuple):
    """One ticket's history as :meth:`ZendeskExport.share` hands it on: ``key`` is its place in the order of
    :meth:`ZendeskExport.histories`, ``warnings`` what reading it added to the export's warnings."""

    key: tuple[int, int, int | str]
    history: TicketHistory
    warnings: list[str]


class ZendeskExport:
    """Reads a Zendesk export directory: the directory of people first, then ticket histories."""

    def __init__(self, root: str | Path, jobs: int = 1) -> None:
        """``jobs`` > 1: the first pass over the audit pages runs in another process while this one reads the
        people and the ticket records (where processes can be forked)."""
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
        forking = jobs > 1 and Forked.possible()
        scanning = Forked(self._scan_audits) if forking else None
        try:
            self._read_users()
            self._read_groups()
            self._read_fields()
            self._builder = HistoryBuilder(self.directory, self.field_titles)
            self.tickets = TicketTable()
            self.deleted: set[Id] = set()
            if forking:  # in a process of its own: what reading leaves behind is not in the memory the others share
                reading = Forked(self._tickets_read)
                try:
                    self.tickets, self.deleted, warnings = reading.result()
                finally:
                    reading.close()
                self.warnings.extend(warnings)
            else:
                self._read_tickets()
            self._last_page, self._not_utf8 = scanning.result() if scanning is not None else self._scan_audits()
        finally:
            if scanning is not None:
                scanning.close()
        self._warn_tickets_without_audits()
        self.position: tuple[int, int] = (-1, -1)
        """The audit page and the audit on it being read (see :meth:`share`)."""
        self.missing_at: dict[Id, tuple[int, int, int]] = {}
        """Where (audit page, audit, and the order among those met in one audit) each user referenced but unknown was
        first met (see :meth:`share`)."""

    # --- people and fields ----------------------------------------------------------------------

    def _read_users(self) -> None:
        users = Repeats[User]("user")
        kept: dict[Id, dict[str, Any]] = {}
        for path in self.files["users"]:
            for index, record in enumerate(_load(path, "users")):
                try:
                    user = user_from_record(record)
                except ValueError as exc:
                    field = getattr(exc, "field", None)
                    raise InputError(str(exc), file=str(path), record=f"users[{index}]", field=field) from None
                if users.keep(user.id, user, path.name, _version(record)):
                    self.directory.add_user(user)
                    kept[user.id] = record
        self.warnings.extend(users.warnings())
        roles = odd_roles(kept.items())
        if roles is not None:
            self.warnings.append(roles)
        if self.files["tickets"] and not self.files["ticket_audits"]:
            self.warnings.append(
                f"no ticket_audits*.json files in {self.root}: the comments are in the ticket audits, so no "
                "comment is judged. Add the audits (Zendesk's Ticket Audits API), or let `intently sync zendesk` "
                "fetch everything"
            )

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

    def _tickets_read(self) -> tuple[TicketTable, set[Id], list[str]]:
        """:meth:`_read_tickets`, and what it found: the tickets, those deleted, the warnings it added."""
        known = len(self.warnings)
        self._read_tickets()
        return self.tickets, self.deleted, self.warnings[known:]

    def _read_tickets(self) -> None:
        """The latest version of each ticket (the incremental export repeats a ticket as it changes). The copies are
        told apart by a digest of each: two that differ in it are compared whole (equal tickets can pickle apart)."""
        versions = Repeats[bytes | None]("ticket")
        for path in self.files["tickets"]:
            name = path.name  # one text for the page's every record
            for index, record in enumerate(_tickets(path)):
                where = f"tickets[{index}]"
                field = "id"
                try:
                    if record.id is UNSET:
                        raise KeyError("id")
                    ticket_id = zendesk_id(record.id)
                    if ticket_id is None:
                        raise ValueError("empty")
                    where = f"ticket {ticket_id}"
                    deleted = record.status == "deleted"
                    ticket = None if deleted else self._builder.ticket(ticket_id, record)
                    version = str(record.updated_at or ""), int(record.generated_timestamp or 0)
                    data = None if ticket is None else pickled(ticket)
                    digest = None if data is None else hashlib.blake2b(data, digest_size=16).digest()
                    kept = versions.kept(ticket_id)
                    if (
                        kept is not None
                        and digest is not None
                        and kept != digest
                        and ticket == self.tickets.get(ticket_id)
                    ):
                        digest = kept  # the same ticket, pickled apart (1 and 1.0, say)
                    if not versions.keep(ticket_id, digest, name, version):
                        continue
                    if data is None:
                        self.deleted.add(ticket_id)
                        self.tickets.pop(ticket_id)
                        continue
                    self.deleted.discard(ticket_id)
                    self.tickets.put(ticket_id, data)
                except (KeyError, ValueError, TypeError) as exc:
                    field = getattr(exc, "field", field)
                    raise InputError(str(exc), file=str(path), record=where, field=field) from None
        self.warnings.extend(versions.warnings())

    # --- audits ---------------------------------------------------------------------------------

    def _scan_audits(self) -> tuple[dict[Id, int], set[int]]:
        """First pass: the last audit page each ticket appears on (an over-estimate is harmless), and the pages
        whose text is not UTF-8 (checked once here, not by every process that reads the pages again)."""
        last: dict[Id, int] = {}
        not_utf8: set[int] = set()
        for page, path in enumerate(self.files["ticket_audits"]):
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read file ({exc.strerror})", file=str(path)) from None
            last.update(dict.fromkeys(map(int, _TICKET_ID.findall(data)), page))
            if not _is_utf8(data):
                not_utf8.add(page)
        return last, not_utf8

    def _warn_tickets_without_audits(self) -> None:
        """One warning for the tickets of tickets*.json that no audit page names: an export whose audits are
        incomplete (their comments are in the audits, so nothing on them is judged)."""
        if not self.files["ticket_audits"]:
            return  # said once, for the whole export, with the people
        ids = self.tickets.keys()  # in the order of the ticket records (a TicketTable is not a dict)
        bare = [ticket_id for ticket_id in ids if ticket_id not in self._last_page]
        if not bare:
            return
        self.warnings.append(
            f"{len(bare):,} of {len(self.tickets):,} tickets in tickets*.json have no audits in the export (ticket "
            f"{some_of(bare)}): their comments are in the audits, so none of them is judged. Is the export of the "
            "ticket audits complete?"
        )

    @property
    def ticket_count(self) -> int:
        return len(self.tickets.keys() | (self._last_page.keys() - self.deleted))

    def histories(self) -> Iterator[TicketHistory]:
        """Every ticket's history, one ticket at a time, each as soon as all its audits are read. An audit
        repeated (across page boundaries, or by overlapping exports) is read once."""
        for closed in self.share(0, 1):
            self.warnings.extend(closed.warnings)
            yield closed.history
        self.warnings.extend(self.missing_users())

    def _shares(self, job: int, jobs: int) -> set[Id]:
        """The tickets of share ``job`` of ``jobs``, by id. (Cutting the audit pages into runs, one a share, would
        spare reading most pages twice, but a later run's results then wait, in memory, for every earlier run:
        shares by id move through the pages side by side.)"""
        tickets = self._last_page.keys() | self.tickets.keys()
        return {ticket_id for ticket_id in tickets if _hashed(ticket_id, jobs) == job}

    def share(self, job: int, jobs: int) -> Iterator[Closed]:
        """The histories of the tickets of share ``job`` of ``jobs`` (see :meth:`_shares`), in the order of
        :meth:`histories`, each with its place in that order (``key``: ``(page, 1, str(ticket id))`` for a ticket
        complete after that audit page, ``(pages + 1, 1, n)`` for the n-th ticket without audits). While reading,
        :attr:`position` is the page and audit read, and :attr:`missing_at` where each unknown user was first met.
        Every share reads every audit page: an error in a page as a whole (not JSON, not readable) stops every share
        at the same place; an error in one audit stops the share of its ticket (every share where the audit names
        none, or one the first pass did not see), and so the merged output at the same place."""
        own = self._shares(job, jobs) if jobs > 1 else set()
        closing: dict[int, list[Id]] = defaultdict(list)  # the share's tickets by the page they are complete after
        for ticket_id, page in self._last_page.items():
            if jobs == 1 or ticket_id in own:
                closing[page].append(ticket_id)
        reading: dict[Id, TicketAudits] = {}
        done: set[Id] = set()
        last_page = self._last_page
        tickets = self.tickets
        builder = self._builder
        missing = builder.missing
        pages = self.files["ticket_audits"]
        for page, path in enumerate(pages):
            name = path.name
            self.position = (page, -1)
            utf8 = page not in self._not_utf8
            for index, audit in _audits(path, utf8, own if jobs > 1 else None, last_page):
                try:
                    raw = audit.ticket_id
                    if type(raw) is int and MIN_ID <= raw <= MAX_ID:
                        of: Id = raw
                    elif raw is UNSET:
                        raise KeyError("ticket_id")
                    else:
                        found = zendesk_id(raw)
                        if found is None:
                            raise ValueError("empty ticket_id")
                        of = found
                    if jobs > 1 and of not in own and of in last_page:
                        continue  # another process's ticket (only where the page was decoded generically: see _audits)
                    if last_page.get(of, -1) < page:
                        if isinstance(of, str):  # the first pass reads ticket numbers only: Zendesk's ids
                            raise ValueError(f"ticket_id {raw!r} is not a Zendesk ticket id (a whole number)")
                        raise ValueError("audit for a ticket that was already complete; the export is inconsistent")
                    audits = reading.get(of)
                    if audits is None:
                        audits = reading[of] = TicketAudits(builder, of, None if of in tickets else {})
                    known = len(missing)
                    audits.add(cast(AuditRecord, audit), name)  # an own ticket's audit: decoded whole
                    if len(missing) != known:
                        for user_id in list(missing)[known:]:
                            self.missing_at[user_id] = (page, index, len(self.missing_at))
                except KeyError as exc:
                    self.position = (page, index)
                    raise InputError(
                        "required field is missing", file=str(path), record=audit.where(index), field=str(exc)
                    ) from None
                except (ValueError, TypeError) as exc:
                    self.position = (page, index)
                    raise InputError(str(exc), file=str(path), record=audit.where(index)) from None
            for ticket_id in sorted(closing.get(page, ()), key=str):
                audits = reading.pop(ticket_id, None)
                if audits is None:  # only mentioned on this page (e.g. a follow-up's via.source), or not ours
                    continue
                done.add(ticket_id)
                if ticket_id in self.deleted:
                    continue
                events = audits.events()
                warnings = audits.warnings
                ticket = tickets.get(ticket_id)
                if ticket is None:
                    warnings = [*warnings, self._from_audits_warning(ticket_id)]
                    ticket = self._ticket_from_audits(ticket_id, audits.seen or {})
                yield Closed((page, 1, str(ticket_id)), TicketHistory.of(ticket, events), warnings)
        tail = len(pages) + 1
        for position, ticket_id in enumerate(tickets.keys()):
            if ticket_id not in done and (jobs == 1 or ticket_id in own):
                ticket = tickets.get(ticket_id)
                assert ticket is not None
                yield Closed((tail, 1, position), TicketHistory.of(ticket, ()), [])

    def missing_first(self) -> dict[Id, tuple[tuple[int, int, int], str]]:
        """Each user referenced but unknown: where first met (see :attr:`missing_at`) and how (after :meth:`share`)."""
        return {user: (self.missing_at[user], first) for user, first in self._builder.missing.items()}

    def missing_users(self) -> list[str]:
        """The warnings about users referenced but not in the export (after :meth:`histories` or :meth:`share`)."""
        return [missing_user(user_id, first) for user_id, first in self._builder.missing.items()]

    @staticmethod
    def _from_audits_warning(ticket_id: Id) -> str:
        return f"ticket {ticket_id} has audits but is not in any tickets*.json file; judged from its audits"

    @staticmethod
    def _ticket_from_audits(ticket_id: Id, seen: dict[str, Any]) -> Ticket:
        return Ticket(id=ticket_id, created_at=seen["created_at"], requester_id=seen.get("requester_id"))


def missing_user(user_id: Id, first_reference: str) -> str:
    return (
        f"user {user_id} is referenced ({first_reference}) but is not in the export's users; "
        "their comments are not judged"
    )
