"""Dashboard sessions: a cookie with a random id, the session itself in the store (:mod:`.accounts`).

The cookie is HttpOnly, SameSite=Lax, Path=/ and Secure, except when ``secure_cookies`` is left automatic
(``None``) and the request came over plain http to 127.0.0.1, ::1 or localhost (a browser on the same machine,
no TLS proxy): a Secure cookie would never come back there. Behind a TLS proxy named with ``intently serve
--forwarded-allow-ips``, uvicorn takes the scheme from ``X-Forwarded-Proto``, so the cookie is Secure (and the
client's address, which the login limit counts, from ``X-Forwarded-For``: see :mod:`intently.web.server`).

Wherever a cookie is Secure it goes by its name with the ``__Host-`` prefix (``__Host-intently_session``): a
browser then keeps it only with Secure, Path=/ and no Domain, so a sibling subdomain (``x.example.com`` next to
``intently.example.com``) can neither plant nor overwrite it. Such a request reads the prefixed name only, never
the plain one a planted cookie would use. Where the cookie is not Secure (plain http to this machine, or
``--no-secure-cookies``) a browser would refuse the prefix, so the plain name is set and read there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from intently.web.access import accounts
from intently.web.access.accounts import Session
from intently.web.access.ratelimit import LoginLimiter

COOKIE = "intently_session"
HOST_PREFIX = "__Host-"
LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "[::1]", "localhost"})
PURGE_EVERY = 300.0
"""Seconds between two purges of expired sessions from the store."""


@dataclass
class AccessState:
    secure_cookies: bool | None = None
    """True: always Secure; False: never (plain http on a trusted network); None: Secure unless local http."""
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    purge_every: float = PURGE_EVERY
    clock: Callable[[], float] = time.monotonic
    last_purge: float | None = None
    """When (``clock``) expired sessions were last purged; None: not yet since the app started."""

    def purge_due(self) -> bool:
        """True for the first session lookup, then at most once every ``purge_every`` seconds (it then counts
        as done: a purge that fails is not retried before the next interval)."""
        now = self.clock()
        if self.last_purge is not None and now - self.last_purge < self.purge_every:
            return False
        self.last_purge = now
        return True


class LoginRequired(Exception):
    """Raised by :func:`viewer` for a request without a live session; answered by a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def access(request: Request) -> AccessState:
    state: AccessState = request.app.state.access
    return state


def secure_cookie(request: Request) -> bool:
    setting = access(request).secure_cookies
    if setting is not None:
        return setting
    return not (request.url.scheme == "http" and (request.url.hostname or "") in LOCAL_HOSTS)


def cookie_name(request: Request, name: str) -> str:
    """The name the cookie ``name`` goes by for this request: ``__Host-`` and ``name`` where it is Secure."""
    return HOST_PREFIX + name if secure_cookie(request) else name


def read_cookie(request: Request, name: str) -> str | None:
    """The request's cookie ``name`` under the name it goes by for this request (:func:`cookie_name`) only."""
    return request.cookies.get(cookie_name(request, name))


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    """Set the cookie ``name`` (under :func:`cookie_name`): HttpOnly, SameSite=Lax, Path=/, no Domain."""
    response.set_cookie(
        cookie_name(request, name),
        value,
        max_age=max_age,
        path="/",
        secure=secure_cookie(request),
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        cookie_name(request, name), path="/", secure=secure_cookie(request), httponly=True, samesite="lax"
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _here(request: Request) -> str:
    path = request.url.path
    return path + ("?" + request.url.query if request.url.query else "")


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


async def current_session(request: Request) -> Session | None:
    """The live session of the request's cookie, if any. Expired sessions are purged from the store here now and
    then (:meth:`AccessState.purge_due`), so they do not pile up between logins."""
    store = request.app.state.intently.services.store
    if access(request).purge_due():
        await run_in_threadpool(accounts.purge_sessions, store)
    session_id = read_cookie(request, COOKIE)
    if not session_id:
        return None
    found: Session | None = await run_in_threadpool(accounts.session, store, session_id)
    return found


async def viewer(request: Request) -> Session:
    """Any logged-in account; otherwise a redirect to the login page that comes back here."""
    found = await current_session(request)
    if found is None:
        raise LoginRequired(_here(request))
    return found


async def admin(session: Annotated[Session, Depends(viewer)]) -> Session:
    """An admin account: viewers get 403."""
    if session.role != "admin":
        raise HTTPException(status_code=403, detail="this needs an admin account")
    return session


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a path on this site only (never another host)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 2000:
        return "/"
    if any(ord(ch) < 32 for ch in value):
        return "/"
    return value
