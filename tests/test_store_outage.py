"""When the store fails: ``/healthz`` says so (503, a reason, no secrets) when the store cannot be read or written,
and the API and the pages answer 503, never 500. Ids no ticket can have answer 404 or 422. On SQLite and on
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from intently.policy import load_policy
from intently.store import Store
from tests.conftest import _postgres_admin
from tests.dashboard_client import dashboard, ensure_account, login
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import event_body, loaded_store, signed

HTML = {"Accept": "text/html"}


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    store = loaded_store(store_url, FakeZendesk(ZendeskDataset.generate(tickets=3)), tmp_path, load_policy())
    ensure_account(store, "val", "viewer")
    yield store
    store.close()


def _bearer(store: Store, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {store.create_token(f'{role}-token', role)}"}


def _secrets(store: Store) -> list[str]:
    """What an answer must never show: where the store is, and how to log in to it."""
    url = store.engine.url
    return [str(part) for part in (url.database, url.host, url.username, url.password) if part] + ["Traceback"]


def _read_only(store: Store) -> None:
    """Make the store read-only from now on. On PostgreSQL for the database; on SQLite for every new connection
    (a file mode would not stop root, who runs these tests in CI)."""
    if store.engine.dialect.name == "sqlite":
        event.listen(store.engine, "connect", lambda conn, _: conn.execute("PRAGMA query_only = ON"))
    else:
        admin, _ = _postgres_admin()
        admin.run(f'ALTER DATABASE "{store.engine.url.database}" SET default_transaction_read_only = on')
        admin.close()
    store.engine.dispose()


def _gone(store: Store) -> None:
    """Take the store away: the PostgreSQL database dropped (its connections ended), the SQLite file replaced by a
    folder (nothing can open it)."""
    if store.engine.dialect.name == "sqlite":
        path = Path(str(store.engine.url.database))
        store.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.mkdir()
    else:
        admin, _ = _postgres_admin()
        admin.run(f'DROP DATABASE "{store.engine.url.database}" WITH (FORCE)')
        admin.close()


def _first_ticket(store: Store) -> Any:
    return next(iter(store.histories())).ticket.id


def test_healthz_is_ok_while_the_store_can_be_read_and_written(store: Store) -> None:
    with dashboard(store) as client:
        health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_healthz_is_503_when_the_store_cannot_be_written(store: Store) -> None:
    ticket = _first_ticket(store)
    viewer = _bearer(store, "viewer")
    with dashboard(store) as client:
        assert client.get("/healthz").status_code == 200
        _read_only(store)
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json() == {"status": "error", "reason": "the store cannot be written"}
        assert not [secret for secret in _secrets(store) if secret in health.text]
        # Reading still works: the API answers what is stored.
        assert client.get(f"/api/tickets/{ticket}/judgements", headers=viewer).status_code == 200


def test_the_api_and_the_pages_answer_503_when_the_store_is_gone(store: Store) -> None:
    ticket = _first_ticket(store)
    viewer, admin = _bearer(store, "viewer"), _bearer(store, "admin")
    body = {"ticket_id": ticket, "agent_id": 101, "public": True}
    delivery = event_body(ticket)
    with dashboard(store) as client:
        assert login(client, "val").status_code == 303
        _gone(store)
        answers: dict[str, httpx.Response] = {
            "healthz": client.get("/healthz"),
            "judgements": client.get(f"/api/tickets/{ticket}/judgements", headers=viewer),
            "check-reply": client.post("/api/check-reply", json=body, headers=viewer),
            "refresh": client.post(f"/api/tickets/{ticket}/refresh", headers=admin),
            "overview": client.get("/", headers=HTML),
            "ticket page": client.get(f"/tickets/{ticket}", headers=HTML),
            "sidebar": client.get(f"/sidebar?ticket_id={ticket}", headers=HTML),
            "settings as JSON": client.get("/settings"),
            "webhook": client.post("/webhooks/zendesk", content=delivery, headers=signed(delivery, secret="s")),
        }
    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 503)
    assert answers["healthz"].json() == {"status": "error", "reason": "the store cannot be read"}
    assert answers["judgements"].json() == {"detail": "the store is unavailable: try again shortly"}
    assert answers["judgements"].headers["retry-after"] == "10"
    assert answers["webhook"].headers["retry-after"] == "10"  # Zendesk retries a 503 only with one
    assert "the store is unavailable" in answers["overview"].text and "<html" in answers["overview"].text
    for name, answer in answers.items():
        assert not [secret for secret in _secrets(store) if secret in answer.text], name


IMPOSSIBLE = [
    "99999999999999999999999",  # more than 2**63 - 1
    "9" * 400,
    "-1",
    "0",
    "1.5",
    "1e3",
    "abc",
    "x" * 5000,
    "%00",
    "%20",
    "%C2%B2",  # ², a digit to str.isdigit
    "%EF%BC%91%EF%BC%92",  # full-width 12
    "%F0%9F%92%A5",
]


def test_ids_no_ticket_can_have_answer_404_or_422(store: Store) -> None:
    ticket = _first_ticket(store)
    viewer, admin = _bearer(store, "viewer"), _bearer(store, "admin")
    with dashboard(store) as client:
        assert login(client, "val").status_code == 303
        for wanted in IMPOSSIBLE:
            answers = {
                "judgements": client.get(f"/api/tickets/{wanted}/judgements", headers=viewer),
                "judgements for an agent": client.get(f"/api/tickets/{wanted}/judgements?agent_id=1", headers=viewer),
                "refresh": client.post(f"/api/tickets/{wanted}/refresh", headers=admin),
                "ticket page": client.get(f"/tickets/{wanted}", headers=HTML),
                "sidebar": client.get(f"/sidebar?ticket_id={wanted}", headers=HTML),
            }
            statuses = {name: answer.status_code for name, answer in answers.items()}
            assert set(statuses.values()) <= {404, 422}, (wanted[:30], statuses)
            # the sidebar of a real ticket for an agent no one can be: the page, without an agent
            sidebar = client.get(f"/sidebar?ticket_id={ticket}&agent_id={wanted[:64]}", headers=HTML)
            assert sidebar.status_code == 200, wanted[:30]
    assert store.delivery_counts() == {}  # no refresh was queued
