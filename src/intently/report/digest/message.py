"""The digest as words: plain text (the e-mail's text part and ``--dry-run``), Slack mrkdwn (an incoming webhook's
JSON) and HTML (the e-mail's HTML part).

Names and subjects come from the helpdesk: in Slack mrkdwn ``&``, ``<`` and ``>`` are escaped (so a subject can
neither plant a link nor ping ``<!channel>``), in HTML every value goes through :func:`html.escape`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from intently.report.digest.summary import Digest, DriveByTicket, Figure
from intently.report.formatting import fmt_datetime, fmt_int

_ARROW = {"up": "▲", "down": "▼", "same": "=", "n/a": "·"}


def slack_escape(text: str) -> str:
    """Text shown as itself in Slack mrkdwn: the three characters Slack asks to escape."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def subject_line(digest: Digest) -> str:
    """The e-mail's subject: the period and the drive-by share's move (no customer text)."""
    share = next((f for f in digest.figures if f.key == "drive_by_share"), None)
    tail = ""
    if share is not None and share.change is not None:
        tail = f": drive-by share {share.now_text.split(' ')[0]} ({_signed(share)})"
    return f"intently digest, {digest.period.name}{tail}"


def _signed(figure: Figure) -> str:
    change = figure.change
    if change is None:
        return "n/a"
    if figure.direction == "same":
        return "no change"
    return f"{change:+.1f} points" if figure.is_share else f"{round(change):+,}"


def _heading(digest: Digest) -> str:
    return f"intently digest: {digest.period.name}, against {digest.period.before_words}"


def _context(digest: Digest) -> str:
    latest = fmt_datetime(digest.last_judged_at) if digest.last_judged_at else "none"
    return f"Policy {digest.policy} · latest judged comment in the store: {latest} · days in UTC"


def _empty_note(digest: Digest) -> str | None:
    if digest.now.judged_comments:
        return None
    return (
        f"No agent comment was judged in this {digest.period.kind}. If there was work, the store is not being "
        "kept up to date (intently sync, or intently serve's webhooks)."
    )


def _ticket_words(ticket: DriveByTicket) -> str:
    """``3 drive-bys by Ana, Bo; assignee Cy`` (names as they are: the caller escapes them)."""
    count = f"{fmt_int(ticket.drive_bys)} drive-by{'' if ticket.drive_bys == 1 else 's'}"
    assignee = f"assignee {ticket.assignee}" if ticket.assignee else "unassigned"
    return f"{count} by {', '.join(ticket.authors)}; {assignee}"


def _no_list(digest: Digest) -> str:
    """What stands in for the list of tickets when it is empty: no drive-bys, or none asked for (``--top 0``)."""
    total = digest.drive_by_tickets
    if not total:
        return f"No drive-bys in this {digest.period.kind}."
    return f"{fmt_int(total)} ticket{'' if total == 1 else 's'} with a drive-by (none listed)."


def _top_heading(digest: Digest) -> str:
    shown, total = len(digest.top), digest.drive_by_tickets
    tickets = f"{fmt_int(total)} ticket{'' if total == 1 else 's'}"
    return f"Tickets with the most drive-bys ({shown} of {tickets} with a drive-by)"


# --- plain text -------------------------------------------------------------------------------------------------


def render_text(digest: Digest) -> str:
    lines = [_heading(digest), _context(digest), ""]
    empty = _empty_note(digest)
    if empty:
        lines += [empty, ""]
    for figure in digest.figures:
        lines.append(
            f"{_ARROW[figure.direction]} {figure.label}: {figure.now_text}, "
            f"{figure.change_text(digest.period.before_words)}"
        )
    lines.append("")
    if digest.top:
        lines.append(_top_heading(digest) + ":")
        for ticket in digest.top:
            subject = f' "{ticket.subject}"' if ticket.subject else ""
            where = f" {ticket.link}" if ticket.link else ""
            lines.append(f"  #{ticket.ticket_id}{subject}: {_ticket_words(ticket)}{where}")
    else:
        lines.append(_no_list(digest))
    return "\n".join(lines) + "\n"


# --- Slack ------------------------------------------------------------------------------------------------------


def render_slack(digest: Digest) -> dict[str, Any]:
    """An incoming webhook's body: one mrkdwn ``text`` (every name and subject escaped)."""
    lines = [f"*{slack_escape(_heading(digest))}*", f"_{slack_escape(_context(digest))}_", ""]
    empty = _empty_note(digest)
    if empty:
        lines += [slack_escape(empty), ""]
    for figure in digest.figures:
        lines.append(
            f"{_ARROW[figure.direction]} *{slack_escape(figure.label)}*: {slack_escape(figure.now_text)}, "
            f"{slack_escape(figure.change_text(digest.period.before_words))}"
        )
    lines.append("")
    if digest.top:
        lines.append(f"*{slack_escape(_top_heading(digest))}*")
        for ticket in digest.top:
            label = f"#{slack_escape(str(ticket.ticket_id))}"
            named = f"<{ticket.link}|{label}>" if ticket.link else label
            subject = f" {slack_escape(ticket.subject)}" if ticket.subject else ""
            lines.append(f"• {named}{subject}: {slack_escape(_ticket_words(ticket))}")
    else:
        lines.append(slack_escape(_no_list(digest)))
    return {"text": "\n".join(lines), "unfurl_links": False, "unfurl_media": False}


# --- HTML -------------------------------------------------------------------------------------------------------

_GOOD, _BAD, _MUTED = "#2f855a", "#b00020", "#616e7c"


def render_html(digest: Digest) -> str:
    """A small self-contained HTML e-mail (inline styles only: mail clients drop style sheets)."""
    rows = []
    for figure in digest.figures:
        good = figure.good_news
        colour = _MUTED if good is None else (_GOOD if good else _BAD)
        rows.append(
            "<tr>"
            f'<td style="padding:4px 8px;border-bottom:1px solid #e4e7eb">{escape(figure.label)}</td>'
            f'<td style="padding:4px 8px;border-bottom:1px solid #e4e7eb;text-align:right"><b>'
            f"{escape(figure.now_text)}</b></td>"
            f'<td style="padding:4px 8px;border-bottom:1px solid #e4e7eb;color:{colour}">'
            f"{escape(_ARROW[figure.direction])} {escape(figure.change_text(digest.period.before_words))}</td>"
            "</tr>"
        )
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(subject_line(digest))}</title></head>",
        '<body style="font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2933">',
        f'<h1 style="font-size:1.25rem">{escape(_heading(digest))}</h1>',
        f'<p style="color:{_MUTED}">{escape(_context(digest))}</p>',
    ]
    empty = _empty_note(digest)
    if empty:
        parts.append(f"<p><b>{escape(empty)}</b></p>")
    parts.append('<table style="border-collapse:collapse">' + "".join(rows) + "</table>")
    if digest.top:
        parts.append(f'<h2 style="font-size:1.05rem">{escape(_top_heading(digest))}</h2><ul>')
        for ticket in digest.top:
            label = f"#{escape(str(ticket.ticket_id))}"
            named = f'<a href="{escape(ticket.link, quote=True)}">{label}</a>' if ticket.link else label
            subject = f" {escape(ticket.subject)}" if ticket.subject else ""
            parts.append(f"<li>{named}{subject}: {escape(_ticket_words(ticket))}</li>")
        parts.append("</ul>")
    else:
        parts.append(f"<p>{escape(_no_list(digest))}</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
