"""Ticket and user ids as they come in URLs and request bodies."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import HTTPException

from intently.model import MAX_ID, MAX_ID_TEXT, Id


def read_id(value: int | str) -> Id | None:
    """The id as the store keeps it: ASCII digits are an integer (Zendesk's ids), anything else text. None for an
    id no ticket or user can have: a number out of range (at most 2**63 - 1), empty or too long text, control
    characters. Callers answer 404 for it, never look it up."""
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    text = value.strip()
    if text.isascii() and text.isdigit():
        number = int(text) if len(text) <= 20 else 0
        return number if 0 < number <= MAX_ID else None
    if not text or len(text) > MAX_ID_TEXT or not text.isprintable():
        return None
    return text


def parse_id(value: int | str, what: str = "ticket") -> Id:
    """:func:`read_id`, answering 404 for an id nothing can have."""
    found = read_id(value)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no such {what}")
    return found


def ticket_path(ticket_id: Id) -> str:
    """The ticket's page: its id encoded as one path segment (a text id may hold ``/``, ``?``, ``#`` or ``%``)."""
    return "/tickets/" + quote(str(ticket_id), safe="")


def engineer_path(user_id: Id) -> str:
    """The engineer's page, the id encoded as :func:`ticket_path` encodes it."""
    return "/engineers/" + quote(str(user_id), safe="")
