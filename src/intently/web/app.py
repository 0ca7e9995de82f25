"""The ASGI app of ``intently serve``: webhooks in, judgements out, a worker in between."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intently._version import __version__
from intently.policy import Policy
from intently.store import Store
from intently.web import api, errors, health
from intently.web.access.sessions import AccessState
from intently.web.head import HeadAsGet
from intently.web.limits import BodyLimit
from intently.web.logs import elapsed_ms, emit
from intently.web.pages import dashboard, login
from intently.web.pages import outcomes as outcome_pages
from intently.web.pages import policy as policy_pages
from intently.web.pages import settings as settings_page
from intently.web.pages import sidebar as sidebar_page
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
    app.include_router(outcome_pages.router)
    app.include_router(policy_pages.router)
    app.include_router(sidebar_page.router)
    app.include_router(settings_page.router)
    app.include_router(health.router)
    # the dashboard's stylesheet, and the charts' one it shares with the offline HTML report (which inlines it)
    static = StaticFiles(packages=[("intently.web", "static"), ("intently.report", "static")])
    app.mount("/static", static, name="static")

    errors.install(app)
    app.add_middleware(BodyLimit)  # inside the request log, so that a refused body is logged too
    app.add_middleware(HeadAsGet)
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
