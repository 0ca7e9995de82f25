"""``intently serve`` against hostile clients, over raw sockets to a real uvicorn on 127.0.0.1.

- A webhook without the signature headers is refused (401) at once, before its body is read: a 1 MB body that
  never arrives does not delay the answer.
- Slow clients: a request must arrive in full within ``Settings.request_timeout`` (10 s by default; 1 s here):
  headers that never end, a body sent byte by byte or stopped half-way get 408 and the connection is closed.
- ``X-Forwarded-For`` is believed only from the proxies named with ``--forwarded-allow-ips``: by default from
  nobody, so rotating it from one machine does not dodge the per-address login limit.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from intently.cli import app as cli_app
from intently.policy import load_policy
from intently.store import Store
from intently.web import Settings, create_app
from intently.web.access.ratelimit import LoginLimiter
from intently.web.access.sessions import COOKIE, AccessState
from intently.zendesk.live.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.dashboard_client import PASSWORD, dashboard, ensure_account, form_csrf
from tests.test_webhooks import SECRET, Served, captured, counts, event_body, log_lines, signed  # noqa: F401 - a fixture

QUICK = Settings(request_timeout=1.0)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as store:
        yield store


def _unused_client() -> object:
    raise AssertionError("Zendesk is never called here")


def _served(store: Store, settings: Settings, secret: str | None = SECRET) -> Served:
    app = create_app(
        store,
        load_policy(),
        _unused_client,
        write_back=False,
        webhook_secret=secret,
        settings=settings,
        run_worker=False,
    )
    return Served(app)


def _connect(served: Served) -> socket.socket:
    return socket.create_connection(("127.0.0.1", int(served.url.rsplit(":", 1)[1])), timeout=10)


def _head(headers: dict[str, str], path: str = "/webhooks/zendesk") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(sock: socket.socket, wait: float) -> tuple[bytes, float, bool]:
    """What the server sends until it closes the connection or ``wait`` seconds pass: (bytes, seconds taken,
    whether it closed the connection)."""
    started = time.monotonic()
    data = b""
    sock.settimeout(wait)
    try:
        while chunk := sock.recv(65536):
            data += chunk
        closed = True
    except TimeoutError:
        closed = False
    except ConnectionResetError:  # closed while bytes it never read were on their way
        closed = True
    return data, time.monotonic() - started, closed


def _trickle(sock: socket.socket, data: bytes, every: float = 0.05) -> None:
    """Send ``data`` byte by byte in the background until it is sent or the server hangs up."""

    def send() -> None:
        for index in range(len(data)):
            try:
                sock.sendall(data[index : index + 1])
            except OSError:
                return
            time.sleep(every)

    threading.Thread(target=send, daemon=True).start()


# --- webhooks refused before the body is read -----------------------------------------------------------


@pytest.mark.parametrize("secret", [SECRET, None], ids=["secret", "no-secret"])
def test_a_webhook_without_signature_headers_is_refused_before_its_body_is_read(
    store: Store, secret: str | None
) -> None:
    body = event_body(1)
    stamp = signed(body)[TIMESTAMP_HEADER]
    promised = {"Content-Type": "application/json", "Content-Length": str(1024 * 1024)}
    with _served(store, Settings(request_timeout=8.0), secret) as served:
        for extra in ({}, {SIGNATURE_HEADER: "c2lnbmF0dXJl"}, {TIMESTAMP_HEADER: stamp}, {SIGNATURE_HEADER: ""}):
            with _connect(served) as sock:
                sock.sendall(_head({**promised, **extra}))  # and not one byte of the 1 MB body, ever
                data, took, closed = _answer(sock, wait=5)
            assert data.startswith(b"HTTP/1.1 401 "), (extra, data[:100])
            assert took < 2.0 and closed, (extra, took, closed)  # at once, not after the 8 s request timeout
            assert b'"status":"rejected"' in data
        # A signed delivery still waits for its body, and is queued once it has come.
        with _connect(served) as sock:
            headers = {**signed(body), "Content-Length": str(len(body))}
            sock.sendall(_head(headers) + body)
            data, _, _ = _answer(sock, wait=1)
        assert data.startswith(b"HTTP/1.1 202 " if secret else b"HTTP/1.1 401 "), data[:100]
    assert counts(store) == ({"pending": 1} if secret else {})


# --- slow clients --------------------------------------------------------------------------------------


def test_slow_clients_get_408_and_the_connection_closed_after_the_request_timeout(
    store: Store,
    captured: list[logging.LogRecord],  # noqa: F811 - the fixture
) -> None:
    body = event_body(7)
    head = _head({**signed(body), "Content-Length": str(len(body))})
    slow: dict[str, tuple[bytes, Callable[[socket.socket], object] | None]] = {
        "headers that never end": (b"POST /webhooks/zendesk HTTP/1.1\r\nHost: 127.0.0.1\r\n", None),
        "headers byte by byte": (b"", lambda sock: _trickle(sock, head + body)),
        "the body byte by byte": (head, lambda sock: _trickle(sock, body)),
        "half the body, then nothing": (head + body[: len(body) // 2], None),
        "nothing at all": (b"", None),
    }

    def attempt(
        served: Served, first: bytes, then: Callable[[socket.socket], object] | None
    ) -> tuple[bytes, float, bool]:
        with _connect(served) as sock:
            sock.sendall(first)
            if then is not None:
                then(sock)
            return _answer(sock, wait=6)

    with _served(store, QUICK) as served, ThreadPoolExecutor(len(slow)) as pool:
        running = {what: pool.submit(attempt, served, *how) for what, how in slow.items()}
        answers = {what: future.result() for what, future in running.items()}
        # Nothing half-received was queued, and the server still answers a whole request at once.
        assert counts(store) == {}
        answer = httpx.post(f"{served.url}/webhooks/zendesk", content=body, headers=signed(body), timeout=5)
        assert answer.status_code == 202
    for what, (data, took, closed) in answers.items():
        assert closed and 0.8 < took < 3.0, (what, took, closed)  # cut off after the 1 s request timeout
        # 408, unless the client was still sending when the server hung up (then the kernel may reset it first)
        assert data[:13] in (b"", b"HTTP/1.1 408 "), (what, data[:100])
    for what in ("headers that never end", "half the body, then nothing"):
        assert answers[what][0].startswith(b"HTTP/1.1 408 "), what
    timeouts = [line for line in log_lines(captured) if line["event"] == "http.timeout"]
    assert sorted((line["level"], line.get("http_status"), line["client"]) for line in timeouts) == [
        ("debug", None, "127.0.0.1"),  # the connection that never sent a byte is closed quietly
        *[("warning", 408, "127.0.0.1")] * (len(slow) - 1),
    ]
    assert answers["nothing at all"][0] == b""


def test_a_slow_but_steady_request_within_the_timeout_is_served(store: Store) -> None:
    body = event_body(9)
    with _served(store, Settings(request_timeout=3.0)) as served, _connect(served) as sock:
        sock.sendall(_head({**signed(body), "Content-Length": str(len(body)), "Connection": "close"}))
        for start in range(0, len(body), len(body) // 8 + 1):  # in 8 pieces over about a second
            time.sleep(0.12)
            sock.sendall(body[start : start + len(body) // 8 + 1])
        data, _, _ = _answer(sock, wait=2)
    assert data.startswith(b"HTTP/1.1 202 "), data[:100]
    assert counts(store) == {"pending": 1}


# --- X-Forwarded-For ------------------------------------------------------------------------------------


def _failed_login(client: httpx.Client, name: str, forwarded_for: str) -> int:
    headers = {"X-Forwarded-For": forwarded_for}
    form = client.get("/login", headers=headers)
    data = {"csrf": form_csrf(form.text), "username": name, "password": "wrong password"}
    return client.post("/login", data=data, headers=headers).status_code


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)  # the limiter lives in memory, not in the store
def test_rotating_x_forwarded_for_does_not_dodge_the_per_address_login_limit(store: Store) -> None:
    with dashboard(store) as client:  # no proxy named: X-Forwarded-* are believed from nobody
        answers = [_failed_login(client, f"name{i}", f"198.51.100.{i}") for i in range(21)]
        assert answers == [401] * 20 + [429]  # 20 failures from 127.0.0.1, whatever the header said
        page = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "secure" not in page.headers["set-cookie"].lower()  # plain http to 127.0.0.1 it stays


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_behind_a_named_proxy_the_forwarded_address_is_the_one_counted(
    store: Store,
    captured: list[logging.LogRecord],  # noqa: F811 - the fixture
) -> None:
    ensure_account(store, "val", "viewer")
    limits = AccessState(limiter=LoginLimiter(per_name=5, per_address=5))
    with dashboard(store, forwarded_allow_ips="127.0.0.1", access=limits) as client:
        rotating = [_failed_login(client, f"name{i}", f"198.51.100.{i}") for i in range(8)]
        assert rotating == [401] * 8  # 8 clients behind the proxy, one failure each: none is limited
        one = [_failed_login(client, f"again{i}", "203.0.113.9") for i in range(6)]
        assert one == [401] * 5 + [429]  # one client behind the proxy, 5 failures: limited
        assert _failed_login(client, "other", "203.0.113.10") == 401
        # the proxy's own address is not limited: the right password from another client still logs in
        form = client.get("/login", headers={"X-Forwarded-For": "192.0.2.1"})
        data = {"csrf": form_csrf(form.text), "username": "val", "password": PASSWORD}
        assert client.post("/login", data=data, headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 303
        assert COOKIE in client.cookies
    failed = [line for line in log_lines(captured) if line["event"] in ("login.failed", "login.limited")]
    rotated = {f"198.51.100.{i}" for i in range(8)}
    assert {line["client"] for line in failed} == {*rotated, "203.0.113.9", "203.0.113.10"}


def test_serve_refuses_a_proxy_that_is_no_address(tmp_path: Path) -> None:
    for bad in ("10.0.0.5/8", "proxy.example.com", "10.0.0.5,nope"):
        result = CliRunner().invoke(cli_app, ["serve", "--db", str(tmp_path / "s.db"), "--forwarded-allow-ips", bad])
        assert result.exit_code == 2, (bad, result.output)
        assert "--forwarded-allow-ips" in result.output
