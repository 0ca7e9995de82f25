"""The audit log: one ``admin.*`` line per admin action, naming who did it (the account, or the API token, with
its role and the client's address) and what changed (``before`` and ``after``). A log line like any other
(:mod:`intently.web.logs`): JSON on stderr, never ticket text."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request

from intently.web.access.accounts import Session
from intently.web.access.sessions import client_address
from intently.web.access.tokens import Caller
from intently.web.logs import emit


def audit(request: Request, who: Session | Caller, event: str, **fields: Any) -> None:
    """Log the admin action ``event`` by ``who``: a dashboard session, or the caller of an admin API token."""
    by = {"account": who.account} if isinstance(who, Session) else {"token": who.name}
    emit(event, logging.INFO, **by, role=who.role, client=client_address(request), **fields)
