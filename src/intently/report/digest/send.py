"""Sending a digest: to a Slack incoming webhook (HTTPS POST of JSON) and by e-mail over SMTP.

Where to send and the credentials come from the environment only (:data:`SLACK_URL_VAR`, ``INTENTLY_SMTP_*``).
The webhook's URL is its secret and the SMTP password is one: neither is ever part of an error message, even
when a server echoes them (:func:`_redacted`). Failures raise :class:`DeliveryError`, one line each.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

import httpx

from intently.errors import IntentlyError
from intently.report.formatting import clean_text

SLACK_URL_VAR = "INTENTLY_SLACK_WEBHOOK_URL"
SMTP_HOST_VAR = "INTENTLY_SMTP_HOST"
SMTP_PORT_VAR = "INTENTLY_SMTP_PORT"
SMTP_USER_VAR = "INTENTLY_SMTP_USER"
SMTP_PASSWORD_VAR = "INTENTLY_SMTP_PASSWORD"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
TIMEOUT = 30.0
_SERVER_TEXT = 200
"""Characters of a server's own error text kept in a message."""


class DeliveryError(IntentlyError):
    """A digest could not be delivered somewhere: says where and why, never with a secret."""


def _redacted(text: str, secrets: Iterable[str | None]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _server_text(raw: bytes | str, secrets: Iterable[str | None]) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = " ".join(clean_text(_redacted(text, secrets)).split())
    return text[:_SERVER_TEXT]


def _is_loopback(host: str | None) -> bool:
    return (host or "").strip("[]").lower() in LOOPBACK


# --- Slack ------------------------------------------------------------------------------------------------------


def slack_url_from_env(env: Mapping[str, str]) -> str | None:
    """The Slack incoming webhook's URL, checked: https (or http to this machine, for tests); None when unset."""
    url = env.get(SLACK_URL_VAR, "").strip()
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        raise DeliveryError(f"{SLACK_URL_VAR} is not a URL") from None
    ok = parts.hostname and (parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname)))
    if not ok:
        raise DeliveryError(
            f"{SLACK_URL_VAR} must be an https URL (Slack's incoming webhook: https://hooks.slack.com/…)"
        )
    return url


def post_to_slack(url: str, payload: dict[str, Any], *, timeout: float = TIMEOUT) -> None:
    """POST ``payload`` as JSON to the webhook; :class:`DeliveryError` unless it answers 2xx."""
    host = urlsplit(url).hostname or "?"
    where = f"the Slack webhook at {host}"
    try:
        response = httpx.post(url, json=payload, timeout=timeout, follow_redirects=False)
    except httpx.TimeoutException:
        raise DeliveryError(f"{where} did not answer within {timeout:g} s: nothing was posted") from None
    except httpx.HTTPError as exc:
        problem = _server_text(str(exc), [url]) or type(exc).__name__
        raise DeliveryError(f"cannot reach {where} ({problem}): nothing was posted") from None
    if not 200 <= response.status_code < 300:
        said = _server_text(response.text, [url]) if len(response.text) <= _SERVER_TEXT else ""
        reason = f": {said}" if said and url not in response.text else ""
        raise DeliveryError(f"{where} answered HTTP {response.status_code}{reason}")


# --- e-mail -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    timeout: float = TIMEOUT

    @property
    def where(self) -> str:
        return f"the SMTP server {self.host}:{self.port}"


def smtp_from_env(env: Mapping[str, str], *, starttls: bool = True) -> SmtpSettings | None:
    """The SMTP server from ``INTENTLY_SMTP_HOST`` and ``_PORT`` (default 587 with STARTTLS, else 25), with
    ``_USER`` and ``_PASSWORD`` (both or neither); None when no host is set."""
    host = env.get(SMTP_HOST_VAR, "").strip()
    if not host:
        return None
    name, colon, port_given = host.rpartition(":")
    bare = ":" not in name or (name.startswith("[") and name.endswith("]"))  # not a bare IPv6 address
    if colon and port_given.isdigit() and bare:  # host:port
        raise DeliveryError(
            f"{SMTP_HOST_VAR} is a host name only: set it to {name.strip('[]')} and {SMTP_PORT_VAR} to {port_given}"
        )
    port_text = env.get(SMTP_PORT_VAR, "").strip()
    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise DeliveryError(f"{SMTP_PORT_VAR} must be a port number (1 to 65535)")
        port = int(port_text)
    else:
        port = 587 if starttls else 25
    user = env.get(SMTP_USER_VAR) or None
    password = env.get(SMTP_PASSWORD_VAR) or None
    if (user is None) != (password is None):
        raise DeliveryError(f"set both {SMTP_USER_VAR} and {SMTP_PASSWORD_VAR}, or neither (no login)")
    return SmtpSettings(host, port, user, password, starttls)


def check_address(address: str, what: str) -> str:
    """One plain e-mail address (``name@example.com``), else :class:`DeliveryError`."""
    address = address.strip()
    _, parsed = parseaddr(address)
    if (
        not parsed
        or parsed != address
        or parsed.count("@") != 1
        or not all(parsed.split("@"))
        or any(ch.isspace() or not ch.isprintable() or ch in "<>,;\"'" for ch in parsed)
    ):
        raise DeliveryError(f"{what}: {clean_text(address)!r} is not an e-mail address (name@example.com)")
    return parsed


def email_message(sender: str, recipients: list[str], subject: str, text: str, html: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_email(settings: SmtpSettings, message: EmailMessage, sender: str, recipients: list[str]) -> None:
    """Send ``message`` over SMTP: STARTTLS (certificate checked) unless ``settings.starttls`` is off, then the
    login if any. A password is never sent in the clear to another machine. :class:`DeliveryError` when the server
    cannot be reached or refuses (every recipient; or some: then the others got it, and the error says which not)."""
    where = settings.where
    secrets = [settings.password, settings.user]
    if settings.user and not settings.starttls and not _is_loopback(settings.host):
        raise DeliveryError(
            f"refusing to send the SMTP password to {settings.host} without TLS: use --starttls (the default)"
        )
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            smtp.ehlo()
            if settings.starttls:
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"{where} does not offer STARTTLS: nothing was sent (--no-starttls sends in the clear: "
                        "only to a relay on this machine or a trusted network)"
                    )
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.user and settings.password:
                smtp.login(settings.user, settings.password)
            refused = smtp.send_message(message, from_addr=sender, to_addrs=recipients)
    except DeliveryError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        said = _server_text(exc.smtp_error, secrets)
        raise DeliveryError(
            f"{where} refused the login ({exc.smtp_code} {said}): check {SMTP_USER_VAR} and {SMTP_PASSWORD_VAR}"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"{where} refused every recipient: {_refusals(exc.recipients, secrets)}") from None
    except smtplib.SMTPSenderRefused as exc:
        said = _server_text(exc.smtp_error, secrets)
        raise DeliveryError(f"{where} refused the sender {sender} ({exc.smtp_code} {said})") from None
    except smtplib.SMTPResponseException as exc:
        said = _server_text(exc.smtp_error, secrets)
        raise DeliveryError(f"{where} answered {exc.smtp_code} {said}: nothing was sent") from None
    except smtplib.SMTPNotSupportedError:
        raise DeliveryError(f"{where} does not support login (AUTH): unset {SMTP_USER_VAR}") from None
    except ssl.SSLError as exc:
        reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or type(exc).__name__
        said = _server_text(str(reason), secrets)
        raise DeliveryError(f"TLS with {where} failed ({said}): nothing was sent") from None
    except smtplib.SMTPException as exc:
        said = _server_text(str(exc), secrets) or type(exc).__name__
        raise DeliveryError(f"{where} failed: {said}") from None
    except TimeoutError:
        raise DeliveryError(f"{where} did not answer within {settings.timeout:g} s: nothing was sent") from None
    except OSError as exc:
        said = _server_text(exc.strerror or str(exc), secrets) or type(exc).__name__
        raise DeliveryError(f"cannot reach {where} ({said}): nothing was sent") from None
    if refused:
        raise DeliveryError(
            f"{where} refused some recipients ({_refusals(refused, secrets)}); the others were sent the digest"
        )


def _refusals(refused: Mapping[str, tuple[int, bytes]], secrets: list[str | None]) -> str:
    return "; ".join(
        f"{clean_text(address)} ({code} {_server_text(said, secrets)})" for address, (code, said) in refused.items()
    )
