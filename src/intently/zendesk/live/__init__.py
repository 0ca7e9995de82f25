"""Live Zendesk inside ``intently serve``: part of the server layer (it shares :mod:`intently.web.services`).

:mod:`.signature` (webhook signatures), :mod:`.payload` (what a delivery is about), :mod:`.webhooks` (the
endpoint: verify, queue, answer at once), :mod:`.worker` (the queue worker), :mod:`.processing` (one ticket:
fetch, judge, store), :mod:`.write_back` (notes on drive-bys).
"""
