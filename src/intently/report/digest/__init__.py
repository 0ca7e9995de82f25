"""The manager's digest (``intently digest``): a period's headline figures against the period before and the
tickets with the most drive-bys, as text, Slack mrkdwn and an HTML e-mail (:mod:`.summary`, :mod:`.message`), sent to
a Slack incoming webhook or over SMTP (:mod:`.send`)."""

from __future__ import annotations

from intently.report.digest.message import render_html, render_slack, render_text, slack_escape, subject_line
from intently.report.digest.summary import (
    DEFAULT_TOP,
    PERIODS,
    Digest,
    DriveByTicket,
    Figure,
    Period,
    build_digest,
    last_complete,
)
from intently.report.formatting import ticket_link

__all__ = [
    "DEFAULT_TOP",
    "PERIODS",
    "Digest",
    "DriveByTicket",
    "Figure",
    "Period",
    "build_digest",
    "last_complete",
    "render_html",
    "render_slack",
    "render_text",
    "slack_escape",
    "subject_line",
    "ticket_link",
]
