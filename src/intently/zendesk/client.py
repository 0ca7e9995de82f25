"""A thin, typed client of the Zendesk Support REST API (httpx), and one ticket's history fetched live.

Only what intently needs: the account's people and fields, the cursor-based incremental ticket export,
a ticket and its audits, ``users/me`` and a safe ticket update (for write-back notes).

Behaviour on failures:

- ``429 Too Many Requests``: wait as long as ``Retry-After`` says, then try again (without it: as a ``5xx``);
  these waits are not failures: a request gives up only after :data:`MAX_RATE_LIMITED` of them in a row;
- ``5xx`` and connection failures or timeouts: back off exponentially (with jitter, capped) and try again,
  at most ``max_retries`` times;
- ``401``/``403``/``404``: stop at once with an :class:`~intently.errors.IntentlyError` that says what
  to check. Credentials never appear in messages, exceptions or reprs.

A ``PUT`` is only retried when Zendesk cannot have applied it (``429``, ``503``, or no connection was made).
"""

from __future__ import annotations

import ipaddress
import os
import random
import re
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from intently._version import __version__ as _version
from intently.errors import InputError, IntentlyError
from intently.model import Id, TicketHistory
from intently.zendesk.records import HistoryBuilder

EMAIL_VAR = "ZENDESK_EMAIL"
TOKEN_VAR = "ZENDESK_API_TOKEN"
OAUTH_VAR = "ZENDESK_OAUTH_TOKEN"
PAGE_SIZE = 100
"""Records per page of the list endpoints and of a ticket's audits (Zendesk's maximum)."""
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0
CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a connection: a host that never answers is reported within about this long."""
_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


SHOW_MANY = 100
"""Ids per ``show_many`` request (Zendesk's limit)."""


class ZendeskError(IntentlyError):
    """Zendesk answered with an error we do not retry, or kept failing."""

    def __init__(self, message: str, *, status: int | None = None, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.path = path


class ZendeskAuthError(ZendeskError):
    """401 or 403: the credentials are wrong or lack permission."""


class NotFoundError(ZendeskError):
    """404: no such record (or endpoint, or account)."""


class ConflictError(ZendeskError):
    """409: a safe update found the ticket changed since the stamp (fetch it again and retry)."""


class ZendeskUnavailableError(ZendeskError):
    """Zendesk kept failing (5xx, rate limits, no connection) after every retry."""


class BearerAuth(httpx.Auth):
    """OAuth access token as ``Authorization: Bearer ...``; its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(<hidden>)"


@dataclass
class TicketPage:
    """One page of the cursor-based incremental ticket export."""

    tickets: list[dict[str, Any]]
    users: list[dict[str, Any]]
    after_cursor: str | None
    end_of_stream: bool
    raw: dict[str, Any] = field(repr=False)


@dataclass
class UserPage:
    """One page of the cursor-based incremental user export."""

    users: list[dict[str, Any]]
    after_cursor: str | None
    end_of_stream: bool
    raw: dict[str, Any] = field(repr=False)


def base_url_for(*, subdomain: str | None = None, url: str | None = None) -> str:
    """``https://{subdomain}.zendesk.com`` or the given URL (scheme and host, no path), checked."""
    if (subdomain is None) == (url is None):
        raise IntentlyError("give exactly one of a Zendesk subdomain or a URL")
    if subdomain is not None:
        name = subdomain.strip().lower()
        if name.endswith(".zendesk.com"):
            name = name.removesuffix(".zendesk.com")
        if not _SUBDOMAIN.match(name):
            raise IntentlyError(f"not a Zendesk subdomain: {subdomain!r} (for https://acme.zendesk.com pass acme)")
        return f"https://{name}.zendesk.com"
    assert url is not None
    text = url.strip().rstrip("/")
    for suffix in ("/api/v2", "/api"):
        text = text.removesuffix(suffix)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IntentlyError(f"not a Zendesk URL: {url!r} (expected https://HOST)")
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise IntentlyError(f"give the Zendesk URL without a path, query or credentials, e.g. https://{parts.hostname}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise IntentlyError(f"refusing to send credentials over plain http to {parts.hostname}: use https://")
    return f"{parts.scheme}://{parts.netloc}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine: ``localhost`` or a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


MAX_RATE_LIMITED = 60
"""Rate-limit answers (429 with Retry-After) in a row after which a request gives up: Zendesk keeps asking an
account over its plan's limit to wait, so a long sync waits as told, but not for ever."""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _unreachable(exc: httpx.TransportError) -> str:
    """Why a host could not be reached, in words (never the request itself)."""
    text = str(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return f"no answer within {CONNECT_TIMEOUT:.0f} s (is the address right, and can this machine reach it?)"
    if any(
        sign in text
        for sign in (
            "Name or service not known",
            "nodename nor servname",
            "getaddrinfo",
            "name resolution",
            "No address associated",
        )
    ):
        return "the host name could not be found (check --subdomain or --url)"
    if "refused" in text.lower():
        return "the connection was refused (is the address and port right, and is the server running?)"
    return f"the connection failed ({type(exc).__name__})"


def _error_detail(response: httpx.Response) -> str:
    """Zendesk's own short explanation from an error body, if it has one."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(body, dict):
        return ""
    error: Any = body.get("error")
    description: Any = body.get("description")
    if isinstance(error, dict):
        description = error.get("message")
        error = error.get("title")
    parts = [str(part) for part in (error, description) if isinstance(part, str) and part]
    return " (" + ": ".join(parts)[:200] + ")" if parts else ""


class ZendeskClient:
    """A Zendesk Support API client. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        auth: httpx.Auth | tuple[str, str] | None,
        *,
        timeout: float = 30.0,
        max_retries: int = 8,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: Callable[[str, float], None] | None = None,
        credential_hint: str = "the Zendesk credentials",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        origin = urlsplit(self.base_url)
        self._origin = (origin.scheme, origin.netloc)
        if isinstance(auth, tuple):
            auth = httpx.BasicAuth(*auth)
        self.max_retries = max_retries
        self._sleep = sleep
        self.on_wait = on_wait
        self.credential_hint = credential_hint
        self.requests = 0
        """HTTP requests sent (retries included)."""
        self.answered = False
        """Whether the host has answered at all: until it has, a failure to connect stops at once (a wrong
        address or a host that is down is not worth backing off for); after, it is retried with backoff."""
        self._random = random.Random()
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
            headers={"Accept": "application/json", "User-Agent": f"intently/{_version}"},
            follow_redirects=False,
        )

    @classmethod
    def from_env(cls, *, subdomain: str | None = None, url: str | None = None, **kw: Any) -> ZendeskClient:
        """A client for ``https://{subdomain}.zendesk.com`` (or ``url``) with credentials from the environment:
        ``ZENDESK_EMAIL`` and ``ZENDESK_API_TOKEN`` (an API token), or ``ZENDESK_OAUTH_TOKEN``."""
        base = base_url_for(subdomain=subdomain, url=url)
        email = os.environ.get(EMAIL_VAR, "").strip()
        token = os.environ.get(TOKEN_VAR, "").strip()
        oauth = os.environ.get(OAUTH_VAR, "").strip()
        if email and token:
            auth: httpx.Auth = httpx.BasicAuth(f"{email}/token", token)
            hint = f"{EMAIL_VAR}/{TOKEN_VAR}"
        elif oauth and not (email or token):
            auth, hint = BearerAuth(oauth), OAUTH_VAR
        elif email or token:
            missing = TOKEN_VAR if email else EMAIL_VAR
            raise IntentlyError(
                f"{missing} is not set: set both {EMAIL_VAR} (the agent's e-mail address) and {TOKEN_VAR} "
                f"(an API token), or {OAUTH_VAR} alone"
            )
        else:
            raise IntentlyError(
                f"no Zendesk credentials: set {EMAIL_VAR} and {TOKEN_VAR} (an API token: Admin Center → Apps and "
                f"integrations → APIs → Zendesk API), or {OAUTH_VAR}, in the environment"
            )
        return cls(base, auth, credential_hint=hint, **kw)

    def __repr__(self) -> str:
        return f"ZendeskClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ZendeskClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- the endpoints --------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The user of these credentials (``GET /api/v2/users/me.json``)."""
        return _record(self._request("GET", "/api/v2/users/me.json"), "user")

    def ticket(self, ticket_id: Id) -> dict[str, Any]:
        return _record(self._request("GET", f"/api/v2/tickets/{ticket_id}.json"), "ticket")

    def ticket_audit_pages(self, ticket_id: Id) -> Iterator[dict[str, Any]]:
        """A ticket's audits, page by page, as Zendesk sent them (cursor pagination)."""
        return self.pages(f"/api/v2/tickets/{ticket_id}/audits.json")

    def ticket_audits(self, ticket_id: Id) -> list[dict[str, Any]]:
        return [audit for page in self.ticket_audit_pages(ticket_id) for audit in _records(page, "audits")]

    def users(self) -> Iterator[dict[str, Any]]:
        return self._records("users")

    def users_by_id(self, ids: Iterable[Id]) -> list[dict[str, Any]]:
        """The users with these ids (``GET /api/v2/users/show_many.json``, 100 ids a request); ids Zendesk does
        not know are left out."""
        wanted = [str(user_id) for user_id in dict.fromkeys(ids)]
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), SHOW_MANY):
            batch = ",".join(wanted[start : start + SHOW_MANY])
            found += _records(self._request("GET", "/api/v2/users/show_many.json", params={"ids": batch}), "users")
        return found

    def groups(self) -> Iterator[dict[str, Any]]:
        return self._records("groups")

    def group_memberships(self) -> Iterator[dict[str, Any]]:
        return self._records("group_memberships")

    def ticket_fields(self) -> Iterator[dict[str, Any]]:
        return self._records("ticket_fields")

    def incremental_tickets(
        self,
        *,
        start_time: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        include: str | None = None,
    ) -> TicketPage:
        """One page of ``GET /api/v2/incremental/tickets/cursor.json``: from ``start_time`` (epoch seconds)
        on the first request, from the previous page's ``after_cursor`` after that."""
        body = self._export("tickets", start_time, cursor, per_page, include)
        return TicketPage(
            tickets=_records(body, "tickets"),
            users=[u for u in body.get("users") or [] if isinstance(u, dict)],
            after_cursor=_cursor(body),
            end_of_stream=bool(body.get("end_of_stream")),
            raw=body,
        )

    def incremental_users(
        self, *, start_time: int | None = None, cursor: str | None = None, per_page: int | None = None
    ) -> UserPage:
        """One page of ``GET /api/v2/incremental/users/cursor.json`` (users changed since, in change order)."""
        body = self._export("users", start_time, cursor, per_page, None)
        return UserPage(
            users=_records(body, "users"),
            after_cursor=_cursor(body),
            end_of_stream=bool(body.get("end_of_stream")),
            raw=body,
        )

    def _export(
        self, kind: str, start_time: int | None, cursor: str | None, per_page: int | None, include: str | None
    ) -> dict[str, Any]:
        if (start_time is None) == (cursor is None):
            raise ValueError("give exactly one of start_time and cursor")
        params: dict[str, Any] = {"cursor": cursor} if cursor is not None else {"start_time": start_time}
        if per_page is not None:
            params["per_page"] = per_page
        if include:
            params["include"] = include
        return self._request("GET", f"/api/v2/incremental/{kind}/cursor.json", params=params)

    def update_ticket(
        self, ticket_id: Id, ticket: dict[str, Any], *, safe_update_stamp: str | None = None
    ) -> dict[str, Any]:
        """``PUT /api/v2/tickets/{id}.json``; with ``safe_update_stamp`` (the ticket's ``updated_at`` as read),
        Zendesk refuses the update with 409 if the ticket changed since: :class:`ConflictError`."""
        payload = dict(ticket)
        if safe_update_stamp is not None:
            payload["safe_update"] = True
            payload["updated_stamp"] = safe_update_stamp
        return self._request("PUT", f"/api/v2/tickets/{ticket_id}.json", json={"ticket": payload})

    # --- pagination -----------------------------------------------------------------------------

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every page of a list endpoint, as Zendesk sent it: cursor pagination (``meta.has_more``,
        ``meta.after_cursor``, ``links.next``), or the older offset shape (``next_page``)."""
        query: dict[str, Any] = {"page[size]": PAGE_SIZE, **(params or {})}
        target: str = path
        seen: set[str] = set()
        while True:
            body = self._request("GET", target, params=query)
            yield body
            meta = body.get("meta")
            links = body.get("links")
            following: str | None = None
            if isinstance(meta, dict):
                if not meta.get("has_more"):
                    return
                after = meta.get("after_cursor")
                if isinstance(after, str) and after:
                    query = {**query, "page[after]": after}
                    following = after
                elif isinstance(links, dict) and isinstance(links.get("next"), str):
                    target, query, following = links["next"], {}, links["next"]
                else:
                    return
            elif isinstance(body.get("next_page"), str):
                target, query, following = body["next_page"], {}, body["next_page"]
            else:
                return
            if following in seen:
                raise ZendeskError(f"Zendesk sent the same next page twice for {path}: stopping", path=path)
            seen.add(following)

    def _records(self, kind: str) -> Iterator[dict[str, Any]]:
        for page in self.pages(f"/api/v2/{kind}.json"):
            yield from _records(page, kind)

    # --- requests, retries and errors -----------------------------------------------------------

    def _target(self, target: str) -> tuple[str, str]:
        """(URL to request, path to show in messages); absolute URLs must stay on the account's origin."""
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            if (parts.scheme, parts.netloc) != self._origin:
                raise ZendeskError(f"Zendesk pointed to another host ({parts.netloc}): not following it")
            return target, parts.path
        return target, target.split("?", 1)[0]

    def _wait(self, message: str, seconds: float) -> None:
        if self.on_wait is not None:
            self.on_wait(message, seconds)
        self._sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
        return ceiling * self._random.uniform(0.5, 1.0)

    def _request(
        self,
        method: str,
        target: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        url, shown = self._target(target)
        what = f"{method} {shown}"
        safe_to_repeat = method in ("GET", "HEAD")
        attempt = limited = 0  # failures retried; rate-limit answers waited out (not failures)
        while True:
            self.requests += 1
            try:
                response = self._http.request(method, url, params=params, json=json)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                problem = type(exc).__name__
                if never_sent and not self.answered:
                    raise ZendeskUnavailableError(
                        f"cannot reach Zendesk at {self.base_url}: {_unreachable(exc)}",
                        method=method,
                        path=shown,
                    ) from None
                if not (safe_to_repeat or never_sent):
                    raise ZendeskError(
                        f"the connection to Zendesk failed during {what} ({problem}); it may or may not have "
                        "been applied",
                        method=method,
                        path=shown,
                    ) from None
                if attempt >= self.max_retries:
                    raise ZendeskUnavailableError(
                        f"cannot reach Zendesk at {self.base_url} for {what} ({problem}) after {attempt + 1} attempts",
                        method=method,
                        path=shown,
                    ) from None
                delay = self._backoff(attempt)
                self._wait(f"Connection to Zendesk failed ({problem}) for {what}; trying again in {delay:.1f} s", delay)
                attempt += 1
                continue
            self.answered = True
            status = response.status_code
            if status < 300:
                if not response.content:
                    return {}
                try:
                    body = orjson.loads(response.content)
                except orjson.JSONDecodeError:
                    raise ZendeskError(
                        f"Zendesk answered {what} with a body that is not JSON",
                        status=status,
                        method=method,
                        path=shown,
                    ) from None
                if not isinstance(body, dict):
                    raise ZendeskError(f"Zendesk answered {what} with JSON that is not an object", method=method)
                return body
            label = f"{status} {response.reason_phrase}".strip()
            retryable = status == 429 or status == 503 or (status >= 500 and safe_to_repeat)
            asked = _retry_after(response)
            if status == 429 and asked is not None:  # the plan's rate limit: wait as told, however often
                limited += 1
                if limited > MAX_RATE_LIMITED:
                    raise ZendeskUnavailableError(
                        f"Zendesk answered {label} for {what} {limited} times in a row: giving up for now (run "
                        "again later; a sync resumes where it stopped)",
                        status=status,
                        method=method,
                        path=shown,
                    )
                self._wait(f"Zendesk asked us to wait {asked:.0f} s (rate limit, {what})", asked)
                continue
            if retryable:
                if attempt >= self.max_retries:
                    raise ZendeskUnavailableError(
                        f"Zendesk answered {label} for {what} {attempt + 1} times: giving up for now "
                        "(run again later; a sync resumes where it stopped)",
                        status=status,
                        method=method,
                        path=shown,
                    )
                if status == 429 or asked is not None:
                    delay = asked if asked is not None else self._backoff(attempt)
                    reason = "rate limit" if status == 429 else label
                    self._wait(f"Zendesk asked us to wait {delay:.0f} s ({reason}, {what})", delay)
                else:
                    delay = self._backoff(attempt)
                    self._wait(f"Zendesk answered {label} for {what}; trying again in {delay:.1f} s", delay)
                attempt += 1
                continue
            raise self._failure(status, label, what, method, shown, response)

    def _failure(
        self, status: int, label: str, what: str, method: str, shown: str, response: httpx.Response
    ) -> ZendeskError:
        start = f"Zendesk answered {label} for {what}"
        if status == 401:
            return ZendeskAuthError(f"{start}: check {self.credential_hint}", status=status, method=method, path=shown)
        if status == 403:
            return ZendeskAuthError(
                f"{start}: the user of {self.credential_hint} may not do this (intently needs an agent or admin "
                "who can read tickets, users, groups and ticket fields)",
                status=status,
                method=method,
                path=shown,
            )
        if status == 404:
            return NotFoundError(
                f"{start}: not found (check the subdomain or URL {self.base_url}; a deleted ticket is not found "
                "either)",
                status=status,
                method=method,
                path=shown,
            )
        if status == 409:
            return ConflictError(
                f"{start}: the ticket changed since it was read (fetch it again){_error_detail(response)}",
                status=status,
                method=method,
                path=shown,
            )
        return ZendeskError(f"{start}{_error_detail(response)}", status=status, method=method, path=shown)


def _record(body: dict[str, Any], key: str) -> dict[str, Any]:
    record = body.get(key)
    if not isinstance(record, dict):
        raise ZendeskError(f'Zendesk answered without a "{key}" object')
    return record


def _cursor(body: dict[str, Any]) -> str | None:
    after = body.get("after_cursor")
    return after if isinstance(after, str) and after else None


def _records(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    records = body.get(key)
    if records is None:
        return []
    if not isinstance(records, list):
        raise ZendeskError(f'Zendesk answered with "{key}" that is not a list')
    return [record for record in records if isinstance(record, dict)]


def fetch_history(
    client: ZendeskClient,
    builder: HistoryBuilder,
    ticket_id: Id,
    ticket_record: dict[str, Any] | None = None,
    *,
    on_page: Callable[[dict[str, Any]], None] | None = None,
) -> TicketHistory:
    """One ticket's whole history, live: its record (fetched unless given) and every one of its audits.

    ``on_page`` sees each raw audit page as it arrives (to keep it, or to count audits).
    Raises :class:`NotFoundError` when the ticket is gone (deleted), and an
    :class:`~intently.errors.InputError` naming the ticket when a record cannot be read.
    """
    record = ticket_record if ticket_record is not None else client.ticket(ticket_id)
    pages: list[dict[str, Any]] = []
    for page in client.ticket_audit_pages(ticket_id):
        if on_page is not None:
            on_page(page)
        pages.append(page)
    return history_from_pages(builder, ticket_id, record, pages)


def history_from_pages(
    builder: HistoryBuilder, ticket_id: Id, record: dict[str, Any], pages: Iterable[dict[str, Any]]
) -> TicketHistory:
    """A ticket's history from its record and its audit pages as Zendesk sent them (e.g. built again with a
    directory that has learned new people, without fetching anything again)."""
    audits = [audit for page in pages for audit in _records(page, "audits")]
    try:
        return builder.history(record, audits)
    except KeyError as exc:
        raise InputError(
            "required field is missing", file=f"Zendesk ticket {ticket_id}", record="audits", field=str(exc)
        ) from None
    except (ValueError, TypeError) as exc:
        raise InputError(str(exc), file=f"Zendesk ticket {ticket_id}", field=getattr(exc, "field", None)) from None
