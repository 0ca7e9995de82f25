"""What a Zendesk webhook delivery is about: which ticket, and which kind of event.

Two shapes arrive:

- an **event subscription** (Admin Center webhook subscribed to ticket events)::

    {"type": "zen:event-type:ticket.comment_added", "detail": {"id": "123", ...}, "event": {...},
     "id": "...", "time": "...", ...}

  Every ``zen:event-type:ticket.*`` type is taken (comment added, agent assignment changed, tags,
  followers, deleted ...: the worker reads the ticket as it is now, and removes a deleted ticket from the
  store); other event types (users, organisations ...) are ignored.
- a **trigger or automation** body, which the admin writes: ``{"ticket_id": "{{ticket.id}}"}`` or
  ``{"ticket": {"id": "{{ticket.id}}"}}``.

Only the ticket id is read from the body: the worker fetches the ticket and its audits from the API, so a
delivery never has to be trusted for anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from intently.model import MAX_ID, Id

TICKET_EVENT_PREFIX = "zen:event-type:ticket."
TRIGGER_EVENT = "trigger"
_TICKET_EVENT = re.compile(r"^zen:event-type:ticket\.[a-z][a-z0-9_]{0,80}$")


class BadPayload(ValueError):
    """A delivery that cannot be understood (answered 400)."""


@dataclass(frozen=True, slots=True)
class Parsed:
    ticket_id: Id | None
    """None when the delivery is ignored."""
    event_type: str
    ignored: str = ""
    """Why the delivery is ignored (an unknown or irrelevant event type); empty when it is taken."""


def parse_delivery(body: bytes) -> Parsed:
    """The ticket and event type of a delivery; :class:`BadPayload` for malformed JSON or a missing id."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadPayload("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadPayload("the body must be a JSON object")
    kind = data.get("type")
    if isinstance(kind, str) and kind.startswith("zen:event-type:"):
        if not _TICKET_EVENT.match(kind):
            return Parsed(None, _short(kind), ignored="not a ticket event")
        detail = data.get("detail")
        raw = detail.get("id") if isinstance(detail, dict) else None
        return Parsed(ticket_id(raw, "detail.id"), kind)
    if "ticket_id" in data:
        return Parsed(ticket_id(data["ticket_id"], "ticket_id"), TRIGGER_EVENT)
    ticket = data.get("ticket")
    if isinstance(ticket, dict) and "id" in ticket:
        return Parsed(ticket_id(ticket["id"], "ticket.id"), TRIGGER_EVENT)
    if kind is not None:
        return Parsed(None, _short(str(kind)), ignored="unknown event type")
    raise BadPayload("no ticket id: expected detail.id (event subscription), ticket_id or ticket.id (trigger)")


def ticket_id(value: Any, where: str) -> int:
    """A Zendesk ticket id: a positive integer, or a string of digits (Zendesk's placeholders are text)."""
    if isinstance(value, bool) or value is None:
        raise BadPayload(f"no ticket id in {where}")
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            raise BadPayload(f"{where} is not a ticket id")
        value = int(text)
    if not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise BadPayload(f"{where} is not a ticket id")
    return value


def _short(text: str) -> str:
    return text[:120]
