"""``intently serve``: Zendesk webhooks in, judgements out (an ASGI app, FastAPI).

One job per module: :mod:`~intently.web.signature` (webhook signatures), :mod:`~intently.web.payload`
(what a delivery is about), :mod:`~intently.web.webhooks` (the webhook endpoint), :mod:`~intently.web.worker`
(the queue worker), :mod:`~intently.web.processing` (one ticket: fetch, judge, store),
:mod:`~intently.web.write_back` (notes on drive-bys), :mod:`~intently.web.advice` (hypothetical judgements:
check-reply and the intentional path), :mod:`~intently.web.api` and :mod:`~intently.web.auth` (the token-
protected API), :mod:`~intently.web.logs` (JSON logs without ticket text), :mod:`~intently.web.app` (assembly).

The dashboard: :mod:`~intently.web.accounts` (local accounts, argon2 hashes, server-side sessions),
:mod:`~intently.web.sessions` (session cookies, login required), :mod:`~intently.web.csrf` (form tokens),
:mod:`~intently.web.ratelimit` (failed logins), :mod:`~intently.web.render` (Jinja2, autoescape),
:mod:`~intently.web.views` (filters, deep links, tables and CSV over the stored judgements),
:mod:`~intently.web.timeline` (the ticket page's lanes) and the routes in :mod:`intently.web.pages`.
"""

from intently.web.app import create_app
from intently.web.services import DEFAULT_TAG, Settings

__all__ = ["DEFAULT_TAG", "Settings", "create_app"]
