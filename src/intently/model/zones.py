"""Time zones by their IANA names (``Europe/Amsterdam``), as users and the policy's regions give them.

An abbreviation such as ``CST`` names no zone (it stands for several, and for none of their summer times): a
person is asked for the zone's name instead, with the likely one where there is one.
"""

from __future__ import annotations

import difflib
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_ABBREVIATIONS = {
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "MDT": "America/Denver",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "EDT": "America/New_York",
    "BST": "Europe/London",
    "CEST": "Europe/Paris",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
}
"""Common abbreviations that are not IANA names, and the zone most people mean by each."""


@cache
def known_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone (as the tz database spells it: ``Europe/Amsterdam``)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_hint(name: str) -> str:
    """What to write instead of an unknown zone: the likely zone's name, else the form of one."""
    meant = _ABBREVIATIONS.get(name.strip().upper())
    if meant is None:
        by_lower = {zone.lower(): zone for zone in _zones()}
        close = difflib.get_close_matches(name, _zones(), n=1, cutoff=0.8)
        meant = by_lower.get(name.strip().lower()) or (close[0] if close else None)
    if meant is not None:
        return f"did you mean {meant}?"
    return "use a zone's name, such as America/Chicago or Europe/Amsterdam"


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))
