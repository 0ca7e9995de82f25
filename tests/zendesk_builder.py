"""Build small Zendesk export directories (in the API's shapes) for tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ExportBuilder:
    users: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)
    _next: int = 1000

    def next_id(self) -> int:
        self._next += 1
        return self._next

    def user(self, user_id: int, name: str, role: str = "agent", **extra: Any) -> dict[str, Any]:
        record = {
            "id": user_id,
            "name": name,
            "email": extra.pop("email", f"{name.split()[0].lower()}@example.com"),
            "role": role,
            "time_zone": extra.get("iana_time_zone", "Europe/Amsterdam"),
            "iana_time_zone": extra.pop("iana_time_zone", "Europe/Amsterdam"),
            "user_fields": extra.pop("user_fields", {}),
            **extra,
        }
        self.users.append(record)
        return record

    def ticket(self, ticket_id: int, created_at: str, requester: int, **extra: Any) -> dict[str, Any]:
        record = {
            "id": ticket_id,
            "created_at": created_at,
            "updated_at": created_at,
            "subject": f"Ticket {ticket_id}",
            "status": "open",
            "priority": extra.pop("priority", "normal"),
            "requester_id": requester,
            "assignee_id": extra.pop("assignee_id", None),
            "group_id": None,
            "tags": extra.pop("tags", []),
            "custom_fields": extra.pop("custom_fields", []),
            **extra,
        }
        self.tickets.append(record)
        return record

    def audit(self, ticket_id: int, at: str, author: int, *events: dict[str, Any], via: str = "web") -> dict[str, Any]:
        audit_id = self.next_id()
        full = []
        for event in events:
            event = {"id": self.next_id(), **event}
            if event.get("type") == "Comment":
                event.setdefault("author_id", author)
                event.setdefault("audit_id", audit_id)
                event.setdefault("attachments", [])
            full.append(event)
        record = {
            "id": audit_id,
            "ticket_id": ticket_id,
            "created_at": at,
            "author_id": author,
            "metadata": {"system": {}, "custom": {}},
            "events": full,
            "via": {"channel": via, "source": {"from": {}, "to": {}, "rel": None}},
        }
        self.audits.append(record)
        return record

    def write(self, root: Path, audits_per_page: int = 100) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        (root / "users.page-001.json").write_text(json.dumps({"users": self.users}))
        (root / "tickets.page-001.json").write_text(json.dumps({"tickets": self.tickets, "end_of_stream": True}))
        if self.fields:
            (root / "ticket_fields.page-001.json").write_text(json.dumps({"ticket_fields": self.fields}))
        ordered = sorted(self.audits, key=lambda a: (a["created_at"], a["id"]))
        for page, start in enumerate(range(0, max(len(ordered), 1), audits_per_page), start=1):
            chunk = ordered[start : start + audits_per_page]
            (root / f"ticket_audits.page-{page:03d}.json").write_text(json.dumps({"audits": chunk}))
        return root


def comment(body: str, public: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Comment",
        "body": body,
        "plain_body": body,
        "html_body": f"<p>{body}</p>",
        "public": public,
        **extra,
    }


def create(field_name: str, value: Any) -> dict[str, Any]:
    return {"type": "Create", "field_name": field_name, "value": value}


def change(field_name: str, value: Any, previous: Any) -> dict[str, Any]:
    return {"type": "Change", "field_name": field_name, "value": value, "previous_value": previous}
