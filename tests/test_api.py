"""``intently serve``'s token-protected API: tokens from the CLI, judgements, and replies checked before sending."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from intently.policy import Policy, load_policy, policy_from_mapping
from intently.store import Store
from intently.store import schema as tables
from intently.web import create_app
from tests.cli_runner import intently as run_intently
from tests.fake_zendesk import PREFERRED_FIELD_ID, FakeZendesk, ZendeskDataset
from tests.test_webhooks import Served, loaded_store

ANA, MARIA, CUSTOMER = 101, 103, 5001


def intently(*args: str) -> subprocess.CompletedProcess[str]:
    return run_intently(*args)


@pytest.fixture
def account() -> tuple[FakeZendesk, int]:
    """A small account (not served: the API reads only the store) with one fresh ticket: assigned to Ana, who
    answered the customer."""
    zd = FakeZendesk(ZendeskDataset.generate(tickets=3))
    ticket_id = zd.add_ticket(CUSTOMER, "Invoice wrong", "My invoice is wrong.", assignee_id=ANA)
    zd.add_comment(ticket_id, ANA, "Looking into it.", public=True)
    return zd, ticket_id


@pytest.fixture
def store(store_url: str, account: tuple[FakeZendesk, int], tmp_path: Path) -> Iterator[Store]:
    store = loaded_store(store_url, account[0], tmp_path, load_policy())
    yield store
    store.close()


def _unused_client() -> Any:
    raise AssertionError("the API never calls Zendesk")


@contextmanager
def api(store: Store, policy: Policy | None = None) -> Iterator[httpx.Client]:
    """The app served over a real socket (no worker: the API reads the store only)."""
    app = create_app(
        store, policy or load_policy(), _unused_client, write_back=False, webhook_secret="s", run_worker=False
    )
    with Served(app) as served, httpx.Client(base_url=served.url, timeout=10) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- tokens -----------------------------------------------------------------------------------------------


def test_tokens_are_shown_once_and_only_their_hash_is_stored(store: Store, account: tuple[FakeZendesk, int]) -> None:
    made = intently("token", "create", "sidebar", "--db", store.url)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("itk_") and made.stdout == token + "\n"
    assert "shown only this once" in made.stderr and token not in made.stderr
    with store.engine.connect() as conn:
        rows = conn.execute(select(tables.api_tokens)).all()
    assert [(r.name, r.role, r.token_hash) for r in rows] == [
        ("sidebar", "viewer", hashlib.sha256(token.encode()).hexdigest())
    ]
    assert all(token not in str(value) for row in rows for value in row)
    if store.engine.dialect.name == "sqlite":
        # Not one byte of the token in the database files. (Closing our connections first: closing another
        # descriptor of a file SQLite has open in this process would drop its locks.)
        store.engine.dispose()
        path = Path(store.url.removeprefix("sqlite:///"))
        files = [path, Path(f"{path}-wal")]
        assert all(token.encode() not in f.read_bytes() for f in files if f.exists())

    assert intently("token", "create", "sidebar", "--db", store.url).returncode == 1
    admin = intently("token", "create", "ops", "--role", "admin", "--db", store.url)
    assert admin.returncode == 0
    assert intently("token", "create", "x", "--role", "root", "--db", store.url).returncode == 2
    listed = intently("token", "list", "--db", store.url)
    assert listed.returncode == 0 and "sidebar" in listed.stdout and "viewer" in listed.stdout
    assert "ops" in listed.stdout and "admin" in listed.stdout and token not in listed.stdout

    ticket_id = account[1]
    with api(store) as client:
        assert client.get(f"/api/tickets/{ticket_id}/judgements", headers=bearer(token)).status_code == 200
        revoked = intently("token", "revoke", "sidebar", "--db", store.url)
        assert revoked.returncode == 0 and "revoked" in revoked.stdout
        assert client.get(f"/api/tickets/{ticket_id}/judgements", headers=bearer(token)).status_code == 401
    assert intently("token", "revoke", "sidebar", "--db", store.url).returncode == 1
    assert "sidebar" not in intently("token", "list", "--db", store.url).stdout


def test_every_api_endpoint_needs_a_valid_bearer_token(store: Store, account: tuple[FakeZendesk, int]) -> None:
    ticket_id = account[1]
    token = store.create_token("t", "viewer")
    body = {"ticket_id": ticket_id, "agent_id": MARIA, "public": True}
    with api(store) as client:
        for headers in ({}, bearer("itk_wrong"), {"Authorization": f"Basic {token}"}, {"Authorization": "Bearer"}):
            for method, path, payload in (
                ("GET", f"/api/tickets/{ticket_id}/judgements", None),
                ("POST", "/api/check-reply", body),
                ("POST", f"/api/tickets/{ticket_id}/refresh", None),
            ):
                answer = client.request(method, path, json=payload, headers=headers)
                assert answer.status_code == 401, (headers, path)
                assert answer.headers["www-authenticate"] == "Bearer"
        assert client.post("/api/check-reply", json=body, headers=bearer(token)).status_code == 200
        # A viewer may read and check; refreshing a ticket takes an admin token.
        assert client.post(f"/api/tickets/{ticket_id}/refresh", headers=bearer(token)).status_code == 403
        admin = store.create_token("a", "admin")
        assert client.post(f"/api/tickets/{ticket_id}/refresh", headers=bearer(admin)).status_code == 202
        health = client.get("/healthz")
    assert store.delivery_counts() == {"pending": 1}
    assert health.status_code == 200
    assert set(health.json()) == {"status", "version", "worker", "webhooks", "write_back", "queue"}


# --- judgements -------------------------------------------------------------------------------------------


def test_a_tickets_judgements_with_its_assignee_and_preferred_region(
    store: Store, account: tuple[FakeZendesk, int]
) -> None:
    records = account[0].dataset.tickets
    ticket_id = next(
        h.ticket.id
        for h in store.histories()
        if len(store.ticket_judgements(h.ticket.id)) > 1 and _preferred(records[h.ticket.id]) is not None
    )
    history = store.history(ticket_id)
    assert history is not None
    token = store.create_token("t", "viewer")
    with api(store) as client:
        answer = client.get(f"/api/tickets/{ticket_id}/judgements", headers=bearer(token))
        missing = client.get("/api/tickets/999999/judgements", headers=bearer(token))
        text_id = client.get("/api/tickets/not-a-ticket/judgements", headers=bearer(token))
        huge = client.get(f"/api/tickets/{10**30}/judgements", headers=bearer(token))
    assert answer.status_code == 200
    data = answer.json()
    users = store.directory().users
    assert data["judgements"] == [
        {**j.to_export(), "author": users[j.author_id].name} for j in store.ticket_judgements(ticket_id)
    ]
    assert data["judgements"] and data["ticket_id"] == ticket_id
    assert data["assignee_id"] == history.ticket.assignee_id
    assert data["preferred_region"] == load_policy().region_of_value(_preferred(records[ticket_id]))
    assert data["preferred_region"] in ("EMEA", "AMER", "APAC")
    assert data["policy"]["name"] == "intently-default"
    assert (
        missing.status_code == 404 and text_id.status_code == 404 and huge.status_code == 404
    )  # no ticket can have such an id


def _preferred(record: dict[str, Any]) -> Any:
    return next(f["value"] for f in record["custom_fields"] if f["id"] == PREFERRED_FIELD_ID)


def test_judgements_name_the_current_assignee(store: Store, account: tuple[FakeZendesk, int]) -> None:
    ticket_id = account[1]
    token = store.create_token("t", "viewer")
    with api(store) as client:
        data = client.get(f"/api/tickets/{ticket_id}/judgements", headers=bearer(token)).json()
    assert data["assignee_id"] == ANA and data["assignee"] == "Ana Lee"
    assert [(j["author_id"], j["verdict"]) for j in data["judgements"]] == [(ANA, "assignee")]


def test_open_solicitations_say_who_was_asked_and_whether_they_answered(
    store_url: str, account: tuple[FakeZendesk, int], tmp_path: Path
) -> None:
    zd, ticket_id = account
    zd.add_comment(ticket_id, ANA, "@Maria Santos could you check the invoice run?", public=False, follow=[MARIA])
    asked = loaded_store(store_url, zd, tmp_path / "asked", load_policy())
    token = asked.create_token("t", "viewer")
    with api(asked) as client:
        as_maria = client.get(f"/api/tickets/{ticket_id}/judgements?agent_id={MARIA}", headers=bearer(token)).json()
        anonymous = client.get(f"/api/tickets/{ticket_id}/judgements", headers=bearer(token)).json()
        check = client.post(
            "/api/check-reply", json={"ticket_id": ticket_id, "agent_id": MARIA, "public": True}, headers=bearer(token)
        ).json()
    (invitation,) = as_maria["solicitations"]
    assert (invitation["kind"], invitation["invitee_id"], invitation["asked_by"]) == ("follower", MARIA, ANA)
    assert (invitation["invitee"], invitation["asked_by_name"]) == ("Maria Santos", "Ana Lee")
    assert invitation["open"] and invitation["asks_agent"] and invitation["answered_by"] == []
    assert "Ana Lee added Maria Santos as a follower" in invitation["detail"]
    assert "asks_agent" not in anonymous["solicitations"][0]
    assert (check["verdict"], check["rule"]) == ("intentional", "solicited")  # the listing and the rule agree
    asked.close()

    zd.add_comment(ticket_id, MARIA, "The invoice run failed on the 3rd; Ana will follow up.", public=False)
    answered = loaded_store(store_url, zd, tmp_path / "answered", load_policy())
    token = answered.create_token("t2", "viewer")
    with api(answered) as client:
        data = client.get(f"/api/tickets/{ticket_id}/judgements?agent_id={ANA}", headers=bearer(token)).json()
    (invitation,) = data["solicitations"]
    assert not invitation["open"] and invitation["answered_by"] == [MARIA]
    assert invitation["answered_by_names"] == ["Maria Santos"] and invitation["asks_agent"] is False
    answered.close()


# --- check-reply ------------------------------------------------------------------------------------------


def test_check_reply_for_a_contributor_about_to_drive_by(store: Store, account: tuple[FakeZendesk, int]) -> None:
    ticket_id = account[1]
    token = store.create_token("t", "viewer")
    before = [j.to_export() for j in store.judgements()]
    with api(store) as client:
        answer = client.post(
            "/api/check-reply", json={"ticket_id": ticket_id, "agent_id": MARIA, "public": True}, headers=bearer(token)
        )
        note = client.post(
            "/api/check-reply", json={"ticket_id": ticket_id, "agent_id": MARIA, "public": False}, headers=bearer(token)
        )
        owner = client.post(
            "/api/check-reply",
            json={"ticket_id": str(ticket_id), "agent_id": ANA, "public": True},
            headers=bearer(token),
        )
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert (data["verdict"], data["rule"]) == ("drive_by", "unsolicited_reply")
    assert "Maria Santos" in data["reason"] and "Ana Lee" in data["reason"]
    path = {step["action"]: step for step in data["intentional_path"]}
    assert list(path) == ["internal_note", "ask_assignee", "request_handover"]
    assert (path["internal_note"]["verdict"], path["internal_note"]["rule"]) == ("intentional", "internal_note")
    assert (path["ask_assignee"]["verdict"], path["ask_assignee"]["rule"]) == ("intentional", "solicited")
    assert "needs_collaboration" in path["ask_assignee"]["description"]
    assert (path["request_handover"]["verdict"], path["request_handover"]["rule"]) == ("ownership_change", "ownership")
    assert all(step["verdict"] in ("intentional", "ownership_change") for step in data["intentional_path"])

    assert note.json()["verdict"] == "intentional" and note.json()["intentional_path"] == []
    assert owner.status_code == 200
    assert (owner.json()["verdict"], owner.json()["rule"], owner.json()["intentional_path"]) == (
        "assignee",
        "assignee",
        [],
    )
    assert [j.to_export() for j in store.judgements()] == before  # a check changes nothing


def test_the_intentional_path_follows_the_policy(store: Store, account: tuple[FakeZendesk, int]) -> None:
    ticket_id = account[1]
    token = store.create_token("t", "viewer")
    policy = policy_from_mapping(
        {
            "rules": {
                "ownership": {"enabled": False},
                "solicited": {"tags": ["pod_help"], "followers": False, "ccs": False},
            }
        }
    )
    with api(store, policy) as client:
        data = client.post(
            "/api/check-reply", json={"ticket_id": ticket_id, "agent_id": MARIA, "public": True}, headers=bearer(token)
        ).json()
    assert data["verdict"] == "drive_by"
    path = {step["action"]: step for step in data["intentional_path"]}
    assert list(path) == ["internal_note", "ask_assignee"]  # no ownership rule: a handover is no way out
    assert "pod_help" in path["ask_assignee"]["description"]


def test_bad_requests_get_4xx_never_500(store: Store, account: tuple[FakeZendesk, int]) -> None:
    ticket_id = account[1]
    token = store.create_token("t", "viewer")
    good = {"ticket_id": ticket_id, "agent_id": MARIA, "public": True}
    hostile: list[tuple[Any, int]] = [
        ({}, 422),
        ([], 422),
        ("a string", 422),
        (None, 422),
        ({**good, "ticket_id": 10**30}, 422),
        ({**good, "ticket_id": -5}, 422),
        ({**good, "ticket_id": 0}, 422),
        ({**good, "ticket_id": 1.5}, 422),
        ({**good, "ticket_id": True}, 422),
        ({**good, "ticket_id": {"$gt": 1}}, 422),
        ({**good, "ticket_id": [ticket_id]}, 422),
        ({**good, "ticket_id": "x" * 10_000}, 422),
        ({**good, "ticket_id": "99999999999999999999999"}, 404),  # no ticket can have it
        ({**good, "ticket_id": "no-such-ticket"}, 404),
        ({**good, "ticket_id": 424242}, 404),
        ({**good, "agent_id": 424242}, 404),
        ({**good, "agent_id": CUSTOMER}, 422),
        ({**good, "agent_id": None}, 422),
        ({**good, "public": "yes"}, 422),
        ({**good, "public": 1}, 422),
        ({"ticket_id": ticket_id, "agent_id": MARIA}, 422),
        ({**good, "extra": {"deeply": [{"nested": ["junk"] * 50}]}}, 422),
        ({"a": {"b": {"c": {"d": {"e": {"f": [[[[[[]]]]]]}}}}}}, 422),
    ]
    with api(store) as client:
        for body, status in hostile:
            answer = client.post("/api/check-reply", json=body, headers=bearer(token))
            assert answer.status_code == status, (body if len(str(body)) < 200 else "long", answer.text[:300])
            assert "x" * 1000 not in answer.text  # the input is not echoed back
        for raw in (b"{", b"\xff\xfe", b'{"ticket_id": 1, "agent_id": 2, "public": tru}', b"[" * 5000):
            answer = client.post(
                "/api/check-reply", content=raw, headers={**bearer(token), "Content-Type": "application/json"}
            )
            assert 400 <= answer.status_code < 500, (raw[:20], answer.status_code)
        for path in ("/api/tickets/%00/judgements", "/api/tickets/%20/judgements", "/api/tickets/-1/judgements"):
            assert 400 <= client.get(path, headers=bearer(token)).status_code < 500, path
        assert client.get("/api/nope", headers=bearer(token)).status_code == 404
        assert client.get("/api/openapi.json").status_code in (401, 404) and client.get("/docs").status_code == 404


def test_a_body_over_the_cap_is_refused_before_it_is_read(store: Store, account: tuple[FakeZendesk, int]) -> None:
    """Without a token or with one, declared or streamed: 413 as soon as the body passes 256 KiB, never parsed (the
    route, and its token check, never see it); the server then answers as before."""
    from intently.web.limits import MAX_BODY

    token = store.create_token("t", "viewer")
    good = {"ticket_id": account[1], "agent_id": MARIA, "public": True}
    big = b'{"padding": "' + b"x" * (MAX_BODY + 10) + b'"}'

    def streamed() -> Iterator[bytes]:  # no Content-Length: sent chunked, far more than the cap
        for _ in range(400):
            yield b" " * 65536

    with api(store) as client:
        for headers in ({}, bearer(token)):
            declared = client.post(
                "/api/check-reply", content=big, headers={**headers, "Content-Type": "application/json"}
            )
            assert declared.status_code == 413 and declared.json() == {"detail": "request body over 256 KiB"}
            chunked = client.post("/api/check-reply", content=streamed(), headers=headers)
            assert chunked.status_code == 413
        login = client.post("/login", content=big, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert login.status_code == 413
        assert client.post("/api/check-reply", json=good, headers=bearer(token)).status_code == 200


def test_head_says_what_get_would_without_the_body(store: Store, account: tuple[FakeZendesk, int]) -> None:
    """Uptime monitors send HEAD: the same status and headers as GET, no body (never a 405)."""
    token = store.create_token("t", "viewer")
    with api(store) as client:
        for path, headers in (("/healthz", {}), ("/", {}), (f"/api/tickets/{account[1]}/judgements", bearer(token))):
            got, head = client.get(path, headers=headers), client.head(path, headers=headers)
            assert head.status_code == got.status_code != 405, path
            assert head.content == b"" and head.headers.get("content-type") == got.headers.get("content-type")
            assert head.headers.get("location") == got.headers.get("location")


def test_intently_guide_says_what_check_reply_answers(store: Store, account: tuple[FakeZendesk, int]) -> None:
    """``intently guide TICKET --agent WHO`` on the terminal gives the API's answers: the same verdicts, reasons and
    intentional path for a public reply and an internal note, the agent named by e-mail or id."""
    ticket_id = account[1]
    token = store.create_token("t", "viewer")
    with api(store) as client:
        answers = [
            client.post(
                "/api/check-reply",
                json={"ticket_id": ticket_id, "agent_id": MARIA, "public": public},
                headers=bearer(token),
            ).json()
            for public in (True, False)
        ]
    maria = store.directory().users[MARIA]
    assert maria.email
    shown = intently("guide", str(ticket_id), "--agent", maria.email, "--db", store.url, "-f", "json")
    assert shown.returncode == 0, shown.stderr
    mine = json.loads(shown.stdout)
    volatile = {"coverage", "policy"}  # the customer's wait is counted to the second the answer is made
    assert [{k: v for k, v in a.items() if k not in volatile} for a in mine] == [
        {k: v for k, v in a.items() if k not in volatile} for a in answers
    ]
    text = intently("guide", str(ticket_id), "--agent", str(MARIA), "--db", store.url)
    assert text.returncode == 0, text.stderr
    said = " ".join(text.stdout.split())
    assert answers[0]["headline"] in said and " ".join(answers[0]["reason"].split()) in said
    assert "A public reply would be Drive-by (unsolicited_reply)" in said
    assert "An internal note would be Intentional help (internal_note)" in said
    assert all(" ".join(step["description"].split()) in said for step in answers[0]["intentional_path"])
    customer = intently("guide", str(ticket_id), "--agent", str(CUSTOMER), "--db", store.url)
    assert customer.returncode == 1 and "is not an agent" in customer.stderr
    unknown = intently("guide", str(ticket_id), "--agent", "who@nowhere.test", "--db", store.url)
    assert unknown.returncode == 1 and "no user 'who@nowhere.test'" in unknown.stderr
