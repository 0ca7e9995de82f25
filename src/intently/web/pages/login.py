"""``/login`` and ``/logout``: local accounts, rate-limited attempts, session cookies, CSRF on both forms; and
``/account/password``, where a logged-in account changes its own password (the current one required, wrong
attempts counted by the same limits as logins)."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from intently.errors import IntentlyError
from intently.web.access import accounts, csrf
from intently.web.access.accounts import Session
from intently.web.access.sessions import (
    COOKIE,
    access,
    clear_cookie,
    client_address,
    current_session,
    read_cookie,
    safe_next,
    set_cookie,
    viewer,
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
    if not csrf.same(read_cookie(request, csrf.LOGIN_COOKIE), form.get(csrf.FIELD)):
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
    old = read_cookie(request, COOKIE)
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
    session_id = read_cookie(request, COOKIE) or ""  # there: the session was found by it
    await run_in_threadpool(accounts.end_session, request.app.state.intently.services.store, session_id)
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(response, request, COOKIE)
    return response


PASSWORD_PAGE = "/account/password"


@router.get(PASSWORD_PAGE)
async def password_page(request: Request, session: Annotated[Session, Depends(viewer)], done: str = "") -> Response:
    notice = "Password changed. Your other sessions have ended." if done == "1" else ""
    return page(request, "account_password.html.j2", session, message="", notice=notice)


@router.post(PASSWORD_PAGE)
async def change_password(request: Request, session: Annotated[Session, Depends(viewer)]) -> Response:
    form = await csrf.read_form(request)
    csrf.check(session, form)
    current, password, again = form.get("current", ""), form.get("password", ""), form.get("again", "")
    address = client_address(request)
    limiter = access(request).limiter

    def refused(message: str, status_code: int) -> Response:
        return page(request, "account_password.html.j2", session, message=message, notice="", status_code=status_code)

    wait = limiter.retry_after(session.account, address)
    if wait is not None:
        emit("password.limited", logging.WARNING, account=session.account, client=address, retry_in_s=wait)
        response = refused(f"Too many wrong passwords: try again in {wait} seconds.", 429)
        response.headers["Retry-After"] = str(wait)
        return response
    services = request.app.state.intently.services
    if await run_in_threadpool(accounts.authenticate, services.store, session.account, current) is None:
        limiter.failed(session.account, address)
        emit(
            "password.change_refused",
            logging.WARNING,
            account=session.account,
            client=address,
            reason="wrong current password",
        )
        return refused("The current password is wrong: nothing was changed.", 403)
    limiter.succeeded(session.account)
    if password != again:
        return refused("The two new passwords differ: nothing was changed.", 422)
    try:
        accounts.check_password(password)
        keep = read_cookie(request, COOKIE)

        def write() -> int | None:
            with services.writing():
                return accounts.set_password(services.store, session.account, password, keep_session=keep)

        ended = await run_in_threadpool(write)
    except IntentlyError as exc:
        return refused(f"{exc}: nothing was changed.", 422)
    emit(
        "password.changed", account=session.account, role=session.role, client=address, after={"sessions_ended": ended}
    )
    return RedirectResponse(PASSWORD_PAGE + "?done=1", status_code=303)
