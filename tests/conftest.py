"""Shared test fixtures."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# As `intently.cli.main` does for a run: the tests build and read many stores of small, acyclic objects, which
# reference counting frees; CPython's default thresholds rescan the survivors over and over.
gc.set_threshold(100_000, 50, 100)


def _cheap_password_hashes() -> None:
    """Accounts made and checked in the test process hash with argon2id at its lowest cost (the same algorithm and
    code path; a login no longer costs a fifth of a CPU-second in each of hundreds of tests). What users get, the
    product's parameters, is checked on a real ``intently user add`` (tests/test_accounts.py)."""
    from argon2 import PasswordHasher

    from intently.web.access import accounts

    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


_cheap_password_hashes()

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


@contextmanager
def _fresh_store_url(kind: str, folder: Path, label: str) -> Iterator[str]:
    """A SQLite file in ``folder``, or a throwaway database (named after ``label``) on the local PostgreSQL server."""
    if kind == "sqlite":
        yield str(folder / "store.db")
        return
    admin, url = _postgres_admin()
    name = f"intently_test_{os.getpid()}_{abs(hash(label)) % 10**8}"
    admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.run(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store: a SQLite file, or a throwaway database on the local PostgreSQL server."""
    with _fresh_store_url(request.param, tmp_path, request.node.nodeid) as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """As ``store_url``, one per test module: for a module whose tests only read the store they share."""
    folder = tmp_path_factory.mktemp("module-store")
    with _fresh_store_url(request.param, folder, f"{request.node.nodeid}:{request.param}") as url:
        yield url


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than there are cores. Much of the suite waits (on the ``intently`` commands it
    starts, on servers on loopback, on PostgreSQL), so one extra worker keeps the cores busy."""
    return (os.cpu_count() or 1) + 1
