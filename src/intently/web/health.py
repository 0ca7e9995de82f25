"""``GET /healthz``: for a load balancer or a monitor; no login, no secrets.

200 ``{"status": "ok", ...}`` when the store can be read and written and the worker runs (or is off, without
Zendesk); otherwise 503 with ``"status"`` ``"error"`` (the store) or ``"degraded"`` (the worker stopped) and a
``"reason"`` in words. Why the store failed goes to the log (``healthz.error``), never into the answer.

``"queue"`` counts the deliveries pending, done and failed, and, for the replicas sharing a PostgreSQL store,
those due now, claimed (by any replica and by this one: ``claimed_here``), the age in seconds of the oldest due
one and this replica's name in the claims (``replica``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from intently._version import __version__
from intently.web.logs import emit, error_text

router = APIRouter(include_in_schema=False)


def _unhealthy(reason: str, exc: Exception) -> JSONResponse:
    emit("healthz.error", logging.ERROR, reason=reason, error=error_text(exc))
    return JSONResponse({"status": "error", "reason": reason}, status_code=503)


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    web = request.app.state.intently
    services = web.services
    try:
        counts = await run_in_threadpool(services.store.delivery_counts)
        queue = await run_in_threadpool(services.store.queue_state, web.worker.replica, datetime.now(UTC))
    except Exception as exc:
        return _unhealthy("the store cannot be read", exc)
    try:
        await run_in_threadpool(services.check_writable)
    except Exception as exc:
        return _unhealthy("the store cannot be written", exc)
    worker_state = "running" if web.worker.running else ("stopped" if web.run_worker else "off")
    healthy = web.worker.running or not web.run_worker
    answer: dict[str, Any] = {
        "status": "ok" if healthy else "degraded",
        "version": __version__,
        "worker": worker_state,
        "webhooks": "enabled" if web.secret else "disabled (no secret)",
        "write_back": services.settings.write_back,
        "queue": {
            **{status: counts.get(status, 0) for status in ("pending", "done", "failed")},
            **{key: queue[key] for key in ("due", "claimed", "claimed_here", "oldest_due_age_s")},
            "replica": web.worker.replica.rpartition(":")[2],  # its random tag: no host name or process id
        },
    }
    if not healthy:
        answer["reason"] = "the webhook worker has stopped"
    return JSONResponse(answer, status_code=200 if healthy else 503)
