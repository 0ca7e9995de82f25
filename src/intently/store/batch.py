"""One transaction of writes to the store, and the versions that tell readers what changed.

A batch takes the store's writer lock first (one row of ``intently_meta``, so writers on PostgreSQL queue as on
SQLite), reads through its own transaction, and on commit moves two tokens:

- the **data version** changes whenever people, tickets or judgements change (what caches are checked against).
  It is derived from the previous version and what the batch wrote, so the same change to the same store gives
  the same version;
- the **judged version** is the data version the stored judgements agree with. It follows the data version
  while every change keeps the judgements current (all judged again, or each ticket stored with its own
  judgements, and no change to who is an agent); otherwise it stays behind, and readers know the judgements are
  stale (:meth:`intently.store.Store.judgements_are_current`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, insert, select, update

from intently.engine import TicketResult
from intently.errors import some_of
from intently.model import Directory, Group, Id, TicketHistory, User
from intently.store import rollups, schema
from intently.store.rows import (
    BATCH,
    DATA_VERSION,
    JUDGED_POLICY,
    JUDGED_VERSION,
    SAVED_POLICY,
    SERVICE_USERS,
    chunks,
    encode_id,
    group_row,
    insert_many,
    judgement_row,
    meta_value,
    meta_values,
    outcome_row,
    read_directory,
    read_histories,
    refresh_statistics,
    replace_rows,
    set_meta,
    ticket_row,
    user_row,
)


@dataclass
class ImportStats:
    users: int = 0
    groups: int = 0
    tickets: int = 0
    events: int = 0
    lost: dict[Id, int] = field(default_factory=dict)
    """Tickets stored before whose stored history had events the imported one lacks: how many (the import
    replaces a ticket's history with the one given)."""

    def lost_warning(self) -> str | None:
        """The one warning about :attr:`lost` events, or None."""
        if not self.lost:
            return None
        whole = "(a ticket's line holds its whole history)"
        if len(self.lost) == 1:
            ((ticket, count),) = self.lost.items()
            return f"ticket {ticket}: {_stored(count)} not in this file; its history is replaced by the file's {whole}"
        each = [f"ticket {ticket}: {count:,}" for ticket, count in self.lost.items()]
        return (
            f"{len(self.lost):,} tickets: {_stored(sum(self.lost.values()))} not in this file ({some_of(each)}); "
            f"their histories are replaced by the file's {whole}"
        )


def _stored(count: int) -> str:
    return f"{count:,} stored event is" if count == 1 else f"{count:,} stored events are"


def policy_json(policy: Any) -> str:
    return orjson.dumps(policy.model_dump(mode="json")).decode()


def next_version(previous: str | None, change: bytes) -> str:
    """The data version after a change: the same change to the same version gives the same token."""
    return hashlib.blake2b((previous or "").encode() + change, digest_size=8).hexdigest()


class Batch:
    """Writes that commit together (a context manager around one transaction)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._context: Any = None
        self.conn: Connection
        self._change = hashlib.blake2b(digest_size=16)
        self._changed = False
        self._versions: dict[str, str] = {}
        self._current = False
        """The stored judgements agree with the data as written so far in this batch (given the tickets below)."""
        self._unjudged: set[str] = set()
        """Tickets stored in this batch without their judgements."""

    def __enter__(self) -> Batch:
        self._context = self._engine.begin()
        self.conn = self._context.__enter__()
        # the writer lock: every batch updates this row first, so batches commit one after another
        self.conn.execute(
            update(schema.meta).where(schema.meta.c.key == DATA_VERSION).values(value=schema.meta.c.value)
        )
        self._versions = meta_values(self.conn, DATA_VERSION, JUDGED_VERSION, JUDGED_POLICY)
        judged = self._versions.get(JUDGED_VERSION)
        self._current = judged is not None and judged == self._versions.get(DATA_VERSION)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._changed and exc[0] is None:
            version = next_version(self._versions.get(DATA_VERSION), self._change.digest())
            set_meta(self.conn, DATA_VERSION, version)
            if self._current and not self._unjudged:
                set_meta(self.conn, JUDGED_VERSION, version)
        self._context.__exit__(*exc)

    def _note(self, *parts: bytes | str) -> None:
        self._changed = True
        for part in parts:
            self._change.update(part.encode() if isinstance(part, str) else part)
            self._change.update(b"\0")

    # --- reading inside the transaction ---------------------------------------------------------

    def directory(self) -> Directory:
        return read_directory(self.conn)

    def histories(self) -> Iterator[TicketHistory]:
        return read_histories(lambda: nullcontext(self.conn))

    # --- people and tickets ---------------------------------------------------------------------

    def put_users(self, users: Iterable[User], *, affects_judgements: bool = True) -> int:
        """Store people (replaced by id). ``affects_judgements=False``: the caller knows no agent was added or
        changed (judgements read agents only), so the stored judgements stay current."""
        rows = [user_row(user) for user in users]
        self._note("users", orjson.dumps(rows))
        if affects_judgements:
            self._current = False
        for chunk in chunks(rows):
            replace_rows(self.conn, schema.users, chunk)
        return len(rows)

    def put_groups(self, groups: Iterable[Group]) -> int:
        """Store groups (replaced by id); judgements do not read groups."""
        rows = [group_row(group) for group in groups]
        self._note("groups", orjson.dumps(rows))
        for chunk in chunks(rows):
            replace_rows(self.conn, schema.groups, chunk)
        return len(rows)

    def put_histories(self, histories: Iterable[TicketHistory]) -> None:
        rows = [ticket_row(history) for history in histories]
        for row in rows:
            self._note("ticket", row["id"], row["history"])
            self._unjudged.add(row["id"])
        replace_rows(self.conn, schema.tickets, rows)

    def import_data(
        self,
        directory: Directory,
        histories: Iterable[TicketHistory],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> ImportStats:
        """Store users, groups and ticket histories (records replaced by id: importing the same data again
        changes nothing)."""
        stats = ImportStats()
        stats.users = self.put_users(directory.users.values())
        stats.groups = self.put_groups(directory.groups.values())
        rows: list[TicketHistory] = []
        for history in histories:
            rows.append(history)
            stats.tickets += 1
            stats.events += len(history.events)
            if len(rows) >= BATCH:
                stats.lost.update(self.lost_events(rows))
                self.put_histories(rows)
                rows = []
            if progress is not None:
                progress(1)
        stats.lost.update(self.lost_events(rows))
        self.put_histories(rows)
        return stats

    def lost_events(self, histories: list[TicketHistory]) -> dict[Id, int]:
        """For each of these tickets already stored: how many events of its stored history (by event id) the new
        history lacks, where any (what storing it would drop)."""
        given = {encode_id(history.ticket.id): history for history in histories}
        table = schema.tickets
        lost: dict[Id, int] = {}
        for start in range(0, len(histories), BATCH):
            keys = list(given)[start : start + BATCH]
            for row in self.conn.execute(select(table.c.id, table.c.history).where(table.c.id.in_(keys))):
                history = given[row.id]
                ids = {event.id for event in history.events}
                missing = sum(1 for event in orjson.loads(row.history).get("events") or () if event["id"] not in ids)
                if missing:
                    lost[history.ticket.id] = missing
        return lost

    def delete_ticket(self, ticket_id: Id) -> None:
        """Remove a ticket and its judgements (a ticket deleted in the helpdesk)."""
        key = encode_id(ticket_id)
        self._note("delete", key or "")
        self._unjudged.discard(key or "")
        rollups.replace_ticket(self.conn, key or "", [])
        self.conn.execute(delete(schema.judgements).where(schema.judgements.c.ticket_id == key))
        self.conn.execute(delete(schema.outcomes).where(schema.outcomes.c.ticket_id == key))
        self.conn.execute(delete(schema.tickets).where(schema.tickets.c.id == key))

    def add_service_user(self, user_id: Id) -> None:
        """Mark the API user intently writes as (write-back notes): its comments are never judged."""
        text = meta_value(self.conn, SERVICE_USERS)
        ids = set(orjson.loads(text)) if text else set()
        ids.add(user_id)
        self._note("service", orjson.dumps(user_id))
        self._current = False
        set_meta(self.conn, SERVICE_USERS, orjson.dumps(sorted(ids, key=str)).decode())

    def touch(self) -> None:
        """A new data version without a change (a store made before versions existed gets its first)."""
        self._note("touch")

    # --- judgements -----------------------------------------------------------------------------

    def put_judgements(self, result: TicketResult, policy: str) -> None:
        """Replace one ticket's judgements (and its outcome), and their counts in the rollups."""
        key = encode_id(result.ticket_id) or ""
        self._note("judged", key, policy)
        self._unjudged.discard(key)
        if policy != self._versions.get(JUDGED_POLICY):
            self._current = False  # judgements of two policies side by side
        table = schema.judgements
        rows = [judgement_row(judgement, policy) for judgement in result.judgements]
        rollups.replace_ticket(self.conn, key, rows)
        self.conn.execute(delete(table).where(table.c.ticket_id == key))
        if rows:
            insert_many(self.conn, table, rows)
        self.conn.execute(delete(schema.outcomes).where(schema.outcomes.c.ticket_id == key))
        if result.outcome is not None:
            insert_many(self.conn, schema.outcomes, [outcome_row(result.outcome)])

    def replace_judgements(self, results: Iterable[TicketResult], policy: str, save: Any = None) -> int:
        """Replace all stored judgements (and outcomes) with ``results``; returns how many judgements. ``results``
        must judge every ticket as stored in this transaction (e.g. from :meth:`histories`): the judgements are then
        current. ``save``: a policy to remember as the store's own, in the same transaction."""
        count = 0
        self.conn.execute(delete(schema.judgements))
        self.conn.execute(delete(schema.outcomes))
        rollups.clear(self.conn)
        counted = rollups.Builder(self.conn)
        rows: list[dict[str, Any]] = []
        outcomes: list[dict[str, Any]] = []
        for result in results:
            ticket_rows = [judgement_row(judgement, policy) for judgement in result.judgements]
            counted.add_ticket(encode_id(result.ticket_id) or "", ticket_rows)
            rows.extend(ticket_rows)
            if result.outcome is not None:
                outcomes.append(outcome_row(result.outcome))
            if len(rows) >= BATCH:
                insert_many(self.conn, schema.judgements, rows)
                count += len(rows)
                rows = []
            if len(outcomes) >= BATCH:
                insert_many(self.conn, schema.outcomes, outcomes)
                outcomes = []
        if rows:
            insert_many(self.conn, schema.judgements, rows)
            count += len(rows)
        if outcomes:
            insert_many(self.conn, schema.outcomes, outcomes)
        counted.finish()
        refresh_statistics(self.conn)  # every judgement is new: the planner's sample of them too
        self._note("judged all", policy, str(count))
        self._current = True
        self._unjudged.clear()
        self.set_meta(JUDGED_POLICY, policy)
        if save is not None:
            self.save_policy(save)
        return count

    def save_policy(self, policy: Any) -> None:
        """Remember ``policy`` as the store's own (later commands on this store judge the same way)."""
        set_meta(self.conn, SAVED_POLICY, policy_json(policy))

    # --- bookkeeping ----------------------------------------------------------------------------

    def set_state(self, key: str, value: str) -> None:
        table = schema.sync_state
        self.conn.execute(delete(table).where(table.c.key == key))
        self.conn.execute(insert(table).values(key=key, value=value))

    def mark_synced(self, ticket_id: Id, stamp: str) -> None:
        table = schema.sync_done
        self.conn.execute(delete(table).where(table.c.ticket_id == encode_id(ticket_id)))
        self.conn.execute(insert(table).values(ticket_id=encode_id(ticket_id), stamp=stamp))

    def clear_synced(self) -> None:
        self.conn.execute(delete(schema.sync_done))

    def set_meta(self, key: str, value: str) -> None:
        if key == JUDGED_POLICY:
            self._versions[JUDGED_POLICY] = value
        set_meta(self.conn, key, value)
