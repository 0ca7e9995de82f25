"""The team definitions the tests of rules-as-data share: the default rule list as written in default.yaml, the
four team rules of the issue, the people and the start of a ticket's story."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from intently.policy import load_policy

DEFAULT = yaml.safe_load((Path(load_policy.__code__.co_filename).parent / "default.yaml").read_text("utf-8"))
RULES: list[dict[str, Any]] = DEFAULT["rules"]


def rule(rule_id: str) -> dict[str, Any]:
    """A copy of one default rule, by id."""
    return next(dict(r) for r in RULES if r["id"] == rule_id)


def before_last(extra: dict[str, Any]) -> list[dict[str, Any]]:
    """The default list with ``extra`` added just before the catch-all."""
    return [r for r in RULES if r["id"] != "unsolicited_reply"] + [extra, rule("unsolicited_reply")]


PAIRING = {
    "id": "pairing",
    "verdict": "intentional",
    "title": "Pairing session",
    "rationale": "The assignee set up a pairing session: a second engineer replying is planned.",
    "when": {"all": ["public", {"ticket_has_tag": ["pairing_session"]}]},
}
POD_VOICE = {
    "id": "pod_voice",
    "verdict": "intentional",
    "title": "A second voice from the assignee's pod",
    "rationale": "The team tolerates one second voice: a pod colleague's first public reply, owner at work.",
    "when": {"all": ["public", "author_in_assignees_pod", "assignee_on_shift", {"contributor_voices": {"at_most": 0}}]},
}
HANDED = {
    "id": "handed_voice",
    "verdict": "intentional",
    "title": "Handed the reply",
    "rationale": "The assignee named the engineer in an internal note: the reply was handed to them.",
    "when": {"all": ["public", "author_named_by_assignee"]},
}
NOTES_FIRST = ["assignee", "ownership", "internal_note", "solicited", "unowned_reply", "unsolicited_reply"]
"""Coverage removed, internal notes tried before being asked."""
EXPORTS_POD = {"pods": {"exports": {"members": ["ana@example.com", "pip@example.com"], "tags": ["exports"]}}}

PEOPLE = {
    "casey": {"name": "Casey Customer", "role": "end-user"},
    "lena": {"name": "Lena Berg", "region": "EMEA"},
    "ana": {"name": "Ana Lee", "region": "EMEA", "email": "ana@example.com"},
    "pip": {"name": "Pip Okafor", "region": "EMEA", "email": "pip@example.com"},
    "ben": {"name": "Ben Ortiz", "region": "EMEA"},
}
START = [
    {"at": "2026-03-03T09:00:00Z", "by": "casey", "comment": "Our export fails."},  # Tuesday, 10:00 Amsterdam
    {"at": "+5m", "by": "lena", "assign": "ana"},
    {"at": "+10m", "by": "ana", "reply": "Hi Casey, looking into it."},
]
"""A customer's ticket assigned to Ana (EMEA), who answers; on a Tuesday morning in Amsterdam."""
