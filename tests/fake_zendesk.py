"""A Zendesk-compatible test server: real HTTP on 127.0.0.1, responses in the shapes Zendesk really sends.

The shapes follow the recorded responses in ``../shared/zendesk-recorded/raw/`` (cursor pagination with
``meta{has_more, after_cursor, before_cursor}`` and ``links{prev, next}``, the cursor incremental ticket export
``{tickets, after_url, before_url, after_cursor, before_cursor, end_of_stream}``, audits with
``Create``/``Change``/``Comment``/``Notification`` events and string ids in ``Create``/``Change`` values); the data
is generated here (:meth:`ZendeskDataset.generate`) or read from any export directory
(:meth:`ZendeskDataset.from_export`).

Usage::

    zd = FakeZendesk(ZendeskDataset.generate(tickets=30)).start()   # zd.url == "http://127.0.0.1:PORT"
    env = {**os.environ, **zd.credentials_env()}                   # ZENDESK_EMAIL / ZENDESK_API_TOKEN
    zd.add_comment(7, author_id=zd.dataset.agents[0], body="Done.", public=True)   # the ticket moves on
    zd.add_ticket(requester_id, "Subject", "Body", assignee_id=None); zd.delete_ticket(7)
    zd.add_user(120, "New Agent", "new@example.com"); zd.update_user(101, user_fields={"support_region": "apac"})
    zd.fail(429, retry_after=1)                 # the next request is rate limited (or: at=N, times=3, path=...)
    zd.fail("drop", times=2)                    # the next two connections are closed without an answer
    zd.on_request(40, lambda: ...)              # run something when request number 40 arrives
    zd.requests                                 # every request: number, method, path, query, status
    zd.stop()

Endpoints: ``users/me``, ``users/show_many``, ``users``, ``groups``, ``group_memberships``, ``ticket_fields``
(cursor pagination, or the offset shape without ``page[size]``), ``incremental/tickets/cursor`` and
``incremental/users/cursor`` (``page_size`` records a page), ``tickets/{id}``, ``tickets/{id}/audits`` (cursor
pagination), and ``PUT tickets/{id}`` (adds an audit with the comment and tag changes; honours
``safe_update``/``updated_stamp`` with 409). Wrong credentials get 401. Deleted tickets are
404 except in the incremental export, where they appear with ``status: "deleted"``.
"""

from __future__ import annotations

import base64
import json
import random
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from intently.demo.records import user_record

PREFERRED_FIELD_ID = 360_000_101
AREA_FIELD_ID = 360_000_102
API_USER_ID = 900
MISSING_USER_ID = 7777
"""Author of one comment in generated data who is not among the users (as in real exports)."""
SYSTEM = -1
SAFE_UPDATE_CONFLICT = {
    "error": "UpdateConflict",
    "description": "Safe Update prevented the update due to outdated ticket data. "
    "Please fetch the latest ticket data and try again.",
}


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _b64(data: Any) -> str:
    return base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _unb64(text: str) -> Any:
    return json.loads(base64.b64decode(text.encode()))


# --- the dataset ------------------------------------------------------------------------------------


@dataclass
class ZendeskDataset:
    """An account's data as Zendesk API records. The server changes it in place as tickets change."""

    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    group_memberships: list[dict[str, Any]] = field(default_factory=list)
    ticket_fields: list[dict[str, Any]] = field(default_factory=list)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    audits: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    next_id: int = 40_000_000_000
    agents: list[int] = field(default_factory=list)
    """Ids of the agents (for tests that add comments)."""

    def new_id(self) -> int:
        self.next_id += 1 + self.next_id % 7
        return self.next_id

    @property
    def latest(self) -> int:
        """The latest moment in the data (epoch seconds)."""
        stamps = [int(t.get("generated_timestamp") or 0) for t in self.tickets.values()]
        stamps += [epoch(a["created_at"]) for audits in self.audits.values() for a in audits]
        return max(stamps, default=0)

    # --- from and to export directories ---------------------------------------------------------

    @classmethod
    def from_export(cls, root: Path) -> ZendeskDataset:
        """Any Zendesk export directory (e.g. ../shared/zendesk-recorded/export)."""
        data = cls()

        def records(prefix: str, key: str) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            for path in sorted(root.glob(f"{prefix}*.json")):
                found.extend(json.loads(path.read_text()).get(key) or [])
            return found

        data.users = records("users", "users")
        data.groups = records("groups", "groups")
        data.group_memberships = records("group_memberships", "group_memberships")
        data.ticket_fields = records("ticket_fields", "ticket_fields")
        for ticket in records("tickets", "tickets"):
            current = data.tickets.get(ticket["id"])
            if current is None or _stamp(ticket) >= _stamp(current):
                data.tickets[ticket["id"]] = ticket
        for audit in records("ticket_audits", "audits"):
            data.audits.setdefault(int(audit["ticket_id"]), []).append(audit)
        for audits in data.audits.values():
            audits.sort(key=lambda a: (a["created_at"], a["id"]))
        audits = [a for x in data.audits.values() for a in x]
        ids = [int(r["id"]) for r in [*data.users, *audits, *(e for a in audits for e in a.get("events") or [])]]
        data.next_id = max([data.next_id, *ids]) + 1
        data.agents = [u["id"] for u in data.users if u.get("role") in ("agent", "admin")]
        return data

    def write_export(self, root: Path) -> Path:
        """The data as an export directory (what ``intently import`` reads)."""
        root.mkdir(parents=True, exist_ok=True)
        pages = {
            "users": self.users,
            "groups": self.groups,
            "group_memberships": self.group_memberships,
            "ticket_fields": self.ticket_fields,
        }
        for kind, records in pages.items():
            (root / f"{kind}.page-001.json").write_text(json.dumps({kind: records}))
        ordered = sorted(self.tickets.values(), key=_order)
        (root / "tickets.page-001.json").write_text(json.dumps({"tickets": ordered, "end_of_stream": True}))
        audits = sorted((a for x in self.audits.values() for a in x), key=lambda a: (a["created_at"], a["id"]))
        (root / "ticket_audits.page-001.json").write_text(json.dumps({"audits": audits}))
        return root

    # --- generated data -------------------------------------------------------------------------

    @classmethod
    def generate(cls, tickets: int = 30, seed: int = 1, *, start: datetime | None = None) -> ZendeskDataset:
        """A small, varied account: agents in three regions, customers, groups, a Preferred Region field,
        and tickets with replies, internal notes, hand-overs, help requests (tag, follower by e-mail, CC),
        triggers, one comment by a user missing from the users, and one deleted ticket."""
        rng = random.Random(seed)
        data = cls()
        at0 = int((start or datetime(2026, 9, 1, 7, 0, tzinfo=UTC)).timestamp())
        people = [
            (101, "Ana Lee", "Europe/Amsterdam", "emea", "agent"),
            (102, "Joost de Vries", "Europe/Amsterdam", "emea", "agent"),
            (103, "Maria Santos", "America/Los_Angeles", "amer", "agent"),
            (104, "Sam Carter", "America/Los_Angeles", "amer", "agent"),
            (105, "Bo Chen", "Australia/Brisbane", "apac", "agent"),
            (106, "Priya Nair", "Australia/Brisbane", "apac", "admin"),
        ]
        for user_id, name, zone, region, role in people:
            data.users.append(_user(user_id, name, f"{name.split()[0].lower()}@example.com", zone, role, region))
        data.users.append(_user(API_USER_ID, "Intently Bot", "api@example.com", "Europe/London", "admin", None))
        customers = []
        for n in range(12):
            user_id = 5001 + n
            zone = ("America/New_York", "Europe/Berlin", "Asia/Tokyo")[n % 3]
            data.users.append(_user(user_id, f"Customer {n + 1}", f"customer{n + 1}@client{n % 4}.test", zone))
            customers.append(user_id)
        agents = [p[0] for p in people]
        data.agents = agents
        for index, (name, region) in enumerate((("Support EMEA", "emea"), ("Support AMER", "amer"), ("APAC", "apac"))):
            group_id = 20_001 + index
            data.groups.append(
                {
                    "url": f"https://example.zendesk.com/api/v2/groups/{group_id}.json",
                    "id": group_id,
                    "is_public": True,
                    "name": name,
                    "description": "",
                    "default": index == 0,
                    "deleted": False,
                    "created_at": iso(at0 - 86_400 * 90),
                    "updated_at": iso(at0 - 86_400 * 90),
                }
            )
            for user_id, *_rest, agent_region, _role in people:
                if agent_region == region:
                    data.group_memberships.append(
                        {
                            "url": "https://example.zendesk.com/api/v2/group_memberships/1.json",
                            "id": 30_000 + group_id % 100 * 100 + user_id % 100,
                            "user_id": user_id,
                            "group_id": group_id,
                            "default": True,
                            "created_at": iso(at0 - 86_400 * 90),
                            "updated_at": iso(at0 - 86_400 * 90),
                        }
                    )
        data.ticket_fields = [
            _ticket_field(PREFERRED_FIELD_ID, "Preferred Region for Support", "tagger", at0),
            _ticket_field(AREA_FIELD_ID, "Product area", "text", at0),
        ]
        for number in range(1, tickets + 1):
            _generate_ticket(data, rng, number, at0 + number * 19_380, customers, agents, people)
        return data


def _stamp(ticket: dict[str, Any]) -> tuple[str, int]:
    return (str(ticket.get("updated_at") or ""), int(ticket.get("generated_timestamp") or 0))


def _order(ticket: dict[str, Any]) -> tuple[int, int]:
    return (int(ticket.get("generated_timestamp") or 0), int(ticket["id"]))


def _user_order(user: dict[str, Any]) -> tuple[int, int]:
    return (epoch(str(user.get("updated_at") or "1970-01-01T00:00:00Z")), int(user["id"]))


def _user(
    user_id: int, name: str, email: str | None, zone: str, role: str = "end-user", region: str | None = None
) -> dict[str, Any]:
    created = epoch("2026-01-05T09:00:00Z")
    fields = {"support_region": region} if region else {}
    return user_record(user_id, name, email, zone, role, created, created, None, fields)


def _ticket_field(field_id: int, title: str, kind: str, at: int) -> dict[str, Any]:
    record: dict[str, Any] = {
        "url": f"https://example.zendesk.com/api/v2/ticket_fields/{field_id}.json",
        "id": field_id,
        "type": kind,
        "title": title,
        "raw_title": title,
        "description": "",
        "raw_description": "",
        "position": 9999,
        "active": True,
        "required": False,
        "collapsed_for_agents": False,
        "regexp_for_validation": None,
        "title_in_portal": title,
        "raw_title_in_portal": title,
        "visible_in_portal": True,
        "editable_in_portal": True,
        "required_in_portal": False,
        "tag": None,
        "created_at": iso(at - 86_400 * 90),
        "updated_at": iso(at - 86_400 * 90),
        "removable": True,
        "key": None,
        "agent_description": None,
    }
    if kind == "tagger":
        record["custom_field_options"] = [
            {"id": field_id * 10 + n, "name": name, "raw_name": name, "value": value, "default": False}
            for n, (name, value) in enumerate((("EMEA", "emea"), ("AMER", "amer"), ("APAC", "apac")))
        ]
    return record


_VIA = {
    "web": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
    "api": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
    "email": {
        "channel": "email",
        "source": {"from": {}, "to": {"name": "Support", "address": "support@example.com"}, "rel": None},
    },
    "rule": {
        "channel": "rule",
        "source": {
            "from": {"deleted": False, "title": "Notify requester", "id": 7001, "revision_id": 1},
            "rel": "trigger",
        },
    },
}


class _Ticket:
    """Builds one ticket's audits and keeps its current state (for its ticket record)."""

    def __init__(self, data: ZendeskDataset, record: dict[str, Any]) -> None:
        self.data = data
        self.record = record
        self.audits = data.audits.setdefault(record["id"], [])

    def audit(self, at: int, author: int, events: list[dict[str, Any]], via: str = "web") -> dict[str, Any]:
        audit_id = self.data.new_id()
        full = []
        for event in events:
            event = {"id": self.data.new_id(), **event}
            if event["type"] == "Comment":
                body = event.pop("body")
                event = {
                    "id": event["id"],
                    "type": "Comment",
                    "author_id": event.get("author_id", author),
                    "body": body,
                    "html_body": f'<div class="zd-comment" dir="auto"><p dir="auto">{body}</p></div>',
                    "plain_body": body,
                    "public": event["public"],
                    "attachments": [],
                    "audit_id": audit_id,
                }
            full.append(event)
            self._apply(event)
        system: dict[str, Any] = {} if via == "rule" else {"client": "Mozilla/5.0", "ip_address": "203.0.113.9"}
        audit = {
            "id": audit_id,
            "ticket_id": self.record["id"],
            "created_at": iso(at),
            "author_id": author,
            "metadata": {"system": system, "custom": {}},
            "events": full,
            "via": _VIA[via],
        }
        self.audits.append(audit)
        self.record["updated_at"] = iso(at)
        self.record["generated_timestamp"] = at
        return audit

    def _apply(self, event: dict[str, Any]) -> None:
        record = self.record
        if event["type"] in ("Create", "Change"):
            name, value = event["field_name"], event["value"]
            if name in ("assignee_id", "group_id", "requester_id"):
                record[name] = int(value) if value is not None else None
            elif name in ("status", "priority", "subject", "type"):
                record[name] = value
            elif name == "tags":
                record["tags"] = list(value)
            elif str(name).isdigit():
                for item in record["custom_fields"]:
                    if str(item["id"]) == str(name):
                        item["value"] = value
                record["fields"] = [dict(item) for item in record["custom_fields"]]
        elif event["type"] == "FollowerChange":
            record["follower_ids"] = [self._user_id(v) for v in event["current_followers"]]
        elif event["type"] == "EmailCcChange":
            record["email_cc_ids"] = [self._user_id(v) for v in event["current_email_ccs"]]
        if event["type"] in ("FollowerChange", "EmailCcChange"):
            record["collaborator_ids"] = sorted(set(record["follower_ids"]) | set(record["email_cc_ids"]))

    def _user_id(self, ref: str) -> int:
        if ref.isdigit():
            return int(ref)
        return next((u["id"] for u in self.data.users if u.get("email") == ref), 0)


def _ticket_record(ticket_id: int, at: int, requester: int, subject: str, body: str) -> dict[str, Any]:
    return {
        "url": f"https://example.zendesk.com/api/v2/tickets/{ticket_id}.json",
        "id": ticket_id,
        "external_id": None,
        "via": _VIA["email"],
        "created_at": iso(at),
        "updated_at": iso(at),
        "generated_timestamp": at,
        "type": None,
        "subject": subject,
        "raw_subject": subject,
        "description": body,
        "priority": None,
        "status": "new",
        "recipient": "support@example.com",
        "requester_id": requester,
        "submitter_id": requester,
        "assignee_id": None,
        "organization_id": None,
        "group_id": None,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": [],
        "custom_fields": [{"id": PREFERRED_FIELD_ID, "value": None}, {"id": AREA_FIELD_ID, "value": None}],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "custom_status_id": 1,
        "fields": [{"id": PREFERRED_FIELD_ID, "value": None}, {"id": AREA_FIELD_ID, "value": None}],
        "followup_ids": [],
        "ticket_form_id": 1,
        "brand_id": 1,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }


def _comment(body: str, public: bool, author: int | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "Comment", "body": body, "public": public}
    if author is not None:
        event["author_id"] = author
    return event


def _change(name: str, value: Any, previous: Any) -> dict[str, Any]:
    return {"type": "Change", "value": value, "field_name": name, "previous_value": previous}


def _create(name: str, value: Any) -> dict[str, Any]:
    return {"type": "Create", "value": value, "field_name": name}


def _generate_ticket(
    data: ZendeskDataset,
    rng: random.Random,
    number: int,
    at: int,
    customers: list[int],
    agents: list[int],
    people: list[tuple[int, str, str, str, str]],
) -> None:
    region_of = {p[0]: p[3] for p in people}
    email_of = {p[0]: f"{p[1].split()[0].lower()}@example.com" for p in people}
    requester = customers[number % len(customers)]
    region = ("emea", "amer", "apac", None)[rng.randrange(4)]
    area = rng.choice(("billing", "sso", "api", "exports"))
    subject = f"{area.upper()} question #{number}"
    record = _ticket_record(number, at, requester, subject, f"Hello, I have a {area} problem.")
    data.tickets[number] = record
    ticket = _Ticket(data, record)
    priority = rng.choice(("low", "normal", "normal", "high", "urgent"))
    tags = [area]
    group = 20_001 + ("emea", "amer", "apac").index(region) if region else 20_001
    ticket.audit(
        at,
        requester,
        [
            _comment(f"Hello, I have a {area} problem.", True),
            _create("subject", subject),
            _create("requester_id", str(requester)),
            _create("status", "new"),
            _create("priority", priority),
            _create("type", None),
            _create("tags", tags),
            _create("group_id", str(group)),
            _create(str(PREFERRED_FIELD_ID), region),
            _create(str(AREA_FIELD_ID), area),
        ],
        via="email",
    )
    ticket.audit(
        at + 1,
        SYSTEM,
        [
            {
                "type": "Notification",
                "via": _VIA["rule"],
                "subject": "Received",
                "body": "We got it.",
                "recipients": [requester],
            }
        ],
        via="rule",
    )
    now = at + rng.randint(10, 400) * 60
    local = [a for a in agents if region_of[a] == region] or agents
    owner = rng.choice(local)
    others = [a for a in agents if a != owner]
    ticket.audit(
        now,
        owner,
        [_change("assignee_id", str(owner), None), _change("status", "open", "new"), _comment("On it.", True)],
    )
    followers: list[str] = []
    for _ in range(rng.randint(0, 6)):
        now += rng.randint(5, 900) * 60
        helper = rng.choice(others)
        move = rng.randrange(9)
        if move == 0:
            ticket.audit(now, requester, [_comment("Any news?", True), _change("status", "open", "pending")], "email")
        elif move == 1:
            ticket.audit(now, owner, [_comment("Still investigating.", True), _change("status", "pending", "open")])
        elif move == 2:
            ticket.audit(now, helper, [_comment("Note: I saw this last week; check the logs.", False)])
        elif move == 3:
            ticket.audit(now, helper, [_comment("Hi, jumping in: try clearing the cache.", True)])
        elif move == 4:
            new_tags = [*record["tags"], "needs_collaboration"]
            ticket.audit(now, owner, [_change("tags", new_tags, list(record["tags"]))])
            ticket.audit(now + 1200, helper, [_comment("Helping out here.", rng.random() < 0.5)])
        elif move == 5:
            before = list(followers)
            followers.append(email_of[helper])
            ticket.audit(
                now, owner, [{"type": "FollowerChange", "previous_followers": before, "current_followers": followers}]
            )
            ticket.audit(now + 600, helper, [_comment(f"{helper}: the fix is in the next release.", True)])
        elif move == 6:
            ticket.audit(now, helper, [_change("assignee_id", str(helper), str(owner)), _comment("Taking this.", True)])
            owner, others = helper, [a for a in agents if a != helper]
        elif move == 7:
            ccs = [str(helper)]
            ticket.audit(
                now, requester, [{"type": "EmailCcChange", "previous_email_ccs": [], "current_email_ccs": ccs}], "email"
            )
            ticket.audit(now + 300, helper, [_comment("Copied in; replying.", True)])
        else:
            ticket.audit(now, owner, [_change("priority", "high", record["priority"])])
    if number == 2:
        now += 600
        ticket.audit(now, MISSING_USER_ID, [_comment("A former colleague's note.", False)])
    if rng.random() < 0.6:
        now += rng.randint(30, 600) * 60
        ticket.audit(now, owner, [_comment("Solved, closing.", True), _change("status", "solved", record["status"])])
    if number == 4:
        now += 3600
        ticket.audit(now, owner, [_change("status", "deleted", record["status"])])


# --- the server -------------------------------------------------------------------------------------


@dataclass
class Request:
    """One request as the server saw it."""

    number: int
    method: str
    path: str
    query: dict[str, str]
    status: int = 0
    authorized: bool = False


@dataclass
class _Fault:
    status: int | str
    times: int
    retry_after: float | None
    at: int
    path: str | None


class FakeZendesk:
    """A Zendesk account served over real HTTP on 127.0.0.1. See the module docstring."""

    def __init__(
        self,
        dataset: ZendeskDataset | None = None,
        *,
        email: str = "api@example.com",
        api_token: str = "zd-test-token-3f9a7c1e5b",
        oauth_token: str | None = None,
        me_id: int = API_USER_ID,
        page_size: int = 5,
        audit_page_size: int = 3,
        list_page_size: int = 10,
    ) -> None:
        self.dataset = dataset if dataset is not None else ZendeskDataset.generate()
        self.email = email
        self.api_token = api_token
        self.oauth_token = oauth_token
        self.me_id = me_id
        self.page_size = page_size
        self.audit_page_size = audit_page_size
        self.list_page_size = list_page_size
        self.requests: list[Request] = []
        self.lock = threading.RLock()
        self.clock = max(self.dataset.latest, int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())) + 3600
        self._faults: list[_Fault] = []
        self._hooks: dict[int, list[Callable[[], None]]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeZendesk:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, args=(0.02,), name="fake-zendesk", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeZendesk:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def credentials_env(self) -> dict[str, str]:
        """Environment variables for the API token credentials this server accepts."""
        return {"ZENDESK_EMAIL": self.email, "ZENDESK_API_TOKEN": self.api_token}

    # --- control --------------------------------------------------------------------------------

    def fail(
        self,
        status: int | str,
        *,
        times: int = 1,
        retry_after: float | None = None,
        at: int | None = None,
        path: str | None = None,
    ) -> None:
        """Answer ``times`` requests with ``status`` (``"drop"``: close the connection without an answer),
        from request number ``at`` (default: the next one), only those whose path contains ``path``."""
        with self.lock:
            start = at if at is not None else len(self.requests) + 1
            self._faults.append(_Fault(status, times, retry_after, start, path))

    def on_request(self, number: int, action: Callable[[], None]) -> None:
        """Run ``action`` (in the server's thread) when request number ``number`` arrives, before answering."""
        with self.lock:
            self._hooks.setdefault(number, []).append(action)

    def count(self, path: str = "", method: str | None = None) -> int:
        """Requests whose path contains ``path`` (and with ``method``, if given)."""
        with self.lock:
            return sum(1 for r in self.requests if path in r.path and (method is None or r.method == method))

    def tick(self, seconds: int = 60) -> int:
        """Advance the server's clock; returns the new time (epoch seconds)."""
        with self.lock:
            self.clock += seconds
            return self.clock

    def add_comment(
        self,
        ticket_id: int,
        author_id: int,
        body: str,
        public: bool = True,
        *,
        tags: list[str] | None = None,
        follow: list[int] | None = None,
        via: str = "web",
    ) -> dict[str, Any]:
        """A new audit on a ticket with a comment (and optionally the ticket's new tags, and users made followers
        as an @mention does); returns the audit."""
        with self.lock:
            record = self._live(ticket_id)
            events: list[dict[str, Any]] = [_comment(body, public, author_id)]
            if tags is not None and list(tags) != list(record["tags"]):
                events.append(_change("tags", list(tags), list(record["tags"])))
            if follow:
                before = [str(user_id) for user_id in record.get("follower_ids") or []]
                after = before + [str(user_id) for user_id in follow if str(user_id) not in before]
                events.append({"type": "FollowerChange", "previous_followers": before, "current_followers": after})
            return _Ticket(self.dataset, record).audit(self.tick(), author_id, events, via)

    def add_ticket(self, requester_id: int, subject: str, body: str, *, assignee_id: int | None = None) -> int:
        """A new ticket (opened by ``requester_id``, optionally assigned); returns its id."""
        with self.lock:
            ticket_id = max(self.dataset.tickets, default=0) + 1
            at = self.tick()
            record = _ticket_record(ticket_id, at, requester_id, subject, body)
            self.dataset.tickets[ticket_id] = record
            events = [_comment(body, True), _create("subject", subject), _create("requester_id", str(requester_id))]
            events += [_create("status", "new"), _create("priority", "normal")]
            if assignee_id is not None:
                events += [_create("assignee_id", str(assignee_id)), _create("status", "open")]
            _Ticket(self.dataset, record).audit(at, requester_id, events, "email")
            return ticket_id

    def add_user(self, user_id: int, name: str, email: str, *, role: str = "agent", **fields: Any) -> dict[str, Any]:
        """A new user (an agent unless ``role`` says otherwise); ``fields`` go to the record, e.g.
        ``iana_time_zone="Europe/Paris"`` or ``user_fields={"support_region": "emea"}``."""
        with self.lock:
            record = _user(user_id, name, email, fields.pop("iana_time_zone", "Europe/Amsterdam"), role)
            record.update(fields, updated_at=iso(self.tick()))
            self.dataset.users.append(record)
            return record

    def update_user(self, user_id: int, **changes: Any) -> dict[str, Any]:
        """Change a user's record (e.g. ``user_fields={"support_region": "apac"}``); it moves on in the export."""
        with self.lock:
            record = next(u for u in self.dataset.users if u["id"] == user_id)
            record.update(changes, updated_at=iso(self.tick()))
            return record

    def delete_ticket(self, ticket_id: int) -> None:
        """Delete a ticket: it is 404 from now on and shows as ``status: deleted`` in the incremental export."""
        with self.lock:
            record = self._live(ticket_id)
            at = self.tick()
            record["status"] = "deleted"
            record["updated_at"] = iso(at)
            record["generated_timestamp"] = at

    def _live(self, ticket_id: int) -> dict[str, Any]:
        record = self.dataset.tickets.get(ticket_id)
        if record is None or record.get("status") == "deleted":
            raise KeyError(f"no ticket {ticket_id}")
        return record

    # --- answering ------------------------------------------------------------------------------

    def _arrive(self, method: str, target: str, authorization: str | None) -> tuple[Request, _Fault | None]:
        parts = urlsplit(target)
        with self.lock:
            request = Request(
                number=len(self.requests) + 1,
                method=method,
                path=parts.path,
                query=dict(parse_qsl(parts.query)),
                authorized=self._authorized(authorization),
            )
            self.requests.append(request)
            hooks = self._hooks.pop(request.number, [])
            fault = None
            for candidate in self._faults:
                if candidate.times > 0 and request.number >= candidate.at and (candidate.path or "") in parts.path:
                    candidate.times -= 1
                    fault = candidate
                    break
        for hook in hooks:
            hook()
        return request, fault

    def _authorized(self, header: str | None) -> bool:
        if not header:
            return False
        kind, _, value = header.partition(" ")
        if kind == "Basic":
            try:
                text = base64.b64decode(value).decode()
            except ValueError:
                return False
            return text == f"{self.email}/token:{self.api_token}"
        return kind == "Bearer" and self.oauth_token is not None and value == self.oauth_token

    def _answer(self, request: Request, body: Any) -> tuple[int, Any]:
        path, query = request.path, request.query
        if not request.authorized:
            return 401, {"error": "Couldn't authenticate you"}
        if not path.startswith("/api/v2/") or not path.endswith(".json"):
            return 404, {"error": "InvalidEndpoint", "description": "Not found"}
        route = path[len("/api/v2/") : -len(".json")].split("/")
        with self.lock:
            if request.method == "GET":
                if route == ["users", "me"]:
                    return 200, {"user": self._me()}
                if route == ["users", "show_many"]:
                    ids = {int(i) for i in query.get("ids", "").split(",") if i.strip().isdigit()}
                    if len(ids) > 100:
                        return 400, {"error": "InvalidParameter", "description": "at most 100 ids"}
                    return 200, {"users": [u for u in self.dataset.users if u["id"] in ids]}
                if len(route) == 1 and route[0] in ("users", "groups", "group_memberships", "ticket_fields"):
                    kind = route[0]
                    return 200, self._list(kind, getattr(self.dataset, kind), query, f"{self.url}{path}")
                if route in (["incremental", "tickets", "cursor"], ["incremental", "users", "cursor"]):
                    return self._incremental(route[1], query)
                if len(route) == 2 and route[0] == "tickets" and route[1].isdigit():
                    record = self.dataset.tickets.get(int(route[1]))
                    if record is None or record.get("status") == "deleted":
                        return 404, {"error": "RecordNotFound", "description": "Not found"}
                    return 200, {"ticket": record}
                if len(route) == 3 and route[0] == "tickets" and route[1].isdigit() and route[2] == "audits":
                    record = self.dataset.tickets.get(int(route[1]))
                    if record is None or record.get("status") == "deleted":
                        return 404, {"error": "RecordNotFound", "description": "Not found"}
                    audits = sorted(
                        self.dataset.audits.get(int(route[1]), []), key=lambda a: (a["created_at"], a["id"])
                    )
                    return 200, self._list("audits", audits, query, f"{self.url}{path}", cap=self.audit_page_size)
            if request.method == "PUT" and len(route) == 2 and route[0] == "tickets" and route[1].isdigit():
                return self._update(int(route[1]), body)
        return 404, {"error": "InvalidEndpoint", "description": "Not found"}

    def _me(self) -> dict[str, Any]:
        user = next((u for u in self.dataset.users if u["id"] == self.me_id), None)
        return user or _user(self.me_id, "API user", self.email, "Europe/London", "admin")

    def _list(
        self, key: str, records: list[dict[str, Any]], query: dict[str, str], endpoint: str, cap: int | None = None
    ) -> dict[str, Any]:
        limit = cap or self.list_page_size
        if "page[size]" not in query:  # the older offset shape
            size = min(int(query.get("per_page", limit)), limit)
            page = int(query.get("page", 1))
            chunk = records[(page - 1) * size : page * size]
            more = page * size < len(records)
            return {
                key: chunk,
                "next_page": f"{endpoint}?page={page + 1}&per_page={size}" if more else None,
                "previous_page": f"{endpoint}?page={page - 1}&per_page={size}" if page > 1 else None,
                "count": len(records),
            }
        size = max(1, min(int(query["page[size]"]), limit))
        start = int(_unb64(query["page[after]"])["i"]) if "page[after]" in query else 0
        chunk = records[start : start + size]
        after = _b64({"o": "id", "i": start + len(chunk)})
        before = _b64({"o": "id", "i": start})
        return {
            key: chunk,
            "meta": {"has_more": start + len(chunk) < len(records), "after_cursor": after, "before_cursor": before},
            "links": {
                "prev": f"{endpoint}?page%5Bbefore%5D={quote(before, safe='')}&page%5Bsize%5D={size}",
                "next": f"{endpoint}?page%5Bafter%5D={quote(after, safe='')}&page%5Bsize%5D={size}",
            },
        }

    def _incremental(self, kind: str, query: dict[str, str]) -> tuple[int, Any]:
        """The cursor-based incremental export of tickets (by generated_timestamp) or users (by updated_at)."""
        if ("cursor" in query) == ("start_time" in query):
            return 400, {"error": "InvalidPaginationParameter", "description": "give start_time or cursor"}
        if "cursor" in query:
            text = base64.b64decode(query["cursor"]).decode()
            stamp, _, rest = text.partition("||")
            after = (int(float(stamp)), int(rest.strip("|")))
        else:
            after = (int(query["start_time"]), 0)
        size = min(int(query.get("per_page", self.page_size)), self.page_size)
        if kind == "tickets":
            records, order = list(self.dataset.tickets.values()), _order
        else:
            records, order = self.dataset.users, _user_order
        following = sorted((r for r in records if order(r) > after), key=order)
        chunk = following[:size]
        last = order(chunk[-1]) if chunk else after
        first = order(chunk[0]) if chunk else after
        after_cursor = base64.b64encode(f"{last[0]}.0||{last[1]}|".encode()).decode()
        before_cursor = base64.b64encode(f"{first[0]}.0||{first[1]}|".encode()).decode()
        endpoint = f"{self.url}/api/v2/incremental/{kind}/cursor.json"
        return 200, {
            kind: [json.loads(json.dumps(r)) for r in chunk],
            "after_url": f"{endpoint}?cursor={quote(after_cursor, safe='')}&per_page={size}",
            "before_url": f"{endpoint}?cursor={quote(before_cursor, safe='')}&per_page={size}" if chunk else None,
            "after_cursor": after_cursor,
            "before_cursor": before_cursor if chunk else None,
            "end_of_stream": len(following) <= size,
        }

    def _update(self, ticket_id: int, body: Any) -> tuple[int, Any]:
        record = self.dataset.tickets.get(ticket_id)
        if record is None or record.get("status") == "deleted":
            return 404, {"error": "RecordNotFound", "description": "Not found"}
        changes = body.get("ticket") if isinstance(body, dict) else None
        if not isinstance(changes, dict):
            return 400, {"error": "InvalidParameter", "description": 'expected {"ticket": {...}}'}
        if changes.get("safe_update") and changes.get("updated_stamp") != record["updated_at"]:
            return 409, SAFE_UPDATE_CONFLICT
        events: list[dict[str, Any]] = []
        comment = changes.get("comment")
        if isinstance(comment, dict):
            text = str(comment.get("body") or comment.get("html_body") or "")
            events.append(
                _comment(text, bool(comment.get("public", True)), int(comment.get("author_id") or self.me_id))
            )
        tags = list(record["tags"])
        if "tags" in changes:
            tags = [str(t) for t in changes["tags"]]
        tags += [str(t) for t in changes.get("additional_tags") or [] if str(t) not in tags]
        tags = [t for t in tags if t not in set(changes.get("remove_tags") or [])]
        if tags != record["tags"]:
            events.append(_change("tags", tags, list(record["tags"])))
        for name in ("status", "priority", "assignee_id"):
            if name in changes and changes[name] != record.get(name):
                value = changes[name]
                previous = record.get(name)
                events.append(
                    _change(
                        name,
                        str(value) if name == "assignee_id" and value is not None else value,
                        str(previous) if name == "assignee_id" and previous is not None else previous,
                    )
                )
        if not events:
            return 200, {"ticket": record, "audit": None}
        audit = _Ticket(self.dataset, record).audit(self.tick(), self.me_id, events, "api")
        return 200, {"ticket": record, "audit": audit}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that vanished (a killed sync) is expected here; anything else is printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    disable_nagle_algorithm = True
    wbufsize = 1 << 16  # headers and body leave in one write (flushed after each request)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        fake: FakeZendesk = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        request, fault = fake._arrive(method, self.path, self.headers.get("Authorization"))
        if fault is not None:
            if fault.status == "drop":
                request.status = 0
                self.close_connection = True
                return
            assert isinstance(fault.status, int)
            status = fault.status
            body: Any = {"error": "TooManyRequests"} if status == 429 else {"error": "Error", "description": "fault"}
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            self._send(request, status, body, headers)
            return
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            self._send(request, 400, {"error": "InvalidJSON"}, {})
            return
        status, body = fake._answer(request, payload)
        self._send(request, status, body, {})

    def _send(self, request: Request, status: int, body: Any, headers: dict[str, str]) -> None:
        request.status = status
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client went away (e.g. a killed sync)
            self.close_connection = True


def record_times(data: ZendeskDataset) -> tuple[datetime, datetime]:
    """The first and last moment in a dataset (for choosing a --since)."""
    stamps = [epoch(a["created_at"]) for audits in data.audits.values() for a in audits]
    return datetime.fromtimestamp(min(stamps), UTC), datetime.fromtimestamp(max(stamps), UTC) + timedelta(seconds=1)
