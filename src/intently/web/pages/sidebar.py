"""``/sidebar?ticket_id=N&agent_id=M``: the Zendesk sidebar panel as a page of its own, for testing and for
helpdesks without an app framework. It shows what the Zendesk app shows, from the same calls: the ticket's
assignee and preferred region, who has contributed and how, the open invitations to help, and what a public
reply or an internal note by the agent would be judged right now, with the intentional path for a drive-by."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from intently.guide.advice import check_reply, invitations, reply_time, ticket_now
from intently.web.access.accounts import Session
from intently.web.access.sessions import viewer
from intently.web.ids import parse_id, read_id
from intently.web.pages.render import page

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Session, Depends(viewer)]


@router.get("/sidebar")
async def sidebar(request: Request, session: Viewer, ticket_id: str = "", agent_id: str = "") -> Response:
    services = request.app.state.intently.services
    if not ticket_id:
        raise HTTPException(status_code=400, detail="say which ticket: /sidebar?ticket_id=N")
    if len(agent_id) > 64:
        raise HTTPException(status_code=400, detail="agent_id: an id of at most 64 characters")
    wanted = parse_id(ticket_id)

    def build() -> dict[str, Any] | None:
        history = services.store.history(wanted)
        if history is None:
            return None
        directory, _ = services.directory()
        users = directory.users
        agents = sorted((u for u in users.values() if u.is_agent), key=lambda u: u.name.lower())
        now = datetime.now(UTC)
        state = ticket_now(history, users, services.policy, reply_time(history, now))
        contributions: dict[Any, dict[str, Any]] = {}
        for judgement in services.store.ticket_judgements(wanted):
            entry = contributions.setdefault(
                judgement.author_id, {"name": directory.name_of(judgement.author_id), "verdicts": {}}
            )
            entry["verdicts"][judgement.verdict] = entry["verdicts"].get(judgement.verdict, 0) + 1
        agent = users.get(read_id(agent_id)) if agent_id else None
        if agent is not None and not agent.is_agent:
            agent = None
        context: dict[str, Any] = {
            "ticket": history.ticket,
            "assignee": directory.name_of(state.assignee_id) if state.assignee_id is not None else None,
            "assignee_region": state.assignee_region,
            "preferred_region": state.preferred_region,
            "contributions": list(contributions.values()),
            "agents": agents,
            "agent": agent,
            "answers": [],
            "solicitations": invitations(history, directory, services.policy, agent.id if agent else None),
        }
        if agent is not None:
            for label, public in (("A public reply", True), ("An internal note", False)):
                answer = check_reply(history, users, services.policy, agent.id, public, now)
                if answer is not None:
                    context["answers"].append({"label": label, **answer})
        return context

    context = await run_in_threadpool(build)
    if context is None:
        raise HTTPException(status_code=404, detail="no such ticket")
    return page(request, "sidebar.html.j2", session, agent_id=agent_id, **context)
