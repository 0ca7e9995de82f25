"""The audit log: every admin action names the account, its role, the client's address and what changed (the
policy's version and fingerprint before and after; write-back on or paused); a failed login names the user name
tried and the client's address, never the password. Read from the captured log records, as JSON lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from intently.policy import fingerprint, load_policy
from intently.policy.loader import merge, validate_policy
from intently.store import Store
from intently.web import create_app
from tests.dashboard_client import dashboard, ensure_account, form_csrf, login
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import MARKER, Served, captured, loaded_store, log_lines  # noqa: F401 - a fixture

PROPOSAL = "version: 1.1.0\nrules:\n  solicited:\n    enabled: false\n"
WRONG = "hunter2-not-the-password"
LOCAL = "127.0.0.1"


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    zd = FakeZendesk(ZendeskDataset.generate(tickets=4))
    zd.add_ticket(5001, f"Subject {MARKER}", f"Body {MARKER}", assignee_id=101)
    store = loaded_store(store_url, zd, tmp_path, load_policy())
    ensure_account(store, "ada", "admin")
    ensure_account(store, "val", "viewer")
    yield store
    store.close()


def _unused_client() -> Any:
    raise AssertionError("Zendesk is never called here")


def _events(records: list[logging.LogRecord], prefix: str) -> list[dict[str, Any]]:
    return [line for line in log_lines(records) if line["event"].startswith(prefix)]


def test_failed_logins_name_the_user_and_the_address_never_the_password(
    store: Store,
    captured: list[logging.LogRecord],  # noqa: F811 - the fixture
) -> None:
    with dashboard(store) as client:
        assert login(client, "val", WRONG).status_code == 401
        assert login(client, "no-such-user", WRONG).status_code == 401
        for _ in range(4):
            login(client, "val", WRONG)
        assert login(client, "val").status_code == 429  # the right password, too late
        assert login(client, "ada").status_code == 303
    failed = _events(captured, "login.failed")
    assert [(line["username"], line["client"], line["level"]) for line in failed[:2]] == [
        ("val", LOCAL, "warning"),
        ("no-such-user", LOCAL, "warning"),
    ]
    limited = _events(captured, "login.limited")
    assert [(line["username"], line["client"]) for line in limited] == [("val", LOCAL)]
    assert 1 <= limited[0]["retry_in_s"] <= 300
    ok = _events(captured, "login.ok")
    assert [(line["account"], line["role"], line["client"]) for line in ok] == [("ada", "admin", LOCAL)]
    text = "\n".join(str(line) for line in log_lines(captured))
    assert WRONG not in text and "correct horse" not in text


def test_every_admin_action_names_the_account_its_role_and_what_changed(
    store: Store,
    captured: list[logging.LogRecord],  # noqa: F811 - the fixture
) -> None:
    current = load_policy()
    proposed = validate_policy(merge(current.model_dump(), yaml.safe_load(PROPOSAL)), "proposal")
    before = {"name": current.name, "version": current.version, "fingerprint": fingerprint(current)}
    after = {"name": proposed.name, "version": "1.1.0", "fingerprint": fingerprint(proposed)}
    admin_token = store.create_token("ops-script", "admin")
    ticket = next(iter(store.histories())).ticket.id
    app = create_app(store, current, _unused_client, write_back=True, webhook_secret="s", run_worker=False)
    with Served(app) as served, httpx.Client(base_url=served.url, timeout=30) as client:
        assert login(client, "ada").status_code == 303
        csrf = form_csrf(client.get("/policy").text)
        assert client.post("/policy/compare", data={"csrf": csrf, "proposal": PROPOSAL}).status_code == 200
        assert client.post("/policy/compare.csv", data={"csrf": csrf, "proposal": PROPOSAL}).status_code == 200
        assert client.post("/policy/adopt", data={"csrf": csrf, "proposal": "rules: [1]"}).status_code == 422
        assert client.post("/policy/adopt", data={"csrf": csrf, "proposal": "version: 1.0.0\n"}).status_code == 422
        assert client.post("/policy/adopt", data={"csrf": csrf, "proposal": PROPOSAL}).status_code == 303
        for action in ("pause", "resume"):
            switched = client.post("/settings/write-back", data={"csrf": csrf, "action": action})
            assert switched.status_code == 303
        refresh = client.post(f"/api/tickets/{ticket}/refresh", headers={"Authorization": f"Bearer {admin_token}"})
        assert refresh.status_code == 202

    audited = _events(captured, "admin.") + _events(captured, "api.refresh")
    by = {(line["event"], line.get("account"), line.get("token"), line["role"], line["client"]) for line in audited}
    assert by == {
        ("admin.policy_compared", "ada", None, "admin", LOCAL),
        ("admin.policy_adopt_refused", "ada", None, "admin", LOCAL),
        ("admin.policy_adopted", "ada", None, "admin", LOCAL),
        ("admin.write_back_paused", "ada", None, "admin", LOCAL),
        ("admin.write_back_resumed", "ada", None, "admin", LOCAL),
        ("api.refresh", None, "ops-script", "admin", LOCAL),
    }
    changes = [(line["event"], line.get("before"), line.get("after"), line.get("status")) for line in audited]
    assert changes == [
        ("admin.policy_compared", before, after, "valid"),
        ("admin.policy_compared", before, after, "valid"),
        ("admin.policy_adopt_refused", before, None, "invalid"),
        ("admin.policy_adopt_refused", before, before, "valid"),  # a proposal that changes nothing
        ("admin.policy_adopted", before, after, None),
        ("admin.write_back_paused", {"write_back": "on"}, {"write_back": "paused"}, None),
        ("admin.write_back_resumed", {"write_back": "paused"}, {"write_back": "on"}, None),
        ("api.refresh", None, None, "queued"),
    ]
    adopted = next(line for line in audited if line["event"] == "admin.policy_adopted")
    assert adopted["judgements"] == len(list(store.judgements(full=False))) > 0
    refused = [line["reason"] for line in audited if line["event"] == "admin.policy_adopt_refused"]
    assert refused == ["not a valid policy", "the proposal changes nothing"]
    assert MARKER not in "\n".join(str(line) for line in log_lines(captured))  # never ticket text
