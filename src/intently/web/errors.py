"""How the app answers errors: a page for browsers on dashboard pages, JSON for everything else; 422 that says
where a request is wrong without echoing it; 503 when the store is unavailable (so clients and proxies try
again later); 500 for anything else, logged without ticket text."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as db
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from intently.web.access.sessions import LoginRequired, current_session, login_url
from intently.web.logs import emit, error_text
from intently.web.pages.render import page

STORE_DOWN = "the store is unavailable: try again shortly"
RETRY_AFTER = "10"
_TITLES = {400: "Bad request", 403: "Not allowed", 404: "Not found", 429: "Too many attempts", 503: "Unavailable"}
_OUTAGE_STATES = ("08", "28", "3D", "53", "57", "58", "25006")
"""SQLSTATE classes and codes of a database that cannot be used now: connection, authorisation, no such database,
insufficient resources, operator intervention (shut down, terminated), system error, read-only transaction."""


def store_unavailable(exc: BaseException) -> bool:
    """Whether a database error means the store cannot be used now (unreachable, gone, read-only, locked), as
    opposed to a mistake in a statement."""
    if isinstance(exc, db.OperationalError | db.InterfaceError | db.TimeoutError | db.DisconnectionError):
        return True
    if not isinstance(exc, db.DBAPIError):
        return False
    return exc.connection_invalidated or _sqlstate(exc.orig).startswith(_OUTAGE_STATES)


def _sqlstate(error: BaseException | None) -> str:
    """The SQLSTATE of a driver's error (pg8000 keeps it under "C" in its first argument; psycopg as sqlstate)."""
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if state is None and error is not None and error.args and isinstance(error.args[0], dict):
        state = error.args[0].get("C")
    return state if isinstance(state, str) else ""


def install(app: FastAPI) -> None:
    """Register the app's error answers."""
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(LoginRequired, _login_required)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(db.DBAPIError, _database_error)
    app.add_exception_handler(db.TimeoutError, _database_error)
    app.add_exception_handler(Exception, _crashed)


class BadQuery(StarletteHTTPException):
    """A 400 for a page's query that offers ways back: (label, URL) links to the same page with the query mended,
    every other parameter as it came (the URLs encoded already: the page escapes them, nothing more)."""

    def __init__(self, detail: str, ways_back: Sequence[tuple[str, str]]) -> None:
        super().__init__(400, detail)
        self.ways_back = list(ways_back)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    # Browsers on dashboard pages get a page; API clients (and anything not asking for HTML) get JSON.
    path = request.url.path
    wants_page = "text/html" in request.headers.get("accept", "") and not path.startswith(("/api/", "/webhooks/"))
    if not wants_page:
        return await http_exception_handler(request, exc)
    try:
        session = await current_session(request)
    except Exception:  # the store is down: the page, without the account's menu
        session = None
    response = page(
        request,
        "error.html.j2",
        session,
        status_code=exc.status_code,
        status=exc.status_code,
        title=_TITLES.get(exc.status_code, "Something went wrong"),
        detail=str(exc.detail),
        ways_back=exc.ways_back if isinstance(exc, BadQuery) else [],
    )
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


async def _login_required(_: Request, exc: LoginRequired) -> RedirectResponse:
    return RedirectResponse(login_url(exc.next_path), status_code=303)


async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
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


async def _database_error(request: Request, exc: Exception) -> Response:
    if not store_unavailable(exc):
        raise exc  # a mistake, not an outage: answered 500 by _crashed
    emit("store.unavailable", logging.ERROR, method=request.method, path=request.url.path[:200], error=error_text(exc))
    unavailable = StarletteHTTPException(503, STORE_DOWN, headers={"Retry-After": RETRY_AFTER})
    return await _http_error(request, unavailable)


async def _crashed(request: Request, exc: Exception) -> Response:
    """A bug: logged, and answered as any other error is (a page for a browser, JSON for the API), saying no more
    than "internal error"."""
    emit("http.error", logging.ERROR, method=request.method, path=request.url.path[:200], error=error_text(exc))
    return await _http_error(request, StarletteHTTPException(500, "internal error"))
