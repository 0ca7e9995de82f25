"""``HEAD`` answered as ``GET`` is, without the body (HTTP's rule; uptime monitors and link checkers send it).

The routes are declared for ``GET`` only; this middleware runs a ``HEAD`` request as a ``GET`` and drops the body
it answers with, keeping the status and every header (``Content-Length`` included), so a ``HEAD`` says exactly
what the ``GET`` would, login redirects and security headers too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: a ``HEAD`` request is served as ``GET``, its answer sent without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
