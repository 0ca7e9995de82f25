"""``intently serve``: the dashboard, the API and the live Zendesk receiver in one ASGI app (FastAPI).

Split by concern: :mod:`.app` (assembly), :mod:`.services` (what the parts share: store, policy, settings,
Zendesk clients), :mod:`.logs` (JSON logs without ticket text), :mod:`.api` (the token-protected ``/api``),
:mod:`.pages` (the server-rendered dashboard and sidebar page) and :mod:`.access` (accounts, sessions, CSRF,
login limits, tokens). The webhook receiver and its worker are Zendesk's: :mod:`intently.zendesk.live`.
"""

from intently.web.app import create_app
from intently.web.services import DEFAULT_TAG, Settings

__all__ = ["DEFAULT_TAG", "Settings", "create_app"]
