"""``/admin/users``: dashboard accounts and API tokens, for admins only (a viewer gets 403).

An admin adds and removes accounts, sets their roles, and creates and revokes API tokens: every change is a form
with the session's CSRF token and an audit log line (``admin.user_added``, ``admin.user_removed``,
``admin.user_role_changed``, ``admin.user_change_refused``, ``admin.token_created``, ``admin.token_revoked``).
The last admin can be neither removed nor made a viewer. A new token is shown once, on the page that answers the
form (never in a URL or a log), like ``intently token create``. The router is included by the Settings page's
(:mod:`intently.web.pages.settings`), which links here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from intently.errors import IntentlyError
from intently.web.access import accounts, csrf
from intently.web.access.accounts import ROLES, LastAdmin, Session
from intently.web.access.audit import audit
from intently.web.access.sessions import COOKIE, admin, clear_cookie
from intently.web.pages.render import page

router = APIRouter(include_in_schema=False)

PAGE = "/admin/users"


def _services(request: Request) -> Any:
    return request.app.state.intently.services


def _write(request: Request, work: Any, *args: Any, **kwargs: Any) -> Any:
    """``work(*args)`` while holding the store's write lock (one writer at a time on SQLite)."""
    services = _services(request)
    with services.writing():
        return work(*args, **kwargs)


async def _page(
    request: Request,
    session: Session,
    *,
    status_code: int = 200,
    message: str = "",
    notice: str = "",
    new_token: tuple[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    store = _services(request).store
    found = await run_in_threadpool(accounts.accounts, store)
    tokens = await run_in_threadpool(store.tokens)
    return page(
        request,
        "admin_users.html.j2",
        session,
        status_code=status_code,
        accounts=found,
        admins=sum(a.role == "admin" for a in found),
        tokens=tokens,
        roles=ROLES,
        message=message,
        notice=notice,
        new_token=new_token,
        form=form or {},
    )


async def _form(request: Request, session: Session) -> dict[str, str]:
    form = await csrf.read_form(request)
    csrf.check(session, form)
    return form


def _done(notice: str) -> Response:
    return RedirectResponse(f"{PAGE}?done={notice}", status_code=303)


NOTICES = {
    "added": "Account added.",
    "removed": "Account removed: its sessions ended and its API tokens were revoked.",
    "role": "Role changed: it applies from the account's next request, to its API tokens too.",
    "revoked": "Token revoked: requests with it are refused from now on.",
}


@router.get(PAGE)
async def users_page(request: Request, session: Annotated[Session, Depends(admin)], done: str = "") -> Response:
    return await _page(request, session, notice=NOTICES.get(done, ""))


@router.post(PAGE + "/add")
async def add_user(request: Request, session: Annotated[Session, Depends(admin)]) -> Response:
    form = await _form(request, session)
    name, role = form.get("name", "").strip(), form.get("role", "")
    password, again = form.get("password", ""), form.get("again", "")
    kept = {"name": name[: accounts.MAX_NAME], "role": role if role in ROLES else "viewer"}
    try:
        if role not in ROLES:
            raise IntentlyError("pick a role: viewer or admin")
        accounts.check_name(name)
        if password != again:
            raise IntentlyError("the two passwords differ: nothing was changed")
        accounts.check_password(password)
        added = await run_in_threadpool(
            _write, request, accounts.add_account, _services(request).store, name, role, password
        )
    except IntentlyError as exc:
        status = 409 if "exists" in str(exc) else 422
        return await _page(request, session, status_code=status, message=str(exc), form=kept)
    audit(request, session, "admin.user_added", after={"user": added.name, "role": added.role})
    return _done("added")


@router.get(PAGE + "/remove")
async def remove_confirm(request: Request, session: Annotated[Session, Depends(admin)], name: str = "") -> Response:
    """Asks before removing: what goes with the account (its sessions, its tokens)."""
    store = _services(request).store
    found = await run_in_threadpool(accounts.account, store, name)
    if found is None:
        return await _page(request, session, status_code=404, message=f"no user named {name!r}")
    tokens = [t for t in await run_in_threadpool(store.tokens) if t.user == found.name]
    return page(request, "admin_remove.html.j2", session, account=found, tokens=tokens)


@router.post(PAGE + "/remove")
async def remove_user(request: Request, session: Annotated[Session, Depends(admin)]) -> Response:
    form = await _form(request, session)
    name = form.get("name", "")
    store = _services(request).store
    found = await run_in_threadpool(accounts.account, store, name)
    if found is None:
        return await _page(request, session, status_code=404, message=f"no user named {name!r}")
    try:
        revoked = await run_in_threadpool(_write, request, accounts.remove_account, store, name, keep_an_admin=True)
    except LastAdmin as exc:
        audit(
            request,
            session,
            "admin.user_change_refused",
            status="last_admin",
            before={"user": found.name, "role": found.role},
        )
        return await _page(request, session, status_code=409, message=str(exc))
    if revoked is None:  # removed meanwhile
        return await _page(request, session, status_code=404, message=f"no user named {name!r}")
    audit(
        request,
        session,
        "admin.user_removed",
        before={"user": found.name, "role": found.role},
        after={"tokens_revoked": revoked},
    )
    if found.name == session.account:  # removed oneself: the session is gone
        response = RedirectResponse("/login", status_code=303)
        clear_cookie(response, request, COOKIE)
        return response
    return _done("removed")


@router.post(PAGE + "/role")
async def change_role(request: Request, session: Annotated[Session, Depends(admin)]) -> Response:
    form = await _form(request, session)
    name, role = form.get("name", ""), form.get("role", "")
    if role not in ROLES:
        return await _page(request, session, status_code=422, message="pick a role: viewer or admin")
    store = _services(request).store
    try:
        before = await run_in_threadpool(_write, request, accounts.set_role, store, name, role)
    except LastAdmin as exc:
        audit(
            request,
            session,
            "admin.user_change_refused",
            status="last_admin",
            before={"user": name, "role": "admin"},
            after={"user": name, "role": role},
        )
        return await _page(request, session, status_code=409, message=str(exc))
    if before is None:
        return await _page(request, session, status_code=404, message=f"no user named {name!r}")
    if before != role:
        audit(
            request,
            session,
            "admin.user_role_changed",
            before={"user": name, "role": before},
            after={"user": name, "role": role},
        )
    if name == session.account and role != "admin":
        return RedirectResponse("/settings", status_code=303)  # no longer an admin: this page is closed to them
    return _done("role")


@router.post("/admin/tokens/create")
async def create_token(request: Request, session: Annotated[Session, Depends(admin)]) -> Response:
    form = await _form(request, session)
    name, user, role = form.get("token", "").strip(), form.get("user", "").strip() or None, form.get("role", "")
    kept = {"token": name[: accounts.MAX_NAME], "user": user or "", "token_role": role}
    store = _services(request).store
    try:
        accounts.check_name(name)
        if user is None and role not in ROLES:
            raise IntentlyError("pick the token's role (viewer or admin), or the account it belongs to")
        secret = await run_in_threadpool(
            _write, request, store.create_token, name, role if role in ROLES else "viewer", user
        )
    except IntentlyError as exc:
        status = 409 if "exists" in str(exc) else 422
        return await _page(request, session, status_code=status, message=str(exc), form=kept)
    owner = await run_in_threadpool(store.token_owner, secret)
    carried = owner[1] if owner else role
    audit(request, session, "admin.token_created", after={"token": name, "role": carried, "user": user})
    return await _page(request, session, new_token=(name, secret))


@router.post("/admin/tokens/revoke")
async def revoke_token(request: Request, session: Annotated[Session, Depends(admin)]) -> Response:
    form = await _form(request, session)
    name = form.get("token", "")
    store = _services(request).store
    known = {t.name: t for t in await run_in_threadpool(store.tokens)}
    if not await run_in_threadpool(_write, request, store.revoke_token, name):
        return await _page(request, session, status_code=404, message=f"no token named {name!r}")
    token = known.get(name)
    audit(
        request,
        session,
        "admin.token_revoked",
        before={"token": name, "role": token.role if token else None, "user": token.user if token else None},
    )
    return _done("revoked")
