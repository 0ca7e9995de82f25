"""CSRF protection for every form: a synchronizer token per session, sent back in a hidden ``csrf`` field.

The login form has no session yet: it gets a random token in a short-lived HttpOnly cookie and the same token
in the form (double submit), so that no other site can log a browser in to an account of its choosing.
Form bodies are read here (``application/x-www-form-urlencoded``, at most 64 KiB), without python-multipart.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from fastapi import HTTPException, Request

from intently.web.access.accounts import Session

FIELD = "csrf"
LOGIN_COOKIE = "intently_login_csrf"
MAX_FORM = 64 * 1024


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded form fields (first value of each); 413 when too large, 415 for another content type."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise HTTPException(status_code=413, detail="form too large")
    if not body:
        return {}  # no fields at all: the CSRF check refuses it
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(status_code=415, detail="send the form as application/x-www-form-urlencoded")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(status_code=400, detail="the form is not UTF-8") from None
    return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}


def same(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def check(session: Session, form: dict[str, str]) -> None:
    """403 unless the form carries the session's CSRF token."""
    if not same(session.csrf, form.get(FIELD)):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token: reload the page and try again")
