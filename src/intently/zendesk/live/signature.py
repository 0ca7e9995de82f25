"""Zendesk webhook signatures: ``base64(HMAC-SHA256(secret, timestamp + raw body))``.

Zendesk sends the signature in ``X-Zendesk-Webhook-Signature`` and the signed timestamp (ISO 8601, e.g.
``2026-02-03T10:00:00Z``) in ``X-Zendesk-Webhook-Signature-Timestamp``. A delivery is genuine when the
signature matches (compared in constant time) and fresh when its timestamp is within five minutes of now,
either way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SIGNATURE_HEADER = "x-zendesk-webhook-signature"
TIMESTAMP_HEADER = "x-zendesk-webhook-signature-timestamp"
INVOCATION_HEADER = "x-zendesk-webhook-invocation-id"
MAX_SKEW = timedelta(minutes=5)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature Zendesk computes for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def parse_timestamp(value: str) -> datetime | None:
    """The moment in a signature timestamp (ISO 8601; no zone means UTC), or None if it is not one."""
    text = value.strip()
    if not text or len(text) > 40:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    reason: str
    """``valid``, or why not: ``missing signature``, ``bad signature``, ``stale timestamp`` ..."""


def refused_unread(secret: str | None, signature: str | None, timestamp: str | None) -> Verdict | None:
    """The refusal a delivery gets before its body is read (no secret configured, no signature or timestamp
    header), or None when the body must be read to tell."""
    if not secret:
        return Verdict(False, "no webhook secret configured")
    if not signature or timestamp is None:
        return Verdict(False, "missing signature")
    return None


def verify(
    secret: str | None,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    now: datetime,
    max_skew: timedelta = MAX_SKEW,
) -> Verdict:
    """Whether a delivery is genuine and fresh. The signature is checked before the time, so an
    unsigned request learns nothing about the clock."""
    refused = refused_unread(secret, signature, timestamp)
    if refused is not None:
        return refused
    assert secret and signature and timestamp is not None
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("utf-8", "replace")):
        return Verdict(False, "bad signature")
    at = parse_timestamp(timestamp)
    if at is None:
        return Verdict(False, "bad timestamp")
    if at < now - max_skew:
        return Verdict(False, "stale timestamp")
    if at > now + max_skew:
        return Verdict(False, "timestamp in the future")
    return Verdict(True, "valid")
