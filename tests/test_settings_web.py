"""Only an admin changes the policy or write-back: adopting a proposed policy on the Policy page (every stored ticket
judged again under it, saved in the store), and pausing or resuming write-back on the Settings page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from intently.engine import judge_ticket
from intently.policy import Policy, fingerprint, load_policy
from intently.policy.loader import merge, validate_policy
from intently.store import Store
from intently.web import create_app
from tests.dashboard_client import ensure_account, form_csrf, login
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import (
    FAST,
    SECRET,
    Served,
    _fake_now,
    _since,
    client_factory,
    counts,
    drive_by_ticket,
    event_body,
    loaded_store,
    post,
    signed,
    wait_for,
)

PROPOSAL = "version: 1.1.0\nrules:\n  solicited:\n    enabled: false\n"


@pytest.fixture
def zd() -> Iterator[FakeZendesk]:
    fake = FakeZendesk(ZendeskDataset.generate(tickets=40)).start()
    yield fake
    fake.stop()


@pytest.fixture
def store(store_url: str, zd: FakeZendesk, tmp_path: Path) -> Iterator[Store]:
    store = loaded_store(store_url, zd, tmp_path, load_policy())
    ensure_account(store, "ada", "admin")
    ensure_account(store, "val", "viewer")
    yield store
    store.close()


@contextmanager
def served(store: Store, zd: FakeZendesk, **options: Any) -> Iterator[tuple[httpx.Client, str]]:
    app = create_app(
        store,
        options.pop("policy", load_policy()),
        client_factory(zd),
        webhook_secret=SECRET,
        settings=FAST,
        **{"write_back": False, "run_worker": False, **options},
    )
    with Served(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client, server.url


def _stored(store: Store) -> list[tuple[Any, Any, str, str]]:
    return sorted((j.ticket_id, j.comment_id, j.verdict, j.rule) for j in store.judgements())


def _judged_under(store: Store, policy: Policy) -> list[tuple[Any, Any, str, str]]:
    users = store.directory().users
    return sorted(
        (j.ticket_id, j.comment_id, j.verdict, j.rule)
        for history in store.histories()
        for j in judge_ticket(history, users, policy).judgements
    )


def _adopt(client: httpx.Client, proposal: str) -> httpx.Response:
    csrf = form_csrf(client.get("/policy").text)
    return client.post("/policy/adopt", data={"csrf": csrf, "proposal": proposal})


# --- adopting a policy -------------------------------------------------------------------------------------


def test_an_admin_adopts_a_proposal_and_every_ticket_is_judged_again(store: Store, zd: FakeZendesk) -> None:
    proposed = validate_policy(merge(load_policy().model_dump(), yaml.safe_load(PROPOSAL)), "proposal")
    before = _stored(store)
    assert _judged_under(store, proposed) != before  # the proposal changes something on this history
    token = store.create_token("tool", "viewer")
    with served(store, zd) as (client, _):
        assert login(client, "ada").status_code == 303
        compared = client.post(
            "/policy/compare", data={"csrf": form_csrf(client.get("/policy").text), "proposal": PROPOSAL}
        )
        assert "Adopt intently-default 1.1.0" in compared.text
        adopted = _adopt(client, PROPOSAL)
        assert adopted.status_code == 303 and adopted.headers["location"] == "/policy?adopted=1.1.0"
        page = client.get("/policy?adopted=1.1.0").text
        assert "Policy: intently-default 1.1.0" in page and "adopted: every stored ticket was judged again" in page
        settings = client.get("/settings").text
        assert "intently-default 1.1.0" in settings and "saved in the store" in settings
        ticket_id = next(iter(store.histories())).ticket.id
        api = client.get(f"/api/tickets/{ticket_id}/judgements", headers={"Authorization": f"Bearer {token}"})
        assert api.json()["policy"]["version"] == "1.1.0"
    assert _stored(store) == _judged_under(store, proposed)
    assert store.judged_policy() == fingerprint(proposed)
    saved = store.saved_policy()
    assert saved is not None and saved["version"] == "1.1.0"  # later commands on this store use it too


def test_adoption_is_refused_with_reasons_and_nothing_changes(store: Store, zd: FakeZendesk) -> None:
    before = _stored(store)
    with served(store, zd) as (client, _):
        assert login(client, "ada").status_code == 303
        same_version = _adopt(client, "rules:\n  solicited:\n    enabled: false\n")
        assert same_version.status_code == 422
        assert "keeps its version" in same_version.text and "give it a new one" in same_version.text
        nothing = _adopt(client, "version: 1.0.0\n")
        assert nothing.status_code == 422 and "the proposal changes nothing" in nothing.text
        invalid = _adopt(client, "version: 2.0.0\nrules:\n  coverage:\n    wait_fraction: -1\n")
        assert invalid.status_code == 422 and "rules.coverage.wait_fraction" in invalid.text
        forged = client.post("/policy/adopt", data={"csrf": "forged", "proposal": PROPOSAL})
        assert forged.status_code == 403
    with served(store, zd) as (client, _):
        assert login(client, "val").status_code == 303
        assert 'formaction="/policy/adopt"' not in client.get("/policy").text
        viewer = client.post(
            "/policy/adopt", data={"csrf": form_csrf(client.get("/policy").text), "proposal": PROPOSAL}
        )
        assert viewer.status_code == 403
    with served(store, zd, policy_source="file intently.yaml", policy_from_file=True) as (client, _):
        assert login(client, "ada").status_code == 303
        from_file = _adopt(client, PROPOSAL)
        assert from_file.status_code == 422 and "comes from file intently.yaml" in from_file.text
    assert _stored(store) == before and store.saved_policy() is None


# --- pausing write-back ------------------------------------------------------------------------------------


def test_an_admin_pauses_write_back_and_nothing_is_written_until_resumed(store: Store, zd: FakeZendesk) -> None:
    _since(store, _fake_now(zd))
    with served(store, zd, write_back=True, run_worker=True) as (client, url):
        assert login(client, "ada").status_code == 303
        assert "<strong>On</strong>" in client.get("/settings").text
        csrf = form_csrf(client.get("/settings").text)
        assert client.post("/settings/write-back", data={"csrf": csrf, "action": "pause"}).status_code == 303
        assert "Paused</strong> by ada" in client.get("/settings").text

        ticket_id, _ = drive_by_ticket(zd)
        body = event_body(ticket_id)
        assert post(url, body, signed(body)).status_code == 202
        wait_for(lambda: counts(store).get("done") == 1)
        assert zd.count(f"/tickets/{ticket_id}.json", "PUT") == 0  # judged and stored, not written
        assert any(j.verdict == "drive_by" for j in store.ticket_judgements(ticket_id))

        clicked = datetime.now(UTC)
        assert client.post("/settings/write-back", data={"csrf": csrf, "action": "resume"}).status_code == 303
        assert "<strong>On</strong>" in client.get("/settings").text
    since = datetime.fromisoformat(store.state("serve.write_back_since") or "")
    assert since >= clicked.replace(microsecond=0)  # comments made while paused are never annotated later


def test_the_pause_outlasts_a_restart_and_only_an_admin_switches(store: Store, zd: FakeZendesk) -> None:
    with served(store, zd, write_back=True) as (client, _):
        assert login(client, "ada").status_code == 303
        csrf = form_csrf(client.get("/settings").text)
        client.post("/settings/write-back", data={"csrf": csrf, "action": "pause"})
        assert client.post("/settings/write-back", data={"csrf": csrf, "action": "explode"}).status_code == 400
        assert client.post("/settings/write-back", data={"action": "resume"}).status_code == 403  # no CSRF token
    with served(store, zd, write_back=True) as (client, _):
        assert login(client, "val").status_code == 303
        page = client.get("/settings").text
        assert "Paused</strong> by ada" in page and "Resume write-back" not in page
        csrf = form_csrf(page)
        assert client.post("/settings/write-back", data={"csrf": csrf, "action": "resume"}).status_code == 403
    with served(store, zd) as (client, _):  # started without --write-back: nothing to switch
        assert login(client, "ada").status_code == 303
        page = client.get("/settings").text
        assert "start <code>intently serve --write-back</code>" in page
        csrf = form_csrf(page)
        assert client.post("/settings/write-back", data={"csrf": csrf, "action": "resume"}).status_code == 409
