"""The ASGI app of ``intently serve``: webhooks in, judgements out, a worker in between."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intently._version import __version__
from intently.policy import Policy
from intently.store import Store
from intently.web import api
from intently.web.access.sessions import AccessState, LoginRequired, current_session, login_url
from intently.web.logs import elapsed_ms, emit, error_text
from intently.web.pages import dashboard, login
from intently.web.pages import policy as policy_pages
from intently.web.pages import settings as settings_page
from intently.web.pages import sidebar as sidebar_page
from intently.web.pages.render import page
from intently.web.services import DEFAULT_TAG, ClientFactory, Services, Settings
from intently.zendesk.live import webhooks
from intently.zendesk.live.webhooks import SeenSignatures
from intently.zendesk.live.worker import Worker


@dataclass
class WebState:
    services: Services
    worker: Worker
    secret: str | None
    seen: SeenSignatures
    run_worker: bool


def create_app(
    store: Store,
    policy: Policy,
    client_factory: ClientFactory,
    *,
    write_back: bool,
    webhook_secret: str | None,
    write_back_tag: str = DEFAULT_TAG,
    settings: Settings | None = None,
    run_worker: bool = True,
    secure_cookies: bool | None = None,
    access: AccessState | None = None,
    policy_source: str = "given",
    policy_from_file: bool = False,
) -> FastAPI:
    """The app. ``client_factory`` makes a Zendesk client (one per worker thread). Without a
    ``webhook_secret`` every webhook is refused with 401 (``intently serve`` refuses to start instead).
    ``run_worker=False`` serves requests but leaves the queue alone (deliveries wait for the next start).
    ``secure_cookies``: the dashboard's session cookie is Secure when True, never when False, and when None
    Secure unless the request is plain http to 127.0.0.1 or localhost (see :mod:`intently.web.access.sessions`).
    ``policy_source`` says where ``policy`` came from; with ``policy_from_file`` (a file given by --config,
    $INTENTLY_CONFIG or ./intently.yaml) admins cannot adopt another on the Policy page: the file would win at
    the next start."""
    settings = dataclasses.replace(settings or Settings(), write_back=write_back, write_back_tag=write_back_tag)
    services = Services(store, policy, client_factory, settings, policy_source, policy_from_file)
    worker = Worker(services)
    state = WebState(services, worker, webhook_secret or None, SeenSignatures(), run_worker)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if state.secret is None:
            emit("webhooks.disabled", logging.WARNING, reason="no webhook secret: every webhook is refused (401)")
        if settings.write_back:  # drive-bys made from now on are written back; earlier history never is
            await run_in_threadpool(services.write_back_since)
        emit("app.started", write_back=settings.write_back, status="worker on" if run_worker else "worker off")
        if run_worker:
            worker.start()
        try:
            yield
        finally:
            await run_in_threadpool(worker.stop)
            services.close_clients()
            emit("app.stopped")

    app = FastAPI(
        title="intently",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.intently = state
    app.state.access = access or AccessState(secure_cookies=secure_cookies)
    app.include_router(webhooks.router)
    app.include_router(api.router)
    app.include_router(login.router)
    app.include_router(dashboard.router)
    app.include_router(policy_pages.router)
    app.include_router(sidebar_page.router)
    app.include_router(settings_page.router)
    app.mount("/static", StaticFiles(packages=[("intently.web", "static")]), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Browsers on dashboard pages get a page; API clients (and anything not asking for HTML) get JSON.
        path = request.url.path
        wants_page = "text/html" in request.headers.get("accept", "") and not path.startswith(("/api/", "/webhooks/"))
        if not wants_page:
            return await http_exception_handler(request, exc)
        session = await current_session(request)
        titles = {400: "Bad request", 403: "Not allowed", 404: "Not found", 429: "Too many attempts"}
        response = page(
            request,
            "error.html.j2",
            session,
            status_code=exc.status_code,
            status=exc.status_code,
            title=titles.get(exc.status_code, "Something went wrong"),
            detail=str(exc.detail),
        )
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(_: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(login_url(exc.next_path), status_code=303)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        try:
            counts = await run_in_threadpool(store.delivery_counts)
        except Exception as exc:
            emit("healthz.error", logging.ERROR, error=error_text(exc))
            return JSONResponse({"status": "error", "reason": "the store is unavailable"}, status_code=503)
        worker_state = "running" if worker.running else ("stopped" if run_worker else "off")
        healthy = worker.running or not run_worker
        return JSONResponse(
            {
                "status": "ok" if healthy else "degraded",
                "version": __version__,
                "worker": worker_state,
                "webhooks": "enabled" if state.secret else "disabled (no secret)",
                "write_back": settings.write_back,
                "queue": {status: counts.get(status, 0) for status in ("pending", "done", "failed")},
            },
            status_code=200 if healthy else 503,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Say where the request is wrong, without echoing the input back.
        problems = [
            {
                "loc": [str(part) for part in error.get("loc", ())],
                "msg": str(error.get("msg", ""))[:200],
                "type": str(error.get("type", "value_error")),
            }
            for error in exc.errors()[:20]
        ]
        return JSONResponse({"detail": problems}, status_code=422)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        emit("http.error", logging.ERROR, method=request.method, path=request.url.path[:200], error=error_text(exc))
        return JSONResponse({"detail": "internal error"}, status_code=500)

    app.add_middleware(RequestLog)
    return app


class RequestLog:
    """One log line per request: method, path (no query string), status, duration. Health checks at debug."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            path = str(scope.get("path", ""))[:200]
            level = logging.DEBUG if path == "/healthz" else logging.INFO
            emit(
                "http.request",
                level,
                method=scope.get("method"),
                path=path,
                http_status=status,
                duration_ms=elapsed_ms(started),
            )
