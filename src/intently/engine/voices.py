"""Who speaks on a ticket: an agent's reply, the customer's words. One definition for the rules and the outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from intently.model import SYSTEM_USER_ID, Comment, Event, Id, User

MACHINE_CHANNELS = frozenset({"rule", "system"})
"""Comments made by triggers, automations or the system: nobody's words."""


def opening_comment(events: Iterable[Event]) -> Comment | None:
    """The ticket's first comment: its description, never a reply (events in time order)."""
    return next((event for event in events if isinstance(event, Comment)), None)


def is_agent_reply(users: Mapping[Id, User], comment: Comment, first: Comment | None) -> bool:
    """A public or internal comment by a known agent, other than the description and machine comments."""
    if comment is first or comment.via in MACHINE_CHANNELS:
        return False
    author = users.get(comment.author) if comment.author is not None else None
    return author is not None and author.is_agent


def is_customer(users: Mapping[Id, User], comment: Comment) -> bool:
    """Written by someone who is not an agent (a person the data does not know counts as a customer)."""
    if comment.via in MACHINE_CHANNELS or comment.author is None or comment.author == SYSTEM_USER_ID:
        return False
    author = users.get(comment.author)
    return author is None or not author.is_agent
