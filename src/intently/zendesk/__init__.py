"""Connect: everything that talks to Zendesk, in one place.

Reading (into the model and nothing else; may import only the core):
:mod:`.records` (Zendesk records → the model, in one place), :mod:`.export` (an export directory, streamed),
:mod:`.client` (the REST API over httpx).

Into the store: :mod:`.sync` (resumable incremental sync).

Live, inside ``intently serve`` (:mod:`.live`): signed webhooks in, a queue worker, write-back. The sidebar app
that Zendesk hosts: :mod:`.app`.
"""
