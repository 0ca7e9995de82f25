"""How ``intently serve`` runs the app under uvicorn: the limits uvicorn does not set by itself.

- **Slow clients.** A request must arrive in full, headers and body, within ``Settings.request_timeout``
  seconds (10 by default) of its first byte; a connection's first request, of the connection opening. A client
  that sends byte by byte, or stops half-way, gets ``408`` and the connection is closed. (uvicorn only times out
  idle keep-alive connections: a half-sent request would hold a connection for ever.)
- **Proxies.** ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only from the proxies named in
  ``forwarded_allow_ips`` (uvicorn's option of that name: addresses, networks such as ``10.0.0.0/8``, or ``*``,
  comma-separated). Named none (the default), they are believed from nobody, not even 127.0.0.1: anyone on
  this machine could otherwise choose the client address the per-address login limit counts.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from typing import Any, cast

import h11
import orjson
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from intently.web.logs import emit

_TIMED_OUT = orjson.dumps({"detail": "request timeout: the request did not arrive in time"})
_RECEIVING = (h11.IDLE, h11.SEND_BODY)


class TimedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline on receiving each request (see the module's text)."""

    request_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and self.conn.their_state in _RECEIVING:
            self._arm()  # the first byte of the next request
        super().data_received(data)
        if self.conn.their_state not in _RECEIVING:
            self._disarm()  # received in full (or the connection is failing)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self.request_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        client = self.client[0] if self.client else None
        if self.conn.their_state is h11.IDLE and not self.conn.trailing_data[0]:
            # Not one byte of a request (a browser's spare connection, say): closed without a word.
            emit("http.timeout", logging.DEBUG, reason="idle connection closed", client=client)
            self.transport.close()
            return
        cycle = self.cycle if self.conn.their_state is h11.SEND_BODY else None
        if cycle is None or not cycle.response_started:
            # Nothing answered this request yet: say why before closing. The app, if it is waiting for the body,
            # sees the client gone and whatever it answers is dropped.
            if cycle is not None:
                cycle.disconnected = True
                cycle.message_event.set()
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(_TIMED_OUT), _TIMED_OUT)
            )
        emit(
            "http.timeout",
            logging.WARNING,
            reason=f"request not received in full within {self.request_timeout:g} s",
            client=client,
            http_status=408,
        )
        self.transport.close()


def timed_protocol(timeout: float) -> type[TimedH11Protocol]:
    """The protocol class with its deadline set (uvicorn makes one instance per connection)."""
    return cast(type[TimedH11Protocol], type("TimedH11Protocol", (TimedH11Protocol,), {"request_timeout": timeout}))


def trusted_proxies(value: str | None) -> str:
    """``--forwarded-allow-ips`` checked: comma-separated addresses and networks, or ``*``; "" trusts none.
    Raises ValueError naming an item that is neither (uvicorn would quietly never match it)."""
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    if items == ["*"]:
        return "*"
    for item in items:
        try:
            ipaddress.ip_network(item)  # an address is a network of one; 10.0.0.5/8 is refused
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network (10.0.0.5, 10.0.0.0/8, ::1, *)") from None
    return ",".join(items)


def server_config(
    app: FastAPI, *, host: str = "127.0.0.1", port: int = 8000, forwarded_allow_ips: str | None = None, **extra: Any
) -> uvicorn.Config:
    """The uvicorn configuration ``intently serve`` runs ``app`` (made by :func:`intently.web.create_app`) with;
    ``extra`` overrides other uvicorn options (tests shorten the graceful shutdown)."""
    timeout: float = app.state.intently.services.settings.request_timeout
    trusted = trusted_proxies(forwarded_allow_ips)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "http": timed_protocol(timeout),
        "ws": "none",
        "lifespan": "on",
        "log_config": None,
        "access_log": False,
        "server_header": False,
        "timeout_graceful_shutdown": 10,
        # Off unless a proxy is named: then X-Forwarded-* are taken from it only (never from the environment's
        # FORWARDED_ALLOW_IPS, which uvicorn would read when given None).
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted,
    }
    return uvicorn.Config(app, **{**options, **extra})
