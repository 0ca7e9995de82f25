"""Bearer tokens for ``/api``: made by ``intently token create NAME``; only their hash is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

MAX_TOKEN = 256
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True, slots=True)
class Caller:
    name: str
    role: str


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers=_CHALLENGE)


async def caller(request: Request) -> Caller:
    """The token's owner, or 401."""
    header = request.headers.get("authorization")
    if not header:
        raise _unauthorised("missing bearer token: send Authorization: Bearer TOKEN (intently token create NAME)")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN:
        raise _unauthorised("expected Authorization: Bearer TOKEN")
    store = request.app.state.intently.services.store
    owner = await run_in_threadpool(store.token_owner, token)
    if owner is None:
        raise _unauthorised("unknown or revoked token")
    return Caller(*owner)


async def admin(who: Annotated[Caller, Depends(caller)]) -> Caller:
    if who.role != "admin":
        raise HTTPException(status_code=403, detail=f"token {who.name!r} is a viewer; this needs an admin token")
    return who
