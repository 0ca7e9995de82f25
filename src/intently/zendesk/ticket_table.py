"""The tickets of an export, kept in little memory while their audits are read.

:class:`TicketTable` keeps each ticket pickled, one after another in one buffer, found by id through a table of
offsets. Next to the tickets as objects this takes about a third of the memory; and processes forked to share the
work (:mod:`intently.sources.parallel`) read the buffer without writing to it, so its memory stays shared, where
reading an object writes its reference count and copies its memory page into the reading process.
"""

from __future__ import annotations

import dataclasses
import pickle
from array import array
from collections.abc import KeysView
from datetime import datetime, timezone
from operator import attrgetter

from intently.model import Id, Ticket

_FIELDS = tuple(field.name for field in dataclasses.fields(Ticket))
_VALUES = attrgetter(*_FIELDS)
_CREATED = _FIELDS.index("created_at")


def pickled(ticket: Ticket) -> bytes:
    """A ticket as :class:`TicketTable` keeps it: the tuple of its fields' values, pickled, with its creation time
    as ISO 8601 text where its time zone is a fixed offset (exact, and several times faster to write and to read
    than pickling the dataclass, or a time with its time zone, which both go through Python code)."""
    values = _VALUES(ticket)
    created = ticket.created_at
    if type(created.tzinfo) is timezone:
        values = (*values[:_CREATED], created.isoformat(), *values[_CREATED + 1 :])
    return pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)


def _unpickled(data: bytes | bytearray) -> Ticket:
    values = pickle.loads(data)
    ticket = object.__new__(Ticket)
    for name, value in zip(_FIELDS, values, strict=True):
        object.__setattr__(ticket, name, value)  # as the dataclass's own (frozen) __init__ and unpickling do
    if type(ticket.created_at) is str:
        object.__setattr__(ticket, "created_at", datetime.fromisoformat(ticket.created_at))
    return ticket


class TicketTable:
    """Ticket id → :class:`~intently.model.Ticket`, in the order ids were first put (a dict's order: an id taken
    out and put again goes last). A ticket put again replaces the one kept (its old bytes stay in the buffer)."""

    __slots__ = ("_data", "_ends", "_slots", "_starts")

    def __init__(self) -> None:
        self._data = bytearray()
        self._starts = array("Q")
        self._ends = array("Q")
        self._slots: dict[Id, int] = {}

    def put(self, ticket_id: Id, data: bytes) -> None:
        """Keep a ticket as :func:`pickled` gives it."""
        slot = self._slots.get(ticket_id)
        if slot is None:
            slot = self._slots[ticket_id] = len(self._starts)
            self._starts.append(0)
            self._ends.append(0)
        start = len(self._data)
        self._data += data
        self._starts[slot], self._ends[slot] = start, start + len(data)

    def get(self, ticket_id: Id) -> Ticket | None:
        slot = self._slots.get(ticket_id)
        if slot is None:
            return None
        return _unpickled(self._data[self._starts[slot] : self._ends[slot]])

    def pop(self, ticket_id: Id) -> None:
        self._slots.pop(ticket_id, None)

    def __contains__(self, ticket_id: object) -> bool:
        return ticket_id in self._slots

    def __len__(self) -> int:
        return len(self._slots)

    def keys(self) -> KeysView[Id]:
        """Every id, in order."""
        return self._slots.keys()
