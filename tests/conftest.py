"""Shared test fixtures."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

# As `intently.cli.main` does for a run: the tests build and read many stores of small, acyclic objects, which
# reference counting frees; CPython's default thresholds rescan the survivors over and over.
gc.set_threshold(100_000, 50, 100)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
RECORDED_EXPORT = SHARED / "zendesk-recorded" / "export"


@pytest.fixture
def recorded_export() -> Path:
    """The real, recorded Zendesk export in ../shared (skips in a user's fresh clone, fails in CI)."""
    if not RECORDED_EXPORT.is_dir():
        message = f"{RECORDED_EXPORT} is absent: the recorded Zendesk export lives beside the project in ../shared"
        if os.environ.get("INTENTLY_REQUIRE_SHARED"):
            pytest.fail(message + " (INTENTLY_REQUIRE_SHARED is set)")
        pytest.skip(message)
    return RECORDED_EXPORT


POSTGRES_ADMIN_URL = os.environ.get("INTENTLY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_admin_at(url):  # type: ignore[no-untyped-def]
    """A connection to the PostgreSQL server at ``url`` (a SQLAlchemy URL): skips in a fresh clone without one,
    fails in CI (INTENTLY_REQUIRE_POSTGRES)."""
    import pg8000.native

    try:
        return pg8000.native.Connection(
            user=url.username or "postgres",
            password=url.password,
            host=url.host or "127.0.0.1",
            port=url.port or 5432,
            database=url.database or "postgres",
        )
    except Exception as exc:  # any failure to connect means "no server here"
        message = f"no PostgreSQL server at {url.render_as_string(hide_password=True)} ({exc})"
        if os.environ.get("INTENTLY_REQUIRE_POSTGRES"):
            pytest.fail(message + " (INTENTLY_REQUIRE_POSTGRES is set)")
        pytest.skip(message)


def _postgres_admin():  # type: ignore[no-untyped-def]
    """A connection to the local PostgreSQL server, and its URL."""
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_ADMIN_URL)
    return postgres_admin_at(url), url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh, empty store: a SQLite file, or a throwaway database on the local PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "store.db")
        return
    admin, url = _postgres_admin()
    name = f"intently_test_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.run(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than there are cores. Much of the suite waits (on the ``intently`` commands it
    starts, on servers on loopback, on PostgreSQL), so one extra worker keeps the cores busy."""
    return (os.cpu_count() or 1) + 1
