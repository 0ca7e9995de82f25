"""Records seen more than once are read once.

Zendesk's incremental exports repeat records across page boundaries and as they change, and exports made at
different times overlap; a neutral file may repeat a line. Every reader keeps one copy of each record: a copy
identical to the one kept (in what intently reads) is dropped silently; a newer version (a later ``updated_at``
or incremental-export stamp) replaces an older one silently, since that is how incremental exports work; two
copies of the same version that differ leave the later one in force, with one warning naming the record and
where its copies were.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from operator import attrgetter
from typing import Any, Generic, TypeVar

from intently.model import Event, Id

V = TypeVar("V")
_ID = attrgetter("id")


class Repeats(Generic[V]):
    """The copy in force of each record of one kind (``user``, ``ticket`` ...), by id."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._kept: dict[Id, tuple[Any, V, str]] = {}
        self._differing: dict[Id, list[str]] = {}

    def keep(self, key: Id, value: V, where: str, version: Any = "") -> bool:
        """Whether ``value`` (read at ``where``) is now the copy in force: the first copy, a newer ``version``,
        or a differing copy of the same version (noted for :meth:`warnings`). False for an identical or an older
        copy, which the caller drops."""
        kept = self._kept.get(key)
        if kept is not None:
            kept_version, kept_value, kept_where = kept
            if version < kept_version or (version == kept_version and value == kept_value):
                return False
            if version == kept_version:
                places = self._differing.setdefault(key, [kept_where])
                if where not in places:
                    places.append(where)
        self._kept[key] = (version, value, where)
        return True

    def kept(self, key: Id) -> V | None:
        """The value of the copy in force (None when there is none yet)."""
        kept = self._kept.get(key)
        return None if kept is None else kept[1]

    def warnings(self) -> list[str]:
        return [differing_copies(f"{self.kind} {key}", places) for key, places in self._differing.items()]


def differing_copies(what: str, places: Sequence[str]) -> str:
    """The one warning about a record whose copies differ."""
    return f"{what} appears more than once with different content ({', '.join(places)}): the last copy is used"


def unique_events(events: Sequence[Event]) -> tuple[list[Event], list[Id]]:
    """A ticket's events with each event id once (the last copy of a repeated id), and the ids whose copies
    differ. Cheap when nothing repeats, which is almost always."""
    if len(set(map(_ID, events))) == len(events):
        return events if isinstance(events, list) else list(events), []
    last: dict[Hashable, Event] = {}
    differing: dict[Id, None] = {}
    for event in events:
        earlier = last.pop(event.id, None)
        if earlier is not None and earlier != event:
            differing[event.id] = None
        last[event.id] = event
    return list(last.values()), list(differing)
