"""Server-rendered dashboard pages: Jinja2 with autoescape on (every string from the data is escaped)."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Request
from jinja2 import Environment
from starlette.responses import HTMLResponse

from intently.report.templating import template_environment
from intently.web.access.accounts import Session
from intently.web.ids import ticket_path

NAV = (
    ("/", "Overview"),
    ("/tickets", "Tickets"),
    ("/engineers", "Engineers"),
    ("/pods", "Pods"),
    ("/regions", "Regions"),
    ("/outcomes", "Outcomes"),
    ("/pilot", "Pilot"),
    ("/policy", "Policy"),
    ("/settings", "Settings"),
)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""Pages load only this app's own stylesheet and run no script at all (``script-src`` falls back to 'none');
inline style attributes are allowed because the report's SVG charts carry one."""


@cache
def environment() -> Environment:
    return template_environment("intently.web", nav=NAV, ticket_path=ticket_path)


def page(
    request: Request, template: str, session: Session | None, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    html = environment().get_template(template).render(request_path=request.url.path, session=session, **context)
    headers = SECURITY_HEADERS if request.url.scheme != "https" else {**SECURITY_HEADERS, **HTTPS_ONLY}
    return HTMLResponse(html, status_code=status_code, headers=headers)


HTTPS_ONLY = {"Strict-Transport-Security": "max-age=31536000"}
"""Served over HTTPS (a TLS proxy that ``--forwarded-allow-ips`` names says so): browsers keep to HTTPS for a year."""
