"""Numbers, shares, dates and links to Zendesk the way the report writes them (shared by the terminal and HTML
output, the digest and the dashboard)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from urllib.parse import quote

from markupsafe import Markup

from intently.model import Id
from intently.report.metrics import Share

SPARK = "▁▂▃▄▅▆▇█"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


LONG_TEXT = 10_000
"""Characters of one comment shown on a page; the rest is left out with a note (a comment can be 100 MB)."""


def shortened(text: str, limit: int = LONG_TEXT) -> tuple[str, int]:
    """``text`` cut to ``limit`` characters (at a space near the end when there is one), and how many were left
    out (0 when it fits)."""
    if len(text) <= limit:
        return text, 0
    cut = text.rfind(" ", max(0, limit - 200), limit)
    head = text[: cut if cut > 0 else limit]
    return head, len(text) - len(head)


_FORMULA = ("=", "+", "-", "@")


CSV_CELL = 32_000
"""Characters of one CSV cell at most: spreadsheets hold 32,767 in a cell and cut or refuse the rest."""


def csv_text(value: object) -> str:
    """A text cell of a CSV file from the data: control characters replaced (as :func:`clean_text`), a leading
    ``=``, ``+``, ``-`` or ``@`` neutralised with a quote so no spreadsheet runs it as a formula, and text over
    :data:`CSV_CELL` characters cut with an ellipsis (JSON keeps every character)."""
    text = clean_text(value)
    if len(text) > CSV_CELL:
        text = text[: CSV_CELL - 1] + "…"
    return "'" + text if text.lstrip().startswith(_FORMULA) else text


_HTML_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")
"""Control characters a page shows as boxes or obeys (escape sequences, bells, bidirectional overrides): every
one but the tab and the line feed, which comment texts keep."""


def page_text(value: object) -> object:
    """A value as a page shows it (every ``{{ }}`` of the HTML templates, before escaping): text from the data
    with its control characters replaced by a space each run, and cut to :data:`LONG_TEXT` characters with an
    ellipsis (a name or a subject can be 100 KB; comment texts are shortened before, with a note); markup made
    here keeps its form; anything else as it is."""
    if not isinstance(value, str):
        return value
    text = _HTML_CONTROL.sub(" ", value) if _HTML_CONTROL.search(value) else value
    if isinstance(value, Markup):
        return Markup(text) if text is not value else value
    return text if len(text) <= LONG_TEXT + 200 else text[:LONG_TEXT] + "…"


def clean_text(value: object) -> str:
    """Text from the data as one line a terminal shows as text: control characters (escape sequences, carriage
    returns, bells, bidirectional overrides) and line breaks become one space each run. Names, subjects and tags
    come from outside; none of them may move the cursor, recolour the screen or plant a link."""
    return _CONTROL.sub(" ", str(value))


_NOT_IN_BASE = frozenset("<>|\"'`\\ ")


def ticket_link(base: str | None, ticket_id: Id) -> str | None:
    """The ticket in Zendesk's agent interface (``https://acme.zendesk.com/agent/tickets/123``) when the base URL of
    the account is known (``https://acme.zendesk.com``); else None (the ticket is named by its id alone). A base
    with quotes, spaces or control characters gives None: the link goes into HTML, Slack and terminal escapes."""
    if not base:
        return None
    base = base.strip().rstrip("/")
    if not base.startswith(("https://", "http://")) or _CONTROL.search(base) or not _NOT_IN_BASE.isdisjoint(base):
        return None
    return f"{base}/agent/tickets/{quote(str(ticket_id), safe='')}"


VOICE_LABELS: dict[str, str] = {
    "0": "No public agent reply",
    "1": "1 agent",
    "2": "2 agents",
    "3": "3 agents",
    "4+": "4 or more agents",
}

VERDICT_COLOURS: dict[str, str] = {
    "assignee": "#6b7f99",
    "ownership_change": "#7d5bbe",
    "intentional": "#2e9a63",
    "drive_by": "#e0622a",
}
"""One colour per verdict, used by every chart: the assignee's own work slate blue, taking the ticket purple,
intentional help green, drive-by orange."""

OTHER_COLOUR = "#9aa5b1"
MUTED_COLOUR = "#d5dbe1"

RICH_VERDICT_STYLES: dict[str, str] = {
    "assignee": "steel_blue",
    "ownership_change": "medium_purple",
    "intentional": "green",
    "drive_by": "dark_orange",
}


def fmt_int(value: int) -> str:
    """``1,234``."""
    return f"{value:,}"


SHORT_TEXT_ID = 12
"""Characters kept of a long id that is text (a hash, a key): its start, as git shows a hash. A policy fingerprint
has exactly this many, so it is shown whole everywhere."""
SHORT_NUMBER_ID = 8
"""Digits kept of a long id that is a number (a Zendesk comment id has 14): its end, which tells neighbours apart
(ids count up, so ids made close together share their start)."""


def short_id(value: object) -> str:
    """A long identifier where it is only a label (not something a user types or looks up: ticket ids and user ids
    stay whole), in a short form: a number by its last digits (``…27814272``), text by its first characters
    (``3bf24e49ee63…``); a short id as it is. Show the whole value beside it (:func:`short_id_html` puts it in a
    ``title``); machine output (JSON, CSV, the API) keeps it whole."""
    text = clean_text(value)
    if text.isascii() and text.isdigit():
        return text if len(text) <= SHORT_NUMBER_ID + 1 else "…" + text[-SHORT_NUMBER_ID:]
    return text if len(text) <= SHORT_TEXT_ID + 1 else text[:SHORT_TEXT_ID] + "…"


def short_id_html(value: object) -> Markup:
    """:func:`short_id` for a page: the short form, with the whole id in its ``title`` when it was shortened."""
    text, short = clean_text(value), short_id(value)
    if short == text:
        return Markup("{}").format(text)
    return Markup('<span class="id" title="{}">{}</span>').format(text, short)


def fmt_pct(value: float | None, digits: int = 1) -> str:
    """``7.4%``; ``n/a`` when there was nothing to divide."""
    if value is None:
        return "n/a"
    return f"{value * 100:.{digits}f}%"


def fmt_share(value: Share) -> str:
    """``7.4% (123 of 1,662)``, or ``n/a (none)`` when the whole is 0."""
    if not value.whole:
        return "n/a (none)"
    return f"{fmt_pct(value.value)} ({fmt_int(value.part)} of {fmt_int(value.whole)})"


def _utc_day(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).date()
    return value


def fmt_short_date(value: date | datetime) -> str:
    """``7 Sep``: the one way a day is written in words, everywhere (the report, the dashboard, the digest, the
    terminal): the day without a leading zero, the month's short name; a time is taken in UTC. With the year:
    :func:`fmt_date`; two days: :func:`fmt_span`."""
    day = _utc_day(value)
    return f"{day.day} {day:%b}"


def fmt_date(value: date | datetime | None) -> str:
    """``7 Sep 2026`` (UTC); ``n/a`` for None."""
    if value is None:
        return "n/a"
    return f"{fmt_short_date(value)} {_utc_day(value).year}"


def fmt_span(first: date | datetime, last: date | datetime) -> str:
    """From ``first`` to ``last`` (both included, UTC), the year written once unless the span crosses one:
    ``7 Sep 2026``, ``7–13 Sep 2026``, ``28 Sep – 4 Oct 2026``, ``28 Dec 2026 – 3 Jan 2027``."""
    start, end = _utc_day(first), _utc_day(last)
    if start == end:
        return fmt_date(start)
    if start.year != end.year:
        return f"{fmt_date(start)} – {fmt_date(end)}"
    if start.month != end.month:
        return f"{fmt_short_date(start)} – {fmt_date(end)}"
    return f"{start.day}–{fmt_date(end)}"


def fmt_datetime(value: datetime | None) -> str:
    """``2026-03-02 09:00 UTC``."""
    if value is None:
        return "n/a"
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def fmt_period(first: datetime | None, last: datetime | None) -> str:
    """The days from the first comment to the last (:func:`fmt_span`), or ``no comments``."""
    if first is None or last is None:
        return "no comments"
    return fmt_span(first, last)


def sparkline(values: list[float | None]) -> str:
    """One character per value, scaled from 0 to the largest value; a space where there is no value."""
    known = [v for v in values if v is not None]
    top = max(known, default=0.0)
    chars = []
    for value in values:
        if value is None:
            chars.append(" ")
        elif top <= 0:
            chars.append(SPARK[0])
        else:
            chars.append(SPARK[min(len(SPARK) - 1, round(value / top * (len(SPARK) - 1)))])
    return "".join(chars)
