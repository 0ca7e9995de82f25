"""Alembic migrations of the store; run by :meth:`intently.store.Store.open`."""
