"""The ``/api`` endpoints (bearer token required): a ticket's judgements, and a reply checked before it is sent.

- ``GET /api/tickets/{id}/judgements``: the stored judgements (``classify --format jsonl`` objects), with
  the ticket's current assignee and preferred region, and its invitations to help (open ones first; with
  ``?agent_id=`` each says whether it asks that agent);
- ``POST /api/check-reply`` ``{"ticket_id", "agent_id", "public"}``: what this reply would be judged now,
  and for a drive-by the intentional path (see :mod:`intently.guide.advice`);
- ``POST /api/tickets/{id}/refresh`` (admin token): fetch and judge a ticket again now.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from starlette.concurrency import run_in_threadpool

from intently.guide import advice
from intently.guide.advice import reply_time, ticket_now
from intently.model import MAX_ID
from intently.web.access.audit import audit
from intently.web.access.tokens import Caller, admin, caller
from intently.web.ids import parse_id
from intently.web.logs import emit


class Problem(BaseModel):
    """An error answer: what was wrong, in words."""

    detail: Any


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not JSON"},
    401: {"model": Problem, "description": "No token, or not a valid one"},
    403: {"model": Problem, "description": "The token's role may not do this"},
    404: {"model": Problem, "description": "No such ticket or user in the store"},
}
router = APIRouter(prefix="/api", responses=_ERRORS)

IntId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
TextId = Annotated[str, Field(min_length=1, max_length=64)]


class CheckReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: IntId | TextId
    agent_id: IntId | TextId
    public: StrictBool


def unprocessable(where: str, field: str, message: str) -> HTTPException:
    """A 422 in the shape FastAPI's own validation errors have, as the schema documents."""
    return HTTPException(status_code=422, detail=[{"loc": [where, field], "msg": message, "type": "value_error"}])


def _policy(request: Request) -> dict[str, str]:
    services = request.app.state.intently.services
    return {"name": services.policy.name, "version": services.policy.version, "fingerprint": services.fingerprint}


@router.get("/tickets/{ticket_id}/judgements")
async def ticket_judgements(
    ticket_id: str,
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    agent_id: Annotated[str | None, Query(max_length=64, description="Say which invitations ask this agent")] = None,
) -> dict[str, Any]:
    wanted = parse_id(ticket_id, "ticket id")
    viewer = parse_id(agent_id, "agent id") if agent_id else None
    services = request.app.state.intently.services

    def read() -> dict[str, Any] | None:
        history = services.store.history(wanted)
        if history is None:
            return None
        directory, _ = services.directory()
        now = ticket_now(history, directory.users, services.policy, reply_time(history, datetime.now(UTC)))
        stored = services.store.ticket_judgements(wanted)
        judgements = [{**j.to_export(), "author": directory.name_of(j.author_id)} for j in stored]
        return {
            "ticket_id": history.ticket.id,
            "assignee_id": now.assignee_id,
            "assignee": directory.name_of(now.assignee_id) if now.assignee_id is not None else None,
            "preferred_region": now.preferred_region,
            "assignee_region": now.assignee_region,
            "policy": _policy(request),
            "judged_under": services.store.judged_policy(),
            "judgements": judgements,
            "solicitations": advice.invitations(history, directory, services.policy, viewer),
        }

    answer = await run_in_threadpool(read)
    if answer is None:
        raise HTTPException(status_code=404, detail="no such ticket in the store")
    emit("api.judgements", ticket_id=wanted, token=who.name, judgements=len(answer["judgements"]))
    return answer


@router.post("/check-reply")
async def check_reply(body: CheckReply, request: Request, who: Annotated[Caller, Depends(caller)]) -> dict[str, Any]:
    ticket_id = parse_id(body.ticket_id, "ticket id")
    agent_id = parse_id(body.agent_id, "agent id")
    services = request.app.state.intently.services

    def judge() -> dict[str, Any]:
        history = services.store.history(ticket_id)
        if history is None:
            raise HTTPException(status_code=404, detail="no such ticket in the store")
        directory, _ = services.directory()
        users = directory.users
        agent = users.get(agent_id)
        if agent is None:
            raise HTTPException(status_code=404, detail="no such user in the store (agent_id)")
        if not agent.is_agent:
            raise unprocessable("body", "agent_id", f"user {agent_id} is not an agent: only agent replies are judged")
        answer = advice.check_reply(history, users, services.policy, agent_id, body.public, datetime.now(UTC))
        if answer is None:
            raise unprocessable("body", "ticket_id", f"ticket {ticket_id} has no description yet: nothing to judge")
        return {
            "ticket_id": ticket_id,
            "agent_id": agent_id,
            "public": body.public,
            **answer,
            "policy": _policy(request),
        }

    answer = await run_in_threadpool(judge)
    emit("api.check_reply", ticket_id=ticket_id, token=who.name, status=answer["verdict"])
    return answer


@router.post("/tickets/{ticket_id}/refresh", status_code=202)
async def refresh_ticket(ticket_id: str, request: Request, who: Annotated[Caller, Depends(admin)]) -> JSONResponse:
    wanted = parse_id(ticket_id, "ticket id")
    if not isinstance(wanted, int):
        raise unprocessable("path", "ticket_id", "Zendesk ticket ids are numbers")
    web = request.app.state.intently
    key = f"api:{uuid.uuid4().hex}"

    def enqueue() -> bool:
        with web.services.writing():
            return bool(web.services.store.enqueue_delivery(key, wanted, "api.refresh", datetime.now(UTC)))

    await run_in_threadpool(enqueue)
    web.worker.wake()
    audit(request, who, "api.refresh", ticket_id=wanted, delivery_id=key, status="queued")
    return JSONResponse({"status": "queued", "ticket_id": wanted}, status_code=202)
