"""``/login`` and ``/logout``: local accounts, rate-limited attempts, session cookies, CSRF on both forms."""

from __future__ import annotations

import logging
import secrets

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from intently.web.access import accounts, csrf
from intently.web.access.sessions import (
    COOKIE,
    access,
    clear_cookie,
    client_address,
    current_session,
    safe_next,
    set_cookie,
)
from intently.web.logs import emit
from intently.web.pages.render import page

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_AGE = 3600
WRONG = "Wrong user name or password."


def _form(
    request: Request, next_path: str, *, message: str = "", username: str = "", status_code: int = 200
) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html.j2",
        None,
        csrf=token,
        next=next_path,
        message=message,
        username=username,
        status_code=status_code,
    )
    set_cookie(response, request, csrf.LOGIN_COOKIE, token, LOGIN_CSRF_AGE)
    return response


@router.get("/login")
async def login_page(request: Request, next: str = "/") -> Response:
    target = safe_next(next)
    if await current_session(request) is not None:
        return RedirectResponse(target, status_code=303)
    return _form(request, target)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await csrf.read_form(request)
    if not csrf.same(request.cookies.get(csrf.LOGIN_COOKIE), form.get(csrf.FIELD)):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token: reload the login page")
    name = form.get("username", "")[: accounts.MAX_NAME]
    password = form.get("password", "")
    target = safe_next(form.get("next"))
    address = client_address(request)
    limiter = access(request).limiter
    wait = limiter.retry_after(name, address)
    if wait is not None:
        emit("login.limited", logging.WARNING, username=name, client=address, retry_in_s=wait)
        response = _form(
            request,
            target,
            message=f"Too many failed attempts: try again in {wait} seconds.",
            username=name,
            status_code=429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    store = request.app.state.intently.services.store
    account = await run_in_threadpool(accounts.authenticate, store, name, password)
    if account is None:
        limiter.failed(name, address)
        emit("login.failed", logging.WARNING, username=name, client=address, reason="wrong user name or password")
        return _form(request, target, message=WRONG, username=name, status_code=401)
    limiter.succeeded(name)
    old = request.cookies.get(COOKIE)
    if old:  # never keep a session id from before the login (session fixation)
        await run_in_threadpool(accounts.end_session, store, old)
    session_id, _ = await run_in_threadpool(accounts.start_session, store, account.name)
    emit("login.ok", account=account.name, role=account.role, client=address)
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, COOKIE, session_id, int(accounts.SESSION_LIFETIME.total_seconds()))
    clear_cookie(response, request, csrf.LOGIN_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    form = await csrf.read_form(request)
    csrf.check(session, form)
    await run_in_threadpool(accounts.end_session, request.app.state.intently.services.store, request.cookies[COOKIE])
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(response, request, COOKIE)
    return response
