"""Live Zendesk into the store: ``intently sync zendesk``.

A sync reads the account's people and ticket fields, then walks the cursor-based incremental ticket
export. Every changed ticket is fetched whole (its record and all its audits), rebuilt with the same
:class:`~intently.zendesk.records.HistoryBuilder` as the export reader, judged, and committed in
one transaction together with the note that it is done (``sync_done``, with the ticket's stamp). When a
page is finished, its ``after_cursor`` is committed and the notes are cleared, in one transaction.

So a sync stopped at any moment (Ctrl-C, a killed process, a lost network) loses nothing and repeats
nothing when run again: it fetches the page at the stored cursor again and skips the tickets already
synced at the same stamp. A run with no changes in Zendesk asks for one empty page and stops.

Sync state lives in the store's ``sync_state`` table under ``zendesk.*`` keys; the ticket field titles
(``zendesk.field_titles``) are kept there too, so the webhook worker maps custom fields the same way
(:func:`stored_builder`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from intently.engine import Tally, judge_ticket
from intently.errors import InputError, IntentlyError
from intently.model import Group, Id, User
from intently.policy import Policy, fingerprint
from intently.store import Store
from intently.store.pipeline import classify_store
from intently.store.store import ZENDESK_BASE
from intently.zendesk.client import NotFoundError, ZendeskClient, fetch_history
from intently.zendesk.records import (
    HistoryBuilder,
    field_titles,
    group_from_record,
    memberships,
    odd_roles,
    user_from_record,
    zendesk_id,
)

URL_KEY = "zendesk.url"
CURSOR_KEY = "zendesk.cursor"
START_KEY = "zendesk.start_time"
FIELD_TITLES_KEY = "zendesk.field_titles"
USERS_CURSOR_KEY = "zendesk.users_cursor"
REJUDGE_KEY = "zendesk.rejudge"
"""Set while stored judgements are stale (the policy or the people changed); cleared once all are judged again."""


@dataclass
class SyncStats:
    """What one sync run did."""

    base_url: str = ""
    start_time: int | None = None
    """The incremental export's start (epoch seconds) when this run began without a stored cursor."""
    resumed: bool = False
    """The run continued from a stored cursor (or an interrupted first page)."""
    backfill: bool = False
    """A ``since`` earlier than the stored start made this run begin again from there."""
    pages: int = 0
    tickets: int = 0
    """Tickets fetched, judged and stored."""
    deleted: int = 0
    """Tickets deleted in Zendesk, removed from the store (or never stored)."""
    skipped: int = 0
    """Tickets already synced at the same stamp by an interrupted earlier run."""
    audits: int = 0
    judgements: int = 0
    users: int = 0
    groups: int = 0
    rejudged: int | None = None
    """Judgements made again for every stored ticket (the policy or the people changed), if that happened."""
    requests: int = 0
    tally: Tally = field(default_factory=Tally)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def ticket_stamp(record: dict[str, Any]) -> str:
    """What identifies a ticket's version in the incremental export: its generated timestamp and update time."""
    return f"{record.get('generated_timestamp') or 0}|{record.get('updated_at') or ''}"


def stored_field_titles(store: Store) -> dict[str, str]:
    """Custom ticket field id → title, as the last sync saw them."""
    text = store.state(FIELD_TITLES_KEY)
    return {str(k): str(v) for k, v in orjson.loads(text).items()} if text else {}


def stored_builder(store: Store) -> HistoryBuilder:
    """A history builder over the store's people and the synced field titles (for the webhook worker)."""
    return HistoryBuilder(store.directory(), stored_field_titles(store))


def sync_zendesk(
    client: ZendeskClient,
    store: Store,
    policy: Policy,
    *,
    since: datetime | None = None,
    save_raw: Path | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> SyncStats:
    """Bring Zendesk's changed tickets into ``store``, judged under ``policy``; see the module docstring.

    ``since``: where the very first sync starts (default: the beginning of the account). Later runs continue
    from the stored cursor; a ``since`` earlier than the first run's start begins again from there (a backfill).
    ``save_raw``: a folder where every API response is kept as a Zendesk export directory (``intently import``
    reads it back to the same store). ``progress(kind, n)``: ``kind`` is ``users``, ``page``, ``ticket`` or
    ``audits``.
    """
    advance = progress or (lambda _kind, _n: None)
    stats = SyncStats(base_url=client.base_url)
    fp = fingerprint(policy)
    raw = RawExport(save_raw) if save_raw is not None else None
    known = store.state(URL_KEY)
    if known and known != client.base_url:
        raise IntentlyError(
            f"this store holds tickets synced from {known}, not {client.base_url}: use another --db for another account"
        )

    me = client.me()
    role = me.get("role")
    if role not in ("agent", "admin"):
        who = me.get("email") or me.get("id") or "anonymous"
        raise IntentlyError(
            f"the Zendesk user of these credentials ({who}) is {role or 'not signed in'}, not an agent or admin: "
            "intently needs to read tickets, users, groups and ticket fields"
        )

    had_tickets = store.ticket_count() > 0
    cursor, start_time, restart = _position(store, since, stats)

    # --- people: the incremental user export, each page committed with its cursor ------------------
    stored_people = store.directory().users if had_tickets else {}  # to notice agents who changed
    users_cursor = store.state(USERS_CURSOR_KEY) or None
    while True:
        if users_cursor:
            user_page = client.incremental_users(cursor=users_cursor)
        else:
            user_page = client.incremental_users(start_time=0)
        if raw is not None:
            raw.export_page("users", user_page.raw)
        users = _users(user_page.users)
        roles = odd_roles((user.id, record) for user, record in zip(users, user_page.users, strict=True))
        if roles is not None:
            stats.warnings.append(roles)
        changed = had_tickets and any(_differs(stored_people.get(user.id), user) for user in users)
        following = user_page.after_cursor or users_cursor
        with store.batch() as batch:
            batch.put_users(users, affects_judgements=changed)  # only a change of agents makes judgements stale
            if following:
                batch.set_state(USERS_CURSOR_KEY, following)
            if changed:  # with the change itself: judgements of stored tickets may depend on it
                batch.set_state(REJUDGE_KEY, "1")
        stats.users += len(users)
        advance("users", len(users))
        if user_page.end_of_stream or not following or (following == users_cursor and not users):
            break
        users_cursor = following

    # --- groups and ticket fields: small, read whole every run --------------------------------------
    records = {kind: _fetch_all(client, kind, raw) for kind in ("groups", "group_memberships", "ticket_fields")}
    groups = groups_of(records["groups"], records["group_memberships"])
    titles = field_titles(records["ticket_fields"])
    stats.groups = len(groups)
    with store.batch() as batch:
        batch.put_groups(groups)
        batch.set_state(FIELD_TITLES_KEY, orjson.dumps(titles).decode())
        batch.set_state(URL_KEY, client.base_url)
        batch.set_meta(ZENDESK_BASE, client.base_url)  # each ticket links to it in the pages
        if restart:
            batch.set_state(START_KEY, str(start_time))
            batch.set_state(CURSOR_KEY, "")
            batch.clear_synced()
        if not had_tickets:
            batch.set_meta("policy", fp)
        if had_tickets and store.judged_policy() != fp:
            batch.set_state(REJUDGE_KEY, "1")
    if raw is not None:
        raw.commit_directory()
    stale = store.state(REJUDGE_KEY) == "1"
    directory = store.directory()

    # --- tickets: the incremental export, page by page --------------------------------------------
    builder = HistoryBuilder(directory, titles)
    known_users = directory.users
    if cursor is None:
        stats.start_time = start_time
    while True:
        if cursor:
            page = client.incremental_tickets(cursor=cursor)
        else:
            page = client.incremental_tickets(start_time=start_time)
        stats.pages += 1
        if raw is not None:
            raw.export_page("tickets", page.raw)
        done = store.synced()
        if done and stats.pages == 1:
            stats.resumed = True
        for record in page.tickets:
            ticket_id = zendesk_id(record.get("id"))
            if ticket_id is None:
                raise InputError("ticket without an id", file="Zendesk incremental ticket export", field="id")
            stamp = ticket_stamp(record)
            if done.get(ticket_id) == stamp:
                stats.skipped += 1
                advance("ticket", 1)
                continue
            _sync_ticket(client, store, builder, known_users, policy, fp, record, ticket_id, stamp, raw, stats, advance)
            advance("ticket", 1)
        following = page.after_cursor or cursor
        with store.batch() as batch:
            if following:
                batch.set_state(CURSOR_KEY, following)
            batch.clear_synced()
        advance("page", 1)
        if page.end_of_stream or not following or (following == cursor and not page.tickets):
            break
        cursor = following

    if stale:
        stats.rejudged = classify_store(store, policy)
        with store.batch() as batch:
            batch.set_state(REJUDGE_KEY, "")
    stats.warnings.extend(builder.warnings())
    stats.warnings.extend(  # the same authors once only
        warning for warning in stats.tally.warnings() if not any(f"user {u} " in warning for u in builder.missing)
    )
    stats.requests = client.requests
    return stats


def _sync_ticket(
    client: ZendeskClient,
    store: Store,
    builder: HistoryBuilder,
    users: dict[Id, User],
    policy: Policy,
    fp: str,
    record: dict[str, Any],
    ticket_id: Id,
    stamp: str,
    raw: RawExport | None,
    stats: SyncStats,
    advance: Callable[[str, int], None],
) -> None:
    """Fetch, judge and commit one ticket (with its synced note) in one transaction."""
    if record.get("status") == "deleted":  # as the export reader: a deleted ticket is not kept
        _forget(store, ticket_id, stamp, stats)
        return
    pages: list[dict[str, Any]] = []

    def on_page(body: dict[str, Any]) -> None:
        pages.append(body)
        count = len(body.get("audits") or [])
        stats.audits += count
        advance("audits", count)

    try:
        history = fetch_history(client, builder, ticket_id, record, on_page=on_page)
    except NotFoundError:  # deleted between the export page and now; the export will say so later
        _forget(store, ticket_id, stamp, stats)
        return
    except InputError as exc:  # one unreadable ticket must not stop every later sync at the same page
        stats.warnings.append(
            f"skipped, not read: {exc}. The store keeps what it had of ticket {ticket_id}; the sync reads it again "
            "when it next changes in Zendesk"
        )
        with store.batch() as batch:
            batch.mark_synced(ticket_id, stamp)
        return
    result = judge_ticket(history, users, policy)
    if raw is not None:  # before the commit: a ticket marked synced always has its audits on disk
        raw.ticket_audits(ticket_id, pages)
    with store.batch() as batch:
        batch.put_histories([history])
        batch.put_judgements(result, fp)
        batch.mark_synced(ticket_id, stamp)
    stats.tickets += 1
    stats.judgements += len(result.judgements)
    stats.tally.add(result)


def _forget(store: Store, ticket_id: Id, stamp: str, stats: SyncStats) -> None:
    with store.batch() as batch:
        batch.delete_ticket(ticket_id)
        batch.mark_synced(ticket_id, stamp)
    stats.deleted += 1


def _position(store: Store, since: datetime | None, stats: SyncStats) -> tuple[str | None, int, bool]:
    """(cursor to continue from, or None; start time for a first request; whether to store a new start)."""
    cursor = store.state(CURSOR_KEY) or None
    text = store.state(START_KEY)
    stored = int(text) if text else None
    wanted = None if since is None else int(since.timestamp())
    if wanted is None:
        if cursor is not None:
            stats.resumed = True
            return cursor, stored or 0, False
        return None, stored or 0, stored is None
    if cursor is not None and stored is not None and wanted >= stored:
        stats.resumed = True
        stats.notes.append("--since is already covered by the stored cursor: continuing from it")
        return cursor, stored, False
    stats.backfill = stored is not None and wanted < stored
    return None, wanted, cursor is not None or stored != wanted


def _fetch_all(client: ZendeskClient, kind: str, raw: RawExport | None) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for page in client.pages(f"/api/v2/{kind}.json"):
        if raw is not None:
            raw.stage(kind, page)
        found = page.get(kind) or []
        if not isinstance(found, list):
            raise InputError(f'"{kind}" must be a list', file=f"Zendesk {kind}")
        records.extend(record for record in found if isinstance(record, dict))
    return records


def _differs(stored: User | None, user: User) -> bool:
    """Whether an agent was added or changed: judgements read agents only (who is one, their region and hours).
    A service user's role is intently's own mark, not a change."""
    if stored is not None and stored.role == "service":
        stored = replace(stored, role=user.role)
    if not (user.is_agent or (stored is not None and stored.is_agent)):
        return False
    return stored != user


def _users(records: list[dict[str, Any]]) -> list[User]:
    users: list[User] = []
    for index, record in enumerate(records):
        try:
            users.append(user_from_record(record))
        except ValueError as exc:
            where = f"user {record.get('id')}" if record.get("id") is not None else f"users[{index}]"
            raise InputError(str(exc), file="Zendesk users", record=where, field=getattr(exc, "field", None)) from None
    return users


def groups_of(records: list[dict[str, Any]], member_records: list[dict[str, Any]]) -> list[Group]:
    members = memberships(member_records)
    return [g for g in (group_from_record(r, members) for r in records) if g is not None]


class RawExport:
    """API responses kept as a Zendesk export directory that ``intently import`` reads back to the same store.

    - groups, memberships and fields: ``groups.page-NNN.json`` … (each run's snapshot replaces the previous one);
    - the incremental exports: ``tickets.page-NNN.json`` and ``users.page-NNN.json``, numbered on from earlier
      runs (never overwritten; the reader keeps each ticket's latest version and each user's last page);
    - audits: ``ticket_audits.ticket-<id>.page-NNN.json``, replaced whenever the ticket is fetched again (a
      ticket's audits are always fetched whole).

    Files are written as ``*.part`` and renamed, so a reader never sees half a file.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise IntentlyError(f"--save-raw {self.root}: not a folder")
        self.root.mkdir(parents=True, exist_ok=True)
        for stale in self.root.glob("*.part"):
            stale.unlink(missing_ok=True)
        self._staged: dict[str, list[Path]] = {}
        self._next_page: dict[str, int] = {}

    def _write(self, path: Path, body: dict[str, Any]) -> None:
        part = path.with_name(path.name + ".part")
        with open(part, "wb") as handle:
            handle.write(orjson.dumps(body))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, path)

    def stage(self, kind: str, body: dict[str, Any]) -> None:
        pages = self._staged.setdefault(kind, [])
        part = self.root / f"{kind}.page-{len(pages) + 1:03d}.json.part"
        part.write_bytes(orjson.dumps(body))
        pages.append(part)

    def commit_directory(self) -> None:
        """Replace the previous snapshot of each staged kind with the new one."""
        for kind, parts in self._staged.items():
            finals = {part.with_suffix("") for part in parts}  # drop ".part"
            for part in parts:
                os.replace(part, part.with_suffix(""))
            pattern = re.compile(rf"^{re.escape(kind)}\.page-\d+\.json$")
            for old in self.root.iterdir():
                if pattern.match(old.name) and old not in finals:
                    old.unlink(missing_ok=True)
        self._staged.clear()

    def export_page(self, kind: str, body: dict[str, Any]) -> None:
        """A page of an incremental export (``tickets``, ``users``), numbered on after earlier runs' pages.
        Pages without records (a run with nothing new) are not kept: they hold nothing to import."""
        if not body.get(kind):
            return
        number = self._next_page.get(kind)
        if number is None:
            number = 1 + max((_page_number(path.name) for path in self.root.glob(f"{kind}.page-*.json")), default=0)
        self._write(self.root / f"{kind}.page-{number:03d}.json", body)
        self._next_page[kind] = number + 1

    def ticket_audits(self, ticket_id: Id, pages: list[dict[str, Any]]) -> None:
        prefix = f"ticket_audits.ticket-{ticket_id}.page-"
        written = set()
        for number, body in enumerate(pages, start=1):
            path = self.root / f"{prefix}{number:03d}.json"
            self._write(path, body)
            written.add(path.name)
        for old in self.root.glob(f"{prefix}*.json"):
            if old.name not in written:
                old.unlink(missing_ok=True)


def _page_number(name: str) -> int:
    match = re.search(r"\.page-(\d+)\.json$", name)
    return int(match.group(1)) if match else 0


def parse_since(text: str) -> datetime:
    """``2026-01-01`` (midnight UTC) or an ISO 8601 time (UTC when it names no zone), in the past."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date or time: {text!r} (use YYYY-MM-DD or an ISO 8601 time)") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if at > datetime.now(UTC):
        raise ValueError(f"{text} is in the future")
    return at
