"""``intently serve``: the dashboard, the API and the live Zendesk receiver in one ASGI app (FastAPI).

Split by concern: :mod:`.app` (assembly), :mod:`.services` (what the parts share: store, policy, settings,
Zendesk clients), :mod:`.logs` (JSON logs without ticket text), :mod:`.api` (the token-protected ``/api``),
:mod:`.pages` (the server-rendered dashboard and sidebar page) and :mod:`.access` (accounts, sessions, CSRF,
login limits, tokens). The webhook receiver and its worker are Zendesk's: :mod:`intently.zendesk.live`.

The names below load on first use, so importing one part (``intently.web.services``) does not assemble the whole
app (which imports the live receiver, which imports those parts back).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intently.web.app import create_app
    from intently.web.services import DEFAULT_TAG, Settings

_LAZY = {"create_app": "intently.web.app", "DEFAULT_TAG": "intently.web.services", "Settings": "intently.web.services"}

__all__ = ["DEFAULT_TAG", "Settings", "create_app"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
