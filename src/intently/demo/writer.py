"""Writing an export directory: the account's pages, the policy override, and the audit and ticket pages."""

from __future__ import annotations

import base64
import bisect
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import yaml

from intently.demo.organisation import API, POLICY_FILE
from intently.demo.plan import K_COMMENT, V_AUTOMATION, V_TRIGGER, DemoPlan
from intently.demo.progress import Reporter
from intently.demo.records import EVENT_ID_STEP, Renderer

FIRST_AUDIT_ID = 31_504_227_811_200


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What :func:`generate_export` wrote."""

    out_dir: Path
    policy_path: Path
    files: tuple[Path, ...]
    tickets: int
    users: int
    agents: int
    audits: int
    events: int
    comments: int
    agent_comments: int
    """Comments by agents, except opening descriptions and trigger/automation comments: what is judged."""
    ticket_pages: int
    audit_pages: int


def _cursor(order: str, *values: tuple[str, int]) -> str:
    packed = b"".join(kind.encode() + struct.pack("<q", value) for kind, value in values)
    text = orjson.dumps({"o": order, "v": base64.b64encode(packed).decode()})
    return base64.b64encode(text).decode()


def _page_links(endpoint: str, before: str, after: str, size: int) -> dict[str, str]:
    return {
        "prev": f"{API}/{endpoint}.json?page%5Bbefore%5D={quote(before, safe='')}&page%5Bsize%5D={size}",
        "next": f"{API}/{endpoint}.json?page%5Bafter%5D={quote(after, safe='')}&page%5Bsize%5D={size}",
    }


def _write(path: Path, data: Any) -> None:
    path.write_bytes(orjson.dumps(data))


def _clear(out_dir: Path) -> None:
    """Remove page files of an earlier run, so that no stale page is left behind."""
    for pattern in ("tickets.page-*.json", "ticket_audits.page-*.json"):
        for path in out_dir.glob(pattern):
            path.unlink()


def write_export(
    plan: DemoPlan,
    out_dir: Path,
    *,
    audits_per_page: int = 1000,
    tickets_per_page: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Write the plans as a Zendesk export directory, one page at a time.

    ``progress``, if given, is called with increments (as a progress bar's ``advance`` takes them) that add
    up to the number of tickets: after each audit page, the tickets whose every audit has now been written.
    """
    if audits_per_page < 1 or tickets_per_page < 1:
        raise ValueError("audits_per_page and tickets_per_page must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear(out_dir)
    writer = Renderer(plan)
    files: list[Path] = []
    total = len(plan.tickets)

    users = writer.users()
    path = out_dir / "users.page-001.json"
    first, last = _cursor("id", ("i", users[0]["id"])), _cursor("id", ("i", users[-1]["id"]))
    _write(
        path,
        {
            "users": users,
            "meta": {"has_more": False, "after_cursor": last, "before_cursor": first},
            "links": _page_links("users", first, last, 100),
        },
    )
    files.append(path)
    groups, memberships = writer.groups()
    for name, records in (("groups", groups), ("group_memberships", memberships)):
        path = out_dir / f"{name}.page-001.json"
        first, last = _cursor("id", ("i", records[0]["id"])), _cursor("id", ("i", records[-1]["id"]))
        _write(
            path,
            {
                name: records,
                "meta": {"has_more": False, "after_cursor": last, "before_cursor": first},
                "links": _page_links(name, first, last, 100),
            },
        )
        files.append(path)
    fields = writer.fields()
    path = out_dir / "ticket_fields.page-001.json"
    _write(path, {"ticket_fields": fields, "next_page": None, "previous_page": None, "count": len(fields)})
    files.append(path)
    policy_path = out_dir / POLICY_FILE
    header = (
        "# intently policy override for the demo export: merged over the default policy (--config intently.yaml).\n"
        "# Two pods whose members' notes on their topics are tracked, and two out-of-office periods.\n"
    )
    policy_path.write_text(header + yaml.safe_dump(plan.override, sort_keys=False, allow_unicode=True), "utf-8")
    files.append(policy_path)

    # every audit of every ticket, in time order, with ids that grow with time
    order = sorted((step.at, ti, si) for ti, ticket in enumerate(plan.tickets) for si, step in enumerate(ticket.steps))
    next_id = FIRST_AUDIT_ID
    last_position = [0] * total
    events = comments = agent_comments = 0
    agent_ids = {a.id for a in plan.agents}
    for position, (_, ti, si) in enumerate(order):
        ticket = plan.tickets[ti]
        step = ticket.steps[si]
        step.id = next_id
        next_id += (len(step.ops) + 1 + (ti * 7 + si * 13) % 11) * EVENT_ID_STEP
        last_position[ti] = position
        events += len(step.ops)
        for op in step.ops:
            if op[0] == K_COMMENT:
                comments += 1
                if op[1] in agent_ids and step.via not in (V_TRIGGER, V_AUTOMATION) and si > 0:
                    agent_comments += 1
    finished = sorted(last_position)
    pages = max(1, math.ceil(len(order) / audits_per_page))
    report = Reporter(progress)
    for page in range(pages):
        chunk = order[page * audits_per_page : (page + 1) * audits_per_page]
        audits = [writer.audit(plan.tickets[ti], plan.tickets[ti].steps[si]) for _, ti, si in chunk]
        if audits:
            first = _cursor("created_at,id", ("d", chunk[0][0]), ("i", audits[0]["id"]))
            last = _cursor("created_at,id", ("d", chunk[-1][0]), ("i", audits[-1]["id"]))
        else:
            first = last = _cursor("created_at,id", ("d", plan.start_ts), ("i", 0))
        path = out_dir / f"ticket_audits.page-{page + 1:03d}.json"
        meta = {"has_more": page + 1 < pages, "after_cursor": last, "before_cursor": first}
        _write(
            path, {"audits": audits, "meta": meta, "links": _page_links("ticket_audits", first, last, audits_per_page)}
        )
        files.append(path)
        report.at(bisect.bisect_left(finished, (page + 1) * audits_per_page))

    # the incremental ticket export: tickets in the order of their last change
    ranked = sorted(plan.tickets, key=lambda t: (t.steps[-1].at, t.id))
    ticket_pages = max(1, math.ceil(len(ranked) / tickets_per_page))
    for page in range(ticket_pages):
        batch = ranked[page * tickets_per_page : (page + 1) * tickets_per_page]
        records = [writer.ticket(ticket) for ticket in batch]
        after = base64.b64encode(f"{batch[-1].steps[-1].at}.0||{batch[-1].id}|".encode()).decode() if batch else None
        before = base64.b64encode(f"{batch[0].steps[-1].at}.0||{batch[0].id}|".encode()).decode() if batch else None
        body = {
            "tickets": records,
            "after_url": f"{API}/incremental/tickets/cursor.json?cursor={quote(after, safe='')}" if after else None,
            "before_url": (
                f"{API}/incremental/tickets/cursor.json?cursor={quote(before, safe='')}" if before and page else None
            ),
            "after_cursor": after,
            "before_cursor": before if page else None,
            "end_of_stream": page + 1 == ticket_pages,
        }
        path = out_dir / f"tickets.page-{page + 1:03d}.json"
        _write(path, body)
        files.append(path)
    report.at(total)
    return DemoSummary(
        out_dir=out_dir,
        policy_path=policy_path,
        files=tuple(files),
        tickets=total,
        users=len(users),
        agents=len(plan.agents),
        audits=len(order),
        events=events,
        comments=comments,
        agent_comments=agent_comments,
        ticket_pages=ticket_pages,
        audit_pages=pages,
    )
