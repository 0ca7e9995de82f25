"""Everything a store holds, to compare stores exactly; and throwaway copies of a store."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.engine import make_url

from intently.store import database_url, schema
from intently.store.rows import insert_many

Snapshot = dict[str, list[str]]
Rows = dict[str, list[dict[str, Any]]]


def rows(url: str) -> Rows:
    """Every row of every table of the store (Alembic's revision too)."""
    engine = create_engine(database_url(url))
    try:
        with engine.connect() as conn:
            found = {
                table.name: [dict(row._mapping) for row in conn.execute(select(table))]
                for table in schema.metadata.sorted_tables
            }
            revision = conn.execute(text("SELECT version_num FROM alembic_version"))
            found["alembic_version"] = [dict(row._mapping) for row in revision]
        return found
    finally:
        engine.dispose()


def snapshot(url: str) -> Snapshot:
    """Every row of every table, sorted: equal snapshots are equal stores."""
    return {name: sorted(repr(sorted(row.items())) for row in table) for name, table in rows(url).items()}


def data_snapshot(url: str) -> Snapshot:
    """:func:`snapshot` without the figures kept for the data version (``kept_figures``): not data, but what a
    reader of the store's own, current judgements may keep so that the next reader need not compute them again."""
    found = snapshot(url)
    del found[schema.kept_figures.name]
    return found


def restore(url: str, saved: Rows) -> None:
    """Make the store at ``url`` (with the same tables) hold exactly ``saved`` again, in one transaction."""
    engine = create_engine(database_url(url))
    try:
        with engine.begin() as conn:
            for table in schema.metadata.sorted_tables:
                conn.execute(delete(table))
                insert_many(conn, table, saved[table.name])
    finally:
        engine.dispose()


def copy_store(url: str, to: str) -> None:
    """``to``: a new store with exactly what ``url`` holds (a file copy, or a PostgreSQL database from a template)."""
    source = make_url(database_url(url))
    if source.drivername.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{source.database}{suffix}").exists():
                shutil.copyfile(f"{source.database}{suffix}", f"{make_url(database_url(to)).database}{suffix}")
        return
    _admin(url, f'CREATE DATABASE "{make_url(database_url(to)).database}" TEMPLATE "{source.database}"')


def drop_store(url: str) -> None:
    target = make_url(database_url(url))
    if target.drivername.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target.database}{suffix}").unlink(missing_ok=True)
        return
    _admin(url, f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')


def sibling(url: str, name: str) -> str:
    """Another store beside ``url``: a file in the same folder, or a database on the same server."""
    target = make_url(database_url(url))
    if target.drivername.startswith("sqlite"):
        return str(Path(target.database or "").with_name(f"{name}.db"))
    return target.set(database=f"{target.database}_{name}").render_as_string(hide_password=False)


def _admin(url: str, statement: str) -> None:
    engine = create_engine(make_url(database_url(url)).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
