"""Every page and API answer about every ticket of a demo export, for every kind of viewer: never a 5xx.

The sidebar page once failed (500) on tickets with open solicitations when no agent was chosen: this walks the
whole export through the ticket page, the sidebar (no agent, the assignee, a contributor, an unknown id), and
the API (a ticket's judgements with and without ``agent_id``, check-reply as a contributor and as the assignee).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from intently.demo import generate_export
from intently.model import Id
from intently.policy import load_policy
from intently.store import Store
from intently.store.pipeline import import_path
from tests.dashboard_client import dashboard, ensure_account, login

TICKETS = 200
UNKNOWN = ("424242424242", "nobody")


def _contributors(store: Store) -> dict[Id, Id]:
    """A contributor (an author who is not the assignee at the time) of each ticket that has one."""
    found: dict[Id, Id] = {}
    for judgement in store.judgements(full=False):
        if judgement.author_id != judgement.assignee_id:
            found.setdefault(judgement.ticket_id, judgement.author_id)
    return found


def test_no_page_or_api_answer_about_any_demo_ticket_is_a_server_error(store_url: str, tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    generate_export(tmp_path / "export", tickets=TICKETS, seed=13, start=today - timedelta(days=91), days=91)
    policy = load_policy(tmp_path / "export" / "intently.yaml")
    store = Store.open(store_url)
    import_path(tmp_path / "export", store, policy)
    ensure_account(store, "val", "viewer")
    token = {"Authorization": f"Bearer {store.create_token('walk', 'viewer')}"}
    histories = list(store.histories())
    contributors = _contributors(store)
    agents = sorted((u.id for u in store.directory().users.values() if u.is_agent), key=str)
    assert len(histories) >= TICKETS and contributors and agents

    answers: dict[str, int] = {}
    open_asks = 0

    def call(client: httpx.Client, method: str, url: str, body: object = None) -> httpx.Response | None:
        what = f"{method} {url} {body or ''}".strip()
        try:
            answer = client.request(method, url, json=body, headers=token if url.startswith("/api/") else None)
        except httpx.TransportError:  # uvicorn drops the connection after an error the app raised
            answers[what] = 599
            return None
        answers[what] = answer.status_code
        return answer

    with dashboard(store, policy) as client:
        assert login(client, "val").status_code == 303
        for history in histories:
            ticket = history.ticket.id
            assignee = history.ticket.assignee_id
            contributor = contributors.get(ticket, agents[0])
            unknown = UNKNOWN[len(answers) % 2]
            call(client, "GET", f"/tickets/{ticket}")
            for agent in ("", *([] if assignee is None else [assignee]), contributor, unknown):
                call(client, "GET", f"/sidebar?ticket_id={ticket}&agent_id={agent}")
            for query in ("", f"?agent_id={contributor}"):
                found = call(client, "GET", f"/api/tickets/{ticket}/judgements{query}")
                if query == "" and found is not None and found.status_code == 200:
                    open_asks += any(item["open"] for item in found.json()["solicitations"])
            for agent, public in ((contributor, True), (assignee if assignee is not None else unknown, False)):
                call(client, "POST", "/api/check-reply", {"ticket_id": ticket, "agent_id": agent, "public": public})

    failed = {what: status for what, status in answers.items() if status >= 500}
    assert not failed, f"{len(failed)} server errors, e.g. {list(failed.items())[:5]}"
    # Every ticket exists, so its pages answer 200 (an id that is no agent's just shows no answers).
    not_ok = {what: status for what, status in answers.items() if what.startswith("GET") and status != 200}
    assert not not_ok, list(not_ok.items())[:5]
    assert open_asks > 0, "the walk must cover tickets with open solicitations"
    assert set(answers.values()) <= {200, 404, 422}  # check-reply: 404 for an unknown agent, 422 for no agent
    store.close()
