"""``intently digest``: the manager's summary of a period against the one before, sent to a real HTTP receiver on
loopback (standing in for a Slack incoming webhook) and to a real SMTP server (aiosmtpd, with STARTTLS and a login
where a test needs them). The figures are checked against counts made here from the stored judgements; the
failures (an answer of 500, an SMTP server that refuses) end with a clear error, exit code 1 and no secret in the
output. The commands run in-process through ``intently.cli.main``, so exit codes are the real ones."""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from sqlalchemy import update

from intently.cli import main
from intently.demo import generate_export
from intently.model import Id
from intently.policy import Policy, load_policy
from intently.report.digest import Period, build_digest, last_complete, render_text, slack_escape, ticket_link
from intently.store import Store, encode_id, schema
from intently.store.pipeline import import_path
from intently.zendesk.sync import URL_KEY

START = date(2026, 8, 3)  # a Monday
UNTIL = date(2026, 9, 20)  # a Sunday: the digest's week is 14-20 Sep, against 7-13 Sep
WEEK = Period("week", date(2026, 9, 14), date(2026, 9, 21))
BEFORE = Period("week", date(2026, 9, 7), date(2026, 9, 14))
ZENDESK = "https://acme.zendesk.com"
HOSTILE = "<!channel> Refund & <script>alert(1)</script> *now*"
WEBHOOK_SECRET_PATH = "/services/T0AAA/B0BBB/xoxb-SECRET-webhook-9f3c"
SMTP_PASSWORD = "smtp-PASSWORD-5e1d"
SMTP_USER = "digest-bot"


# --- the store ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    db: str
    policy: Policy
    hostile_ticket: Id


def _week_drive_bys(store: Store, period: Period) -> Counter[Id]:
    return Counter(
        j.ticket_id for j in store.judgements(full=False) if j.verdict == "drive_by" and period.holds(j.created_at)
    )


def _demo_store(folder: Path, db: str) -> Demo:
    export = folder / "export"
    if not export.is_dir():
        generate_export(export, tickets=300, seed=3, start=START, days=56)
    policy = load_policy(export / "intently.yaml")
    with Store.open(db) as store:
        import_path(export, store, policy, save=True)
        with store.batch() as batch:  # as a sync leaves it: the account's address
            batch.set_state(URL_KEY, ZENDESK)
        # customer text that must be escaped: the subject of the ticket with the most drive-bys this week
        hostile = _week_drive_bys(store, WEEK).most_common(1)[0][0]
        with store.engine.begin() as conn:
            conn.execute(
                update(schema.tickets).where(schema.tickets.c.id == encode_id(hostile)).values(subject=HOSTILE)
            )
    return Demo(db, policy, hostile)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    folder = tmp_path_factory.mktemp("digest")
    return _demo_store(folder, str(folder / "store.db"))


@pytest.fixture(autouse=True)
def _clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in (
        "INTENTLY_DB",
        "INTENTLY_CONFIG",
        "INTENTLY_SLACK_WEBHOOK_URL",
        "INTENTLY_SMTP_HOST",
        "INTENTLY_SMTP_PORT",
        "INTENTLY_SMTP_USER",
        "INTENTLY_SMTP_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def said(self) -> str:
        """Both streams as one line (Rich wraps long errors)."""
        return " ".join((self.out + "\n" + self.err).split())


def intently(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> Ran:
    """``intently ARGS`` in this process, through the real entry point (exit codes as a shell sees them)."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["intently", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


# --- a Slack webhook stand-in: HTTP on loopback ---------------------------------------------------------------


@dataclass
class Receiver:
    url: str
    posts: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200
    answer: bytes = b"ok"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            state.posts.append((self.path, dict(self.headers), body))
            self.send_response(state.status)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(state.answer)))
            self.end_headers()
            self.wfile.write(state.answer)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}{WEBHOOK_SECRET_PATH}"
    yield state
    server.shutdown()
    server.server_close()


# --- an SMTP server: aiosmtpd on loopback ---------------------------------------------------------------------


@dataclass
class Mailbox:
    port: int
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[tuple[str, str, bool]] = field(default_factory=list)
    """(user, password, over TLS) of every login tried."""
    refuse: set[str] = field(default_factory=set)
    """Recipients answered 550."""


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.box.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.box.messages.append((str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _authenticator(box: Mailbox) -> Any:
    def check(server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        user, password = data.login.decode(), data.password.decode()
        box.logins.append((user, password, session.ssl is not None))
        return AuthResult(success=(user, password) == (SMTP_USER, SMTP_PASSWORD), handled=False)

    return check


@contextmanager
def smtp_server(*, tls: ssl.SSLContext | None = None, auth: bool = False) -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1: with ``tls`` it offers STARTTLS (and a login only over TLS); with ``auth`` it
    takes :data:`SMTP_USER` and :data:`SMTP_PASSWORD`."""
    box = Mailbox(_free_port())
    options: dict[str, Any] = {"auth_require_tls": tls is not None}
    if tls is not None:
        options["tls_context"] = tls
    if auth:
        options["authenticator"] = _authenticator(box)
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=box.port, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made by openssl): the server's, and the client's only trusted one."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is needed to make the test server's certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def _server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


def _smtp_env(monkeypatch: pytest.MonkeyPatch, box: Mailbox, *, login: bool = False) -> None:
    monkeypatch.setenv("INTENTLY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("INTENTLY_SMTP_PORT", str(box.port))
    if login:
        monkeypatch.setenv("INTENTLY_SMTP_USER", SMTP_USER)
        monkeypatch.setenv("INTENTLY_SMTP_PASSWORD", SMTP_PASSWORD)


def _no_secret(ran: Ran, receiver: Receiver | None = None) -> None:
    text = ran.out + ran.err
    assert SMTP_PASSWORD not in text
    assert "SECRET-webhook" not in text and WEBHOOK_SECRET_PATH not in text
    if receiver is not None:
        assert receiver.url not in text


def _args(demo: Demo, *more: str) -> list[str]:
    return ["digest", "--period", "week", "--until", UNTIL.isoformat(), "--db", demo.db, *more]


# --- what it says ---------------------------------------------------------------------------------------------


def test_periods_are_whole_days_weeks_and_months_in_utc() -> None:
    assert last_complete("day", date(2026, 9, 21)) == Period("day", date(2026, 9, 20), date(2026, 9, 21))
    # a week is Monday to Sunday: on a Monday, the week that just ended; later in the week, still that one
    assert last_complete("week", date(2026, 9, 21)) == WEEK
    assert last_complete("week", date(2026, 9, 24)) == WEEK
    assert last_complete("week", date(2026, 9, 20)) == BEFORE
    assert WEEK.previous() == BEFORE
    assert last_complete("month", date(2026, 3, 1)) == Period("month", date(2026, 2, 1), date(2026, 3, 1))
    january = last_complete("month", date(2026, 2, 14))
    assert january.previous() == Period("month", date(2025, 12, 1), date(2026, 1, 1))
    assert [p.name for p in (WEEK, last_complete("week", date(2026, 10, 5)), january)] == [
        "week of 14–20 Sep 2026",
        "week of 28 Sep – 4 Oct 2026",
        "January 2026",
    ]
    assert last_complete("day", date(2026, 9, 21)).name == "Sunday 20 Sep 2026"
    late = datetime(2026, 9, 20, 23, 59, tzinfo=UTC)
    assert WEEK.holds(late) and not WEEK.holds(late + timedelta(minutes=1))
    with pytest.raises(ValueError):
        last_complete("year", date(2026, 1, 1))


def test_ticket_links_point_at_zendesks_agent_interface() -> None:
    assert ticket_link("https://acme.zendesk.com", 123) == "https://acme.zendesk.com/agent/tickets/123"
    assert ticket_link("https://acme.zendesk.com/", 7) == "https://acme.zendesk.com/agent/tickets/7"
    assert ticket_link(None, 7) is None and ticket_link("", 7) is None
    assert ticket_link("javascript:alert(1)", 7) is None
    assert ticket_link("https://a.zendesk.com/x>|<", 7) is None
    assert ticket_link("https://support.example.com", "a/b c") == "https://support.example.com/agent/tickets/a%2Fb%20c"
    assert slack_escape("<!channel> & <b>") == "&lt;!channel&gt; &amp; &lt;b&gt;"


def _expected(store: Store, period: Period) -> dict[str, Any]:
    """The figures of ``period`` counted here, straight from the stored judgements."""
    mine = [j for j in store.judgements(full=False) if period.holds(j.created_at)]
    contributor_public = [j for j in mine if j.public and j.author_id != j.assignee_id]
    return {
        "judged": len(mine),
        "tickets": len({j.ticket_id for j in mine}),
        "drive_bys": sum(j.verdict == "drive_by" for j in mine),
        "drive_by_tickets": len({j.ticket_id for j in mine if j.verdict == "drive_by"}),
        "share": (sum(j.verdict == "drive_by" for j in contributor_public), len(contributor_public)),
    }


def _count_change(now: int, before: int, words: str = "the week before") -> str:
    if now == before:
        return f"no change from {words} ({before:,})"
    relative = f" ({(now - before) / before:+.1%})" if before else ""
    return f"{'up' if now > before else 'down'} {abs(now - before):,}{relative} from {before:,} {words}"


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
def test_the_figures_are_the_weeks_against_the_week_before(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = _demo_store(tmp_path, store_url)
    with Store.open(store_url) as store:
        now, before = _expected(store, WEEK), _expected(store, BEFORE)
        top = _week_drive_bys(store, WEEK)
    assert now["drive_bys"] and before["drive_bys"] and now["judged"] != before["judged"]  # something to compare

    ran = intently(capsys, monkeypatch, *_args(demo, "--dry-run"))
    assert ran.code == 0, ran.err
    text = ran.out
    assert text.startswith("intently digest: week of 14–20 Sep 2026, against the week before\n")
    assert f"Judged agent comments: {now['judged']:,}, {_count_change(now['judged'], before['judged'])}" in text
    assert f"Tickets worked: {now['tickets']:,}, {_count_change(now['tickets'], before['tickets'])}" in text
    assert f"Drive-bys: {now['drive_bys']:,}, {_count_change(now['drive_bys'], before['drive_bys'])}" in text
    changed = _count_change(now["drive_by_tickets"], before["drive_by_tickets"])
    assert f"Tickets with a drive-by: {now['drive_by_tickets']:,}, {changed}" in text
    (part, whole), (was_part, was_whole) = now["share"], before["share"]
    share, was = part / whole * 100, was_part / was_whole * 100
    points = f"{'up' if share > was else 'down'} {abs(share - was):.1f} points from {was:.1f}% the week before"
    assert f"Drive-by share of contributor public replies: {share:.1f}% ({part} of {whole}), {points}" in text
    arrow = "▲" if share > was else "▼"
    assert f"{arrow} Drive-by share" in text

    # the tickets with the most drive-bys, most first, each with its Zendesk link; the subject as plain text
    listed = [line.split()[0].lstrip("#") for line in text.splitlines() if line.startswith("  #")]
    counts = [top[int(ticket)] for ticket in listed]
    assert len(listed) == min(5, len(top)) and counts == sorted(counts, reverse=True) and counts[0] == max(top.values())
    assert f"(5 of {len(top)} tickets with a drive-by)" in text
    for ticket in listed:
        assert f"{ZENDESK}/agent/tickets/{ticket}" in text
    assert f'#{demo.hostile_ticket} "{HOSTILE}"' in text
    assert "Dry run: nothing was sent." in ran.err


def test_without_the_accounts_address_tickets_are_plain_ids(demo: Demo) -> None:
    with Store.open(demo.db) as store:
        digest = build_digest(store.judgements(full=False), store.directory().users, demo.policy, WEEK, top=3)
    text = render_text(digest)
    assert digest.top and all(t.link is None for t in digest.top)
    assert "zendesk.com" not in text and f"#{digest.top[0].ticket_id}" in text
    with Store.open(demo.db) as store:
        none_listed = build_digest(store.judgements(full=False), {}, demo.policy, WEEK, top=0)
    assert none_listed.top == [] and none_listed.drive_by_tickets == digest.drive_by_tickets
    assert f"{digest.drive_by_tickets} tickets with a drive-by (none listed)." in render_text(none_listed)


def test_a_period_without_judgements_says_so(demo: Demo, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    ran = intently(capsys, monkeypatch, "digest", "--period", "day", "--until", "2026-11-15", "--db", demo.db,
                   "--dry-run")  # fmt: skip
    assert ran.code == 0, ran.err
    assert "Sunday 15 Nov 2026" in ran.out and "No agent comment was judged in this day" in ran.out
    assert "No drive-bys in this day." in ran.out and "Drive-bys: 0, no change from the day before (0)" in ran.out


# --- Slack ----------------------------------------------------------------------------------------------------


def test_slack_gets_the_digest_as_mrkdwn_with_customer_text_escaped(
    demo: Demo, receiver: Receiver, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTENTLY_SLACK_WEBHOOK_URL", receiver.url)
    ran = intently(capsys, monkeypatch, *_args(demo))
    assert ran.code == 0, ran.err
    assert "Posted to Slack." in ran.err
    _no_secret(ran, receiver)
    [(path, headers, body)] = receiver.posts
    assert path == WEBHOOK_SECRET_PATH and headers["Content-Type"] == "application/json"
    text = json.loads(body)["text"]
    assert text.startswith("*intently digest: week of 14–20 Sep 2026, against the week before*")
    assert "*Drive-bys*:" in text and "the week before" in text
    link = f"<{ZENDESK}/agent/tickets/{demo.hostile_ticket}|#{demo.hostile_ticket}>"
    escaped = "&lt;!channel&gt; Refund &amp; &lt;script&gt;alert(1)&lt;/script&gt; *now*"
    assert f"• {link} {escaped}:" in text
    assert "<!channel>" not in text and "<script>" not in text and " & " not in text


def test_a_webhook_that_answers_500_is_an_error_without_the_secret_url(
    demo: Demo, receiver: Receiver, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTENTLY_SLACK_WEBHOOK_URL", receiver.url)
    receiver.status, receiver.answer = 500, b"internal_error"
    ran = intently(capsys, monkeypatch, *_args(demo))
    assert ran.code == 1 and len(receiver.posts) == 1
    assert "error: the digest of week of 14–20 Sep 2026 was not delivered everywhere" in ran.said
    assert "Slack: the Slack webhook at 127.0.0.1 answered HTTP 500: internal_error" in ran.said
    assert "Traceback" not in ran.err
    _no_secret(ran, receiver)
    # an answer that echoes the URL back is not repeated
    receiver.answer = receiver.url.encode()
    ran = intently(capsys, monkeypatch, *_args(demo))
    assert ran.code == 1 and "answered HTTP 500" in ran.said
    _no_secret(ran, receiver)


def test_an_unreachable_or_wrong_webhook_is_a_clear_error(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = f"http://127.0.0.1:{_free_port()}{WEBHOOK_SECRET_PATH}"
    monkeypatch.setenv("INTENTLY_SLACK_WEBHOOK_URL", closed)
    ran = intently(capsys, monkeypatch, *_args(demo))
    assert ran.code == 1 and "cannot reach the Slack webhook at 127.0.0.1" in ran.said
    _no_secret(ran)
    monkeypatch.setenv("INTENTLY_SLACK_WEBHOOK_URL", "http://hooks.example.com" + WEBHOOK_SECRET_PATH)
    ran = intently(capsys, monkeypatch, *_args(demo))
    assert ran.code == 1 and "INTENTLY_SLACK_WEBHOOK_URL must be an https URL" in ran.said
    _no_secret(ran)


# --- e-mail ---------------------------------------------------------------------------------------------------


def test_an_email_over_starttls_with_a_login_carries_text_and_escaped_html(
    demo: Demo,
    certificate: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the client trusts the test certificate only
    with smtp_server(tls=_server_tls(certificate), auth=True) as box:
        _smtp_env(monkeypatch, box, login=True)
        ran = intently(
            capsys,
            monkeypatch,
            *_args(demo, "--to", "maya@example.com, lee@example.com", "--from", "intently@example.com"),
        )
    assert ran.code == 0, ran.err
    assert "E-mailed to maya@example.com, lee@example.com." in ran.err
    _no_secret(ran)
    assert box.logins == [(SMTP_USER, SMTP_PASSWORD, True)]  # the password went over TLS only
    [(sender, recipients, message)] = box.messages
    assert sender == "intently@example.com" and recipients == ["maya@example.com", "lee@example.com"]
    assert message["To"] == "maya@example.com, lee@example.com"
    assert str(message["Subject"]).startswith("intently digest, week of 14–20 Sep 2026: drive-by share ")
    text_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert text_part is not None and html_part is not None
    text, html = text_part.get_content(), html_part.get_content()
    assert text.startswith("intently digest: week of 14–20 Sep 2026") and HOSTILE in text
    assert "&lt;!channel&gt; Refund &amp; &lt;script&gt;alert(1)&lt;/script&gt; *now*" in html
    assert "<script>" not in html and "<!channel>" not in html
    assert f'<a href="{ZENDESK}/agent/tickets/{demo.hostile_ticket}">#{demo.hostile_ticket}</a>' in html


def test_without_starttls_the_mail_goes_in_the_clear_only_when_asked(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    mail = ("--to", "maya@example.com", "--from", "intently@example.com")
    with smtp_server() as box:
        _smtp_env(monkeypatch, box)
        refused = intently(capsys, monkeypatch, *_args(demo, *mail))  # STARTTLS is the default
        assert refused.code == 1 and "does not offer STARTTLS: nothing was sent" in refused.said
        assert box.messages == []
        sent = intently(capsys, monkeypatch, *_args(demo, *mail, "--no-starttls"))
        assert sent.code == 0, sent.err
        assert len(box.messages) == 1


def test_an_untrusted_certificate_stops_the_mail(
    demo: Demo,
    certificate: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    empty = tmp_path / "no-ca.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    with smtp_server(tls=_server_tls(certificate), auth=True) as box:
        _smtp_env(monkeypatch, box, login=True)
        ran = intently(capsys, monkeypatch, *_args(demo, "--to", "maya@example.com", "--from", "intently@example.com"))
    assert ran.code == 1 and "TLS with the SMTP server 127.0.0.1" in ran.said and "certificate" in ran.said
    assert box.logins == [] and box.messages == []
    _no_secret(ran)


def test_smtp_refusals_are_clear_errors_without_the_password(
    demo: Demo,
    certificate: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    mail = ("--from", "intently@example.com")
    with smtp_server(tls=_server_tls(certificate), auth=True) as box:
        _smtp_env(monkeypatch, box, login=True)
        monkeypatch.setenv("INTENTLY_SMTP_PASSWORD", SMTP_PASSWORD + "-wrong")
        wrong = intently(capsys, monkeypatch, *_args(demo, "--to", "maya@example.com", *mail))
        assert wrong.code == 1 and f"the SMTP server 127.0.0.1:{box.port} refused the login (535" in wrong.said
        assert "check INTENTLY_SMTP_USER and INTENTLY_SMTP_PASSWORD" in wrong.said
        assert SMTP_PASSWORD not in wrong.out + wrong.err
        monkeypatch.setenv("INTENTLY_SMTP_PASSWORD", SMTP_PASSWORD)
        box.refuse = {"gone@example.com"}
        nobody = intently(capsys, monkeypatch, *_args(demo, "--to", "gone@example.com", *mail))
        assert nobody.code == 1 and "refused every recipient: gone@example.com (550 5.1.1 mailbox unavailable)" in (
            nobody.said
        )
        some = intently(capsys, monkeypatch, *_args(demo, "--to", "gone@example.com,maya@example.com", *mail))
        assert some.code == 1 and "refused some recipients (gone@example.com (550" in some.said
        assert "the others were sent the digest" in some.said
        assert [recipients for _, recipients, _ in box.messages] == [["maya@example.com"]]
        for ran in (wrong, nobody, some):
            _no_secret(ran)
    monkeypatch.setenv("INTENTLY_SMTP_PORT", str(_free_port()))  # nothing listens there
    closed = intently(capsys, monkeypatch, *_args(demo, "--to", "maya@example.com", *mail))
    assert closed.code == 1 and "cannot reach the SMTP server 127.0.0.1" in closed.said
    _no_secret(closed)


def test_one_destination_failing_does_not_stop_the_other(
    demo: Demo, receiver: Receiver, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTENTLY_SLACK_WEBHOOK_URL", receiver.url)
    receiver.status = 500
    with smtp_server() as box:
        _smtp_env(monkeypatch, box)
        ran = intently(
            capsys,
            monkeypatch,
            *_args(demo, "--to", "maya@example.com", "--from", "intently@example.com", "--no-starttls"),
        )
    assert ran.code == 1 and len(box.messages) == 1 and len(receiver.posts) == 1
    assert "E-mailed to maya@example.com." in ran.err and "Slack: the Slack webhook" in ran.said
    _no_secret(ran, receiver)


# --- mistakes -------------------------------------------------------------------------------------------------


def test_mistakes_are_named_before_anything_is_read_or_sent(
    demo: Demo, receiver: Receiver, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    nowhere = intently(capsys, monkeypatch, *_args(demo))
    assert nowhere.code == 1 and "nowhere to send the digest: set INTENTLY_SLACK_WEBHOOK_URL" in nowhere.said
    assert intently(capsys, monkeypatch, "digest", "--period", "year", "--db", demo.db).code == 2
    undated = intently(capsys, monkeypatch, "digest", "--until", "20 Sep", "--db", demo.db)
    assert undated.code == 2 and "'20 Sep': a day as YYYY-MM-DD" in " ".join(undated.said.split())
    future = intently(capsys, monkeypatch, "digest", "--until", "2999-01-01", "--db", demo.db, "--dry-run")
    assert future.code == 2 and "2999-01-01: not over yet" in " ".join(future.said.split())
    no_from = intently(capsys, monkeypatch, *_args(demo, "--to", "maya@example.com"))
    assert no_from.code == 1 and "--from ADDRESS is needed" in no_from.said
    bad = intently(capsys, monkeypatch, *_args(demo, "--to", "maya", "--from", "intently@example.com"))
    assert bad.code == 1 and "--to: 'maya' is not an e-mail address" in bad.said
    injected = intently(
        capsys, monkeypatch, *_args(demo, "--to", "a@example.com\nBcc: b@example.com", "--from", "i@x.io")
    )
    assert injected.code == 1 and "is not an e-mail address" in injected.said
    no_host = intently(capsys, monkeypatch, *_args(demo, "--to", "maya@example.com", "--from", "intently@example.com"))
    assert no_host.code == 1 and "set INTENTLY_SMTP_HOST" in no_host.said
    monkeypatch.setenv("INTENTLY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("INTENTLY_SMTP_USER", SMTP_USER)
    half = intently(capsys, monkeypatch, *_args(demo, "--to", "maya@example.com", "--from", "intently@example.com"))
    assert half.code == 1 and "set both INTENTLY_SMTP_USER and INTENTLY_SMTP_PASSWORD, or neither" in half.said
    monkeypatch.setenv("INTENTLY_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("INTENTLY_SMTP_HOST", "mail.example.com")
    clear = intently(
        capsys, monkeypatch, *_args(demo, "--to", "maya@example.com", "--from", "intently@example.com", "--no-starttls")
    )
    assert clear.code == 1 and "refusing to send the SMTP password to mail.example.com without TLS" in clear.said
    for ran in (nowhere, no_from, bad, no_host, half, clear):
        _no_secret(ran)
        assert "Traceback" not in ran.err
    # a dry run sends nothing, with or without a destination
    monkeypatch.setenv("INTENTLY_SLACK_WEBHOOK_URL", receiver.url)
    dry = intently(capsys, monkeypatch, *_args(demo, "--dry-run"))
    assert dry.code == 0 and receiver.posts == [] and "it would go to Slack" in dry.err
    _no_secret(dry, receiver)


@pytest.mark.parametrize(
    ("host", "said"),
    [
        (
            "127.0.0.1:2525",
            "INTENTLY_SMTP_HOST is a host name only: set it to 127.0.0.1 and INTENTLY_SMTP_PORT to 2525",
        ),
        ("[::1]:2525", "set it to ::1 and INTENTLY_SMTP_PORT to 2525"),
        ("mail.example.com", None),
        ("::1", None),  # a bare IPv6 address: no port in it
    ],
)
def test_a_port_in_the_smtp_host_is_named_where_it_belongs(host: str, said: str | None) -> None:
    from intently.report.digest.send import DeliveryError, smtp_from_env

    if said is None:
        settings = smtp_from_env({"INTENTLY_SMTP_HOST": host})
        assert settings is not None and settings.host == host
        return
    with pytest.raises(DeliveryError, match=re.escape(said)):
        smtp_from_env({"INTENTLY_SMTP_HOST": host})
