"""The Settings page: where the policy in force comes from, write-back, and accounts. Everyone logged in sees it;
only an admin pauses or resumes write-back (a form with the session's CSRF token). Pausing is kept in the store, so
it outlasts a restart; on resume, only comments made from then on are written back. It links to the change of
one's own password (:mod:`.login`) and, for admins, to the accounts and tokens page (:mod:`.admin`, whose routes
come with this router)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from intently.web.access import csrf
from intently.web.access.accounts import Session
from intently.web.access.audit import audit
from intently.web.access.sessions import admin, viewer
from intently.web.pages import admin as admin_pages
from intently.web.pages.render import page

router = APIRouter(include_in_schema=False)
router.include_router(admin_pages.router)


@router.get("/settings")
async def settings_page(request: Request, session: Annotated[Session, Depends(viewer)]) -> Response:
    services = request.app.state.intently.services
    pause = await run_in_threadpool(services.write_back_pause)
    judged = await run_in_threadpool(services.store.judged_policy)
    return page(
        request,
        "settings_page.html.j2",
        session,
        active=services.active,
        judged_under=judged,
        write_back=services.settings.write_back,
        tag=services.settings.write_back_tag,
        pause=pause,
        since=await run_in_threadpool(services.write_back_since) if services.settings.write_back else None,
    )


@router.post("/settings/write-back")
async def write_back_switch(request: Request, session: Annotated[Session, Depends(admin)]) -> Response:
    form = await csrf.read_form(request)
    csrf.check(session, form)
    services = request.app.state.intently.services
    action = form.get("action")
    if action not in ("pause", "resume"):
        raise HTTPException(status_code=400, detail="action: pause or resume")
    if not services.settings.write_back:
        raise HTTPException(status_code=409, detail="write-back is off: start intently serve with --write-back")
    before = "paused" if await run_in_threadpool(services.write_back_pause) else "on"
    if action == "pause":
        await run_in_threadpool(services.pause_write_back, session.account)
    else:
        await run_in_threadpool(services.resume_write_back)
    after = "paused" if action == "pause" else "on"
    audit(request, session, f"admin.write_back_{action}d", before={"write_back": before}, after={"write_back": after})
    return RedirectResponse("/settings", status_code=303)
