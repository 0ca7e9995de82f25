"""A cap on the size of every request body, applied before any route (or its login check) reads it.

Without it a route that takes a JSON body (``POST /api/check-reply``) has the whole body read and parsed before
its bearer token is looked at: anyone could make the server hold an unbounded body in memory. Here a body over
:data:`MAX_BODY` is refused with 413 on its Content-Length, before a byte of it is read, or as soon as the bytes
read pass the cap; a body within it is read here and handed on. The Zendesk webhook keeps its own cap and answer
(:mod:`intently.zendesk.live.webhooks`), so its path is passed through untouched.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 256 * 1024
"""The largest request body accepted (every form and API body is far smaller; forms are capped at 64 KiB too)."""
OWN_LIMIT = frozenset({"/webhooks/zendesk"})
"""Paths that cap their bodies themselves."""


class BodyLimit:
    """ASGI middleware: 413 for a request body over :data:`MAX_BODY` bytes."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in OWN_LIMIT:
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or ()).get(b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.limit:
            await _too_large(send, self.limit)
            return
        messages: list[Message] = []
        size = 0
        while True:  # the body, up to the cap, before any route sees the request
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                await _too_large(send, self.limit)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Send, limit: int) -> None:
    body = orjson.dumps({"detail": f"request body over {limit // 1024} KiB"})
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"cache-control", b"no-store"),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
