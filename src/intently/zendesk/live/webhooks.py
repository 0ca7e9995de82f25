"""``POST /webhooks/zendesk``: verify a delivery, queue it, answer at once.

Answers (Zendesk counts any 2xx as delivered and retries or trips its circuit breaker on errors):

=====  ==============================================================================================
202    ``{"status": "queued"}``: a genuine delivery about a ticket, stored in the queue
200    ``{"status": "duplicate"}``: this delivery was seen before (same invocation id; without one, same
       signature); nothing changes. A 2xx so that Zendesk's own retries of an acknowledged delivery stop.
200    ``{"status": "ignored"}``: a genuine delivery of an event type intently does not act on
400    malformed JSON, or no ticket id in a delivery that should carry one
401    no signature, a bad signature, or a timestamp more than 5 minutes away from now (either way); without
       the signature headers (or without a secret) at once, before the body is read
408    the body did not arrive in time (``Settings.request_timeout``; see :mod:`intently.web.server`)
413    a body over 1 MB (checked on Content-Length before reading, and while reading)
503    the queue could not be written (Zendesk will retry)
=====  ==============================================================================================

Nothing is stored unless the delivery is queued. The answer never waits for Zendesk: the worker fetches
and judges the ticket in the background. An answer given before the whole body was read closes the connection.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from intently.web.logs import elapsed_ms, emit, error_text
from intently.zendesk.live.payload import BadPayload, parse_delivery
from intently.zendesk.live.signature import (
    INVOCATION_HEADER,
    MAX_SKEW,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    refused_unread,
    verify,
)

router = APIRouter()
_SAFE_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class TooLarge(Exception):
    pass


class SeenSignatures:
    """The keys (:func:`delivery_key`) of deliveries already handled, for the 5-minute window in which a signed
    delivery is accepted: a retry answered at once, without reading the store. Not the signature alone: Zendesk
    signs the body and a timestamp in whole seconds, so two deliveries of one trigger's body in the same second
    (two updates of a ticket) share a signature, and only the invocation id tells them apart. A replay under
    another invocation id is queued; its ticket is fetched and judged again, which changes nothing."""

    def __init__(self, window_s: float = 2 * MAX_SKEW.total_seconds() + 60, limit: int = 200_000) -> None:
        self.window = window_s
        self.limit = limit
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        self._prune()
        return key in self._seen

    def add(self, key: str) -> None:
        self._seen[key] = time.monotonic()
        self._seen.move_to_end(key)
        self._prune()

    def _prune(self) -> None:
        oldest = time.monotonic() - self.window
        while self._seen:
            _, at = next(iter(self._seen.items()))
            if at >= oldest and len(self._seen) <= self.limit:
                break
            self._seen.popitem(last=False)


def delivery_key(invocation_id: str | None, signature: str) -> str:
    """The replay key: Zendesk's invocation id when sent (hashed if it is not a plain token), else the signature."""
    if invocation_id:
        text = invocation_id.strip()
        if _SAFE_KEY.match(text):
            return f"zendesk:{text}"
        return "zendesk:sha256:" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:48]
    return f"sig:{signature.strip()}"


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes: by Content-Length first, then while streaming."""
    length = request.headers.get("content-length")
    if length is not None:
        try:
            if int(length) > limit:
                raise TooLarge
        except ValueError:
            pass
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge
    return bytes(body)


def _answer(
    status_code: int, status: str, started: float, level: int = logging.INFO, *, unread: bool = False, **fields: Any
) -> JSONResponse:
    """The answer, logged. ``unread``: given before the whole body was read, so the connection is closed (the
    rest of the body is never read). A 503 says when to retry: Zendesk retries a 503 only with a Retry-After of at
    most a minute."""
    emit("webhook.received", level, http_status=status_code, status=status, duration_ms=elapsed_ms(started), **fields)
    body: dict[str, Any] = {"status": status}
    if fields.get("reason"):
        body["reason"] = fields["reason"]
    headers = {"Connection": "close"} if unread else {}
    if status_code == 503:
        headers["Retry-After"] = RETRY_AFTER
    return JSONResponse(body, status_code=status_code, headers=headers or None)


RETRY_AFTER = "10"
"""Seconds Zendesk is asked to wait before delivering again when the queue could not be written."""


@router.post("/webhooks/zendesk", include_in_schema=False)
async def zendesk_webhook(request: Request) -> JSONResponse:
    started = time.perf_counter()
    web = request.app.state.intently
    signature = request.headers.get(SIGNATURE_HEADER)
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    refused = refused_unread(web.secret, signature, timestamp)
    if refused is not None:
        return _answer(401, "rejected", started, logging.WARNING, unread=True, reason=refused.reason)
    try:
        body = await read_body(request, web.services.settings.max_body)
    except TooLarge:
        return _answer(413, "rejected", started, logging.WARNING, unread=True, reason="body over 1 MB")
    except ClientDisconnect:  # gone, or too slow (the server's request timeout): nobody reads this answer
        return _answer(408, "rejected", started, logging.WARNING, unread=True, reason="body not received")
    check = verify(web.secret, signature, timestamp, body, datetime.now(UTC))
    if not check.ok:
        return _answer(401, "rejected", started, logging.WARNING, reason=check.reason)
    assert signature is not None
    # Zendesk's invocation id names a delivery (its retries keep it); two deliveries of the same body signed in
    # the same second share a signature, so the signature names one only where no invocation id is sent.
    key = delivery_key(request.headers.get(INVOCATION_HEADER), signature)
    if key in web.seen:
        return _answer(200, "duplicate", started)
    try:
        parsed = parse_delivery(body)
    except BadPayload as exc:
        return _answer(400, "rejected", started, logging.WARNING, reason=str(exc))
    if parsed.ticket_id is None:
        web.seen.add(key)
        return _answer(200, "ignored", started, event_type=parsed.event_type, reason=parsed.ignored)
    services = web.services

    def enqueue() -> bool:
        with services.writing():
            return services.store.enqueue_delivery(key, parsed.ticket_id, parsed.event_type, datetime.now(UTC))

    try:
        queued = await run_in_threadpool(enqueue)
    except Exception as exc:
        return _answer(503, "error", started, logging.ERROR, reason="the queue is unavailable", error=error_text(exc))
    web.seen.add(key)
    fields: dict[str, Any] = {"ticket_id": parsed.ticket_id, "delivery_id": key, "event_type": parsed.event_type}
    if not queued:
        return _answer(200, "duplicate", started, **fields)
    web.worker.wake()
    return _answer(202, "queued", started, **fields)
